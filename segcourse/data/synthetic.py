"""Synthetic street scenes, the course's default data set: generated (no download), deterministic by seed."""

from __future__ import annotations

import math

import numpy as np

from segcourse._validate import check_positive_int
from segcourse.data.classes import NUM_CLASSES, VOID

#: The smallest height and width of a synthetic scene (below it, poles, windows and people have no room).
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

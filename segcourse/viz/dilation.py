"""Drawings of chapter 6: how a stack of dilated convolutions grows its receptive field, and what it reads.

- ``receptive_field_maps``: the number of paths from each input pixel to one output pixel, layer by layer;
- ``animate_receptive_field``: a stack of dilated 3x3 convolutions (rates 1, 2, 4 by default) building its
  receptive field tap by tap, as in Yu and Koltun's Figure 1;
- ``plot_path_maps``: such path counts for several stacks, on a log scale (gridding shows as holes);
- ``plot_sensitivity``: where a trained network's score looks (gradient maps), with a window marked on them.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from segcourse import _validate, reference
from segcourse.viz._common import _finish
from segcourse.viz.animation import Animation, animate
from segcourse.viz.convolution import ORANGE, _clear, _frame_axes, _freeze_layout, _grid

__all__ = ["animate_receptive_field", "plot_path_maps", "plot_sensitivity", "receptive_field_maps"]


def _check_dilations(dilations: Any, most: int) -> tuple[int, ...]:
    if (
        isinstance(dilations, (str, bytes))
        or not isinstance(dilations, Sequence)
        or not 1 <= len(dilations) <= most
    ):
        raise ValueError(f"`dilations` must be a list of 1 to {most} dilation rates; got {dilations!r}.")
    return tuple(_validate.check_positive_int(d, "dilations") for d in dilations)


def _tap_offsets(kernel: int, dilation: int) -> list[tuple[int, int]]:
    """Offsets of a centred kernel's taps from its centre, row by row."""
    steps = dilation * (np.arange(kernel) - kernel // 2)
    return [(int(u), int(v)) for u in steps for v in steps]


def receptive_field_maps(dilations: Sequence[int], kernel: int = 3) -> list[np.ndarray]:
    """Paths from each input pixel to the centre output pixel, after each layer of a dilated stack.

    The stack is ``kernel x kernel`` convolutions at stride 1 with the given dilation rates. After layer
    ``l`` the map is the sum of the previous map shifted to each of the layer's taps: a pixel's value is
    the number of paths through the stack from it to the centre output pixel, and the pixels with a
    nonzero value are the receptive field (``reference.receptive_field`` gives its width).

    Args:
        dilations: the dilation rate of each layer, from the input up.
        kernel: odd number of taps of each kernel along each axis.

    Returns:
        One ``(r, r)`` integer array per layer, all on the same grid: ``r`` is the receptive field of
        the whole stack, and the centre output pixel sits at ``(r // 2, r // 2)``.

    Example:

    >>> [int(np.count_nonzero(m)) for m in receptive_field_maps((1, 2, 4))]
    [9, 49, 225]
    """
    dilations = _check_dilations(dilations, 8)
    kernel = _validate.check_positive_int(kernel, "kernel")
    if kernel % 2 == 0:
        raise ValueError(f"`kernel` must be odd (a kernel with a centre tap); got {kernel}.")
    size = reference.receptive_field([(kernel, 1, d) for d in dilations])[-1]
    centre = size // 2
    paths = np.zeros((size, size), np.int64)
    paths[centre, centre] = 1
    maps = []
    for dilation in dilations:
        grown = np.zeros_like(paths)
        for du, dv in _tap_offsets(kernel, dilation):
            grown += np.roll(paths, (du, dv), axis=(0, 1))  # nothing wraps: the grid holds the whole field
        paths = grown
        maps.append(paths)
    return maps


def _extent(paths: np.ndarray) -> int:
    rows = np.nonzero(paths.any(axis=1))[0]
    return int(rows.max() - rows.min() + 1)


def animate_receptive_field(
    dilations: Sequence[int] = (1, 2, 4), kernel: int = 3, fps: float = 2.0, dpi: float = 80
) -> Animation:
    """Animates a stack of dilated convolutions growing the receptive field of one output pixel, tap by tap.

    Frame 0 shows the output pixel alone. Then, for each layer ``l`` with dilation ``d``, one frame per
    tap of its kernel: the tap (orange dot; the other taps, ``d`` pixels apart, as black dots) adds a copy
    of the receptive field of layers ``1 .. l-1`` (orange square) at its offset. After the last tap the
    field is ``r_l = r_(l-1) + (kernel - 1) d`` pixels wide. The cells are shaded by the number of paths
    through the stack that join them to the output pixel (darker: more paths, on a log scale).

    Args:
        dilations: the dilation rate of each layer, from the input up (at most 4 layers).
        kernel: odd number of taps of each kernel along each axis (3: nine taps a layer).
        fps: frames per second when playing.
        dpi: resolution of the frames.

    Returns:
        An ``Animation`` with ``1 + len(dilations) * kernel**2`` frames.

    Example:

    >>> anim = animate_receptive_field((1, 2, 4))  # Yu and Koltun's Figure 1: 3x3, 7x7, 15x15
    >>> len(anim.frames)
    28
    """
    dilations = _check_dilations(dilations, 4)
    maps = receptive_field_maps(dilations, kernel)
    size = maps[-1].shape[0]
    if size > 31:
        raise ValueError(f"the receptive field, {size} pixels, is too wide to draw (at most 31).")
    centre = size // 2
    fields = [1] + [_extent(m) for m in maps]
    delta = np.zeros((size, size), np.int64)
    delta[centre, centre] = 1
    plan = [(layer, tap) for layer in range(len(dilations)) for tap in range(kernel * kernel)]
    top_paths = float(maps[-1].max())
    cmap = plt.get_cmap("Blues")
    fig, ax = plt.subplots(figsize=(4.6, 5.0), layout="constrained")

    def colours(paths: np.ndarray) -> np.ndarray:
        """Cell colours, with a margin of one white cell around the field."""
        paths = np.pad(paths, 1)
        shade = 0.25 + 0.75 * np.log1p(paths) / np.log1p(top_paths)
        return np.where(paths[..., None] > 0, cmap(shade)[..., :3], 1.0)

    def caption(text: str) -> None:
        ax.text(0.5, -0.01, text, transform=ax.transAxes, ha="center", va="top", fontsize=10)

    def update(frame: int) -> None:
        _clear(ax)
        if frame == 0:
            _frame_axes(ax, size + 2, "one output pixel\nits receptive field: 1x1")
            _grid(ax, colours(delta))
            caption("receptive field: 1")
            return
        layer, tap = plan[frame - 1]
        dilation, previous = dilations[layer], (maps[layer - 1] if layer else delta)
        offsets = _tap_offsets(kernel, dilation)
        paths = sum(np.roll(previous, offset, axis=(0, 1)) for offset in offsets[: tap + 1])
        so_far = _extent(paths) if tap + 1 == len(offsets) else None
        title = f"layer {layer + 1}: {kernel}x{kernel} kernel, dilation {dilation}\n"
        if so_far is None:
            title += f"tap {tap + 1} of {len(offsets)} adds a copy of the {fields[layer]}x{fields[layer]} field"
        else:
            title += f"all {len(offsets)} taps: receptive field {so_far}x{so_far}"
        _frame_axes(ax, size + 2, title)
        _grid(ax, colours(paths))
        centre_drawn = centre + 1  # the margin
        du, dv = offsets[tap]
        half = fields[layer] / 2
        ax.add_patch(
            Rectangle(
                (centre_drawn + dv - half, centre_drawn + du - half),
                fields[layer],
                fields[layer],
                fill=False,
                edgecolor=ORANGE,
                linewidth=2.5,
            )
        )
        taps_x = [centre_drawn + v for _, v in offsets]
        ax.plot(taps_x, [centre_drawn + u for u, _ in offsets], "o", color="black", markersize=3)
        ax.plot(
            [centre_drawn + dv], [centre_drawn + du], "o", color=ORANGE, markersize=7, markeredgecolor="black"
        )
        grown = fields[1 : layer + 2] if so_far is not None else fields[1 : layer + 1]
        caption("receptive field: " + " -> ".join(map(str, [1, *grown])))

    rates = ", ".join(map(str, dilations))
    sizes = " then ".join(f"{f}x{f}" for f in fields[1:])
    alt = (
        f"A grid of pixels around one output pixel. Layer by layer, {kernel}x{kernel} convolutions with "
        f"dilation rates {rates} add a copy of the previous receptive field at each of their taps, so the "
        f"shaded field grows from 1 pixel to {sizes} pixels without holes."
    )
    _freeze_layout(fig, update)
    return animate(fig, update, 1 + len(plan), fps=fps, dpi=dpi, alt=alt)


def _nonnegative_maps(maps: Any, what: str) -> dict[str, np.ndarray]:
    """1 to 4 titled 2-D arrays of nonnegative values, at least one positive in each, as float64."""
    if not isinstance(maps, Mapping) or not 1 <= len(maps) <= 4:
        raise ValueError(f"`maps` must map 1 to 4 titles to 2-D {what}; got {type(maps).__name__}.")
    checked = {}
    for title, values in maps.items():
        array = _validate.as_array(values, f"maps[{title!r}]").astype("float64")
        _validate.check_rank(array, f"maps[{title!r}]", (2,), "(height, width)")
        if array.min() < 0 or array.max() <= 0:
            raise ValueError(f"`maps[{title!r}]` must hold nonnegative values, at least one positive.")
        checked[str(title)] = array
    return checked


def plot_path_maps(maps: Mapping[str, Any]) -> Figure:
    """Shows path counts (``receptive_field_maps``-like maps) relative to their maximum, on a log scale.

    Pixels with no path (not read at all) are white: the holes that *gridding* leaves. Each title gets the
    map's size and its coverage, the share of its pixels with a path.

    Args:
        maps: ``{title: paths}``, each a 2-D array of nonnegative counts (1 to 4 maps, in a 2x2 grid
            when there are more than 2).

    Returns:
        The matplotlib ``Figure``, with one colour bar.

    Example:

    >>> plot_path_maps({"dilations 2, 2, 2": np.kron(np.ones((7, 7)), [[1, 0], [0, 0]])[:13, :13]})
    """
    checked = _nonnegative_maps(maps, "path counts")
    rows = 1 if len(checked) <= 2 else 2
    cols = -(-len(checked) // rows)
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.8 * cols, 3.5 * rows + 0.3), squeeze=False, layout="constrained"
    )
    cmap = plt.get_cmap("viridis").with_extremes(bad="white")
    for ax in axes.flat[len(checked) :]:
        ax.axis("off")
    for ax, (title, paths) in zip(axes.flat, checked.items(), strict=False):
        relative = np.ma.masked_where(paths == 0, np.log10(np.where(paths > 0, paths, 1) / paths.max()))
        image = ax.imshow(relative, cmap=cmap, vmin=-3, vmax=0)
        coverage = np.mean(paths > 0)
        ax.set_title(f"{title}\n{paths.shape[0]}x{paths.shape[1]} pixels, coverage {coverage:.0%}", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(image, ax=axes, shrink=0.6, label="log10(paths / most paths)")
    return _finish(fig)


def plot_sensitivity(maps: Mapping[str, Any], box: tuple[int, int, int, int], clip: float = 0.25) -> Figure:
    """Shows gradient maps (how much a score depends on each pixel) side by side, with a box drawn on each.

    Each map is divided by its maximum, and the colour scale stops at ``clip`` so that the weaker, distant
    part of the map shows.

    Args:
        maps: ``{title: map}``, each a 2-D array of nonnegative values (1 to 4 maps, all of one shape).
        box: ``(top, left, height, width)`` in pixels of the maps: a window to mark (in cyan).
        clip: the fraction of each map's maximum shown at full brightness, in (0, 1].

    Returns:
        The matplotlib ``Figure``, with one colour bar.

    Example:

    >>> plot_sensitivity({"score": np.random.rand(64, 96)}, box=(21, 37, 22, 22))
    """
    checked = _nonnegative_maps(maps, "gradient maps")
    if isinstance(clip, bool) or not isinstance(clip, numbers.Real) or not 0 < clip <= 1:
        raise ValueError(f"`clip` must be a number in (0, 1]; got {clip!r}.")
    if not isinstance(box, Sequence) or len(box) != 4:
        raise ValueError(f"`box` must be (top, left, height, width); got {box!r}.")
    top, left, height, width = (_validate.check_positive_int(n, "box", minimum=0) for n in box)
    fig, axes = plt.subplots(
        1, len(checked), figsize=(3.2 * len(checked), 2.7), squeeze=False, layout="constrained"
    )
    for ax, (title, image) in zip(axes[0], checked.items(), strict=True):
        shown = ax.imshow(image / image.max(), cmap="magma", vmin=0, vmax=clip)
        ax.add_patch(
            Rectangle((left - 0.5, top - 0.5), width, height, fill=False, edgecolor="cyan", linewidth=1)
        )
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(shown, ax=axes[0], shrink=0.9, label="gradient / its maximum")
    return _finish(fig)

"""Drawings of chapter 3: feature maps side by side, and max pooling with indices then unpooling, animated.

- ``show_maps``: 2-D maps (grey levels) and images in one row, with the borders of the pooling blocks;
- ``animate_unpooling``: a small map pooled window by window (each maximum and its index) and then
  unpooled window by window (each value back at the position its index names), as an ``Animation``.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from segcourse import _validate
from segcourse.reference import max_pool2d_with_indices, max_unpool2d
from segcourse.viz._common import _finish
from segcourse.viz.animation import Animation, animate

__all__ = ["animate_unpooling", "show_maps", "unpooling_frames"]

#: Colours of the animation: the window being read, and the value being moved.
_WINDOW_COLOR = "#0072b2"
_VALUE_COLOR = "#d55e00"


def _check_pair(value: Any, name: str) -> tuple[int, int]:
    """An integer >= 1 or a pair of them, as ``(rows, columns)``; a ``ValueError`` naming ``name`` otherwise."""
    pair = (value, value) if isinstance(value, numbers.Integral) else value
    if (
        isinstance(pair, (str, bytes))
        or not hasattr(pair, "__len__")
        or len(pair) != 2
        or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in pair)
    ):
        raise ValueError(f"`{name}` must be an integer >= 1 or a pair of them; got {value!r}.")
    return int(pair[0]), int(pair[1])


def show_maps(
    panels: Mapping[str, Any], title: str | None = None, block: int | tuple[int, int] | None = None
) -> Figure:
    """Shows 2-D maps and RGB images side by side, each with its name above it.

    A 2-D map is drawn in grey levels from 0 (black) to 1 (white), an ``(h, w, 3)`` image in its colours,
    both pixel by pixel (no smoothing). ``block`` draws the borders of the pooling windows over every
    panel, e.g. ``4`` for the blocks that two 2x2 poolings in a row reduce to one value.

    Args:
        panels: name -> array, ``(h, w)`` with values in [0, 1] or ``(h, w, 3)`` RGB in [0, 1]; all panels
            of the same height and width.
        title: a title above the row, or None.
        block: None, or the ``(rows, columns)`` of the blocks whose borders are drawn (an int for square
            blocks).

    Returns:
        The ``Figure``, one axis per panel (closed in pyplot: see ``segcourse.viz``).

    Example:

    >>> mask = np.zeros((8, 8)); mask[:, 3] = 1
    >>> fig = show_maps({"mask": mask, "every 4th row": mask * (np.arange(8) % 4 == 0)[:, None]}, block=4)
    """
    if not isinstance(panels, Mapping) or not panels:
        raise ValueError("`panels` must be a non-empty mapping of name -> 2-D map or RGB image.")
    block = None if block is None else _check_pair(block, "block")
    arrays = {}
    for name, panel in panels.items():
        array = _validate.as_array(panel, f"panels[{name!r}]")
        if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 3)):
            raise ValueError(
                f"`panels[{name!r}]` must be a 2-D map (h, w) or an RGB image (h, w, 3); "
                f"got shape {tuple(array.shape)}."
            )
        arrays[str(name)] = array
    sizes = {array.shape[:2] for array in arrays.values()}
    if len(sizes) > 1:
        raise ValueError(f"every panel must have the same height and width; got {sorted(sizes)}.")
    (height, width), count = sizes.pop(), len(arrays)
    fig, axes = plt.subplots(1, count, figsize=(2.0 * count, 2.0 * height / width + 0.5), layout="constrained")
    for ax, (name, array) in zip(np.atleast_1d(axes), arrays.items(), strict=True):
        ax.imshow(array, cmap="gray" if array.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        if block is not None:  # lines between the blocks, half a pixel before each block's first row/column
            for row in range(block[0], height, block[0]):
                ax.axhline(row - 0.5, color="#56b4e9", linewidth=0.8)
            for column in range(block[1], width, block[1]):
                ax.axvline(column - 0.5, color="#56b4e9", linewidth=0.8)
    if title:
        fig.suptitle(title, fontsize=10)
    return _finish(fig)


def unpooling_frames(shape: tuple[int, int], pool_size: int | tuple[int, int] = 2) -> list[tuple[str, int]]:
    """The frames of ``animate_unpooling`` for a map of ``shape``: what each frame shows.

    ``("pool", k)`` pools window ``k`` (windows counted row-major), ``("unpool", k)`` puts its value back,
    and the last frame, ``("done", -1)``, shows every result. A map with ``m`` whole windows has ``2 m + 1``
    frames.

    Args:
        shape: ``(height, width)`` of the map.
        pool_size: the window, an int or ``(ph, pw)``.

    Returns:
        A list of ``(step, window)`` pairs, one per frame.

    Example:

    >>> unpooling_frames((4, 4), 2)[:5]
    [('pool', 0), ('pool', 1), ('pool', 2), ('pool', 3), ('unpool', 0)]
    """
    height, width = _validate.check_size(shape, "shape")
    ph, pw = _check_pair(pool_size, "pool_size")
    windows = (height // ph) * (width // pw)
    if windows == 0:
        raise ValueError(f"no {ph}x{pw} window fits in a {height}x{width} map.")
    return [("pool", k) for k in range(windows)] + [("unpool", k) for k in range(windows)] + [("done", -1)]


def _number(value: float) -> str:
    return f"{value:g}"


class _Grid:
    """One panel of the animation: a grid of cells with a number in each, and highlights."""

    def __init__(self, ax: Any, shape: tuple[int, int], title: str, window: tuple[int, int]) -> None:
        self.ax, (self.height, self.width) = ax, shape
        ax.set_xlim(-0.5, self.width - 0.5)
        ax.set_ylim(self.height - 0.5, -0.5)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=10)
        for row in range(self.height + 1):
            thick = row % window[0] == 0
            ax.axhline(row - 0.5, color="black" if thick else "#bbbbbb", linewidth=1.6 if thick else 0.6)
        for column in range(self.width + 1):
            thick = column % window[1] == 0
            ax.axvline(column - 0.5, color="black" if thick else "#bbbbbb", linewidth=1.6 if thick else 0.6)
        self.texts = np.array(
            [
                [ax.text(j, i, "", ha="center", va="center", fontsize=11) for j in range(self.width)]
                for i in range(self.height)
            ]
        )
        self.cell = ax.add_patch(Rectangle((0, 0), 1, 1, color=_VALUE_COLOR, alpha=0.35, visible=False))
        self.frame = ax.add_patch(
            Rectangle((0, 0), 1, 1, fill=False, edgecolor=_WINDOW_COLOR, linewidth=3, visible=False)
        )

    def show(self, values: np.ndarray, shown: np.ndarray, faint: np.ndarray | None = None) -> None:
        """Writes ``values`` where ``shown`` holds, in grey where ``faint`` holds, and blanks elsewhere."""
        for (i, j), text in np.ndenumerate(self.texts):
            text.set_text(_number(values[i, j]) if shown[i, j] else "")
            text.set_color("#999999" if faint is not None and faint[i, j] else "black")

    def highlight(self, cell: tuple[int, int] | None, window: tuple[int, int, int, int] | None) -> None:
        """Fills ``cell`` (row, column) and outlines ``window`` (top, left, rows, columns); None hides them."""
        self.cell.set_visible(cell is not None)
        if cell is not None:
            self.cell.set_xy((cell[1] - 0.5, cell[0] - 0.5))
        self.frame.set_visible(window is not None)
        if window is not None:
            top, left, rows, columns = window  # drawn a little inside the window's black border
            self.frame.set_bounds(left - 0.42, top - 0.42, columns - 0.16, rows - 0.16)


def animate_unpooling(
    x: Any, pool_size: int | tuple[int, int] = 2, fps: float = 1.0, dpi: float = 80, alt: str | None = None
) -> Animation:
    """Animates max pooling with indices, then index unpooling, window by window, on a small 2-D map.

    Four grids of numbers: the input, the pooled maxima, their indices (the row-major position of each
    maximum inside its window, the first one when values tie) and the unpooled map. First each window of
    the input is pooled in turn: the window is outlined, its maximum filled, and the maximum and its index
    appear. Then each pooled value goes back: the value and its index are filled, and the value is written
    in the unpooled map at the position its index names, with zeros in the rest of the window. The last
    frame shows every result. Computed with ``segcourse.reference``; frames as ``unpooling_frames`` lists.

    Args:
        x: a 2-D map ``(height, width)`` of numbers, at most 8x8 (the numbers must stay legible), with at
            least one whole window; rows and columns that fill no window are shown but not pooled.
        pool_size: the window and stride, an int or ``(ph, pw)``.
        fps: frames per second when playing.
        dpi: resolution of the frames.
        alt: the text alternative; by default a sentence describing the animation.

    Returns:
        An ``Animation`` (see ``segcourse.viz.animate``) of ``2 m + 1`` frames for ``m`` windows.

    Example:

    >>> x = np.array([[1, 5, 2, 0], [3, 4, 7, 7], [0, 2, 6, 1], [8, 1, 3, 9]])
    >>> animation = animate_unpooling(x, 2)
    >>> len(animation.frames)
    9
    """
    array = _validate.as_array(x, "x")
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.number) or array.dtype == bool:
        raise ValueError(f"`x` must be a 2-D map of numbers (height, width); got shape {tuple(array.shape)}.")
    if max(array.shape) > 8:
        raise ValueError(f"`x` must be at most 8x8, so that its numbers stay legible; got {array.shape}.")
    ph, pw = _check_pair(pool_size, "pool_size")
    fig, update, frames, _ = _unpooling_scene(array, (ph, pw))
    if alt is None:
        alt = (
            f"A {array.shape[0]}x{array.shape[1]} grid of numbers is max pooled window by window with "
            f"{ph}x{pw} windows, each maximum and its position written into two small grids; then each "
            "maximum is written back at its position in an empty grid of the input's size, zeros elsewhere."
        )
    return animate(fig, update, frames, fps=fps, dpi=dpi, alt=alt)


def _unpooling_scene(array: np.ndarray, pool: tuple[int, int]) -> tuple[Figure, Any, int, list[_Grid]]:
    """The figure of ``animate_unpooling``, its ``update(frame)``, the number of frames and the four grids."""
    ph, pw = pool
    frames = unpooling_frames(array.shape, (ph, pw))
    pooled, indices = (a[..., 0] for a in max_pool2d_with_indices(array[..., None], (ph, pw)))
    unpooled = max_unpool2d(pooled[..., None], indices[..., None], (ph, pw), output_size=array.shape)[..., 0]
    out_w = pooled.shape[1]

    widths = [array.shape[1], out_w, out_w, array.shape[1]]
    fig, axes = plt.subplots(
        1, 4, figsize=(0.42 * sum(widths) + 1.2, 0.42 * array.shape[0] + 1.0),
        gridspec_kw={"width_ratios": widths}, layout="constrained",
    )  # fmt: skip
    grids = [
        _Grid(axes[0], array.shape, "input", (ph, pw)),
        _Grid(axes[1], pooled.shape, "pooled", (1, 1)),
        _Grid(axes[2], pooled.shape, "indices", (1, 1)),
        _Grid(axes[3], array.shape, "unpooled", (ph, pw)),
    ]
    grids[0].show(array, np.ones(array.shape, bool))
    caption = fig.suptitle("", fontsize=11)
    windows = pooled.size

    def update(frame: int) -> None:
        step, k = frames[frame]
        # The windows pooled, and unpooled, once this frame is drawn (row-major order).
        pooled_count = k + 1 if step == "pool" else windows
        unpooled_count = {"pool": 0, "unpool": k + 1, "done": windows}[step]
        done_pooling = (np.arange(windows) < pooled_count).reshape(pooled.shape)
        done_unpooling = np.zeros(array.shape, bool)
        blocks = np.repeat(np.repeat((np.arange(windows) < unpooled_count).reshape(pooled.shape), ph, 0), pw, 1)
        done_unpooling[: blocks.shape[0], : blocks.shape[1]] = blocks
        i, j = divmod(k, out_w)
        row, column = divmod(int(indices[i, j]), pw) if k >= 0 else (0, 0)
        window = (i * ph, j * pw, ph, pw)
        at_max = (i * ph + row, j * pw + column)
        for grid in grids:
            grid.highlight(None, None)
        if step == "pool":
            grids[0].highlight(at_max, window)
            grids[1].highlight((i, j), None)
            grids[2].highlight((i, j), None)
            ties = int((array[window[0] : window[0] + ph, window[1] : window[1] + pw] == pooled[i, j]).sum())
            first = f" (the first of {ties})" if ties > 1 else ""
            caption.set_text(f"max pooling: maximum {_number(pooled[i, j])} at position {indices[i, j]}{first}")
        elif step == "unpool":
            grids[1].highlight((i, j), None)
            grids[2].highlight((i, j), None)
            grids[3].highlight(at_max, window)
            caption.set_text(f"unpooling: {_number(pooled[i, j])} goes back to position {indices[i, j]}")
        else:
            caption.set_text("pooled with indices, then unpooled: each maximum is back in its place")
        grids[1].show(pooled, done_pooling)
        grids[2].show(indices, done_pooling)
        grids[3].show(unpooled, done_unpooling, faint=unpooled == 0)

    return fig, update, len(frames), grids

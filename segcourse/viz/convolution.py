"""Drawings of chapter 4: a convolution's window sliding, a transposed convolution built from zeros, taps.

- ``animate_convolution``: a kernel sliding over its input with different strides, side by side, and the
  output pixels filling in;
- ``animate_transposed_convolution``: a transposed convolution as zero insertion, padding and a stride-1
  convolution with the flipped kernel, step by step, with the numbers;
- ``plot_taps``: the input pixels that two neighbouring output pixels read (stride versus dilation);
- ``plot_responses``: upsampled maps side by side on one grey scale (checkerboard artifacts).

The grids are drawn as images with one square per pixel, on a white background.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from segcourse import _validate, reference
from segcourse.viz._common import _finish
from segcourse.viz.animation import Animation, animate

__all__ = [
    "animate_convolution",
    "animate_transposed_convolution",
    "plot_responses",
    "plot_taps",
    "transposed_convolution_steps",
    "window_positions",
]

#: Colours of the drawings (colour-blind safe): read by the window, written, read by both, done.
BLUE = (0.0, 0.45, 0.70)
ORANGE = (0.90, 0.62, 0.0)
GREY = (0.35, 0.35, 0.35)
SKY_BLUE = (0.45, 0.70, 0.90)
PALE_BLUE = (0.80, 0.89, 0.96)
PALE_ORANGE = (0.99, 0.90, 0.72)
PALE_GREY = (0.90, 0.90, 0.90)
WHITE = (1.0, 1.0, 1.0)


def window_positions(size: int, kernel: int, stride: int, dilation: int = 1) -> list[tuple[int, int]]:
    """Top-left input pixel of every window of a "valid" convolution on a square input, row by row.

    Output pixel ``(i, j)`` reads the input pixels ``(i * stride + u * dilation, j * stride + v * dilation)``
    for ``u, v`` in ``0 .. kernel - 1``; its window starts at ``(i * stride, j * stride)``. There are
    ``conv_output_size(size, kernel, stride, "valid", dilation) ** 2`` windows.

    Args:
        size: height and width of the input.
        kernel: taps of the kernel along each axis.
        stride: how far the window moves from one output pixel to the next.
        dilation: spacing of the taps.

    Returns:
        The ``(row, column)`` of each window's first tap, in the order of the output pixels.

    Example:

    >>> window_positions(5, 3, 2)
    [(0, 0), (0, 2), (2, 0), (2, 2)]
    """
    out = reference.conv_output_size(size, kernel, stride, "valid", dilation)
    return [(i * stride, j * stride) for i in range(out) for j in range(out)]


def _grid(ax: Axes, colours: np.ndarray, origin: tuple[float, float] = (0, 0)) -> None:
    """Draws an ``(h, w, 3)`` array of colours as squares with black borders, top-left cell at ``origin``."""
    h, w = colours.shape[:2]
    top, left = origin
    ax.imshow(colours, extent=(left - 0.5, left + w - 0.5, top + h - 0.5, top - 0.5), interpolation="nearest")
    # Not antialiased: at a low dpi a thin antialiased line can vanish between two pixel rows.
    rows, cols = top + np.arange(h + 1) - 0.5, left + np.arange(w + 1) - 0.5
    ax.hlines(rows, left - 0.5, left + w - 0.5, color="black", linewidth=0.9, snap=True)
    ax.vlines(cols, top - 0.5, top + h - 0.5, color="black", linewidth=0.9, snap=True)


def _clear(ax: Axes) -> None:
    """Removes what an animation frame drew on ``ax`` (quicker than ``ax.clear()``, which rebuilds the axes)."""
    for artist in [*ax.images, *ax.lines, *ax.collections, *ax.patches, *ax.texts]:
        artist.remove()


def _frame_axes(ax: Axes, size: int, title: str) -> None:
    """A square panel of ``size x size`` cells (row 0 at the top), without ticks."""
    ax.set_xlim(-0.6, size - 0.4)
    ax.set_ylim(size - 0.4, -0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)


def _outline(ax: Axes, top: float, left: float, height: float, width: float, colour: Any) -> None:
    ax.add_patch(Rectangle((left - 0.5, top - 0.5), width, height, fill=False, edgecolor=colour, linewidth=2.5))


def _freeze_layout(fig: Figure, update: Any) -> None:
    """Lays the figure out once, for its first frame, and keeps that layout for every frame.

    The panels stay where they are from frame to frame, and a constrained layout recomputed for every frame
    would take most of the time of recording it.
    """
    update(0)
    fig.canvas.draw()
    fig.set_layout_engine("none")


def _check_strides(strides: Any) -> tuple[int, ...]:
    if isinstance(strides, (str, bytes)) or not isinstance(strides, Sequence) or not 1 <= len(strides) <= 3:
        raise ValueError(f"`strides` must be a list of 1 to 3 strides; got {strides!r}.")
    return tuple(_validate.check_positive_int(s, "strides") for s in strides)


def animate_convolution(
    size: int = 7,
    kernel: int = 3,
    strides: Sequence[int] = (1, 2),
    dilation: int = 1,
    fps: float = 2.0,
    dpi: float = 80,
) -> Animation:
    """Animates a convolution's window sliding over its input, one row of panels per stride.

    Each frame moves every window to its next position (row by row, as the output pixels are numbered):
    on the left the input, with the pixels the window reads in blue, on the right the output of a
    "valid" convolution, ``floor((size - k_eff) / stride) + 1`` pixels a side, with the pixel being
    computed in orange and those already computed in pale orange. A larger stride needs fewer positions:
    its row finishes first and waits, complete, for the others. The last frame shows every output done.

    Args:
        size: height and width of the (square) input, from 3 to 12 pixels.
        kernel: taps of the kernel along each axis.
        strides: one stride per row of panels (1 to 3 of them).
        dilation: spacing of the kernel's taps (1: adjacent).
        fps: frames per second when playing.
        dpi: resolution of the frames.

    Returns:
        An ``Animation`` with ``max(number of windows) + 1`` frames.

    Example:

    >>> anim = animate_convolution(7, 3, strides=(1, 2))  # 5x5 and 3x3 outputs
    >>> len(anim.frames)
    26
    """
    size = _validate.check_positive_int(size, "size", minimum=3)
    if size > 12:
        raise ValueError(f"`size` must be at most 12 (a larger grid is unreadable); got {size}.")
    strides = _check_strides(strides)
    span = reference.effective_kernel_size(kernel, dilation)
    if span > size:
        raise ValueError(f"the kernel spans {span} pixels, more than the input's `size` {size}.")
    plans = [(s, window_positions(size, kernel, s, dilation)) for s in strides]
    frames = max(len(positions) for _, positions in plans) + 1
    fig, axes = plt.subplots(
        len(plans), 2, figsize=(5.6, 2.8 * len(plans)), squeeze=False, layout="constrained"
    )
    k_text = f"{kernel}x{kernel}" + (f", dilation {dilation}" if dilation > 1 else "")
    fig.suptitle(f'{k_text} convolution, "valid", on a {size}x{size} input', fontsize=11)

    def update(frame: int) -> None:
        for (stride, positions), (ax_in, ax_out) in zip(plans, axes, strict=True):
            out = int(round(len(positions) ** 0.5))
            _clear(ax_in)
            _clear(ax_out)
            colours = np.ones((size, size, 3))
            done = min(frame, len(positions))
            if frame < len(positions):
                top, left = positions[frame]
                colours[top : top + span, left : left + span] = PALE_BLUE  # the holes of a dilated window
                colours[top : top + span : dilation, left : left + span : dilation] = SKY_BLUE  # its taps
                title = f"stride {stride}: window at ({top}, {left})"
            else:
                title = f"stride {stride}: all {len(positions)} positions done"
            _frame_axes(ax_in, size, title)
            _grid(ax_in, colours)
            if frame < len(positions):
                _outline(ax_in, top, left, span, span, BLUE)
            result = np.ones((out, out, 3))
            result.reshape(-1, 3)[:done] = PALE_ORANGE
            if frame < len(positions):
                result.reshape(-1, 3)[frame] = ORANGE
            offset = (size - out) / 2
            _frame_axes(ax_out, size, f"output {out}x{out}: {done} of {out * out} done")
            _grid(ax_out, result, origin=(offset, offset))

    alt = (
        f"A {k_text} window slides over a {size}x{size} grid, one row of panels per stride "
        f"({', '.join(map(str, strides))}); beside each, the output grid fills in pixel by pixel. "
        "The larger stride moves the window further each step and finishes with fewer output pixels."
    )
    _freeze_layout(fig, update)
    return animate(fig, update, frames, fps=fps, dpi=dpi, alt=alt)


def _check_small_matrix(value: Any, name: str, max_size: int) -> np.ndarray:
    array = _validate.as_array(value, name)
    if array.ndim != 2 or not 1 <= min(array.shape) or max(array.shape) > max_size:
        raise ValueError(f"`{name}` must be a 2-D array of at most {max_size}x{max_size}; got {array.shape}.")
    if not np.issubdtype(array.dtype, np.number) or not np.all(np.isfinite(array)):
        raise ValueError(f"`{name}` must hold finite numbers.")
    return array.astype("float64")


def _numbers(ax: Axes, values: np.ndarray, origin: tuple[float, float], colour: Any, show: np.ndarray) -> None:
    """Writes ``values`` (as integers when they are) in the cells where ``show`` is True."""
    top, left = origin
    for (r, c), value in np.ndenumerate(values):
        if show[r, c]:
            text = f"{value:g}" if abs(value) < 1000 else f"{value:.0f}"
            ax.text(left + c, top + r, text, ha="center", va="center", fontsize=8, color=colour)


def transposed_convolution_steps(x: Any, kernel: Any, stride: int) -> dict[str, np.ndarray]:
    """The steps of a "valid" transposed convolution computed as an ordinary convolution (one channel).

    Args:
        x: the input, a 2-D array ``(h, w)``.
        kernel: the transposed convolution's kernel, a square 2-D array ``(k, k)``.
        stride: the transposed convolution's stride.

    Returns:
        A dict of 2-D arrays: ``"spread"``, ``x`` with ``stride - 1`` zeros between neighbours;
        ``"padded"``, that with ``k - 1`` zeros on every side; ``"flipped"``, the kernel upside down and
        left to right; ``"output"``, the stride-1 "valid" convolution of the two, ``(h - 1) * stride + k``
        rows and ``(w - 1) * stride + k`` columns, equal to ``reference.conv2d_transpose`` with
        ``output_padding=0`` (Keras's default adds ``stride - k`` zero rows and columns when the stride
        is larger than the kernel).

    Example:

    >>> transposed_convolution_steps([[1, 2], [3, 4]], np.ones((3, 3)), 2)["output"].shape
    (5, 5)
    """
    x = _validate.as_array(x, "x").astype("float64")
    kernel = _validate.as_array(kernel, "kernel").astype("float64")
    _validate.check_rank(x, "x", (2,), "(height, width)")
    if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1]:
        raise ValueError(f"`kernel` must be a square 2-D array (k, k); got shape {kernel.shape}.")
    stride = _validate.check_positive_int(stride, "stride")
    spread = reference.insert_zeros(x[:, :, None], stride)[..., 0]
    padded = np.pad(spread, kernel.shape[0] - 1)
    flipped = np.flip(kernel)
    output = reference.conv2d(padded[:, :, None], flipped[:, :, None, None])[..., 0]
    return {"spread": spread, "padded": padded, "flipped": flipped, "output": output}


def animate_transposed_convolution(
    x: Any = ((1, 2), (3, 4)),
    kernel: Any = ((1, 2, 3), (4, 5, 6), (7, 8, 9)),
    stride: int = 2,
    fps: float = 2.0,
    dpi: float = 80,
) -> Animation:
    """Animates a transposed convolution ("valid") as zero insertion, padding and a stride-1 convolution.

    The first three frames build the convolution's input from ``x``: ``x`` itself, ``x`` with
    ``stride - 1`` zeros between neighbours, then padded with ``k - 1`` zeros on each side. Then the
    kernel, flipped upside down and left to right, slides over it with stride 1, and each output pixel
    gets the sum of the products under the window; the output has ``(h - 1) * stride + k`` rows, as
    ``keras.layers.Conv2DTranspose(..., strides=stride, padding="valid")`` returns.

    Args:
        x: the input, a 2-D array of at most 4x4 (one channel).
        kernel: the kernel, a square 2-D array of at most 4x4 (as the transposed convolution's kernel,
            before flipping).
        stride: the stride of the transposed convolution, 1 to 3.
        fps: frames per second when playing.
        dpi: resolution of the frames.

    Returns:
        An ``Animation`` with ``3 + (number of output pixels) + 1`` frames.

    Example:

    >>> anim = animate_transposed_convolution()  # 2x2 input, 3x3 kernel, stride 2: a 5x5 output
    >>> len(anim.frames)
    29
    """
    x = _check_small_matrix(x, "x", 4)
    kernel = _check_small_matrix(kernel, "kernel", 4)
    stride = _validate.check_positive_int(stride, "stride")
    if stride > 3:
        raise ValueError(f"`stride` must be from 1 to 3; got {stride}.")
    spread, padded, flipped, output = transposed_convolution_steps(x, kernel, stride).values()
    k = kernel.shape[0]
    size = max(padded.shape)
    positions = [(r, c) for r in range(output.shape[0]) for c in range(output.shape[1])]
    # Which cells of the padded input hold the input, the inserted zeros, the padding.
    is_input = np.zeros(padded.shape, bool)
    is_input[k - 1 : k - 1 + spread.shape[0] : stride, k - 1 : k - 1 + spread.shape[1] : stride] = True
    is_padding = np.ones(padded.shape, bool)
    is_padding[k - 1 : k - 1 + spread.shape[0], k - 1 : k - 1 + spread.shape[1]] = False
    fig, (ax_in, ax_k, ax_out) = plt.subplots(
        1, 3, figsize=(8.4, 3.5), layout="constrained", gridspec_kw={"width_ratios": [size, k + 1, size]}
    )
    legend = [
        Patch(facecolor=PALE_BLUE, edgecolor="black", label="input pixel"),
        Patch(facecolor=PALE_ORANGE, edgecolor="black", label=f"inserted zero ({stride - 1} between pixels)"),
        Patch(facecolor=PALE_GREY, edgecolor="black", label=f"padding ({k - 1} zeros)"),
    ]
    fig.legend(handles=legend, loc="outside lower center", ncols=3, fontsize=8, frameon=False)

    def draw_input(stage: int, window: tuple[int, int] | None, stage_only: bool) -> None:
        _clear(ax_in)
        if stage == 0:
            shown, colours = x, np.ones((*x.shape, 3)) * PALE_BLUE
            title = f"the input, {x.shape[0]}x{x.shape[1]}"
        elif stage == 1:
            shown = spread
            inner = is_input[k - 1 : k - 1 + spread.shape[0], k - 1 : k - 1 + spread.shape[1]]
            colours = np.where(inner[..., None], PALE_BLUE, PALE_ORANGE)
            title = f"1. insert {stride - 1} zero{'s' * (stride > 2)} between neighbours"
        else:
            shown = padded
            colours = np.where(
                is_input[..., None], PALE_BLUE, np.where(is_padding[..., None], PALE_GREY, PALE_ORANGE)
            )
            title = f"2. pad with {k - 1} zeros" if stage_only else "3. slide the flipped kernel, stride 1"
        origin = ((size - shown.shape[0]) / 2, (size - shown.shape[1]) / 2)
        _frame_axes(ax_in, size, title)
        _grid(ax_in, colours, origin)
        _numbers(ax_in, shown, origin, "black", np.ones(shown.shape, bool))
        if window is not None:
            _outline(ax_in, window[0], window[1], k, k, ORANGE)

    def update(frame: int) -> None:
        stage = min(frame, 2)
        step = frame - 3
        window = positions[step] if 0 <= step < len(positions) else None
        draw_input(stage, window, stage_only=frame <= 2)
        _clear(ax_k)
        _frame_axes(ax_k, k + 1, "flipped kernel")
        _grid(ax_k, np.ones((k, k, 3)), origin=(0.5, 0.5))
        _numbers(ax_k, flipped, (0.5, 0.5), "black", np.ones(flipped.shape, bool))
        _clear(ax_out)
        done = np.zeros(output.shape, bool)
        colours = np.ones((*output.shape, 3))
        if frame >= 3:
            done.reshape(-1)[: min(step + 1, len(positions))] = True
            colours[done] = PALE_ORANGE
            if window is not None:
                colours[window] = ORANGE
        origin = ((size - output.shape[0]) / 2, (size - output.shape[1]) / 2)
        title = f"output {output.shape[0]}x{output.shape[1]}"
        if window is not None:
            title += f": pixel ({window[0]}, {window[1]}) = {output[window]:g}"
        elif frame > 2:
            title += ": done"
        _frame_axes(ax_out, size, title)
        _grid(ax_out, colours, origin)
        _numbers(ax_out, output, origin, "black", done)

    (h, w), (oh, ow) = x.shape, output.shape
    alt = (
        f"A transposed convolution of stride {stride} computed as an ordinary one: the {h}x{w} input gets "
        f"{stride - 1} zeros between its pixels and {k - 1} zeros of padding around them, then the flipped "
        f"{k}x{k} kernel slides over it one pixel at a time and the {oh}x{ow} output fills in with the sums."
    )
    _freeze_layout(fig, update)
    return animate(fig, update, 3 + len(positions) + 1, fps=fps, dpi=dpi, alt=alt)


def plot_taps(
    panels: Mapping[str, tuple[Sequence[tuple[int, int]], Sequence[tuple[int, int]]]],
    shape: tuple[int, int] = (7, 11),
) -> Figure:
    """Colours the input pixels that two output pixels read: the first's in blue, the second's in orange.

    Pixels read by both are grey. One panel per entry of ``panels``, side by side, with a shared legend.

    Args:
        panels: ``{title: (pixels of the first output, pixels of the second output)}``, each a list of
            ``(row, column)`` of the input.
        shape: ``(height, width)`` of the input grid drawn.

    Returns:
        The matplotlib ``Figure``.

    Example:

    >>> first = [(0, c) for c in range(3)]
    >>> plot_taps({"stride 2": (first, [(0, c + 2) for c in range(3)])}, shape=(1, 5))
    """
    if not isinstance(panels, Mapping) or not 1 <= len(panels) <= 4:
        raise ValueError(
            f"`panels` must map 1 to 4 titles to two lists of pixels; got {type(panels).__name__}."
        )
    rows, cols = (_validate.check_positive_int(n, "shape") for n in shape)
    fig, axes = plt.subplots(
        1, len(panels), figsize=(5 * len(panels), 3.6), squeeze=False, layout="constrained"
    )
    for ax, (title, pixels) in zip(axes[0], panels.items(), strict=True):
        if len(pixels) != 2:
            raise ValueError(f"`panels[{title!r}]` must be two lists of (row, column) pixels.")
        read = np.zeros((rows, cols), int)
        for bit, group in enumerate(pixels):
            for r, c in group:
                if not (0 <= r < rows and 0 <= c < cols):
                    raise ValueError(f"pixel {(r, c)} of `panels[{title!r}]` lies outside `shape` {shape}.")
                read[r, c] |= 1 << bit
        colours = np.ones((rows, cols, 3))
        for value, colour in enumerate((BLUE, ORANGE, GREY), start=1):
            colours[read == value] = colour
        _grid(ax, colours)
        ax.set_xlim(-0.6, cols - 0.4)
        ax.set_ylim(rows - 0.4, -0.6)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(title, fontsize=10)
    handles = [Patch(color=c) for c in (BLUE, ORANGE, GREY)]
    labels = ["read by the first output pixel", "read by the second", "read by both"]
    fig.legend(handles=handles, labels=labels, loc="outside lower center", ncols=3, frameon=False)
    return _finish(fig)


def plot_responses(panels: Mapping[str, Any], low: float, high: float, label: str) -> Figure:
    """Shows 2-D maps side by side on one grey scale, from ``low`` (black) to ``high`` (white).

    Args:
        panels: ``{title: map}``, each map a 2-D array (a layer's output, a class score map, ...).
        low: the value shown black.
        high: the value shown white.
        label: the colour bar's label (what the values are).

    Returns:
        The matplotlib ``Figure``, with one colour bar for all panels.

    Example:

    >>> plot_responses({"flat": np.ones((4, 4))}, 0, 2, "output / its mean")
    """
    if not isinstance(panels, Mapping) or not 1 <= len(panels) <= 4:
        raise ValueError("`panels` must map 1 to 4 titles to 2-D maps.")
    if not isinstance(low, numbers.Real) or not isinstance(high, numbers.Real) or not low < high:
        raise ValueError(f"`low` must be a number below `high`; got {low!r} and {high!r}.")
    maps = {}
    for title, image in panels.items():
        maps[title] = _validate.as_array(image, f"panels[{title!r}]")
        _validate.check_rank(maps[title], f"panels[{title!r}]", (2,), "(height, width)")
    fig, axes = plt.subplots(1, len(maps), figsize=(3.2 * len(maps), 3.0), squeeze=False, layout="constrained")
    for ax, (title, image) in zip(axes[0], maps.items(), strict=True):
        shown = ax.imshow(image, cmap="gray", vmin=low, vmax=high)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(shown, ax=axes[0], shrink=0.8, label=label)
    return _finish(fig)

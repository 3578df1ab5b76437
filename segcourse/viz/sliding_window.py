"""Drawings of the sliding-window chapter: training patches, and how many windows read each pixel.

- ``show_patches``: one training patch per class, a cross on the centre pixel whose label it carries;
- ``plot_window_overlap``: a few windows drawn on an image beside the map of how many windows contain
  each pixel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from segcourse import _validate
from segcourse.viz._common import _class_names, _finish, _show

__all__ = ["plot_window_overlap", "show_patches"]

#: Colours of the windows drawn by ``plot_window_overlap``, in order (visible on the synthetic scenes).
WINDOW_COLOURS = ("white", "gold", "crimson", "cyan", "magenta")


def _mark_centre(ax: Any, row: float, col: float) -> None:
    """A cross visible on any colour: a thick black one under a thin white one."""
    for colour, size, width in (("black", 13, 3.5), ("white", 11, 1.5)):
        ax.plot(col, row, "+", color=colour, markersize=size, markeredgewidth=width)


def show_patches(
    patches: Any,
    centres: Any,
    class_names: Sequence[str] | None = None,
    columns: int = 4,
) -> Figure:
    """Shows the first training patch of each class, with a cross on the pixel whose label it carries.

    A patch classifier is trained on square windows labelled by their centre pixel (see
    ``data.sample_patches``); this draws one window per class present in ``centres``, in class order,
    titled with the class name.

    Args:
        patches: float RGB patches in [0, 1], shape ``(n, size, size, 3)`` with an odd ``size``.
        centres: the class of each patch's centre pixel, integers of shape ``(n,)``.
        class_names: one name per class; defaults to ``data.CLASS_NAMES``.
        columns: panels per row.

    Returns:
        The matplotlib ``Figure``: one axes per class present, its image the class's first patch.

    Example:

    >>> patches, centres = data.sample_patches(images, labels, 35, count=1000, balanced=True)
    >>> show_patches(patches, centres)
    """
    names = _class_names(class_names)
    columns = _validate.check_positive_int(columns, "columns")
    patches = _validate.check_images(patches, "patches")
    size = patches.shape[1]
    if patches.shape[2] != size or size % 2 == 0:
        raise ValueError(f"`patches` must be square with an odd side; got shape {patches.shape}.")
    centres = _validate.as_array(centres, "centres")
    if centres.shape != (len(patches),) or not np.issubdtype(centres.dtype, np.integer):
        raise ValueError(
            f"`centres` must hold one integer class per patch, shape ({len(patches)},); "
            f"got {centres.dtype} of shape {centres.shape}."
        )
    if centres.size and (centres.min() < 0 or centres.max() >= len(names)):
        raise ValueError(f"`centres` must hold classes in [0, {len(names) - 1}].")
    present = [k for k in range(len(names)) if np.any(centres == k)]
    if not present:
        raise ValueError("`patches` is empty: there is no patch to show.")

    rows = -(-len(present) // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(2.0 * columns, 2.25 * rows), squeeze=False, layout="constrained"
    )
    for ax, k in zip(axes.flat, present, strict=False):
        _show(ax, patches[int(np.flatnonzero(centres == k)[0])], names[k])
        _mark_centre(ax, size // 2, size // 2)
    for ax in axes.flat[len(present) :]:
        fig.delaxes(ax)
    fig.suptitle(f"{size}x{size} training patches, each labelled by its centre pixel")
    return _finish(fig)


def _coverage_note(coverage: np.ndarray) -> list[tuple[int, int, str, str]]:
    """Where to write the counts: the centre, the middle of the top edge and the top-left corner."""
    height, width = coverage.shape
    return [
        (height // 2, width // 2, "center", "black"),
        (0, width // 2, "center", "white"),
        (0, 0, "left", "white"),
    ]


def plot_window_overlap(
    image: Any, coverage: Any, patch_size: int, centres: Sequence[tuple[int, int]]
) -> Figure:
    """Draws a few sliding windows on an image, beside the number of windows that contain each pixel.

    Left: ``image`` with the ``patch_size x patch_size`` window centred on each of ``centres`` (its
    outline and a dot on its centre, one colour per window). Right: ``coverage``, the count of windows
    (one centred on every pixel) containing each pixel, as a heat map with a colour bar, the counts at
    the centre, at the middle of the top edge and at the top-left corner written on it.

    Args:
        image: float RGB in [0, 1], shape ``(height, width, 3)``.
        coverage: non-negative counts of shape ``(height, width)``.
        patch_size: the odd side of the windows.
        centres: up to 5 ``(row, column)`` window centres inside the image.

    Returns:
        The matplotlib ``Figure``: the image axes (one ``Rectangle`` per window), the heat-map axes and
        the colour bar's axes.

    Example:

    >>> coverage = reference.conv2d(np.ones((64, 96, 1)), np.ones((35, 35, 1, 1)), padding=17)[..., 0]
    >>> plot_window_overlap(images[0], coverage, 35, [(30, 36), (30, 44), (30, 52)])
    """
    image = _validate.check_images(image, "image", batched=False)
    height, width = image.shape[:2]
    coverage = _validate.as_array(coverage, "coverage")
    if coverage.shape != (height, width):
        raise ValueError(f"`coverage` must have the image's shape ({height}, {width}); got {coverage.shape}.")
    if not np.issubdtype(coverage.dtype, np.number) or coverage.min() < 0:
        raise ValueError("`coverage` must hold non-negative counts.")
    patch_size = _validate.check_positive_int(patch_size, "patch_size")
    if patch_size % 2 == 0:
        raise ValueError(f"`patch_size` must be odd; got {patch_size}.")
    centres = [tuple(int(v) for v in centre) for centre in centres]
    if not 1 <= len(centres) <= len(WINDOW_COLOURS) or any(len(c) != 2 for c in centres):
        raise ValueError(f"`centres` must be 1 to {len(WINDOW_COLOURS)} (row, column) pairs; got {centres}.")
    if any(not (0 <= r < height and 0 <= c < width) for r, c in centres):
        raise ValueError(f"`centres` must lie inside the {height}x{width} image; got {centres}.")

    half = patch_size // 2
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.6, 3.1), layout="constrained")
    _show(left, image)
    for (row, col), colour in zip(centres, WINDOW_COLOURS, strict=False):
        # Pixel (r, c) spans [c - 0.5, c + 0.5] in imshow coordinates: corners sit on pixel edges.
        corner = (col - half - 0.5, row - half - 0.5)
        left.add_patch(Rectangle(corner, patch_size, patch_size, fill=False, edgecolor=colour, linewidth=2))
        left.plot(col, row, "o", color=colour, markersize=5, markeredgecolor="black")
    left.set_title(f"{patch_size}x{patch_size} windows centred on the dots", fontsize=10)
    heat = right.imshow(coverage, cmap="viridis", vmin=0)
    fig.colorbar(heat, ax=right, label="windows containing the pixel")
    for row, col, align, colour in _coverage_note(coverage):
        vertical = "top" if row == 0 else "center"
        right.text(col, row, f"{coverage[row, col]:g}", ha=align, va=vertical, color=colour, fontsize=12)
    right.set_title("how many windows read each pixel", fontsize=10)
    right.set_xticks([])
    right.set_yticks([])
    return _finish(fig)

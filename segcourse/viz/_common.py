"""What the plotting modules share: argument checks, panel grids, legends, and closing figures in pyplot."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from segcourse import _validate
from segcourse.data import CLASS_NAMES, PALETTE, VOID, VOID_COLOR

#: Width in inches of one image panel in the grids.
PANEL_INCHES = 2.4


def _finish(fig: Figure) -> Figure:
    """Closes ``fig`` in pyplot (see the module docstring) and returns it."""
    plt.close(fig)
    return fig


# --------------------------------------------------------------------------------------------------
# Argument checks


def _check_palette(palette: Any) -> np.ndarray:
    array = _validate.as_array(palette, "palette")
    if array.ndim != 2 or array.shape[1] != 3 or len(array) == 0:
        raise ValueError(f"`palette` must have shape (num_classes, 3); got shape {tuple(array.shape)}.")
    if not np.issubdtype(array.dtype, np.integer) or array.min() < 0 or array.max() > 255:
        raise ValueError("`palette` must hold integer RGB values in [0, 255].")
    return array.astype(np.uint8)


def _palette_for(num_classes: int, palette: Any) -> np.ndarray:
    """The palette to draw ``num_classes`` classes with: the given one, or ``data.PALETTE``.

    More classes than ``data.PALETTE`` has (CamVid's 11, say) borrow matplotlib's ``tab20`` colours after it,
    so that a real data set can be shown without writing a palette first.
    """
    if palette is not None:
        array = _check_palette(palette)
        if len(array) < num_classes:
            raise ValueError(f"`palette` must have at least {num_classes} colours; got {len(array)}.")
        return array
    tab20 = np.round(np.array(matplotlib.colormaps["tab20"].colors) * 255).astype(np.uint8)
    extended = np.concatenate([PALETTE, tab20])
    if num_classes > len(extended):
        raise ValueError(f"{num_classes} classes need a `palette` of {num_classes} colours.")
    return extended[:num_classes]


def _class_names(class_names: Any, num_classes: int | None = None) -> tuple[str, ...]:
    """The given class names, checked, or ``data.CLASS_NAMES`` (``class_i`` if the count differs)."""
    if class_names is None:
        if num_classes is None or num_classes == len(CLASS_NAMES):
            return CLASS_NAMES
        return tuple(f"class_{i}" for i in range(num_classes))
    if num_classes is None:
        if isinstance(class_names, str) or not isinstance(class_names, Sequence) or not class_names:
            raise ValueError(f"`class_names` must be a sequence of strings; got {class_names!r}.")
        num_classes = len(class_names)
    return _validate.check_class_names(class_names, num_classes)


def _check_image_batch(images: Any, name: str = "images") -> np.ndarray:
    """Float RGB images ``(n, h, w, 3)``; a single ``(h, w, 3)`` image gets a batch axis."""
    array = _validate.as_array(images, name)
    _validate.check_rank(array, name, (3, 4), "(height, width, 3) or (n, height, width, 3)")
    array = _validate.check_images(array, name, batched=array.ndim == 4)
    return array if array.ndim == 4 else array[None]


def _check_batch(images: Any, labels: Any, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, h, w, 3)`` and matching labels ``(n, h, w)``; single images get a batch axis."""
    images = _check_image_batch(images)
    labels = _validate.check_labels(labels, num_classes, "labels", VOID, ranks=(2, 3))
    if labels.ndim == 2:
        labels = labels[None]
    if labels.shape != images.shape[:3]:
        raise ValueError(
            f"`labels` must have shape {images.shape[:3]} (the images' n, height, width); "
            f"got shape {tuple(labels.shape)}."
        )
    return images, labels


def _check_prediction(prediction: Any, labels: np.ndarray, num_classes: int, name: str) -> np.ndarray:
    """Predicted labels ``(n, h, w)`` from labels or class scores, single images getting a batch axis."""
    array = _validate.as_array(prediction, name)
    if array.ndim in (2, 3) and array.shape[:2] == labels.shape[1:] and len(labels) == 1:
        array = array[None]  # a single image's labels (h, w) or scores (h, w, C)
    return _validate.check_predictions(array, labels.shape, num_classes, name, VOID)



def _label_grid(
    rows: int, cols: int, aspect: float, legend_entries: int, notes: bool = False, titles: bool = False
) -> tuple[Figure, np.ndarray, int]:
    """A figure of ``rows x cols`` image panels (height/width ``aspect``) with room for a class legend.

    ``notes``: a line of text under each panel; ``titles``: a title above the panels of every row (not only
    the first).

    Returns the figure, the ``(rows, cols)`` axes and the number of legend columns to use.
    """
    legend_cols = _legend_columns(cols, legend_entries)
    legend_height = 0.25 * math.ceil(legend_entries / legend_cols)
    row_height = PANEL_INCHES * aspect + (0.25 if notes else 0.0) + (0.3 if titles else 0.0)
    size = (cols * PANEL_INCHES, rows * row_height + 0.35 + legend_height)
    fig, axes = plt.subplots(rows, cols, figsize=size, squeeze=False, layout="constrained")
    return fig, axes, legend_cols


def _show(ax: Axes, rgb: np.ndarray, title: str | None = None, note: str | None = None) -> None:
    """Draws an image without ticks; ``note`` goes underneath it."""
    ax.imshow(rgb, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    # A thin light frame: void (white) at the edge of a label map would otherwise merge with the page.
    for spine in ax.spines.values():
        spine.set_edgecolor("0.8")
        spine.set_linewidth(0.6)
    if title:
        ax.set_title(title, fontsize=11)
    if note:
        ax.set_xlabel(note, fontsize=9)


def _add_legend(fig: Figure, names: Sequence[str], palette: np.ndarray, void: bool, cols: int) -> None:
    """A colour key below the panels: one patch per class (and one for void if it is shown)."""
    colours = [palette[i] / 255.0 for i in range(len(names))]
    labels = list(names)
    if void:
        colours.append(np.array(VOID_COLOR) / 255.0)
        labels.append("void")
    handles = [
        Patch(facecolor=c, edgecolor="0.4", linewidth=0.6, label=n)
        for c, n in zip(colours, labels, strict=True)
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=cols, frameon=False, fontsize=9)


def _legend_columns(panel_columns: int, entries: int) -> int:
    """Legend columns: about two entries fit under each panel; rows are balanced (no lone last entry)."""
    widest = max(1, 2 * panel_columns)
    rows = math.ceil(entries / widest)
    return math.ceil(entries / rows)



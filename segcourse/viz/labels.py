"""Label maps as pictures: colour-coded labels, overlays, sample grids, comparisons, class frequencies."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from segcourse import _validate
from segcourse import metrics as _metrics
from segcourse.data import PALETTE, VOID, VOID_COLOR
from segcourse.viz._common import (
    _add_legend,
    _check_batch,
    _check_palette,
    _check_prediction,
    _class_names,
    _finish,
    _label_grid,
    _palette_for,
    _show,
)

__all__ = ["colorize", "compare", "overlay", "plot_class_frequencies", "show_samples"]

# --------------------------------------------------------------------------------------------------
# Colour-coded label maps


def colorize(labels: Any, palette: Any = None) -> np.ndarray:
    """Turns a label map into an RGB image, one colour per class.

    Label ``c`` becomes ``palette[c]``; void pixels (``data.VOID``) become ``data.VOID_COLOR``.

    Args:
        labels: integer labels, shape ``(height, width)`` or ``(n, height, width)``.
        palette: ``(num_classes, 3)`` integer RGB colours; defaults to ``data.PALETTE``.

    Returns:
        A uint8 array of shape ``labels.shape + (3,)``.

    Example:

    >>> colorize([[0, 255]])
    array([[[ 86, 180, 233],
            [255, 255, 255]]], dtype=uint8)
    """
    palette = PALETTE if palette is None else _check_palette(palette)
    labels = _validate.check_labels(labels, len(palette), "labels", VOID, ranks=(2, 3))
    void = labels == VOID
    rgb = palette[np.where(void, 0, labels)]
    rgb[void] = VOID_COLOR
    return rgb


def overlay(image: Any, labels: Any, alpha: float = 0.5, palette: Any = None) -> np.ndarray:
    """Blends the class colours of a label map over an image.

    ``result = (1 - alpha) * image + alpha * colour / 255``: ``alpha = 0`` gives back the image,
    ``alpha = 1`` the colour-coded labels.

    Args:
        image: float RGB in [0, 1], shape ``(height, width, 3)`` or ``(n, height, width, 3)``.
        labels: integer labels, shape ``(height, width)`` or ``(n, height, width)``, matching ``image``.
        alpha: opacity of the colours, in [0, 1].
        palette: ``(num_classes, 3)`` integer RGB colours; defaults to ``data.PALETTE``.

    Returns:
        A float32 array in [0, 1] with the shape of ``image``.

    Example:

    >>> plt.imshow(overlay(images[0], labels[0], alpha=0.4))
    """
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0.0 <= alpha <= 1.0:
        raise ValueError(f"`alpha` must be a number in [0, 1]; got {alpha!r}.")
    image = _validate.as_array(image, "image")
    _validate.check_rank(image, "image", (3, 4), "(height, width, 3) or (n, height, width, 3)")
    image = _validate.check_images(image, "image", batched=image.ndim == 4)
    colours = colorize(labels, palette)
    if colours.shape != image.shape:
        raise ValueError(
            f"`labels` must have shape {image.shape[:-1]} (the image's); got shape {colours.shape[:-1]}."
        )
    blend = (1.0 - alpha) * image + alpha * (colours / 255.0)
    return blend.astype(np.float32)


# --------------------------------------------------------------------------------------------------
# Figures

def show_samples(
    images: Any,
    labels: Any,
    predictions: Any = None,
    n: int = 4,
    class_names: Sequence[str] | None = None,
    palette: Any = None,
) -> Figure:
    """Shows images with their colour-coded ground truth and, optionally, predictions.

    One row per sample: the image, the truth, and the prediction if given; a colour key of the classes
    underneath.

    Args:
        images: float RGB in [0, 1], shape ``(n, height, width, 3)``.
        labels: integer labels, shape ``(n, height, width)``.
        predictions: predicted labels of the same shape, or class scores ``(n, height, width, num_classes)``.
        n: how many samples to show (the first ``n``).
        class_names: names for the legend; defaults to ``data.CLASS_NAMES``.
        palette: ``(num_classes, 3)`` integer RGB colours; defaults to ``data.PALETTE``.

    Returns:
        The matplotlib ``Figure``.

    Example:

    >>> images, labels = ...  # a batch of the synthetic street scenes
    >>> show_samples(images, labels, model.predict(images), n=3)
    """
    n = _validate.check_positive_int(n, "n")
    names = _class_names(class_names)
    colours = _palette_for(len(names), palette)
    images, labels = _check_batch(images, labels, len(names))
    shown = min(n, len(images))
    columns = [("image", None), ("truth", labels)]
    if predictions is not None:
        columns.append(("prediction", _check_prediction(predictions, labels, len(names), "predictions")))

    void = bool(np.any(labels[:shown] == VOID))
    aspect = images.shape[1] / images.shape[2]
    fig, axes, legend_cols = _label_grid(shown, len(columns), aspect, len(names) + void)
    for row in range(shown):
        for col, (title, maps) in enumerate(columns):
            rgb = images[row] if maps is None else colorize(maps[row], colours)
            _show(axes[row, col], rgb, title if row == 0 else None)
    _add_legend(fig, names, colours, void, legend_cols)
    return _finish(fig)


def compare(
    images: Any,
    labels: Any,
    predictions: Mapping[str, Any],
    n: int = 3,
    class_names: Sequence[str] | None = None,
    palette: Any = None,
    columns: int | None = None,
) -> Figure:
    """Shows several models' predictions side by side with the ground truth.

    One row per sample: the image, the truth, then one column per model, titled with the model's name;
    under each prediction, its mean IoU on that image (see ``metrics.mean_iou``). With ``columns``, each
    sample's panels wrap onto rows of that many panels (many models in a narrow page), and every panel has
    its title.

    Args:
        images: float RGB in [0, 1], shape ``(n, height, width, 3)``, or one image ``(height, width, 3)``.
        labels: integer labels, shape ``(n, height, width)`` or ``(height, width)``.
        predictions: model name -> predicted labels (shape of ``labels``) or class scores (with a last
            axis of ``num_classes``).
        n: how many samples to show (the first ``n``).
        class_names: names for the legend; defaults to ``data.CLASS_NAMES``.
        palette: ``(num_classes, 3)`` integer RGB colours; defaults to ``data.PALETTE``.
        columns: panels per row (>= 2); by default all of a sample's panels are on one row.

    Returns:
        The matplotlib ``Figure``.

    Example:

    >>> compare(images, labels, {"FCN-8s": fcn.predict(images), "SegNet": segnet.predict(images)})
    """
    n = _validate.check_positive_int(n, "n")
    if columns is not None:
        columns = _validate.check_positive_int(columns, "columns", minimum=2)
    names = _class_names(class_names)
    colours = _palette_for(len(names), palette)
    images, labels = _check_batch(images, labels, len(names))
    if not isinstance(predictions, Mapping) or not predictions:
        raise ValueError(
            "`predictions` must be a non-empty dict from model name to predictions; "
            f"got {type(predictions).__name__}."
        )
    predicted = {
        str(model): _check_prediction(pred, labels, len(names), f"predictions[{model!r}]")
        for model, pred in predictions.items()
    }

    shown = min(n, len(images))
    void = bool(np.any(labels[:shown] == VOID))
    aspect = images.shape[1] / images.shape[2]
    panels = 2 + len(predicted)
    cols = panels if columns is None else min(columns, panels)
    rows_per_sample = -(-panels // cols)
    fig, axes, legend_cols = _label_grid(
        shown * rows_per_sample, cols, aspect, len(names) + void, notes=True, titles=rows_per_sample > 1
    )
    for sample in range(shown):
        titled = sample == 0 or rows_per_sample > 1
        first, end = sample * rows_per_sample * cols, (sample + 1) * rows_per_sample * cols
        for ax in axes.flat[first + panels : end]:
            ax.set_axis_off()  # the unused end of the sample's last row
        slots = list(axes.flat[first : first + panels])
        _show(slots[0], images[sample], "image" if titled else None)
        _show(slots[1], colorize(labels[sample], colours), "truth" if titled else None)
        for ax, (model, pred) in zip(slots[2:], predicted.items(), strict=True):
            score = _metrics.mean_iou(labels[sample], pred[sample], len(names))
            _show(ax, colorize(pred[sample], colours), model if titled else None, f"mean IoU {score:.2f}")
    _add_legend(fig, names, colours, void, legend_cols)
    return _finish(fig)


def plot_class_frequencies(
    labels: Any, class_names: Sequence[str] | None = None, palette: Any = None
) -> Figure:
    """Bar chart of the share of labelled pixels in each class, bars in the class colours.

    Void pixels are left out of the shares (the title says how many there were).

    Args:
        labels: integer label maps ``(n, h, w)`` or ``(h, w)``, values in ``[0, num_classes)`` or ``VOID``.
        class_names: one name per class; defaults to ``data.CLASS_NAMES`` (which sets ``num_classes``).
        palette: ``(num_classes, 3)`` uint8 colours; defaults to ``data.PALETTE``.

    Returns:
        The matplotlib ``Figure``.

    Example:

    >>> _, labels = data.synthetic_scenes(100)
    >>> plot_class_frequencies(labels)
    """
    names = _class_names(class_names)
    array = _validate.check_labels(labels, len(names), "labels", ignore_index=VOID, ranks=(2, 3))
    colours = _palette_for(len(names), palette)
    labelled = array[array != VOID]
    if labelled.size == 0:
        raise ValueError("`labels` must contain at least one labelled (non-void) pixel.")
    shares = np.bincount(labelled.ravel(), minlength=len(names)) / labelled.size
    fig, ax = plt.subplots(figsize=(1.0 + 0.7 * len(names), 3.2), layout="constrained")
    ax.bar(range(len(names)), 100 * shares, color=colours / 255.0, edgecolor="0.3")
    for i, share in enumerate(shares):
        ax.text(i, 100 * share, f"{100 * share:.1f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_ylabel("% of labelled pixels")
    void_share = 1.0 - labelled.size / array.size
    ax.set_title(f"Class frequencies over {array.size:,} pixels ({void_share:.1%} void)")
    ax.grid(axis="y", alpha=0.3)
    return _finish(fig)

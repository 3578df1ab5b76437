"""Visualisation: colour-coded label maps, overlays, sample grids, training curves, confusion matrices.

Every plotting function returns a ``Figure`` that is already closed in ``pyplot``: a notebook cell that ends
with the call shows it exactly once (Jupyter displays the returned figure), ``fig = show_samples(...)`` shows
nothing until ``fig`` (or ``display(fig)``) is evaluated, and ``fig.savefig(path)`` works anywhere.
Class colours come from ``data.PALETTE``; void pixels are drawn in ``data.VOID_COLOR``.
Nothing here needs a display: the module works under the ``Agg`` backend.

Why closed: a figure left open in ``pyplot`` is shown again by the inline backend at the end of the cell, and
the usual ``;`` that hides the returned value is ignored by kernels that run cells without storing history
(nbval does), so the figure would appear twice there.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from segcourse import _validate
from segcourse import metrics as _metrics
from segcourse.data import CLASS_NAMES, PALETTE, VOID, VOID_COLOR

__all__ = [
    "colorize",
    "compare",
    "overlay",
    "plot_class_frequencies",
    "plot_confusion",
    "plot_history",
    "show_samples",
]

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


def _label_grid(
    rows: int, cols: int, aspect: float, legend_entries: int, notes: bool = False
) -> tuple[Figure, np.ndarray, int]:
    """A figure of ``rows x cols`` image panels (height/width ``aspect``) with room for a class legend.

    Returns the figure, the ``(rows, cols)`` axes and the number of legend columns to use.
    """
    legend_cols = _legend_columns(cols, legend_entries)
    legend_height = 0.25 * math.ceil(legend_entries / legend_cols)
    row_height = PANEL_INCHES * aspect + (0.25 if notes else 0.0)  # notes: a line of text under each panel
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
) -> Figure:
    """Shows several models' predictions side by side with the ground truth.

    One row per sample: the image, the truth, then one column per model, titled with the model's name;
    under each prediction, its mean IoU on that image (see ``metrics.mean_iou``).

    Args:
        images: float RGB in [0, 1], shape ``(n, height, width, 3)``, or one image ``(height, width, 3)``.
        labels: integer labels, shape ``(n, height, width)`` or ``(height, width)``.
        predictions: model name -> predicted labels (shape of ``labels``) or class scores (with a last
            axis of ``num_classes``).
        n: how many samples to show (the first ``n``).
        class_names: names for the legend; defaults to ``data.CLASS_NAMES``.
        palette: ``(num_classes, 3)`` integer RGB colours; defaults to ``data.PALETTE``.

    Returns:
        The matplotlib ``Figure``.

    Example:

    >>> compare(images, labels, {"FCN-8s": fcn.predict(images), "SegNet": segnet.predict(images)})
    """
    n = _validate.check_positive_int(n, "n")
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
    fig, axes, legend_cols = _label_grid(shown, 2 + len(predicted), aspect, len(names) + void, notes=True)
    for row in range(shown):
        first = row == 0
        _show(axes[row, 0], images[row], "image" if first else None)
        _show(axes[row, 1], colorize(labels[row], colours), "truth" if first else None)
        for col, (model, pred) in enumerate(predicted.items(), start=2):
            score = _metrics.mean_iou(labels[row], pred[row], len(names))
            _show(
                axes[row, col], colorize(pred[row], colours), model if first else None, f"mean IoU {score:.2f}"
            )
    _add_legend(fig, names, colours, void, legend_cols)
    return _finish(fig)


def _history_dict(history: Any) -> dict[str, np.ndarray]:
    """The ``{name: values per epoch}`` of a Keras ``History`` or of a dict of lists."""
    record = getattr(history, "history", history)
    if not isinstance(record, Mapping) or not record:
        raise ValueError(
            f"`history` must be a keras History or a non-empty dict of lists; got {type(history).__name__}."
        )
    curves = {}
    for name, values in record.items():
        array = _validate.as_array(values, f"history[{name!r}]")
        if array.ndim != 1 or not np.issubdtype(array.dtype, np.number):
            raise ValueError(f"`history[{name!r}]` must be a list of numbers, one per epoch.")
        curves[str(name)] = array
    return curves


def plot_history(history: Any, metrics: str | Sequence[str] | None = None) -> Figure:
    """Plots training curves: one panel per metric, the training and the validation curve.

    Args:
        history: the ``History`` returned by ``model.fit``, or a dict ``{name: [value per epoch]}``
            whose validation entries are named ``val_<name>``.
        metrics: the metric names to plot (without ``val_``); defaults to every training metric.

    Returns:
        The matplotlib ``Figure``, one axes per metric.

    Example:

    >>> history = model.fit(train, validation_data=val, epochs=10, verbose=0)
    >>> plot_history(history, ["loss", "mean_iou"])
    """
    curves = _history_dict(history)
    available = [k for k in curves if not k.startswith("val_")] or [k[4:] for k in curves]
    if metrics is None:
        names = available
    else:
        names = [metrics] if isinstance(metrics, str) else list(metrics)
        unknown = [m for m in names if m not in curves and f"val_{m}" not in curves]
        if not names or unknown:
            raise ValueError(f"`metrics` must name curves of the history {available}; got {names}.")

    cols = min(3, len(names))
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False, layout="constrained")
    for ax, name in zip(axes.flat, names, strict=False):
        for key, label in ((name, "training"), (f"val_{name}", "validation")):
            if key in curves:
                values = curves[key]
                # Markers keep short runs (a single epoch) visible.
                ax.plot(
                    np.arange(1, len(values) + 1),
                    values,
                    label=label,
                    marker="o" if len(values) <= 20 else None,
                    markersize=3,
                )
        ax.set_title(name, fontsize=11)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)
    for ax in axes.flat[len(names) :]:
        fig.delaxes(ax)  # empty slots of the last row
    return _finish(fig)


def plot_confusion(matrix: Any, class_names: Sequence[str] | None = None, normalize: bool = True) -> Figure:
    """Draws a confusion matrix as an annotated heat map.

    Rows are the true classes, columns the predicted ones. With ``normalize`` each row is divided by its
    sum, so that cell ``[i, j]`` is the fraction of class ``i``'s pixels predicted as ``j`` and the
    diagonal is each class's recall; a class absent from the truth has an empty row.

    Args:
        matrix: ``(num_classes, num_classes)`` counts, e.g. from ``metrics.confusion_matrix``.
        class_names: tick labels; defaults to ``data.CLASS_NAMES`` when the count matches.
        normalize: show row fractions (``True``) or raw counts.

    Returns:
        The matplotlib ``Figure`` (two axes: the heat map and its colour bar).

    Example:

    >>> plot_confusion(metrics.evaluate(model, images, labels)["confusion_matrix"])
    """
    counts = _validate.as_array(matrix, "matrix")
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] < 2:
        raise ValueError(
            "`matrix` must be a square (num_classes, num_classes) array with num_classes >= 2; "
            f"got shape {tuple(counts.shape)}."
        )
    if not np.issubdtype(counts.dtype, np.number) or counts.min() < 0:
        raise ValueError("`matrix` must hold non-negative counts.")
    size = counts.shape[0]
    names = _class_names(class_names, size)
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        values = np.divide(counts, totals, out=np.full(counts.shape, np.nan), where=totals > 0)
    else:
        values = counts.astype(np.float64)
    top = 1.0 if normalize else max(float(np.nanmax(values)), 1.0)

    side = 1.6 + 0.55 * size
    fig, ax = plt.subplots(figsize=(side + 1.2, side), layout="constrained")
    image = ax.imshow(values, cmap="Blues", vmin=0.0, vmax=top)
    fig.colorbar(image, ax=ax, shrink=0.8, label="fraction of the true class" if normalize else "pixels")
    fontsize = max(5.0, min(10.0, 90.0 / size))
    for (i, j), value in np.ndenumerate(values):
        if np.isnan(value):
            continue
        text = f"{value:.2f}" if normalize else f"{int(counts[i, j])}"
        # White on dark cells, black on light ones.
        colour = "white" if value > 0.6 * top else "black"
        ax.text(j, i, text, ha="center", va="center", color=colour, fontsize=fontsize)
    ax.set_xticks(range(size), names, rotation=45, ha="right")
    ax.set_yticks(range(size), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title("Confusion matrix" + (" (rows sum to 1)" if normalize else " (pixels)"))
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

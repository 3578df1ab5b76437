"""Training and evaluation as pictures: learning curves and confusion matrices."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from segcourse import _validate
from segcourse.viz._common import _class_names, _finish

__all__ = ["plot_confusion", "plot_history"]

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



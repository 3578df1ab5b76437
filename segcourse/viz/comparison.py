"""Comparing models: accuracy against time per image, and boundary accuracy against region accuracy."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from segcourse.viz._common import _finish

__all__ = ["plot_speed_accuracy"]


def _scores(values: Any, name: str, models: list[str] | None = None) -> dict[str, float]:
    """A ``{model: finite number}`` mapping, covering ``models`` when given."""
    if not isinstance(values, Mapping) or not values:
        raise ValueError(f"`{name}` must be a non-empty dict from model name to a number; got {values!r}.")
    scores = {}
    for model, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"`{name}[{model!r}]` must be a finite number; got {value!r}.")
        scores[str(model)] = float(value)
    missing = [model for model in models or [] if model not in scores]
    if missing:
        raise ValueError(f"`{name}` has no value for {missing}.")
    return scores


def plot_speed_accuracy(
    ms_per_image: Mapping[str, float],
    mean_iou: Mapping[str, float],
    boundary_f1: Mapping[str, float],
    parameters: Mapping[str, int] | None = None,
    intervals: Mapping[str, tuple[float, float]] | None = None,
    same_labels: Mapping[str, str] | None = None,
    time_label: str = "time per image (ms, log scale)",
    bf_label: str = "boundary F1",
) -> Figure:
    """Two panels: each model's mean IoU against its time per image, and its boundary F1 against mean IoU.

    Left, time on a logarithmic axis and mean IoU, with each model's interval (e.g. a bootstrap interval)
    as a vertical bar; right, mean IoU and boundary F1. Every model has its own colour, in both panels and
    in the legend below them; with ``parameters`` a marker's area grows with the model's parameter count.
    A model listed in ``same_labels`` (``{"sliding window": "patch classifier"}``) gives exactly the labels
    of another one, only at another speed: it is drawn on the left as an open circle at that model's mean
    IoU, joined to it by a dotted line, and has no point of its own on the right.

    Args:
        ms_per_image: model -> time per image in milliseconds (> 0), for every model drawn, those of
            ``same_labels`` included.
        mean_iou: model -> mean IoU, for every model of ``ms_per_image`` not in ``same_labels``.
        boundary_f1: model -> boundary F1, for the same models.
        parameters: optional model -> number of parameters (marker area).
        intervals: optional model -> ``(low, high)`` of its mean IoU (a bar).
        same_labels: optional model -> the model whose labels it gives.
        time_label: the label of the time axis (say where the time was measured).
        bf_label: the label of the boundary F1 axis (say the tolerance).

    Returns:
        The matplotlib ``Figure``: two axes, a legend below them.

    Example:

    >>> fig = plot_speed_accuracy({"A": 2.0, "B": 5.0}, {"A": 0.5, "B": 0.6}, {"A": 0.4, "B": 0.7})
    >>> len(fig.axes)
    2
    """
    times = _scores(ms_per_image, "ms_per_image")
    if min(times.values()) <= 0:
        raise ValueError(f"`ms_per_image` must hold times > 0 (a logarithmic axis); got {times}.")
    same = {str(k): str(v) for k, v in (same_labels or {}).items()}
    scored = [model for model in times if model not in same]
    if not scored:
        raise ValueError("every model of `ms_per_image` is in `same_labels`: there is nothing to score.")
    for model, twin in same.items():
        if model not in times or twin not in scored:
            raise ValueError(
                f"`same_labels` maps {model!r} to {twin!r}: both must be in `ms_per_image`, and {twin!r} "
                "must have scores of its own."
            )
    iou = _scores(mean_iou, "mean_iou", scored)
    bf = _scores(boundary_f1, "boundary_f1", scored)
    sizes = _scores(parameters, "parameters", scored) if parameters is not None else {}
    bars = {}
    for model, interval in (intervals or {}).items():
        if str(model) not in iou:
            raise ValueError(f"`intervals` has {model!r}, which has no mean IoU to put it around.")
        low, high = (float(v) for v in interval)
        if not low <= iou[str(model)] <= high:
            raise ValueError(f"`intervals[{model!r}]` = {interval} does not contain the mean IoU {iou[model]}.")
        bars[str(model)] = (low, high)

    largest = max(sizes.values(), default=1.0) or 1.0
    area = {model: 40 + 460 * sizes.get(model, 0.0) / largest for model in scored}
    colours = dict(zip(scored, plt.cm.tab10.colors, strict=False))
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4.2), layout="constrained")
    for model in scored:
        colour = colours[model]
        if model in bars:
            low, high = bars[model]
            left.errorbar(times[model], iou[model], yerr=[[iou[model] - low], [high - iou[model]]], fmt="none",
                          ecolor=colour, elinewidth=1.2, capsize=3)
        for ax, x, y in ((left, times[model], iou[model]), (right, iou[model], bf[model])):
            ax.scatter(x, y, s=area[model], color=colour, edgecolor="black", zorder=3)
    for model, twin in same.items():
        colour, y = colours[twin], iou[twin]
        left.scatter(times[model], y, s=60, facecolor="white", edgecolor=colour, linewidth=1.5, zorder=3)
        left.plot([times[twin], times[model]], [y, y], ":", color=colour, zorder=2)
        left.annotate(f"{model}:\nsame labels", (times[model], y), xytext=(0, -14), textcoords="offset points",
                      ha="center", va="top", fontsize=9)
    left.set_xscale("log")
    left.set_xlim(min(times.values()) / 1.6, max(times.values()) * 2.5)
    left.set_xlabel(time_label)
    left.set_ylabel("mean IoU" + (" (bar: interval)" if bars else ""))
    left.set_title("Speed against accuracy" + (" (area: parameters)" if sizes else ""), fontsize=11)
    right.set_xlabel("mean IoU")
    right.set_ylabel(bf_label)
    right.set_title("Boundaries against regions", fontsize=11)
    for ax in (left, right):
        ax.grid(alpha=0.3)
    handles = [Line2D([], [], marker="o", linestyle="", markersize=8, markerfacecolor=colours[model],
                      markeredgecolor="black", label=model) for model in scored]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3), fontsize=9,
               frameon=False)
    return _finish(fig)

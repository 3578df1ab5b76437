"""Tests of segcourse.viz.comparison: the speed-accuracy figure plots the numbers it is given."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection

from segcourse import viz

matplotlib.use("Agg")

TIMES = {"twin": 10.0, "fcn": 2.0, "segnet": 4.0, "sliding": 500.0}
IOU = {"twin": 0.47, "fcn": 0.50, "segnet": 0.58}
BF = {"twin": 0.55, "fcn": 0.50, "segnet": 0.75}
PARAMS = {"twin": 27_000, "fcn": 600_000, "segnet": 49_000}
INTERVALS = {"twin": (0.46, 0.48), "fcn": (0.49, 0.51), "segnet": (0.57, 0.59)}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _points(ax) -> list[tuple[float, float]]:
    """The (x, y) of every scatter point drawn on ``ax``, in drawing order."""
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    return [tuple(xy) for collection in scatters for xy in collection.get_offsets()]


def _figure():
    return viz.plot_speed_accuracy(TIMES, IOU, BF, parameters=PARAMS, intervals=INTERVALS,
                                   same_labels={"sliding": "twin"})


def test_each_model_is_at_its_time_and_scores():
    left, right = _figure().axes
    points = _points(left)
    for model in IOU:
        assert (TIMES[model], IOU[model]) in points
        assert (IOU[model], BF[model]) in _points(right)
    # The model with the same labels sits at its twin's mean IoU, on the left only.
    assert (TIMES["sliding"], IOU["twin"]) in points
    assert len(_points(right)) == len(IOU)
    assert left.get_xscale() == "log"


def test_marker_area_grows_with_parameters_and_the_legend_names_every_scored_model():
    fig = _figure()
    left = fig.axes[0]
    scatters = [c for c in left.collections if isinstance(c, PathCollection)]
    sizes = {tuple(c.get_offsets()[0]): c.get_sizes()[0] for c in scatters}
    assert sizes[(TIMES["fcn"], IOU["fcn"])] > sizes[(TIMES["segnet"], IOU["segnet"])]
    assert sizes[(TIMES["segnet"], IOU["segnet"])] > sizes[(TIMES["twin"], IOU["twin"])]
    assert [text.get_text() for text in fig.legends[0].get_texts()] == list(IOU)


def test_intervals_are_drawn_as_bars_from_low_to_high():
    left = _figure().axes[0]
    spans = set()
    for line in left.lines:
        for segment in getattr(line, "get_segments", lambda: [])():
            spans.add(tuple(np.round(np.asarray(segment)[:, 1], 6)))
    for collection in left.collections:
        for segment in getattr(collection, "get_segments", lambda: [])():
            spans.add(tuple(np.round(np.asarray(segment)[:, 1], 6)))
    for low, high in INTERVALS.values():
        assert (low, high) in spans


def test_without_options_only_points():
    fig = viz.plot_speed_accuracy({"a": 1.0, "b": 3.0}, {"a": 0.2, "b": 0.3}, {"a": 0.1, "b": 0.4})
    left, right = fig.axes
    assert sorted(_points(left)) == [(1.0, 0.2), (3.0, 0.3)]
    assert "interval" not in left.get_ylabel()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ms_per_image": {"fcn": 0.0, "segnet": 1.0}}, "ms_per_image"),
        ({"mean_iou": {"fcn": 0.5}}, "mean_iou"),
        ({"boundary_f1": {"fcn": 0.5, "segnet": float("nan"), "twin": 0.1}}, "boundary_f1"),
        ({"intervals": {"fcn": (0.6, 0.7)}}, "intervals"),
        ({"intervals": {"nobody": (0.1, 0.2)}}, "intervals"),
        ({"same_labels": {"sliding": "nobody"}}, "same_labels"),
        ({"ms_per_image": []}, "ms_per_image"),
    ],
)
def test_bad_input_raises_naming_the_argument(kwargs, message):
    arguments = {"ms_per_image": dict(TIMES), "mean_iou": IOU, "boundary_f1": BF}
    arguments["same_labels"] = {"sliding": "twin"}
    arguments.update(kwargs)
    if "ms_per_image" in kwargs and isinstance(kwargs["ms_per_image"], dict):
        arguments["same_labels"] = None
    with pytest.raises(ValueError, match=message):
        viz.plot_speed_accuracy(**arguments)

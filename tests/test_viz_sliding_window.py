"""Tests of segcourse.viz.sliding_window: the patches shown, the windows drawn, the counts, bad input."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.patches import Rectangle

from segcourse import reference, viz
from segcourse.data import CLASS_NAMES

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def patches():
    rng = np.random.default_rng(0)
    images = rng.random((7, 9, 9, 3)).astype("float32")
    centres = np.array([3, 0, 3, 5, 0, 1, 5])  # classes 0, 1, 3, 5 present; first of each: 1, 5, 0, 3
    return images, centres


def image_axes(fig):
    return [ax for ax in fig.axes if ax.get_images()]


def test_show_patches_draws_the_first_patch_of_each_present_class_in_class_order(patches):
    images, centres = patches
    fig = viz.show_patches(images, centres, columns=3)
    axes = image_axes(fig)
    assert [ax.get_title() for ax in axes] == [CLASS_NAMES[k] for k in (0, 1, 3, 5)]
    for ax, index in zip(axes, (1, 5, 0, 3), strict=True):
        np.testing.assert_array_equal(ax.get_images()[0].get_array(), images[index])
    assert len(fig.axes) == 4  # the empty slots of the 2x3 grid are removed
    # The cross marks the centre pixel (row 4, column 4) in every panel.
    for ax in axes:
        assert {(float(line.get_xdata()[0]), float(line.get_ydata()[0])) for line in ax.get_lines()} == {(4, 4)}
    assert "9x9" in fig.get_suptitle()
    assert not plt.get_fignums()  # closed in pyplot: shown once in a notebook


def test_show_patches_uses_given_class_names(patches):
    images, centres = patches
    names = [f"c{k}" for k in range(6)]
    fig = viz.show_patches(images, centres, class_names=names)
    assert [ax.get_title() for ax in image_axes(fig)] == ["c0", "c1", "c3", "c5"]


@pytest.mark.parametrize(
    ("images", "centres", "match"),
    [
        (np.zeros((2, 8, 8, 3), "float32"), np.array([0, 1]), "odd side"),
        (np.zeros((2, 9, 7, 3), "float32"), np.array([0, 1]), "square"),
        (np.zeros((2, 9, 9, 3), "float32"), np.array([0]), "one integer class per patch"),
        (np.zeros((2, 9, 9, 3), "float32"), np.array([0.0, 1.0]), "one integer class per patch"),
        (np.zeros((2, 9, 9, 3), "float32"), np.array([0, 8]), r"classes in \[0, 7\]"),
        (np.zeros((0, 9, 9, 3), "float32"), np.zeros(0, int), "no patch"),
        (np.full((2, 9, 9, 3), 2.0, "float32"), np.array([0, 1]), r"\[0, 1\]"),
        (np.zeros((9, 9, 3), "float32"), np.array([0]), "patches"),
    ],
)
def test_show_patches_rejects_bad_input(images, centres, match):
    with pytest.raises(ValueError, match=match):
        viz.show_patches(images, centres)


def coverage_of(height, width, size):
    half = size // 2
    counts = reference.conv2d(np.ones((height, width, 1)), np.ones((size, size, 1, 1)), padding=half)
    return np.rint(counts[..., 0]).astype(int)


def test_plot_window_overlap_draws_each_window_and_writes_the_counts():
    image = np.random.default_rng(1).random((20, 30, 3)).astype("float32")
    coverage = coverage_of(20, 30, 7)
    fig = viz.plot_window_overlap(image, coverage, 7, [(10, 8), (10, 12)])
    left, right = image_axes(fig)
    windows = [p for p in left.patches if isinstance(p, Rectangle)]
    # Window centred on (row, col) spans columns col - 3 .. col + 3: its corner is on the pixel edge.
    assert [(w.get_x(), w.get_y(), w.get_width(), w.get_height()) for w in windows] == [
        (4.5, 6.5, 7, 7),
        (8.5, 6.5, 7, 7),
    ]
    assert [w.get_edgecolor() for w in windows] == [
        matplotlib.colors.to_rgba(c) for c in viz.sliding_window.WINDOW_COLOURS[:2]
    ]
    np.testing.assert_array_equal(right.get_images()[0].get_array(), coverage)
    # Interior 7 * 7, middle of the top edge 4 * 7, corner 4 * 4.
    assert [t.get_text() for t in right.texts] == ["49", "28", "16"]
    assert len(fig.axes) == 3  # image, heat map, colour bar
    assert not plt.get_fignums()


@pytest.mark.parametrize(
    ("coverage", "size", "centres", "match"),
    [
        (np.ones((20, 31)), 7, [(10, 8)], "image's shape"),
        (-np.ones((20, 30)), 7, [(10, 8)], "non-negative"),
        (np.ones((20, 30)), 6, [(10, 8)], "odd"),
        (np.ones((20, 30)), 7, [], "1 to 5"),
        (np.ones((20, 30)), 7, [(10, 8)] * 6, "1 to 5"),
        (np.ones((20, 30)), 7, [(20, 8)], "inside the 20x30 image"),
    ],
)
def test_plot_window_overlap_rejects_bad_input(coverage, size, centres, match):
    image = np.zeros((20, 30, 3), "float32")
    with pytest.raises(ValueError, match=match):
        viz.plot_window_overlap(image, coverage, size, centres)


def test_plot_window_overlap_rejects_a_batch_of_images():
    with pytest.raises(ValueError, match="image"):
        viz.plot_window_overlap(np.zeros((1, 20, 30, 3), "float32"), np.ones((20, 30)), 7, [(10, 8)])

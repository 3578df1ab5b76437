"""Tests of segcourse.viz: returned figures, colours, legends, histories, bad input."""

from __future__ import annotations

import re

import keras
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from segcourse import viz
from segcourse.data import CLASS_NAMES, NUM_CLASSES, PALETTE, VOID, VOID_COLOR

# No display in CI; switching is allowed after importing pyplot, as long as no figure exists yet.
matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.repeat(rng.integers(0, NUM_CLASSES, (3, 4, 5)), 4, 1), 4, 2)  # (3, 16, 20)
    labels[:, 0, :3] = VOID
    images = rng.random((3, 16, 20, 3)).astype("float32")
    predictions = rng.integers(0, NUM_CLASSES, labels.shape)
    return images, labels, predictions


def legend_texts(fig: Figure) -> list[str]:
    return [text.get_text() for legend in fig.legends for text in legend.get_texts()]


# --------------------------------------------------------------------------------------------------
# colorize and overlay


def test_colorize_maps_labels_to_palette_and_void_to_void_color():
    labels = np.array([list(range(NUM_CLASSES)) + [VOID]])
    rgb = viz.colorize(labels)
    assert rgb.dtype == np.uint8 and rgb.shape == (1, NUM_CLASSES + 1, 3)
    np.testing.assert_array_equal(rgb[0, :NUM_CLASSES], PALETTE)
    np.testing.assert_array_equal(rgb[0, NUM_CLASSES], VOID_COLOR)


def test_colorize_batched_and_custom_palette():
    labels = np.array([[[0, 1], [1, VOID]]] * 2)
    palette = np.array([[1, 2, 3], [4, 5, 6]])
    rgb = viz.colorize(labels, palette)
    assert rgb.shape == (2, 2, 2, 3)
    np.testing.assert_array_equal(rgb[1, 1, 0], [4, 5, 6])
    np.testing.assert_array_equal(rgb[1, 1, 1], VOID_COLOR)


@pytest.mark.parametrize(
    "labels, palette, argument",
    [
        (np.array([[0, NUM_CLASSES]]), None, "labels"),  # no colour for that label
        (np.array([[0.0, 1.0]]), None, "labels"),  # float labels
        (np.zeros(3, int), None, "labels"),  # rank 1
        (np.zeros((2, 2), int), np.zeros((2, 4), int), "palette"),  # not RGB
        (np.zeros((2, 2), int), np.full((2, 3), 300), "palette"),  # not in [0, 255]
    ],
)
def test_colorize_bad_input_raises(labels, palette, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        viz.colorize(labels, palette)


def test_overlay_alpha_zero_and_one(batch):
    images, labels, _ = batch
    np.testing.assert_allclose(viz.overlay(images[0], labels[0], alpha=0.0), images[0], atol=1e-6)
    np.testing.assert_allclose(
        viz.overlay(images[0], labels[0], alpha=1.0), viz.colorize(labels[0]) / 255, atol=1e-6
    )
    half = viz.overlay(images, labels, alpha=0.5)  # batched
    assert half.shape == images.shape and half.dtype == np.float32
    np.testing.assert_allclose(half, 0.5 * images + 0.5 * viz.colorize(labels) / 255, atol=1e-6)


@pytest.mark.parametrize(
    "change, argument",
    [
        ({"alpha": 1.5}, "alpha"),
        ({"alpha": "half"}, "alpha"),
        ({"labels": np.zeros((16, 19), int)}, "labels"),  # shape mismatch
        ({"image": np.full((16, 20, 3), 2.0)}, "image"),  # not in [0, 1]
        ({"image": np.zeros((16, 20), "float32")}, "image"),  # no channels
    ],
)
def test_overlay_bad_input_raises(batch, change, argument):
    images, labels, _ = batch
    kwargs = {"image": images[0], "labels": labels[0], **change}
    with pytest.raises(ValueError, match=f"`{argument}`"):
        viz.overlay(**kwargs)


# --------------------------------------------------------------------------------------------------
# show_samples and compare


def test_show_samples_grid_and_legend(batch):
    images, labels, predictions = batch
    fig = viz.show_samples(images, labels, n=2)
    assert isinstance(fig, Figure) and len(fig.axes) == 2 * 2
    fig = viz.show_samples(images, labels, predictions, n=10)  # n larger than the batch: all 3
    assert len(fig.axes) == 3 * 3
    assert [ax.get_title() for ax in fig.axes[:3]] == ["image", "truth", "prediction"]
    assert legend_texts(fig) == [*CLASS_NAMES, "void"]


def test_show_samples_accepts_scores_and_custom_classes():
    rng = np.random.default_rng(1)
    images = rng.random((2, 8, 8, 3))
    labels = rng.integers(0, 10, (2, 8, 8))
    scores = rng.random((2, 8, 8, 10))
    names = [f"c{i}" for i in range(10)]  # more classes than data.PALETTE: extended palette
    fig = viz.show_samples(images, labels, scores, class_names=names)
    assert len(fig.axes) == 2 * 3
    assert legend_texts(fig) == names  # no void shown, no void entry


@pytest.mark.parametrize(
    "change, argument",
    [
        ({"predictions": np.zeros((3, 16, 21), int)}, "predictions"),
        ({"predictions": np.zeros((3, 16, 20, 5))}, "predictions"),  # 5 scores, 8 classes
        ({"labels": np.zeros((3, 16, 21), int)}, "labels"),
        ({"labels": np.zeros((3, 16, 20))}, "labels"),  # float labels
        ({"images": np.zeros((3, 16, 20, 3), np.uint8)}, "images"),  # not float in [0, 1]
        ({"n": 0}, "n"),
        ({"class_names": "sky"}, "class_names"),
        ({"palette": PALETTE[:4]}, "palette"),  # too few colours
    ],
)
def test_show_samples_bad_input_raises(batch, change, argument):
    images, labels, predictions = batch
    kwargs = {"images": images, "labels": labels, "predictions": predictions, **change}
    with pytest.raises(ValueError, match=f"`{argument}"):
        viz.show_samples(**kwargs)


def test_compare_titles_and_legend(batch):
    images, labels, predictions = batch
    fig = viz.compare(images, labels, {"FCN-8s": predictions, "SegNet": labels}, n=2)
    assert isinstance(fig, Figure) and len(fig.axes) == 2 * 4
    assert [ax.get_title() for ax in fig.axes[:4]] == ["image", "truth", "FCN-8s", "SegNet"]
    assert fig.axes[3].get_xlabel() == "mean IoU 1.00"  # SegNet was given the truth itself
    assert legend_texts(fig) == [*CLASS_NAMES, "void"]


def test_compare_wraps_a_samples_panels_onto_rows_of_columns(batch):
    images, labels, predictions = batch
    models = {f"model {i}": predictions for i in range(5)} | {"exact": labels}  # 8 panels a sample
    fig = viz.compare(images, labels, models, n=2, columns=3)
    assert len(fig.axes) == 2 * 3 * 3  # each sample: 8 panels on 3 rows of 3
    titles = [ax.get_title() for ax in fig.axes]
    expected = ["image", "truth", *models]
    assert titles[:8] == expected and titles[9:17] == expected  # every panel titled, both samples
    assert not fig.axes[8].axison and not fig.axes[17].axison  # the unused ninth slot of each sample
    assert fig.axes[16].get_xlabel() == "mean IoU 1.00"  # the second sample's "exact" panel


def test_compare_single_image(batch):
    images, labels, predictions = batch
    fig = viz.compare(images[0], labels[0], {"a": predictions[0]})
    assert len(fig.axes) == 3


@pytest.mark.parametrize(
    "predictions, argument",
    [
        ({}, "predictions"),
        ([np.zeros((3, 16, 20), int)], "predictions"),
        ({"x": np.zeros((3, 4, 4), int)}, "predictions['x']"),
    ],
)
def test_compare_bad_input_raises(batch, predictions, argument):
    images, labels, _ = batch
    with pytest.raises(ValueError, match=re.escape(f"`{argument}")):
        viz.compare(images, labels, predictions)


@pytest.mark.parametrize("columns", [1, 0, 2.5])
def test_compare_bad_columns_raises(batch, columns):
    images, labels, predictions = batch
    with pytest.raises(ValueError, match="`columns`"):
        viz.compare(images, labels, {"a": predictions}, columns=columns)


# --------------------------------------------------------------------------------------------------
# plot_history


def test_plot_history_from_dict():
    history = {"loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.5, 0.7, 0.8]}
    fig = viz.plot_history(history)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    loss_ax, accuracy_ax = fig.axes
    assert [line.get_label() for line in loss_ax.get_lines()] == ["training", "validation"]
    assert len(accuracy_ax.get_lines()) == 1  # no val_accuracy
    assert len(viz.plot_history(history, "loss").axes) == 1


def test_plot_history_from_keras_history():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x = np.zeros((4, 2), "float32")
    history = model.fit(x, x[:, :1], validation_data=(x, x[:, :1]), epochs=2, verbose=0)
    fig = viz.plot_history(history)
    assert len(fig.axes) == 2  # loss, mae (the panels of four curves: none left empty)
    assert all(len(ax.get_lines()) == 2 for ax in fig.axes)


def test_plot_history_many_metrics_wraps_without_empty_panels():
    fig = viz.plot_history({name: [0.1, 0.2] for name in "abcd"})
    assert len(fig.axes) == 4  # a 2 x 3 grid with its two empty slots removed


@pytest.mark.parametrize(
    "history, metrics, argument",
    [
        ({}, None, "history"),
        ([1, 2, 3], None, "history"),
        ({"loss": ["a", "b"]}, None, "history"),
        ({"loss": [1.0]}, ["accuracy"], "metrics"),
        ({"loss": [1.0]}, [], "metrics"),
    ],
)
def test_plot_history_bad_input_raises(history, metrics, argument):
    with pytest.raises(ValueError, match=f"`{argument}"):
        viz.plot_history(history, metrics)


# --------------------------------------------------------------------------------------------------
# plot_confusion


def test_plot_confusion_normalised_annotations():
    matrix = np.array([[3, 1, 0], [0, 0, 0], [2, 0, 2]])
    fig = viz.plot_confusion(matrix, class_names=["a", "b", "c"])
    assert isinstance(fig, Figure) and len(fig.axes) == 2  # heat map and colour bar
    heat = fig.axes[0]
    texts = [t.get_text() for t in heat.texts]
    # Row 1 has no pixel: no annotation; rows 0 and 2 divided by 4.
    assert texts == ["0.75", "0.25", "0.00", "0.50", "0.00", "0.50"]
    assert [t.get_text() for t in heat.get_yticklabels()] == ["a", "b", "c"]


def test_plot_confusion_counts_and_default_names():
    matrix = np.eye(NUM_CLASSES, dtype=int) * 5
    fig = viz.plot_confusion(matrix, normalize=False)
    heat = fig.axes[0]
    assert heat.texts[0].get_text() == "5" and len(heat.texts) == NUM_CLASSES**2
    assert [t.get_text() for t in heat.get_xticklabels()] == list(CLASS_NAMES)


@pytest.mark.parametrize(
    "matrix, class_names, argument",
    [
        (np.zeros((2, 3)), None, "matrix"),
        (-np.ones((2, 2)), None, "matrix"),
        (np.ones((3, 3)), ["a", "b"], "class_names"),
    ],
)
def test_plot_confusion_bad_input_raises(matrix, class_names, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        viz.plot_confusion(matrix, class_names)


def test_plot_class_frequencies_bars_are_the_shares():
    from segcourse import data

    labels = np.zeros((2, 4, 5), dtype=np.uint8)
    labels[0, :2] = 3  # 10 of the 40 pixels are class 3
    labels[1, 0, 0] = data.VOID  # one void pixel, left out of the shares
    fig = viz.plot_class_frequencies(labels)
    heights = [patch.get_height() for patch in fig.axes[0].patches]
    assert len(heights) == data.NUM_CLASSES
    assert heights[3] == pytest.approx(100 * 10 / 39)
    assert heights[0] == pytest.approx(100 * 29 / 39)
    assert "2.5% void" in fig.axes[0].get_title()


def test_plot_class_frequencies_rejects_bad_labels():
    with pytest.raises(ValueError, match="`labels`"):
        viz.plot_class_frequencies(np.full((2, 3), 9, dtype=np.uint8))
    with pytest.raises(ValueError, match="`labels`"):
        viz.plot_class_frequencies(np.full((2, 3), 255, dtype=np.uint8))

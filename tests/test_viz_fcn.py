"""Tests of segcourse.viz.fcn: the FCN diagram draws what the models hold, and refuses other models."""

from __future__ import annotations

import keras
import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib.patches import FancyArrowPatch

from segcourse import models, viz

matplotlib.use("Agg")

TIMES = "\u00d7"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def networks():
    return {
        variant: models.fcn(8, input_shape=(64, 96, 3), variant=variant, width=0.125, convs_per_block=1)
        for variant in ("32s", "16s", "8s")
    }


def gids(ax, prefix: str) -> set[str]:
    """The gids of the artists of ``ax`` that start with ``prefix``."""
    return {a.get_gid() for a in ax.get_children() if (a.get_gid() or "").startswith(prefix)}


def artist(ax, gid: str):
    (found,) = [a for a in ax.get_children() if a.get_gid() == gid]
    return found


def texts(ax) -> list[str]:
    return [text.get_text() for text in ax.texts]


def test_one_panel_per_model_titled_by_variant(networks):
    fig = viz.plot_fcn(list(networks.values()))
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["FCN-32s", "FCN-16s", "FCN-8s"]
    assert fig.get_facecolor() == (1.0, 1.0, 1.0, 1.0)  # opaque white: readable in the dark theme too


def test_encoder_layers_and_their_shapes_come_from_the_model(networks):
    fig = viz.plot_fcn(networks["8s"])
    (ax,) = fig.axes
    model = networks["8s"]
    expected = {f"layer:{name}" for name in ("image", "pool1", "pool2", "pool3", "pool4", "pool5")}
    expected |= {"layer:fc6", "layer:fc7", "layer:score_fr", "layer:output"}
    expected |= {"layer:score_pool4", "layer:score_pool3"}
    assert gids(ax, "layer:") == expected
    for name in ("pool1", "pool3", "pool5", "fc7", "score_fr"):
        shape = model.get_layer(name).output.shape[1:]
        assert TIMES.join(str(size) for size in shape) in texts(ax), name
    assert "fc6 3\u00d73" in texts(ax)  # the kernel size read from the layer
    # Each pooling halves the size: its box sits one scale lower than the previous one.
    levels = [artist(ax, f"layer:pool{i}").get_y() for i in range(1, 6)]
    assert all(abs((a - b) - 1.0) < 1e-9 for a, b in zip(levels, levels[1:], strict=False))


@pytest.mark.parametrize(
    "variant, upsamplings, skips",
    [
        ("32s", {"upscore32"}, set()),
        ("16s", {"upscore2", "upscore16"}, {"pool4"}),
        ("8s", {"upscore2", "upscore_pool4", "upscore8"}, {"pool4", "pool3"}),
    ],
)
def test_skips_and_upsamplings_of_each_variant(networks, variant, upsamplings, skips):
    (ax,) = viz.plot_fcn(networks[variant]).axes
    assert gids(ax, "upsampling:") == {f"upsampling:{name}" for name in upsamplings}
    assert gids(ax, "fuse:") == {f"fuse:{pool}" for pool in skips}
    # Two orange arrows per skip: pool -> score_pool, score_pool -> addition.
    assert gids(ax, "skip:") == {f"skip:{pool}" for pool in skips} | {f"skip:score_{pool}" for pool in skips}
    factors = {f"{TIMES}{networks[variant].get_layer(name).strides[0]}" for name in upsamplings}
    assert factors <= set(texts(ax))
    assert all(isinstance(artist(ax, f"upsampling:{name}"), FancyArrowPatch) for name in upsamplings)


def test_learned_upsamplings_are_solid_and_fixed_ones_dashed(networks):
    (ax,) = viz.plot_fcn(networks["8s"]).axes
    model = networks["8s"]
    assert model.get_layer("upscore2").trainable and not model.get_layer("upscore8").trainable
    assert artist(ax, "upsampling:upscore2").get_linestyle() == "-"
    assert artist(ax, "upsampling:upscore8").get_linestyle() != "-"
    # Freezing a layer changes the drawing: it is read from the model, not assumed.
    model.get_layer("upscore2").trainable = False
    try:
        (frozen,) = viz.plot_fcn(model).axes
    finally:
        model.get_layer("upscore2").trainable = True
    assert artist(frozen, "upsampling:upscore2").get_linestyle() != "-"


def test_another_input_size_draws_other_shapes():
    model = models.fcn(5, input_shape=(96, 128, 3), variant="32s", width=0.125, convs_per_block=1)
    (ax,) = viz.plot_fcn({"small FCN": model}).axes
    assert ax.get_title(loc="left") == "small FCN"
    assert f"3{TIMES}4{TIMES}5" in texts(ax)  # score_fr: 96/32 x 128/32 x 5 classes
    assert f"96{TIMES}128{TIMES}5" in texts(ax)  # the output


@pytest.mark.parametrize(
    "bad",
    [
        "fcn8s",
        [],
        [object()],
        models.patch_classifier(8, patch_size=35),  # no pool5, no score_fr
        keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3, name="pool1")]),
    ],
)
def test_bad_networks_raise(bad):
    with pytest.raises(ValueError, match="`networks`"):
        viz.plot_fcn(bad)

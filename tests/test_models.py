"""Tests of segcourse.models: shapes, precision, XLA training steps, convolutionalisation, initialisation,
serialisation, argument checks, and a short training run on the synthetic scenes."""

from __future__ import annotations

import time
from collections.abc import Callable

import keras
import numpy as np
import pytest
from keras import layers

from segcourse import models
from segcourse.data import NUM_CLASSES, VOID, synthetic_scenes
from segcourse.layers import MaxUnpooling2D, ZeroUnpooling2D
from segcourse.metrics import mean_iou, pixel_accuracy
from segcourse.reference import receptive_field

# Small, non-square inputs (so height/width mix-ups show) that every architecture accepts: 32 and 64 are
# multiples of 32 (FCN), 16 (SegNet, depth 4) and 8 (the article's SegNet, the dilated network).
SHAPE = (32, 64, 3)
CLASSES = 5
Builder = Callable[..., keras.Model]

# Every builder and variant: the builder and its keyword arguments.
SPECS: dict[str, tuple[Builder, dict]] = {
    "fcn32s": (models.fcn, {"variant": "32s"}),
    "fcn16s": (models.fcn, {"variant": "16s"}),
    "fcn8s": (models.fcn, {"variant": "8s"}),
    "segnet_indices": (models.segnet, {"unpooling": "indices"}),
    "segnet_upsampling": (models.segnet, {"unpooling": "upsampling"}),
    "segnet_zeros": (models.segnet, {"unpooling": "zeros"}),
    "article_segnet": (models.article_segnet, {}),
    "dilated_net": (models.dilated_net, {}),
    "dilated_net_basic": (models.dilated_net, {"context": "basic"}),
    "patch_classifier": (models.patch_classifier, {}),
}


def build(name: str, width: float = 0.25, light: bool = False) -> keras.Model:
    """Builds model ``name`` for the small test input; ``light``: one convolution per block."""
    builder, kwargs = SPECS[name]
    if builder is models.patch_classifier:
        return builder(CLASSES, 11, width)
    if light and builder is not models.article_segnet:
        kwargs = {**kwargs, "convs_per_block": 1}
    return builder(CLASSES, SHAPE, width, **kwargs)


SEGMENTERS = [name for name in SPECS if name != "patch_classifier"]

# An XLA compile costs 3-15 s on a shared CPU, so the one-step checks use one convolution per block (the
# same layer types, fewer of them). Every model compiles with XLA in float32 and under mixed precision:
# that is how we know each one is ready for a GPU, where Keras turns XLA on by default.
JIT_MIXED = list(SPECS)


@pytest.fixture
def mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    yield
    keras.mixed_precision.set_global_policy("float32")


def _batch(model: keras.Model, n: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random images and labels for ``model``, with some labels VOID (ignored)."""
    rng = np.random.default_rng(seed)
    images = rng.random((n, *model.input_shape[1:]), dtype=np.float32)
    labels = rng.integers(0, CLASSES, (n, *model.output_shape[1:-1])).astype(np.int32)
    labels.reshape(-1)[::7] = VOID
    return images, labels


def _one_xla_step(model: keras.Model) -> float:
    # SGD: the check is that the model compiles and trains with XLA; Adam would only add compile time.
    model.compile(
        optimizer=keras.optimizers.SGD(0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(ignore_class=VOID),
        jit_compile=True,
    )
    assert model.jit_compile, "Keras fell back to no XLA: a layer does not support jit"
    return float(model.train_on_batch(*_batch(model)))


# --------------------------------------------------------------------------------------------------
# Shapes, precision, XLA
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SEGMENTERS)
def test_output_is_a_softmax_per_pixel(name):
    model = build(name)
    assert model.output_shape == (None, *SHAPE[:2], CLASSES)
    outputs = model.predict(_batch(model)[0], verbose=0)
    assert outputs.dtype == np.float32
    np.testing.assert_allclose(outputs.sum(axis=-1), 1.0, atol=1e-5)


def test_patch_classifier_labels_one_pixel():
    model = models.patch_classifier(CLASSES, patch_size=35)
    assert model.input_shape == (None, 35, 35, 3)
    assert model.output_shape == (None, CLASSES)
    # The default patch leaves a 7x7 map for fc6, as VGG's fc6 sees.
    assert model.get_layer("flatten").input.shape[1:] == (7, 7, 64)


@pytest.mark.parametrize("name", list(SPECS))
def test_softmax_is_float32_under_mixed_precision(name, mixed_precision):
    model = build(name)
    convs = [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]
    assert convs[0].compute_dtype == "float16"
    assert model.output.dtype == "float32"
    assert model.get_layer("softmax").compute_dtype == "float32"


@pytest.mark.parametrize("name", list(SPECS))
def test_one_xla_training_step(name):
    assert np.isfinite(_one_xla_step(build(name, light=True)))


@pytest.mark.parametrize("name", JIT_MIXED)
def test_one_xla_training_step_under_mixed_precision(name, mixed_precision):
    model = build(name, light=True)
    assert np.isfinite(_one_xla_step(model))
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)


@pytest.mark.parametrize(
    "builder, layer_name, shape",
    [
        (lambda: models.fcn(CLASSES, (64, 96, 3), 0.25, "8s"), "pool5", (2, 3)),
        (lambda: models.fcn(CLASSES, (64, 96, 3), 0.25, "8s"), "score_pool4", (4, 6)),
        (lambda: models.fcn(CLASSES, (64, 96, 3), 0.25, "8s"), "score_pool3", (8, 12)),
        (lambda: models.segnet(CLASSES, (64, 96, 3), 0.25, depth=3), "pool3", (8, 12)),
        (lambda: models.dilated_net(CLASSES, (64, 96, 3), 0.25), "final", (8, 12)),
        (lambda: models.dilated_net(CLASSES, (64, 96, 3), 0.25, context="basic"), "ctx_conv8", (8, 12)),
        (lambda: models.article_segnet(CLASSES, (64, 96, 3), 0.25), "block4_conv1", (8, 12)),
    ],
)
def test_output_strides(builder, layer_name, shape):
    output = builder().get_layer(layer_name).output
    if isinstance(output, (list, tuple)):  # pooling with indices: (pooled, indices)
        output = output[0]
    assert output.shape[1:3] == shape


def test_parameter_counts_scale_with_width():
    for name in SPECS:
        full, half = build(name, 1.0).count_params(), build(name, 0.5).count_params()
        # Most weights are in hidden-to-hidden kernels, which scale with width squared.
        assert 0.2 < half / full < 0.35, name
    assert models.segnet(CLASSES, SHAPE, width=0.01).count_params() > 0  # at least 1 channel per layer


# --------------------------------------------------------------------------------------------------
# Sliding window and convolutionalize
# --------------------------------------------------------------------------------------------------


def _logits_model(model: keras.Model) -> keras.Model:
    """The patch classifier up to its pre-softmax scores: peaked values, so differences show."""
    return keras.Model(model.input, model.get_layer("score").output)


def _perturb(model: keras.Model, seed: int = 0, scale: float = 0.1) -> None:
    """Adds noise to every weight (variances kept positive), so no layer is at its special initial value."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        value = np.asarray(variable.numpy(), dtype=np.float64)
        noisy = value + scale * rng.standard_normal(value.shape)
        if "variance" in variable.path:
            noisy = np.abs(noisy) + 0.5
        variable.assign(noisy.astype(variable.dtype))


@pytest.mark.parametrize("patch_size, num_blocks", [(35, 2), (11, 2), (29, 3)])
def test_convolutionalize_equals_sliding_window(patch_size, num_blocks):
    keras.utils.set_random_seed(1)
    classifier = models.patch_classifier(CLASSES, patch_size, width=0.5, num_blocks=num_blocks)
    images = np.random.default_rng(2).random((2, 13, 18, 3), dtype=np.float32)
    for model in (classifier, _logits_model(classifier)):
        expected = models.sliding_window_predict(model, images, batch_size=100)
        assert expected.shape == (2, 13, 18, CLASSES)
        assert expected.std(axis=(1, 2)).min() > 1e-3  # the scores vary: equality is not trivial
        dense = models.convolutionalize(model).predict(images, verbose=0)
        assert dense.shape == expected.shape
        np.testing.assert_allclose(dense, expected, rtol=0, atol=1e-4)

        stride = 2**num_blocks
        coarse = models.convolutionalize(model, dense=False).predict(images, verbose=0)
        assert coarse.shape == (2, -(-13 // stride), -(-18 // stride), CLASSES)
        np.testing.assert_allclose(coarse, expected[:, ::stride, ::stride], rtol=0, atol=1e-4)


def test_convolutionalize_a_briefly_trained_classifier():
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    colours = rng.random((CLASSES, 3), dtype=np.float32)

    def noisy(label_map: np.ndarray) -> np.ndarray:  # one colour per class, plus noise
        return np.clip(colours[label_map] + 0.05 * rng.standard_normal((*label_map.shape, 3)), 0, 1)

    labels = rng.integers(0, CLASSES, 128)
    classifier = models.patch_classifier(CLASSES, 19, width=0.5)
    classifier.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    classifier.fit(noisy(np.broadcast_to(labels[:, None, None], (128, 19, 19))), labels, epochs=5, verbose=0)
    blocks = rng.integers(0, CLASSES, (1, 3, 4)).repeat(7, axis=1).repeat(7, axis=2)[:, :, :26]
    images = noisy(blocks).astype(np.float32)  # a 21x26 mosaic of 7x7 class blocks
    expected = models.sliding_window_predict(classifier, images)
    assert expected.max() > 0.9  # trained: confident
    dense = models.convolutionalize(classifier).predict(images, verbose=0)
    np.testing.assert_allclose(dense, expected, rtol=0, atol=1e-4)


def test_convolutionalized_layers():
    classifier = models.patch_classifier(CLASSES, 35, width=0.25)
    dense, coarse = models.convolutionalize(classifier), models.convolutionalize(classifier, dense=False)
    assert dense.input_shape == (None, None, None, 3)
    # fc6 saw a 7x7 map: it becomes a 7x7 convolution, dilated by the two strides of 2 it replaces.
    assert dense.get_layer("fc6").kernel_size == (7, 7)
    assert dense.get_layer("fc6").dilation_rate == (4, 4)
    assert dense.get_layer("block2_conv1").dilation_rate == (2, 2)
    assert isinstance(dense.get_layer("pool2"), models.DilatedMaxPooling2D)
    assert dense.get_layer("score").kernel_size == (1, 1)
    assert coarse.get_layer("fc6").kernel_size == (7, 7)
    assert coarse.get_layer("fc6").dilation_rate == (1, 1)
    assert coarse.get_layer("pool2").strides == (2, 2)


def test_convolutionalize_a_strided_sequential_model():
    keras.utils.set_random_seed(4)
    model = keras.Sequential(
        [
            keras.Input((9, 9, 3)),
            layers.Conv2D(4, 3, strides=2, activation="relu"),
            layers.BatchNormalization(),
            layers.Flatten(),
            layers.Dropout(0.2),
            layers.Dense(6, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(3),
        ]
    )
    _perturb(model, scale=0.5)
    images = np.random.default_rng(4).random((1, 10, 7, 3), dtype=np.float32)
    expected = models.sliding_window_predict(model, images)
    np.testing.assert_allclose(models.convolutionalize(model).predict(images, verbose=0), expected, atol=1e-4)


def test_convolutionalize_keeps_float32_softmax_under_mixed_precision(mixed_precision):
    model = models.convolutionalize(models.patch_classifier(CLASSES, 11, width=0.25))
    assert model.get_layer("fc6").compute_dtype == "float16"
    assert model.output.dtype == "float32"


def test_dilated_max_pooling_matches_numpy():
    x = np.random.default_rng(5).random((2, 9, 11, 3), dtype=np.float32)
    pooled = np.asarray(models.DilatedMaxPooling2D((2, 3), dilation_rate=(3, 2))(x))
    expected = np.max([x[:, a * 3 : a * 3 + 6, b * 2 : b * 2 + 7] for a in range(2) for b in range(3)], axis=0)
    np.testing.assert_array_equal(pooled, expected)
    layer = models.DilatedMaxPooling2D.from_config(models.DilatedMaxPooling2D(2, 4).get_config())
    assert (layer.pool_size, layer.dilation_rate) == ((2, 2), (4, 4))


# --------------------------------------------------------------------------------------------------
# Architecture details
# --------------------------------------------------------------------------------------------------


def _tent(size: int, factor: int) -> np.ndarray:
    centre = (size - 1) / 2
    return 1 - np.abs(np.arange(size) - centre) / factor


def test_fcn_skips_start_at_zero_and_upsampling_is_bilinear():
    model = models.fcn(CLASSES, SHAPE, 0.25, "8s")
    for name in ("score_pool4", "score_pool3"):
        for weight in model.get_layer(name).get_weights():
            assert not weight.any(), name
    for name, factor, trainable in (("upscore2", 2, True), ("upscore_pool4", 2, True), ("upscore8", 8, False)):
        layer = model.get_layer(name)
        assert layer.trainable is trainable
        assert layer.strides == (factor, factor)
        kernel = layer.get_weights()[0]
        expected = np.zeros_like(kernel)
        for channel in range(CLASSES):
            expected[:, :, channel, channel] = np.outer(_tent(2 * factor, factor), _tent(2 * factor, factor))
        np.testing.assert_allclose(kernel, expected, atol=1e-6)
    # A bilinear upsampler keeps a constant map constant (away from the zero-padded border).
    up = keras.Sequential([keras.Input((4, 4, CLASSES)), model.get_layer("upscore8")])
    out = up.predict(np.full((1, 4, 4, CLASSES), 3.0, np.float32), verbose=0)
    np.testing.assert_allclose(out[0, 4:-4, 4:-4], 3.0, atol=1e-5)


def test_fcn_variants_have_their_skips():
    names = {
        variant: {layer.name for layer in models.fcn(CLASSES, SHAPE, 0.25, variant).layers}
        for variant in ("32s", "16s", "8s")
    }
    assert {"score_pool4", "score_pool3", "upscore2"}.isdisjoint(names["32s"])
    assert {"score_pool4", "upscore2", "upscore16"} <= names["16s"] and "score_pool3" not in names["16s"]
    assert {"score_pool4", "score_pool3", "upscore2", "upscore_pool4", "upscore8"} <= names["8s"]
    assert {f"pool{i}" for i in range(1, 6)} <= names["8s"]  # FCN keeps all five poolings


@pytest.mark.parametrize(
    "unpooling, layer_type",
    [("indices", MaxUnpooling2D), ("zeros", ZeroUnpooling2D), ("upsampling", layers.UpSampling2D)],
)
def test_segnet_unpooling(unpooling, layer_type):
    model = models.segnet(CLASSES, SHAPE, 0.25, depth=3, unpooling=unpooling, convs_per_block=(1, 2, 2))
    for index in (1, 2, 3):
        unpool = model.get_layer(f"unpool{index}")
        assert isinstance(unpool, layer_type)
        if unpooling == "indices":  # the indices come from the pooling of the same level
            assert unpool.input[1] is model.get_layer(f"pool{index}").output[1]
    assert model.get_layer("decoder3_conv1").filters == 32  # block 3's channels...
    assert model.get_layer("decoder3_conv2").filters == 16  # ...narrowed to block 2's
    assert model.get_layer("decoder1_conv1").filters == 8


def test_segnet_max_unpooling_puts_values_back_where_the_maxima_were():
    model = models.segnet(CLASSES, SHAPE, 0.25, depth=1, convs_per_block=1)
    probe = keras.Model(
        model.input, [model.get_layer("block1_conv1_relu").output, model.get_layer("unpool1").output]
    )
    features, unpooled = probe.predict(_batch(model)[0], verbose=0)
    windows = features.reshape(2, 16, 2, 32, 2, -1).max(axis=(2, 4))
    kept = unpooled != 0
    np.testing.assert_allclose(unpooled[kept], features[kept])  # kept values are in place...
    assert kept.reshape(2, 16, 2, 32, 2, -1).sum(axis=(2, 4)).max() <= 1  # ...one per window...
    np.testing.assert_allclose(unpooled.reshape(2, 16, 2, 32, 2, -1).max(axis=(2, 4)), windows)  # ...the max


def test_article_segnet_keeps_the_listing():
    model = models.article_segnet(12)
    assert model.input_shape == (None, 360, 480, 3) and model.output_shape == (None, 360, 480, 12)
    convs = [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]
    assert [c.filters for c in convs] == [64, 128, 256, 512, 512, 256, 128, 64, 12]
    assert all(c.strides == (1, 1) and c.padding == "valid" for c in convs)
    assert {c.kernel_size for c in convs[:-1]} == {(3, 3)}
    decoder = [layer.name for layer in model.layers if layer.name.startswith("decoder")]
    assert not any(name.endswith("relu") for name in decoder)  # no ReLU in the decoder, as listed
    assert sum(isinstance(layer, layers.UpSampling2D) for layer in model.layers) == 3


def test_dilated_net_front_end_and_context_module():
    assert receptive_field(models.CONTEXT_LAYERS) == [3, 5, 9, 17, 33, 65, 67, 67]
    model = models.dilated_net(CLASSES, (64, 96, 3), 0.25, context="basic")
    assert {f"pool{i}" for i in (1, 2, 3)} <= {layer.name for layer in model.layers}
    assert "pool4" not in {layer.name for layer in model.layers}
    assert model.get_layer("block5_conv1").dilation_rate == (2, 2)
    assert model.get_layer("fc6").dilation_rate == (4, 4)
    for index, (kernel, _, dilation) in enumerate(models.CONTEXT_LAYERS, start=1):
        layer = model.get_layer(f"ctx_conv{index}")
        assert layer.kernel_size == (kernel, kernel) and layer.dilation_rate == (dilation, dilation)
        assert layer.filters == CLASSES
    # Identity-initialised: the module starts by passing its input through (the first ReLU aside).
    context = keras.Model(model.get_layer("ctx_conv1").input, model.get_layer("ctx_conv8").output)
    scores = np.random.default_rng(6).standard_normal((1, 8, 12, CLASSES)).astype(np.float32)
    np.testing.assert_allclose(context.predict(scores, verbose=0), np.maximum(scores, 0), atol=1e-6)


@pytest.mark.parametrize(
    "builder",
    [
        lambda: models.segnet(CLASSES, SHAPE, 0.25, unpooling="indices"),
        lambda: models.dilated_net(CLASSES, SHAPE, 0.25, context="basic"),
        lambda: models.fcn(CLASSES, SHAPE, 0.25, "8s"),
        lambda: models.convolutionalize(models.patch_classifier(CLASSES, 11, 0.25)),
    ],
    ids=["segnet_indices", "dilated_net_basic", "fcn8s", "convolutionalized"],
)
def test_save_and_load_give_the_same_predictions(builder, tmp_path):
    keras.utils.set_random_seed(7)
    model = builder()
    _perturb(model)  # off the zero and identity initial values, so every weight matters
    images = np.random.default_rng(7).random((2, *SHAPE), dtype=np.float32)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(images, verbose=0), model.predict(images, verbose=0))


# --------------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------------

ALL_BUILDERS = [models.fcn, models.segnet, models.article_segnet, models.dilated_net]


@pytest.mark.parametrize("builder", ALL_BUILDERS)
@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"input_shape": (32, 64)}, "input_shape"),
        ({"input_shape": (32, 64, 1)}, "input_shape"),
        ({"input_shape": (3, 32, 64)}, "input_shape"),
        ({"input_shape": (32.0, 64, 3)}, "input_shape"),
        ({"input_shape": (0, 64, 3)}, "input_shape"),
        ({"num_classes": 1}, "num_classes"),
        ({"num_classes": 2.5}, "num_classes"),
        ({"width": 0}, "width"),
        ({"width": -1.0}, "width"),
        ({"width": "wide"}, "width"),
        ({"width": float("nan")}, "width"),
    ],
)
def test_bad_common_arguments(builder, kwargs, argument):
    arguments = {"num_classes": CLASSES, "input_shape": SHAPE, **kwargs}
    with pytest.raises(ValueError, match=f"`{argument}`"):
        builder(**arguments)


@pytest.mark.parametrize(
    "call, argument, accepted",
    [
        (lambda: models.fcn(CLASSES, SHAPE, variant="4s"), "variant", "'32s', '16s', '8s'"),
        (lambda: models.segnet(CLASSES, SHAPE, unpooling="bilinear"), "unpooling", "'indices'"),
        (lambda: models.dilated_net(CLASSES, SHAPE, context="large"), "context", "None, 'basic'"),
        (lambda: models.segnet(CLASSES, SHAPE, depth=0), "depth", ">= 1"),
        (lambda: models.segnet(CLASSES, SHAPE, convs_per_block=(2, 2)), "convs_per_block", "sequence"),
        (lambda: models.segnet(CLASSES, SHAPE, convs_per_block=0), "convs_per_block", ">= 1"),
        (lambda: models.fcn(CLASSES, (48, 64, 3)), "input_shape", "divisible by 32"),
        (lambda: models.fcn(CLASSES, (360, 480, 3)), "input_shape", "crop to 352 or pad to 384"),
        (lambda: models.segnet(CLASSES, (40, 64, 3)), "input_shape", "divisible by 16"),
        (lambda: models.segnet(CLASSES, (32, 34, 3), depth=2), "input_shape", "divisible by 4"),
        (lambda: models.article_segnet(CLASSES, (36, 64, 3)), "input_shape", "divisible by 8"),
        (lambda: models.dilated_net(CLASSES, (32, 60, 3)), "input_shape", "divisible by 8"),
        (lambda: models.fcn(CLASSES, SHAPE, fc6_kernel=4), "fc6_kernel", "odd"),
        (lambda: models.fcn(CLASSES, SHAPE, dropout=1.0), "dropout", r"\[0, 1\)"),
        (lambda: models.patch_classifier(CLASSES, patch_size=34), "patch_size", "odd"),
        (lambda: models.patch_classifier(CLASSES, patch_size=9), "patch_size", "at least 11"),
        (lambda: models.patch_classifier(1), "num_classes", ">= 2"),
        (lambda: models.patch_classifier(CLASSES, width=0), "width", "> 0"),
    ],
)
def test_bad_specific_arguments(call, argument, accepted):
    with pytest.raises(ValueError, match=f"`{argument}`.*{accepted}"):
        call()


def test_segnet_accepts_sizes_divisible_by_its_depth():
    assert models.segnet(CLASSES, (40, 24, 3), 0.25, depth=3).output_shape == (None, 40, 24, CLASSES)


def test_bad_sliding_window_arguments():
    model = models.patch_classifier(CLASSES, 11, 0.25)
    with pytest.raises(ValueError, match="`images`"):
        models.sliding_window_predict(model, np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError, match="`images`"):
        models.sliding_window_predict(model, np.zeros((1, 8, 8, 1), np.float32))
    with pytest.raises(ValueError, match="`batch_size`"):
        models.sliding_window_predict(model, np.zeros((1, 8, 8, 3), np.float32), batch_size=0)
    with pytest.raises(ValueError, match="`model`"):
        models.sliding_window_predict(models.fcn(CLASSES, SHAPE, 0.25), np.zeros((1, 8, 8, 3), np.float32))


def _chain(*hidden: layers.Layer, size: int = 9) -> keras.Model:
    return keras.Sequential([keras.Input((size, size, 3)), *hidden, layers.Flatten(), layers.Dense(3)])


def test_bad_convolutionalize_arguments():
    with pytest.raises(ValueError, match="`dense`"):
        models.convolutionalize(_chain(layers.Conv2D(2, 3)), dense="yes")
    with pytest.raises(ValueError, match="'valid' padding"):
        models.convolutionalize(_chain(layers.Conv2D(2, 3, padding="same")))
    with pytest.raises(ValueError, match="cannot convert layer .*AveragePooling2D"):
        models.convolutionalize(_chain(layers.AveragePooling2D(2)))
    flat_bn = keras.Sequential(
        [
            keras.Input((9, 9, 3)),
            layers.Conv2D(2, 3),
            layers.Flatten(),
            layers.BatchNormalization(),
            layers.Dense(3),
        ]
    )
    with pytest.raises(ValueError, match="between Flatten and Dense"):
        models.convolutionalize(flat_bn)
    with pytest.raises(ValueError, match="fixed odd size"):
        models.convolutionalize(_chain(layers.Conv2D(2, 3), size=8))
    inputs = keras.Input((9, 9, 3))
    branched = layers.Add()([layers.Conv2D(3, 1)(inputs), inputs])
    with pytest.raises(ValueError, match="chain of layers"):
        models.convolutionalize(keras.Model(inputs, layers.Dense(3)(layers.Flatten()(branched))))


# --------------------------------------------------------------------------------------------------
# Training sanity check
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scenes():
    images, labels = synthetic_scenes(160, height=64, width=64, seed=0)
    return (images[:128], labels[:128]), (images[128:], labels[128:])


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, builder",
    [
        ("fcn8s", lambda: models.fcn(NUM_CLASSES, (64, 64, 3), 0.25, "8s")),
        ("segnet_indices", lambda: models.segnet(NUM_CLASSES, (64, 64, 3), 0.5, unpooling="indices")),
        ("dilated_net_basic", lambda: models.dilated_net(NUM_CLASSES, (64, 64, 3), 0.25, context="basic")),
    ],
)
def test_short_training_beats_the_majority_class(name, builder, scenes):
    (train_x, train_y), (test_x, test_y) = scenes
    counts = np.bincount(test_y[test_y != VOID], minlength=NUM_CLASSES)
    majority = mean_iou(test_y, np.full_like(test_y, counts.argmax()), NUM_CLASSES)

    keras.utils.set_random_seed(0)
    model = builder()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(ignore_class=VOID),
        # On a CPU, XLA compiles for seconds and then runs these models' steps slower than TensorFlow's
        # own kernels (measured: about 2x for fcn8s); the XLA tests above cover compilation.
        jit_compile=False,
    )
    epochs, start = 3, time.perf_counter()
    model.fit(train_x, train_y, batch_size=8, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    scores = model.predict(test_x, batch_size=32, verbose=0)
    iou, accuracy = mean_iou(test_y, scores, NUM_CLASSES), pixel_accuracy(test_y, scores, NUM_CLASSES)
    print(
        f"\n{name}: mean IoU {iou:.3f} (majority class {majority:.3f}), pixel accuracy {accuracy:.3f}, "
        f"{epochs} epochs, {seconds:.1f} s, {model.count_params():,} parameters"
    )
    assert iou > 2 * majority

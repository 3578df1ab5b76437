"""The Keras layers and initialisers of segcourse.layers, against the NumPy references and Keras/TF."""

from __future__ import annotations

from collections.abc import Iterator

import keras
import numpy as np
import pytest
import tensorflow as tf

import segcourse  # noqa: F401  (imports TensorFlow quietly)
from segcourse import reference as R
from segcourse.layers import (
    BatchNormalization,
    BilinearInitializer,
    IdentityInitializer,
    MaxPoolingWithIndices2D,
    MaxUnpooling2D,
    ZeroUnpooling2D,
)

POOL_SIZES = [2, 3, (2, 3)]
SIZES = [(6, 6), (7, 9)]  # divisible by 2 and 3, and odd


def _random(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _numpy(tensor) -> np.ndarray:
    return keras.ops.convert_to_numpy(tensor)


def _pair(pool_size) -> tuple[int, int]:
    return (pool_size, pool_size) if isinstance(pool_size, int) else pool_size


@pytest.fixture
def mixed_float16() -> Iterator[None]:
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy("float32")


# --- pooling ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("pool_size", POOL_SIZES)
@pytest.mark.parametrize("size", SIZES)
def test_pooling_matches_keras_and_reference(pool_size, size) -> None:
    x = _random((2, *size, 3), 1)
    pooled, indices = MaxPoolingWithIndices2D(pool_size)(x)
    np.testing.assert_array_equal(_numpy(pooled), _numpy(keras.layers.MaxPooling2D(pool_size)(x)))
    expected_pooled, expected_indices = R.max_pool2d_with_indices(x, pool_size)
    np.testing.assert_array_equal(_numpy(pooled), expected_pooled)
    np.testing.assert_array_equal(_numpy(indices), expected_indices)
    assert indices.dtype == "int32"


@pytest.mark.parametrize("size", SIZES)
def test_indices_agree_with_tf_max_pool_with_argmax(size) -> None:
    x = _random((2, *size, 3), 2)
    pooled, indices = MaxPoolingWithIndices2D(2)(x)
    tf_pooled, flat = tf.nn.max_pool_with_argmax(x, 2, 2, "VALID", include_batch_in_index=False)
    np.testing.assert_array_equal(_numpy(pooled), tf_pooled.numpy())
    # TF's index is flat over (height, width, channels); ours is local to the 2x2 window.
    n, out_h, out_w, c = indices.shape
    i, j = np.meshgrid(np.arange(out_h), np.arange(out_w), indexing="ij")
    local = _numpy(indices)
    rows = 2 * i[None, :, :, None] + local // 2
    cols = 2 * j[None, :, :, None] + local % 2
    expected_flat = (rows * size[1] + cols) * c + np.arange(c)
    np.testing.assert_array_equal(expected_flat, _numpy(flat))


@pytest.mark.parametrize("jit", [False, True])
def test_ties_go_to_the_first_position_in_row_major_order(jit: bool) -> None:
    x = np.array(
        [
            [0, 0, 1, 5, 2, 2],
            [0, 0, 5, 5, 3, 2],
        ],
        dtype="float32",
    )[None, :, :, None]
    layer = MaxPoolingWithIndices2D(2)
    pool = tf.function(layer, jit_compile=True) if jit else layer
    pooled, indices = pool(x)
    np.testing.assert_array_equal(_numpy(pooled)[0, ..., 0], [[0, 5, 3]])
    np.testing.assert_array_equal(_numpy(indices)[0, ..., 0], [[0, 1, 2]])


@pytest.mark.parametrize("mode", ["eager", "graph", "xla"])
def test_a_window_of_minus_infinity_pools_to_minus_infinity_at_index_0(mode: str) -> None:
    # TensorFlow's max pooling kernel gives the lowest float (-3.4e38) for such a window, XLA gives -inf; both
    # must give what the NumPy reference gives: -inf, at the first position.
    inf = np.inf
    x = np.array(
        [
            [-inf, -inf, 1, -inf, -inf, -inf],
            [-inf, -inf, -inf, -inf, -inf, 2],
        ],
        dtype="float32",
    )[None, :, :, None]
    layer = MaxPoolingWithIndices2D(2)
    pool = {"eager": layer, "graph": tf.function(layer), "xla": tf.function(layer, jit_compile=True)}[mode]
    pooled, indices = pool(x)
    expected_pooled, expected_indices = R.max_pool2d_with_indices(x, 2)
    np.testing.assert_array_equal(_numpy(pooled)[0, ..., 0], [[-inf, 1, 2]])
    np.testing.assert_array_equal(_numpy(indices)[0, ..., 0], [[0, 0, 3]])
    np.testing.assert_array_equal(_numpy(pooled), expected_pooled)
    np.testing.assert_array_equal(_numpy(indices), expected_indices)


@pytest.mark.parametrize("mode", ["eager", "xla"])
def test_the_lowest_float_is_a_value_like_any_other(mode: str) -> None:
    # A window whose maximum is the lowest finite float (what TensorFlow's kernel returns for -inf windows)
    # keeps that value and its position; float16 under mixed precision has its own lowest value.
    for dtype in ("float32", "float16"):
        lowest, inf = np.finfo(dtype).min, np.inf
        x = np.array([[-inf, lowest, -inf, -inf], [-inf, -inf, lowest, 3]], dtype=dtype)[None, :, :, None]
        layer = MaxPoolingWithIndices2D(2, dtype=dtype)
        pool = tf.function(layer, jit_compile=True) if mode == "xla" else layer
        pooled, indices = pool(x)
        np.testing.assert_array_equal(_numpy(pooled)[0, ..., 0], [[lowest, 3]])
        np.testing.assert_array_equal(_numpy(indices)[0, ..., 0], [[1, 3]])


def test_an_input_smaller_than_the_window_is_refused() -> None:
    # Keras's MaxPooling2D and the reference refuse it; so does the layer, eagerly and when a model is built.
    with pytest.raises(ValueError, match=r"smaller than `pool_size` \(2, 2\)"):
        MaxPoolingWithIndices2D(2)(np.zeros((1, 1, 5, 3), "float32"))
    with pytest.raises(ValueError, match="smaller than `pool_size`"):
        MaxPoolingWithIndices2D((2, 3))(keras.Input((4, 2, 3)))
    with pytest.raises(ValueError):
        R.max_pool2d_with_indices(np.zeros((1, 5, 3), "float32"), 2)
    pooled, indices = MaxPoolingWithIndices2D(2)(np.zeros((1, 2, 3, 1), "float32"))  # one window fits
    assert pooled.shape == indices.shape == (1, 1, 1, 1)


def test_unpooling_refuses_indices_outside_the_window_where_they_are_known() -> None:
    values = np.ones((1, 2, 2, 1), "float32")
    for pool_size, bad in ((2, 4), (2, -1), ((2, 3), 6)):
        indices = np.zeros((1, 2, 2, 1), "int32")
        indices[0, 1, 0, 0] = bad
        with pytest.raises(ValueError, match=r"`indices` must lie in \[0, "):
            MaxUnpooling2D(pool_size)([values, indices])
        with pytest.raises(ValueError, match="indices"):
            R.max_unpool2d(values[0], indices[0], pool_size)
    # In a compiled function the values are not known when the graph is built: no check (no extra work);
    # the value with the bad index is written nowhere, as documented.
    indices = np.array([[[[0], [3]], [[4], [1]]]], "int32")
    unpool = MaxUnpooling2D(2)
    graph = tf.function(lambda v, i: unpool([v, i]))
    got = _numpy(graph(tf.constant(values), tf.constant(indices)))[0, ..., 0]
    expected = np.zeros((4, 4), "float32")
    expected[0, 0] = expected[1, 3] = expected[2, 3] = 1
    np.testing.assert_array_equal(got, expected)


def test_output_shapes_and_dtypes_in_a_functional_model() -> None:
    inputs = keras.Input((None, None, 4))
    pooled, indices = MaxPoolingWithIndices2D(2)(inputs)
    assert pooled.shape == (None, None, None, 4) and pooled.dtype == "float32"
    assert indices.shape == (None, None, None, 4) and indices.dtype == "int32"
    unpooled = MaxUnpooling2D(2)([pooled, indices, inputs])
    corner = ZeroUnpooling2D(2)(pooled)
    assert unpooled.shape == corner.shape == (None, None, None, 4)

    fixed = keras.Input((7, 9, 4))
    pooled, indices = MaxPoolingWithIndices2D((2, 3))(fixed)
    assert pooled.shape == indices.shape == (None, 3, 3, 4)
    assert MaxUnpooling2D((2, 3))([pooled, indices]).shape == (None, 6, 9, 4)
    assert MaxUnpooling2D((2, 3))([pooled, indices, fixed]).shape == (None, 7, 9, 4)
    assert ZeroUnpooling2D((2, 3))([pooled, fixed]).shape == (None, 7, 9, 4)


def test_unknown_spatial_sizes_in_a_graph() -> None:
    pool, unpool = MaxPoolingWithIndices2D(2), MaxUnpooling2D(2)

    @tf.function(input_signature=[tf.TensorSpec((None, None, None, 2), tf.float32)])
    def round_trip(x):
        pooled, indices = pool(x)
        return unpool([pooled, indices, x])

    x = np.abs(_random((1, 5, 7, 2), 3))
    pooled, indices = R.max_pool2d_with_indices(x, 2)
    expected = R.max_unpool2d(pooled, indices, 2, output_size=(5, 7))
    np.testing.assert_array_equal(_numpy(round_trip(x)), expected)


# --- unpooling ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("pool_size", POOL_SIZES)
@pytest.mark.parametrize("size", SIZES)
def test_max_unpooling_is_exact(pool_size, size) -> None:
    x = _random((2, *size, 3), 4)
    pooled, indices = MaxPoolingWithIndices2D(pool_size)(x)
    unpooled = _numpy(MaxUnpooling2D(pool_size)([pooled, indices]))
    ref_pooled, ref_indices = R.max_pool2d_with_indices(x, pool_size)
    np.testing.assert_array_equal(unpooled, R.max_unpool2d(ref_pooled, ref_indices, pool_size))
    # Each value sits where the maximum was (negative maxima included), zeros elsewhere.
    ph, pw = _pair(pool_size)
    cropped = x[:, : unpooled.shape[1], : unpooled.shape[2]]
    at_max = cropped == np.repeat(np.repeat(_numpy(pooled), ph, axis=1), pw, axis=2)
    np.testing.assert_array_equal(unpooled[at_max], cropped[at_max])
    assert not unpooled[~at_max].any()


@pytest.mark.parametrize("pool_size", POOL_SIZES)
def test_odd_sizes_are_padded_back_to_the_reference(pool_size) -> None:
    x = np.abs(_random((1, 7, 8, 2), 5)) + 0.1
    pooled, indices = MaxPoolingWithIndices2D(pool_size)(x)
    unpooled = _numpy(MaxUnpooling2D(pool_size)([pooled, indices, x]))
    assert unpooled.shape == x.shape
    ref = R.max_unpool2d(*R.max_pool2d_with_indices(x[0], pool_size), pool_size, output_size=(7, 8))
    np.testing.assert_array_equal(unpooled[0], ref)
    corner = _numpy(ZeroUnpooling2D(pool_size)([pooled, x]))
    np.testing.assert_array_equal(corner[0], R.zero_unpool2d(_numpy(pooled)[0], pool_size, (7, 8)))


def test_a_wrong_reference_size_is_refused() -> None:
    x = _random((1, 8, 8, 1))
    pooled, indices = MaxPoolingWithIndices2D(2)(x)
    with pytest.raises(ValueError, match="height"):
        MaxUnpooling2D(2)([pooled, indices, _random((1, 10, 8, 1))])
    with pytest.raises(ValueError, match="tensors"):
        MaxUnpooling2D(2)([pooled])


@pytest.mark.parametrize("pool_size", POOL_SIZES)
def test_zero_unpooling_matches_reference(pool_size) -> None:
    values = _random((2, 3, 4, 2), 6)
    got = _numpy(ZeroUnpooling2D(pool_size)(values))
    np.testing.assert_array_equal(got, R.zero_unpool2d(values, pool_size))


def test_gradients_flow_to_the_argmax_positions() -> None:
    x = tf.constant(_random((2, 6, 7, 3), 7))
    pool, unpool = MaxPoolingWithIndices2D(2), MaxUnpooling2D(2)
    with tf.GradientTape() as tape:
        tape.watch(x)
        pooled, indices = pool(x)
        total = tf.reduce_sum(unpool([pooled, indices, x]))
    gradient = tape.gradient(total, x).numpy()
    expected = np.zeros(x.shape, "float32")
    _, ref_indices = R.max_pool2d_with_indices(x.numpy(), 2)
    n, i, j, c = np.indices(ref_indices.shape)
    expected[n, 2 * i + ref_indices // 2, 2 * j + ref_indices % 2, c] = 1
    np.testing.assert_array_equal(gradient, expected)
    # The same gradient as Keras's own max pooling.
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(keras.layers.MaxPooling2D(2)(x))
    np.testing.assert_array_equal(gradient, tape.gradient(total, x).numpy())


def test_tied_gradient_goes_to_one_position_only() -> None:
    x = tf.ones((1, 2, 2, 1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        pooled, _ = MaxPoolingWithIndices2D(2)(x)
    np.testing.assert_array_equal(tape.gradient(pooled, x).numpy()[0, ..., 0], [[1, 0], [0, 0]])


def _tiny_segnet(classes: int = 3) -> keras.Model:
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    pooled, indices = MaxPoolingWithIndices2D(2)(x)
    context = IdentityInitializer(groups=2, stddev=0.01, seed=1)
    y = keras.layers.Conv2D(4, 3, padding="same", activation="relu", kernel_initializer=context)(pooled)
    y = MaxUnpooling2D(2)([y, indices, x])
    corner = ZeroUnpooling2D(2)([pooled, x])
    up = keras.layers.Conv2DTranspose(
        4, 4, strides=2, padding="same", kernel_initializer=BilinearInitializer()
    )(pooled)
    y = keras.layers.Concatenate()([y, corner])
    logits = keras.layers.Conv2D(classes, 1)(y)
    aux = keras.layers.GlobalAveragePooling2D()(up)
    return keras.Model(inputs, [keras.layers.Activation("softmax", dtype="float32")(logits), aux])


def _fit_one_step(model: keras.Model) -> float:
    model.compile(
        optimizer=keras.optimizers.SGD(0.01),
        loss=["sparse_categorical_crossentropy", "mse"],
        jit_compile=True,
    )
    x = np.abs(_random((2, 8, 8, 3), 8)).clip(0, 1)
    y = np.random.default_rng(9).integers(0, 3, (2, 8, 8))
    history = model.fit(x, (y, np.zeros((2, 4), "float32")), batch_size=2, epochs=1, verbose=0)
    return history.history["loss"][0]


def test_jit_compiled_training_step() -> None:
    model = _tiny_segnet()
    before = [w.copy() for w in model.get_weights()]
    loss = _fit_one_step(model)
    assert np.isfinite(loss)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_mixed_float16_keeps_indices_int32(mixed_float16: None) -> None:
    inputs = keras.Input((8, 8, 3))
    pooled, indices = MaxPoolingWithIndices2D(2)(inputs)
    unpooled = MaxUnpooling2D(2)([pooled, indices])
    assert pooled.dtype == "float16" and indices.dtype == "int32" and unpooled.dtype == "float16"
    # float32 values are cast to the policy's compute dtype, like in any Keras layer.
    assert MaxUnpooling2D(2)([keras.Input((4, 4, 3)), indices]).dtype == "float16"
    x = _random((2, 8, 8, 3), 10)
    pooled, indices = MaxPoolingWithIndices2D(2)(x)
    assert pooled.dtype == "float16" and indices.dtype == "int32"
    np.testing.assert_array_equal(_numpy(indices), R.max_pool2d_with_indices(x.astype("float16"), 2)[1])
    assert np.isfinite(_fit_one_step(_tiny_segnet()))


def test_save_and_load_round_trip(tmp_path) -> None:
    model = _tiny_segnet()
    x = np.abs(_random((2, 8, 8, 3), 11)).clip(0, 1)
    path = tmp_path / "tiny.keras"
    model.save(path)
    loaded = keras.models.load_model(path)  # safe_mode=True by default
    for before, after in zip(model.predict(x, verbose=0), loaded.predict(x, verbose=0), strict=True):
        np.testing.assert_array_equal(before, after)
    types = {type(layer).__name__ for layer in loaded.layers}
    assert {"MaxPoolingWithIndices2D", "MaxUnpooling2D", "ZeroUnpooling2D"} <= types


def test_configs_round_trip() -> None:
    for layer in (MaxPoolingWithIndices2D((2, 3)), MaxUnpooling2D(3), ZeroUnpooling2D((3, 2))):
        clone = type(layer).from_config(layer.get_config())
        assert clone.pool_size == layer.pool_size
    initializer = keras.initializers.deserialize(
        keras.initializers.serialize(IdentityInitializer(groups=4, stddev=0.1, seed=3))
    )
    assert isinstance(initializer, IdentityInitializer) and initializer.groups == 4
    bilinear = keras.initializers.deserialize(keras.initializers.serialize(BilinearInitializer()))
    assert isinstance(bilinear, BilinearInitializer)


def test_bad_pool_sizes_and_ranks() -> None:
    with pytest.raises(ValueError, match="pool_size"):
        MaxPoolingWithIndices2D(0)
    with pytest.raises(ValueError, match="pool_size"):
        MaxUnpooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="inputs"):
        MaxPoolingWithIndices2D(2)(np.zeros((4, 4, 1), "float32"))


# --- initialisers --------------------------------------------------------------------------------


@pytest.mark.parametrize("stride", [2, 3])
def test_bilinear_initializer_interpolates_in_the_interior(stride: int) -> None:
    kernel = 2 * stride - stride % 2
    layer = keras.layers.Conv2DTranspose(
        2, kernel, strides=stride, padding="same", use_bias=False, kernel_initializer=BilinearInitializer()
    )
    x = _random((1, 6, 7, 2), 12)
    got = _numpy(layer(x))
    expected = _numpy(keras.ops.image.resize(x, (6 * stride, 7 * stride), interpolation="bilinear"))
    border = stride  # the resize clamps at the edges, the transposed convolution sees zeros there
    np.testing.assert_allclose(
        got[:, border:-border, border:-border], expected[:, border:-border, border:-border], atol=1e-5
    )
    # Off-diagonal channel pairs are zero: channels are upsampled independently.
    weights = _numpy(layer.kernel)
    assert not weights[:, :, 0, 1].any() and not weights[:, :, 1, 0].any()


def test_bilinear_kernel_values() -> None:
    weights = _numpy(BilinearInitializer()((4, 4, 1, 1)))[:, :, 0, 0]
    np.testing.assert_allclose(weights, np.outer([0.25, 0.75, 0.75, 0.25], [0.25, 0.75, 0.75, 0.25]))


# Even kernels only without dilation: dilated, none of their taps lines up with the output pixel.
@pytest.mark.parametrize("kernel,dilation", [(1, 1), (2, 1), (3, 1), (3, 4), (4, 1), (5, 2)])
def test_identity_initializer_passes_input_through(kernel: int, dilation: int) -> None:
    layer = keras.layers.Conv2D(
        3, kernel, padding="same", dilation_rate=dilation, kernel_initializer=IdentityInitializer()
    )
    x = _random((1, 9, 10, 3), 13)
    np.testing.assert_allclose(_numpy(layer(x)), x, atol=1e-6)


def test_identity_initializer_widens_and_narrows_back() -> None:
    # Yu & Koltun: C -> 2C -> C channels with their generalised identity composes to the identity.
    x = np.abs(_random((1, 6, 6, 3), 14))
    widen = keras.layers.Conv2D(6, 3, padding="same", kernel_initializer=IdentityInitializer(groups=3))
    narrow = keras.layers.Conv2D(3, 3, padding="same", kernel_initializer=IdentityInitializer(groups=3))
    np.testing.assert_allclose(_numpy(narrow(widen(x))), x, atol=1e-6)
    noisy = _numpy(IdentityInitializer(stddev=0.01, seed=0)((3, 3, 2, 2)))
    assert np.count_nonzero(noisy) == noisy.size and np.allclose(noisy[1, 1], np.eye(2), atol=0.1)


# --- batch normalisation with the fused kernel -------------------------------------------------------


def _bn_pair(**kwargs) -> tuple[keras.layers.BatchNormalization, BatchNormalization]:
    """Keras's layer and segcourse's, built for 4 channels with the same weights."""
    ours, theirs = BatchNormalization(**kwargs), keras.layers.BatchNormalization(**kwargs)
    for layer in (ours, theirs):
        layer.build((None, 5, 6, 4))
    weights = [_random((4,), 20) + 1.0, _random((4,), 21), _random((4,), 22), np.abs(_random((4,), 23)) + 0.5]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    return theirs, ours


def test_fused_batch_normalization_equals_keras_in_training_and_inference() -> None:
    theirs, ours = _bn_pair(momentum=0.9)
    assert ours._fused(tf.zeros((3, 5, 6, 4)), True, None)  # the fused kernel is what this test exercises
    x = tf.constant(_random((3, 5, 6, 4), 24) * 3.0 + 2.0)
    upstream = tf.constant(_random((3, 5, 6, 4), 25))
    outputs, grads = [], []
    for layer in (theirs, ours):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * upstream)
        outputs.append(_numpy(y))
        grads.append(tape.gradient(loss, [x, layer.gamma, layer.beta]))
    np.testing.assert_allclose(outputs[1], outputs[0], atol=1e-5)
    for mine, other in zip(grads[1], grads[0], strict=True):
        np.testing.assert_allclose(_numpy(mine), _numpy(other), rtol=1e-4, atol=1e-4)
    # One training call each: the moving statistics moved alike (the biased variance, as Keras).
    for name in ("moving_mean", "moving_variance"):
        np.testing.assert_allclose(_numpy(getattr(ours, name)), _numpy(getattr(theirs, name)), rtol=1e-5)
    np.testing.assert_allclose(_numpy(ours(x, training=False)), _numpy(theirs(x, training=False)), atol=1e-5)


def test_fused_batch_normalization_falls_back_where_the_kernel_does_not_apply() -> None:
    theirs, ours = _bn_pair()
    x = tf.constant(_random((3, 5, 6, 4), 26))
    assert not ours._fused(x, False, None)  # inference: Keras's code
    assert not BatchNormalization(axis=1)._fused(x, True, None)  # channels first
    assert not BatchNormalization(center=False)._fused(x, True, None)
    assert not BatchNormalization()._fused(tf.zeros((3, 4)), True, None)  # rank 2
    dense = BatchNormalization()
    np.testing.assert_allclose(_numpy(dense(tf.ones((3, 4)) * 2, training=True)), 0.0, atol=1e-3)


def test_fused_batch_normalization_reads_options_from_the_configuration() -> None:
    # The options are read from get_config(), so the layer works with any Keras 3 release: keras 3.13 has no
    # renormalisation (no `renorm` attribute at all), later releases do.
    x = tf.zeros((3, 5, 6, 4))
    assert BatchNormalization(gamma_regularizer="l2", beta_initializer="ones")._fused(x, True, None)
    assert not BatchNormalization(synchronized=True)._fused(x, True, None)
    if "renorm" in keras.layers.BatchNormalization().get_config():
        assert not BatchNormalization(renorm=True)._fused(x, True, None)
        assert BatchNormalization(renorm=False)._fused(x, True, None)

    class WithUnknownOption(BatchNormalization):
        """A layer whose configuration has an option this class does not know (as a future Keras might)."""

        def get_config(self) -> dict:
            return {**super().get_config(), "some_future_option": True}

    assert not WithUnknownOption()._fused(x, True, None)


def test_synchronized_batch_normalization_falls_back_to_keras_in_training() -> None:
    theirs, ours = _bn_pair(synchronized=True, momentum=0.9)
    x = tf.constant(_random((3, 5, 6, 4), 29) * 2.0 + 1.0)
    np.testing.assert_allclose(_numpy(ours(x, training=True)), _numpy(theirs(x, training=True)), atol=1e-5)
    np.testing.assert_allclose(_numpy(ours.moving_variance), _numpy(theirs.moving_variance), rtol=1e-5)


def test_fused_batch_normalization_under_mixed_float16(mixed_float16: None) -> None:
    layer = BatchNormalization()
    y = layer(tf.constant(_random((2, 5, 6, 4), 27)), training=True)
    assert y.dtype == "float16" and layer.moving_mean.dtype == "float32"
    assert np.all(np.isfinite(_numpy(y)))


def test_fused_batch_normalization_round_trips_and_compiles(tmp_path) -> None:
    clone = keras.layers.deserialize(keras.layers.serialize(BatchNormalization(momentum=0.8, epsilon=1e-3)))
    assert isinstance(clone, BatchNormalization) and clone.momentum == 0.8 and clone.epsilon == 1e-3
    inputs = keras.Input((6, 6, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 1)(BatchNormalization()(inputs)))
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    x = _random((4, 6, 6, 3), 28)
    assert np.isfinite(model.train_on_batch(x, np.zeros((4, 6, 6, 2), "float32")))
    model.save(tmp_path / "bn.keras")
    loaded = keras.models.load_model(tmp_path / "bn.keras")
    assert isinstance(loaded.layers[1], BatchNormalization)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)

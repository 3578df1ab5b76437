"""The NumPy references against Keras's own layers, and their formulas and argument checks."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

import segcourse  # noqa: F401  (imports TensorFlow quietly)
from segcourse import reference as R

ATOL = 1e-4

# Kernel, stride, padding, dilation: Keras allows dilation > 1 only with stride 1.
CONV_GRID = [
    (k, s, p, d)
    for k, s, p, d in itertools.product((1, 2, 3, 4), (1, 2, 3), ("valid", "same"), (1, 2, 3))
    if s == 1 or d == 1
]


def _random(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


# --- convolution against keras.layers.Conv2D / Conv2DTranspose ------------------------------------


@pytest.mark.parametrize("kernel,stride,padding,dilation", CONV_GRID)
def test_conv2d_matches_keras(kernel: int, stride: int, padding: str, dilation: int) -> None:
    x = _random((2, 10, 11, 2), seed=kernel * 100 + stride * 10 + dilation)
    w, b = _random((kernel, kernel, 2, 3), 1), _random((3,), 2)
    layer = keras.layers.Conv2D(3, kernel, strides=stride, padding=padding, dilation_rate=dilation)
    layer.build(x.shape)
    layer.set_weights([w, b])
    expected = keras.ops.convert_to_numpy(layer(x))
    got = R.conv2d(x, w, stride, padding, dilation, bias=b)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=ATOL)
    assert got.shape[1:3] == tuple(
        R.conv_output_size(n, kernel, stride, padding, dilation) for n in x.shape[1:3]
    )


@pytest.mark.parametrize("kernel,stride,padding,dilation", CONV_GRID)
def test_conv2d_transpose_matches_keras(kernel: int, stride: int, padding: str, dilation: int) -> None:
    x = _random((2, 5, 6, 2), seed=kernel * 100 + stride * 10 + dilation)
    w, b = _random((kernel, kernel, 3, 2), 3), _random((3,), 4)
    layer = keras.layers.Conv2DTranspose(3, kernel, strides=stride, padding=padding, dilation_rate=dilation)
    layer.build(x.shape)
    layer.set_weights([w, b])
    try:
        expected = keras.ops.convert_to_numpy(layer(x))
    except tf.errors.InvalidArgumentError as error:
        # TensorFlow's eager CPU kernel (Conv2DBackpropInput) refuses dilation > 1 (seen with TensorFlow 2.20
        # and 2.21); XLA compiles the same layer, so compare with that.
        assert dilation > 1 and "dilation rates larger than 1" in str(error)
        expected = keras.ops.convert_to_numpy(tf.function(layer, jit_compile=True)(x))
    got = R.conv2d_transpose(x, w, stride, padding, dilation=dilation, bias=b)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=ATOL)


# "same" with an even kernel and output_padding=0 is left out: see test_same_even_kernel_zero_output_padding.
OUTPUT_PADDING_GRID = [
    (k, s, p, op)
    for k, s, p in itertools.product((1, 2, 3, 4), (2, 3), ("valid", "same"))
    for op in range(s)
    if not (p == "same" and k % 2 == 0 and op == 0)
]


@pytest.mark.parametrize("kernel,stride,padding,output_padding", OUTPUT_PADDING_GRID)
def test_conv2d_transpose_output_padding_matches_keras(
    kernel: int, stride: int, padding: str, output_padding: int
) -> None:
    x = _random((1, 4, 5, 2), seed=kernel + stride + output_padding)
    w = _random((kernel, kernel, 3, 2), 5)
    layer = keras.layers.Conv2DTranspose(
        3, kernel, strides=stride, padding=padding, output_padding=output_padding, use_bias=False
    )
    layer.build(x.shape)
    layer.set_weights([w])
    expected = keras.ops.convert_to_numpy(layer(x))
    got = R.conv2d_transpose(x, w, stride, padding, output_padding)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=ATOL)


def test_same_even_kernel_zero_output_padding() -> None:
    # Keras's formula gives (n - 1) * s rows, which no "same" convolution maps back to n rows
    # (TensorFlow then fails inside oneDNN); the reference follows the formula and refuses clearly.
    assert R.transposed_conv_output_size(5, 4, 2, "same", output_padding=0) == 8
    with pytest.raises(ValueError, match="output_padding"):
        R.conv2d_transpose(_random((5, 5, 1), 0), _random((4, 4, 1, 1), 1), 2, "same", 0)


@pytest.mark.parametrize("padding", [0, 1, 2])
def test_integer_padding_is_zero_padding_then_valid(padding: int) -> None:
    x, w = _random((6, 7, 2), 6), _random((3, 3, 2, 4), 7)
    padded = np.pad(x, ((padding, padding), (padding, padding), (0, 0)))
    np.testing.assert_allclose(R.conv2d(x, w, 2, padding), R.conv2d(padded, w, 2, "valid"), atol=ATOL)


def _scatter_transpose(x: np.ndarray, w: np.ndarray, stride: int) -> np.ndarray:
    """The definition: every input pixel stamps ``x * kernel`` at stride-spaced positions (valid, full)."""
    kh, kw = w.shape[:2]
    h, wd = x.shape[:2]
    y = np.zeros(((h - 1) * stride + kh, (wd - 1) * stride + kw, w.shape[2]))
    for i, j in itertools.product(range(h), range(wd)):
        y[i * stride : i * stride + kh, j * stride : j * stride + kw] += w @ x[i, j]
    return y


@pytest.mark.parametrize("kernel,stride", [(1, 1), (3, 2), (4, 2), (5, 3), (2, 3)])
def test_conv2d_transpose_is_a_scatter_of_kernel_copies(kernel: int, stride: int) -> None:
    x, w = _random((3, 4, 2), 8), _random((kernel, kernel, 3, 2), 9)
    full = _scatter_transpose(x, w, stride)
    got = R.conv2d_transpose(x, w, stride, "valid", output_padding=0)
    np.testing.assert_allclose(got, full, atol=ATOL)
    # An integer padding p crops p pixels on every side of the full result.
    if full.shape[0] > 2 and full.shape[1] > 2:
        np.testing.assert_allclose(R.conv2d_transpose(x, w, stride, 1), full[1:-1, 1:-1], atol=ATOL)


@pytest.mark.parametrize(
    "kernel,stride,padding", [(3, 1, "same"), (3, 2, "same"), (4, 2, "valid"), (3, 2, 1), (2, 3, "valid")]
)
def test_conv2d_transpose_is_the_adjoint_of_conv2d(kernel: int, stride: int, padding) -> None:
    # <conv2d(y), x> == <y, conv2d_transpose(x)> with the same kernel array: Keras's two kernel
    # layouts, (kh, kw, c_in, c_out) and (kh, kw, c_out, c_in), are the same weights.
    w = _random((kernel, kernel, 2, 3), 10)
    x = _random((4, 5, 3), 11)
    y = _random((*R.conv2d_transpose(x, w, stride, padding).shape[:2], 2), 12)
    lhs = np.sum(R.conv2d(y, w, stride, padding) * x)
    rhs = np.sum(y * R.conv2d_transpose(x, w, stride, padding))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-4)


def test_insert_zeros() -> None:
    x = np.arange(1, 5, dtype="float32").reshape(2, 2, 1)
    spread = R.insert_zeros(x, 3)[..., 0]
    expected = np.zeros((4, 4))
    expected[::3, ::3] = [[1, 2], [3, 4]]
    np.testing.assert_array_equal(spread, expected)
    np.testing.assert_array_equal(R.insert_zeros(x, 1), x)


# --- size formulas --------------------------------------------------------------------------------


@pytest.mark.parametrize("kernel,stride,padding,dilation", CONV_GRID)
def test_size_formulas_match_keras(kernel: int, stride: int, padding: str, dilation: int) -> None:
    span = R.effective_kernel_size(kernel, dilation)
    for size in range(1, 12):
        conv = keras.layers.Conv2D(1, kernel, strides=stride, padding=padding, dilation_rate=dilation)
        if padding == "valid" and size < span:
            with pytest.raises(ValueError, match="size"):
                R.conv_output_size(size, kernel, stride, padding, dilation)
        else:
            expected = conv.compute_output_shape((1, size, size, 1))[1]
            assert R.conv_output_size(size, kernel, stride, padding, dilation) == expected
        for output_padding in (None, *range(stride)):
            transposed = keras.layers.Conv2DTranspose(
                1,
                kernel,
                strides=stride,
                padding=padding,
                dilation_rate=dilation,
                output_padding=output_padding,
            )
            expected = transposed.compute_output_shape((1, size, size, 1))[1]
            got = R.transposed_conv_output_size(size, kernel, stride, padding, output_padding, dilation)
            assert got == expected


def test_size_formula_examples() -> None:
    assert R.effective_kernel_size(3, 2) == 5
    assert R.effective_kernel_size(3, 16) == 33
    assert R.conv_output_size(7, 3, 2, "valid") == 3
    assert R.conv_output_size(7, 3, 2, "same") == 4
    assert R.conv_output_size(7, 3, 2, 1) == 4
    assert R.transposed_conv_output_size(3, 3, 2, "valid") == 7  # undoes the first one
    assert R.transposed_conv_output_size(3, 1, 2, "valid") == 6  # (n-1)s + max(k, s)
    assert R.transposed_conv_output_size(4, 4, 2, "same") == 8
    assert R.transposed_conv_output_size(4, 3, 2, 1, output_padding=1) == 8


def test_receptive_field_of_the_context_module() -> None:
    context = [(3, 1, 1), (3, 1, 1), (3, 1, 2), (3, 1, 4), (3, 1, 8), (3, 1, 16), (3, 1, 1), (1, 1, 1)]
    assert R.receptive_field(context) == [3, 5, 9, 17, 33, 65, 67, 67]


def test_receptive_field_with_strides() -> None:
    # Two VGG blocks: conv3, conv3, pool2, conv3, conv3, pool2.
    vgg = [(3, 1, 1), (3, 1, 1), (2, 2, 1), (3, 1, 1), (3, 1, 1), (2, 2, 1)]
    assert R.receptive_field(vgg) == [3, 5, 6, 10, 14, 16]
    assert R.receptive_field([]) == []


# --- pooling and unpooling -------------------------------------------------------------------------


@pytest.mark.parametrize("pool_size", [2, 3, (2, 3)])
@pytest.mark.parametrize("size", [(6, 6), (7, 9)])
def test_max_pool_matches_keras(pool_size, size: tuple[int, int]) -> None:
    x = _random((2, *size, 3), 13)
    pooled, indices = R.max_pool2d_with_indices(x, pool_size)
    expected = keras.ops.convert_to_numpy(keras.layers.MaxPooling2D(pool_size)(x))
    np.testing.assert_array_equal(pooled, expected)
    assert indices.dtype == np.int32 and indices.shape == pooled.shape


def test_max_pool_index_convention_and_ties() -> None:
    x = np.array([[1, 2, 5, 3, 0, 0], [4, 0, 6, 6, 0, 0]], dtype="float32")[..., None]
    pooled, indices = R.max_pool2d_with_indices(x, 2)
    np.testing.assert_array_equal(pooled[..., 0], [[4, 6, 0]])
    np.testing.assert_array_equal(indices[..., 0], [[2, 2, 0]])  # ties: first in row-major order


def test_max_unpool_puts_maxima_back() -> None:
    x = np.abs(_random((7, 9, 2), 14)) + 0.1  # positive, as after a ReLU, so maxima are not 0
    pooled, indices = R.max_pool2d_with_indices(x, 2)
    unpooled = R.max_unpool2d(pooled, indices, 2, output_size=(7, 9))
    kept = unpooled != 0
    assert kept.sum() == pooled.size  # one value per window and channel
    np.testing.assert_array_equal(unpooled[kept], x[kept])  # each in its original place
    assert not kept[6].any() and not kept[:, 8].any()  # the dropped row and column are zeros
    np.testing.assert_array_equal(R.max_pool2d_with_indices(unpooled, 2)[0], pooled)


def test_zero_unpool_and_nearest_upsample() -> None:
    values = np.array([[1, 2]], dtype="float32")[..., None]
    np.testing.assert_array_equal(R.zero_unpool2d(values, 2)[..., 0], [[1, 0, 2, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(R.nearest_upsample2d(values, 2)[..., 0], [[1, 1, 2, 2], [1, 1, 2, 2]])
    np.testing.assert_array_equal(
        R.nearest_upsample2d(values[None], (2, 3))[0],
        keras.ops.convert_to_numpy(keras.layers.UpSampling2D((2, 3))(values[None]))[0],
    )
    assert R.zero_unpool2d(values, 2, output_size=(3, 5)).shape == (3, 5, 1)


# --- argument checks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: R.conv2d(np.zeros((4, 4)), np.zeros((3, 3, 1, 1))), "`x`"),
        (lambda: R.conv2d(np.zeros((4, 4, 2)), np.zeros((3, 3, 1, 1))), "`kernel`"),
        (lambda: R.conv2d(np.zeros((4, 4, 1)), np.zeros((3, 3, 1))), "`kernel`"),
        (lambda: R.conv2d(np.zeros((4, 4, 1)), np.zeros((3, 3, 1, 1)), stride=0), "`stride`"),
        (lambda: R.conv2d(np.zeros((4, 4, 1)), np.zeros((3, 3, 1, 1)), dilation=0), "`dilation`"),
        (lambda: R.conv2d(np.zeros((4, 4, 1)), np.zeros((3, 3, 1, 1)), padding="full"), "`padding`"),
        (lambda: R.conv2d(np.zeros((2, 2, 1)), np.zeros((3, 3, 1, 1))), "`size`"),
        (lambda: R.conv2d(np.zeros((4, 4, 1)), np.zeros((3, 3, 1, 2)), bias=np.zeros(3)), "`bias`"),
        (lambda: R.conv2d_transpose(np.zeros((4, 4, 2)), np.zeros((3, 3, 2, 1))), "`kernel`"),
        (
            lambda: R.conv2d_transpose(np.zeros((4, 4, 1)), np.zeros((3, 3, 1, 1)), 2, "valid", 2),
            "`output_padding`",
        ),
        (lambda: R.transposed_conv_output_size(4, 3, 2, "valid", 2), "`output_padding`"),
        (lambda: R.conv_output_size(4, 3, padding="causal"), "`padding`"),
        (lambda: R.insert_zeros(np.zeros((2, 2, 1)), 0), "`stride`"),
        (lambda: R.max_pool2d_with_indices(np.zeros((1, 4, 1)), 2), "`x`"),
        (lambda: R.max_pool2d_with_indices(np.zeros((4, 4, 1)), 0), "`pool_size`"),
        (lambda: R.max_unpool2d(np.zeros((2, 2, 1)), np.zeros((2, 2, 2), int)), "`indices`"),
        (lambda: R.max_unpool2d(np.zeros((2, 2, 1)), np.full((2, 2, 1), 4)), "`indices`"),
        (lambda: R.max_unpool2d(np.zeros((2, 2, 1)), np.zeros((2, 2, 1))), "`indices`"),
        (lambda: R.zero_unpool2d(np.zeros((2, 2, 1)), 2, output_size=(6, 4)), "`output_size`"),
        (lambda: R.receptive_field([(3, 1)]), "`layers"),
        (lambda: R.receptive_field([(3, 0, 1)]), "stride"),
    ],
)
def test_bad_arguments_raise_value_errors_naming_them(call, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        call()

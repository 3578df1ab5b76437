"""The checks of chapter 2 (segcourse.check.ch02): right answers pass, the usual mistakes fail."""

from __future__ import annotations

import numpy as np
import pytest

from segcourse import check, layers
from segcourse.check import ch02


def reshape_kernel(dense_kernel, feature_map_shape):
    """A right answer, written independently of the chapter's solution: fill the kernel tap by tap."""
    dense_kernel = np.asarray(dense_kernel)
    height, width, channels = feature_map_shape
    kernel = np.empty((height, width, channels, dense_kernel.shape[1]), dense_kernel.dtype)
    for i in range(height):
        for j in range(width):
            for c in range(channels):
                kernel[i, j, c] = dense_kernel[(i * width + j) * channels + c]
    return kernel


def channels_first(dense_kernel, feature_map_shape):
    """The classic mistake: assumes Flatten orders the features channel, row, column (PyTorch's order)."""
    height, width, channels = feature_map_shape
    return np.asarray(dense_kernel).reshape(channels, height, width, -1).transpose(1, 2, 0, 3)


def rows_and_columns_swapped(dense_kernel, feature_map_shape):
    height, width, channels = feature_map_shape
    return np.asarray(dense_kernel).reshape(width, height, channels, -1).transpose(1, 0, 2, 3)


def test_dense_to_conv_kernel_passes_a_right_answer():
    result = check.dense_to_conv_kernel(reshape_kernel)
    assert result.ok and result.total >= 5


@pytest.mark.parametrize("wrong", [channels_first, rows_and_columns_swapped, lambda kernel, shape: kernel])
def test_dense_to_conv_kernel_fails_the_usual_mistakes(wrong):
    result = check.dense_to_conv_kernel(wrong)
    assert not result.ok
    assert result.passed < result.total


def test_dense_to_conv_kernel_expected_values_come_from_convolutionalize():
    for case in ch02._dense_cases():
        dense_kernel, shape = case.args
        assert case.expected.shape == (*shape, dense_kernel.shape[1])
        assert np.array_equal(case.expected, reshape_kernel(dense_kernel, shape))
        assert case.note


def test_dense_to_conv_kernel_cases_are_the_same_whatever_the_seed():
    import keras

    keras.utils.set_random_seed(123)
    state = np.random.random()  # noqa: NPY002 (the legacy global stream is what a notebook uses)
    keras.utils.set_random_seed(123)
    first = ch02._converted_fc_kernels((3, 5, 2), 4, False, seed=0)
    assert np.random.random() == state  # noqa: NPY002 (untouched)
    keras.utils.set_random_seed(7)
    second = ch02._converted_fc_kernels((3, 5, 2), 4, False, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def tent_kernel(factor):
    """A right answer: bilinear interpolation weights, from the distances to the two neighbouring inputs."""
    size = 2 * factor - factor % 2
    centre = (size - 1) / 2
    weights = np.array([max(0.0, 1 - abs(t - centre) / factor) for t in range(size)])
    return weights[:, None] * weights[None, :]


@pytest.mark.parametrize(
    "wrong",
    [
        lambda factor: np.ones((2 * factor, 2 * factor)) / 4,  # box filter
        lambda factor: np.outer(*[layers.bilinear_kernel_1d(2 * factor)] * 2),  # always even size
        lambda factor: layers.bilinear_kernel_1d(2 * factor - factor % 2),  # 1-D only
    ],
    ids=["box", "even-size", "one-dimensional"],
)
def test_bilinear_upsampling_kernel_fails_wrong_kernels(wrong):
    result = check.bilinear_upsampling_kernel(wrong)
    assert not result.ok and result.passed < result.total


def test_bilinear_upsampling_kernel_passes_a_right_answer():
    result = check.bilinear_upsampling_kernel(tent_kernel)
    assert result.ok and result.total >= 5


def test_the_untouched_stubs_say_not_implemented():
    def dense_to_conv_kernel(dense_kernel, feature_map_shape):
        raise NotImplementedError("your code here")

    def bilinear_upsampling_kernel(factor):
        raise NotImplementedError("your code here")

    for check_function, stub in [(check.dense_to_conv_kernel, dense_to_conv_kernel),
                                 (check.bilinear_upsampling_kernel, bilinear_upsampling_kernel)]:
        result = check_function(stub)
        assert result.passed == 0 and "is not implemented yet" in result.failures[0]


@pytest.mark.parametrize("seed", [0, 1])
def test_right_answers_pass_the_hidden_cases(seed):
    assert check.run_hidden_cases("ex-fcn-dense-to-conv", reshape_kernel, seed).ok
    assert not check.run_hidden_cases("ex-fcn-dense-to-conv", channels_first, seed).ok
    assert check.run_hidden_cases("ex-fcn-bilinear-kernel", tent_kernel, seed).ok

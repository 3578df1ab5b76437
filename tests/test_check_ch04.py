"""The checks of chapter 4 (output sizes): right answers pass, the classic mistakes fail on the right cases."""

from __future__ import annotations

import math

import pytest

from segcourse import check, reference
from segcourse.check import ch04


def conv_right(size, kernel, stride=1, padding="valid", dilation=1):
    """Written from Dumoulin & Visin's relationships, independently of the chapter's solution."""
    span = (kernel - 1) * dilation + 1
    if padding == "same":
        return math.ceil(size / stride)
    total = size + 2 * (0 if padding == "valid" else padding)
    return math.floor((total - span) / stride) + 1


def conv_ignores_dilation(size, kernel, stride=1, padding="valid", dilation=1):
    return conv_right(size, kernel, stride, padding, 1)


def conv_same_ignores_stride(size, kernel, stride=1, padding="valid", dilation=1):
    return size if padding == "same" else conv_right(size, kernel, stride, padding, dilation)


def transposed_right(size, kernel, stride=1, padding="valid", output_padding=None):
    if padding == "same":
        return size * stride if output_padding is None else (size - 1) * stride + kernel % 2 + output_padding
    extra = max(kernel - stride, 0) + stride - kernel if output_padding is None else output_padding
    return (size - 1) * stride + kernel + extra


def transposed_without_keras_default(size, kernel, stride=1, padding="valid", output_padding=None):
    """Takes output_padding=None as 0: misses the rows Keras adds when the stride exceeds the kernel."""
    if padding == "same" and output_padding is None:
        return size * stride
    return transposed_right(size, kernel, stride, padding, output_padding or 0)


def test_right_answers_pass_every_case():
    for result in (check.conv_output_length(conv_right), check.transposed_output_length(transposed_right)):
        assert result.ok and result.total >= 15, result.report()


def test_floats_that_are_whole_numbers_are_accepted_but_not_strings_or_fractions():
    assert check.conv_output_length(lambda *a, **k: float(conv_right(*a, **k))).ok
    assert not check.conv_output_length(lambda *a, **k: str(conv_right(*a, **k))).ok
    assert not check.conv_output_length(lambda *a, **k: conv_right(*a, **k) + 0.5).ok


def test_forgetting_dilation_fails_only_the_dilated_cases():
    result = check.conv_output_length(conv_ignores_dilation)
    assert 0 < result.passed < result.total
    assert all("dilation" in failure for failure in result.failures)


def test_same_padding_without_the_stride_fails():
    result = check.conv_output_length(conv_same_ignores_stride)
    assert not result.ok
    assert any("stride 2, same" in failure for failure in result.failures)


def test_missing_keras_default_output_padding_fails_on_stride_larger_than_kernel():
    result = check.transposed_output_length(transposed_without_keras_default)
    assert 0 < result.passed < result.total
    assert all("Keras adds" in failure or "adds max(k, s) - k" in failure for failure in result.failures)


def test_stubs_and_non_functions_do_not_raise():
    def conv_output_length(size, kernel, stride=1, padding="valid", dilation=1):
        raise NotImplementedError("your code here")

    result = check.conv_output_length(conv_output_length)
    assert result.passed == 0 and "not implemented yet" in result.failures[0]
    assert not check.transposed_output_length(None).ok


def test_expected_values_come_from_the_reference():
    for case in ch04._conv_cases():
        assert case.expected == reference.conv_output_size(*case.args, **case.kwargs)
        assert case.note
    for case in ch04._transposed_cases():
        assert case.expected == reference.transposed_conv_output_size(*case.args, **case.kwargs)
        assert case.note


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_right_answers_pass_the_hidden_cases(seed):
    assert check.run_hidden_cases("ex-arith-conv-length", conv_right, seed).ok
    assert check.run_hidden_cases("ex-arith-transposed-length", transposed_right, seed).ok

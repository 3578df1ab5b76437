"""The check of chapter 6 (segcourse.check.ch06): right and wrong receptive-field functions."""

from __future__ import annotations

import numpy as np
import pytest

from segcourse import check, models, reference
from segcourse.check import ch06


def right(layers):
    """A correct answer, written independently of the chapter's solution: the closed form."""
    fields = []
    for count in range(1, len(layers) + 1):
        total = 1
        for index, (kernel, _, dilation) in enumerate(layers[:count]):
            strides = np.prod([stride for _, stride, _ in layers[:index]], dtype=int)
            total += (kernel - 1) * dilation * int(strides)
        fields.append(total)
    return fields


def test_right_function_passes_every_case():
    result = check.receptive_field(right)
    assert result.ok and result.total >= 12


def test_arrays_and_tuples_are_accepted():
    assert check.receptive_field(lambda layers: np.array(right(layers), dtype=int)).ok
    assert check.receptive_field(lambda layers: tuple(right(layers))).ok


def test_ignoring_strides_fails_on_the_strided_stacks_only():
    def no_strides(layers):
        fields, field = [], 1
        for kernel, _, dilation in layers:
            field += (kernel - 1) * dilation
            fields.append(field)
        return fields

    result = check.receptive_field(no_strides)
    assert 0 < result.passed < result.total
    assert "Yu and Koltun's basic context module" in result.report()  # passed: no strides there
    assert any("the strides multiply" in failure for failure in result.failures)


def test_forgetting_the_dilation_fails():
    result = check.receptive_field(lambda layers: right([(k, s, 1) for k, s, _ in layers]))
    assert not result.ok
    assert any("context module" in failure for failure in result.failures)


def test_returning_only_the_last_value_fails():
    result = check.receptive_field(lambda layers: right(layers)[-1] if layers else 1)
    assert result.passed == 0


def test_the_stub_is_reported_as_not_implemented():
    def receptive_field(layers):
        raise NotImplementedError("your code here")

    result = check.receptive_field(receptive_field)
    assert result.passed == 0 and "not implemented yet" in result.failures[0]


def test_the_dilated_front_end_matches_the_model():
    model = models.dilated_net(8, input_shape=(64, 96, 3), width=0.25)
    stack = []
    for layer in model.layers:
        if hasattr(layer, "dilation_rate") and hasattr(layer, "kernel_size"):
            stack.append((layer.kernel_size[0], layer.strides[0], layer.dilation_rate[0]))
        elif hasattr(layer, "pool_size"):
            stack.append((layer.pool_size[0], layer.strides[0], 1))
        if layer.name == "final":
            break
    assert stack == list(ch06._DILATED_FRONT_END)
    assert reference.receptive_field(stack)[-1] == 252


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_right_answers_pass_the_hidden_cases(seed):
    assert check.run_hidden_cases("ex-dilated-receptive-field", right, seed).ok

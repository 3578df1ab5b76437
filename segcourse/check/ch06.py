"""Checks of chapter 6, dilated convolution (``book/06_dilated_convolution``).

One exercise asks for ``receptive_field(layers)``: the receptive field, in input pixels along one axis, after
each layer of a stack of ``(kernel, stride, dilation)`` layers. The expected values come from
``segcourse.reference.receptive_field``, which ``tests/test_reference.py`` tests and the chapter checks against
Yu and Koltun's table and against the gradients of Keras models.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from segcourse import models, reference
from segcourse.check._core import Case, Result, close, register

__all__ = ["receptive_field"]

# The front end of models.dilated_net, up to its `final` layer, as (kernel, stride, dilation): VGG's blocks of
# 2, 2, 3, 3, 3 convolutions, three 2x2 poolings, block 5 dilated by 2, fc6 (3x3) by 4, fc7 and final (1x1).
_DILATED_FRONT_END = (
    [(3, 1, 1)] * 2 + [(2, 2, 1)] + [(3, 1, 1)] * 2 + [(2, 2, 1)] + [(3, 1, 1)] * 3 + [(2, 2, 1)]
    + [(3, 1, 1)] * 3 + [(3, 1, 2)] * 3 + [(3, 1, 4), (1, 1, 1), (1, 1, 1)]
)


def _fields(actual: Any, expected: list[int]) -> bool:
    """A list (or tuple, or 1-D array) of the receptive fields, one per layer; not a single number."""
    if isinstance(actual, (str, bytes)) or not hasattr(actual, "__len__"):
        return False
    return close(actual, expected)


def _cases() -> list[Case]:
    """Stacks of (kernel, stride, dilation) layers: ordinary ones first, then edge cases."""
    stacks = [
        (list(models.CONTEXT_LAYERS), "Yu and Koltun's basic context module: 3, 5, 9, 17, 33, 65, 67, 67"),
        ([(3, 1, 1)] * 5, "plain 3x3 convolutions: linear growth"),
        ([(3, 1, 1), (2, 2, 1)] * 3, "convolutions and 2x2 poolings: the strides multiply"),
        ([(3, 1, 1), (2, 2, 1), (3, 1, 2), (3, 2, 1), (3, 1, 4)], "the chapter's by-hand exercise"),
        ([(3, 2, 1), (3, 1, 2)], "a stride before a dilation: the dilated taps are 2 image pixels apart"),
        ([(3, 1, 2), (3, 2, 1)], "a dilation before a stride: the stride counts only for later layers"),
        ([(2, 2, 1)] * 5, "five 2x2 poolings"),
        ([(3, 3, 1), (3, 3, 1)], "stride 3, larger than the kernel's step"),
        ([(4, 2, 1), (3, 1, 3)], "an even kernel with stride 2, then dilation 3"),
        ([(5, 1, 3)], "one dilated 5-tap kernel: 5 + 4 * 2"),
        ([(7, 1, 1)], "a single 7x7 convolution"),
        ([(1, 1, 1), (1, 1, 1)], "1x1 convolutions: nothing widens"),
        ([(1, 2, 1), (3, 1, 1)], "a 1x1 layer of stride 2 (subsampling), then a 3x3"),
        ([(1, 1, 4)], "a 1x1 kernel with dilation 4 is still 1x1"),
        (list(_DILATED_FRONT_END), "the front end of models.dilated_net (19 layers, 252 pixels)"),
        ([], "an empty stack: an empty list"),
    ]
    return [Case((stack,), reference.receptive_field(stack), note=note) for stack, note in stacks]


def _hidden_cases(rng: np.random.Generator) -> list[Case]:
    """Random stacks of 1 to 8 layers: kernels 1 to 7, strides 1 to 3, dilations 1 to 8."""
    cases = []
    for _ in range(5):
        depth = int(rng.integers(1, 9))
        stack = [(int(rng.integers(1, 8)), int(rng.integers(1, 4)), int(rng.choice([1, 1, 2, 4, 8])))
                 for _ in range(depth)]
        cases.append(Case((stack,), reference.receptive_field(stack), note=f"a random stack of {depth} layers"))
    return cases


@register(
    "ex-dilated-receptive-field",
    cases=_cases,
    hidden=_hidden_cases,
    compare=_fields,
    asks_for=("segcourse.reference.receptive_field",),
)
def receptive_field(function: Callable[[Any], Any]) -> Result:
    """Checks ``receptive_field(layers) -> [r_1, r_2, ...]``, the receptive field after each layer.

    Compares your function with ``segcourse.reference.receptive_field`` on stacks of ``(kernel, stride,
    dilation)`` tuples: the context module, convolutions with poolings, strides before and after dilations,
    even kernels, 1x1 layers, the front end of ``models.dilated_net`` and an empty stack.

    Args:
        function: your ``receptive_field``, taking a list of ``(kernel, stride, dilation)`` tuples.

    Returns:
        A ``Result``; in a notebook it prints what passed and, for each failure, the stack, the expected and
        your receptive fields.

    Example:

    >>> from segcourse import check
    >>> check.receptive_field(lambda layers: [3] * len(layers)).ok
    False
    """

"""Checks of chapter 4, strided, transposed and dilated convolution (``book/04_convolution_arithmetic``).

Two exercises ask for an output-size formula along one axis, as Keras computes it:

- ``conv_output_length(size, kernel, stride=1, padding="valid", dilation=1)`` for ``Conv2D``;
- ``transposed_output_length(size, kernel, stride=1, padding="valid", output_padding=None)`` for
  ``Conv2DTranspose``.

The expected values come from ``segcourse.reference.conv_output_size`` and
``segcourse.reference.transposed_conv_output_size``, which the chapter and ``tests/test_reference.py``
check against the Keras layers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from segcourse import reference
from segcourse.check._core import Case, Result, register

__all__ = ["conv_output_length", "transposed_output_length"]


def _exact(actual: Any, expected: int) -> bool:
    """An output size is an integer: 5 and 5.0 are accepted, 4.5 and "5" are not."""
    try:
        return not isinstance(actual, (str, bytes, bool)) and float(actual) == expected
    except (TypeError, ValueError):
        return False


def _conv_cases() -> list[Case]:
    """(size, kernel, stride, padding, dilation) settings: ordinary ones first, then edge cases."""
    settings = [
        ((11, 3, 1, "valid", 1), "3x3, stride 1, valid: loses k - 1 pixels"),
        ((11, 3, 1, "same", 1), "3x3, stride 1, same: keeps the size"),
        ((11, 3, 2, "valid", 1), "stride 2, valid: floor((11 - 3) / 2) + 1"),
        ((12, 3, 2, "valid", 1), "stride 2, valid, even size: the floor drops the last pixel"),
        ((11, 3, 2, "same", 1), "stride 2, same, odd size: ceil(11 / 2)"),
        ((12, 4, 2, "same", 1), "even kernel, stride 2, same"),
        ((360, 7, 2, "same", 1), "CamVid height, 7x7, stride 2, same"),
        ((11, 3, 1, "valid", 2), "dilation 2: effective kernel 5"),
        ((11, 3, 1, "same", 4), "dilation 4, same: the size is kept whatever the dilation"),
        ((20, 5, 1, "valid", 3), "dilation 3, kernel 5: effective kernel 13"),
        ((11, 2, 3, "valid", 1), "stride larger than the kernel: pixels skipped"),
        ((11, 1, 2, "valid", 1), "1x1 kernel, stride 2: every other pixel"),
        ((5, 5, 1, "valid", 1), "kernel as large as the input: one output pixel"),
        ((1, 3, 3, "same", 1), "one input pixel, same, stride 3: one output pixel"),
        ((10, 3, 2, 1, 1), "explicit padding 1 on each side, stride 2"),
        ((10, 3, 1, 2, 2), "explicit padding 2 with dilation 2"),
        ((7, 4, 3, 0, 1), "explicit padding 0 is valid"),
    ]
    return [_conv_case(*setting, note) for setting, note in settings]


def _conv_case(size: int, kernel: int, stride: int, padding: str | int, dilation: int, note: str) -> Case:
    expected = reference.conv_output_size(size, kernel, stride, padding, dilation)
    return Case((size, kernel), expected, {"stride": stride, "padding": padding, "dilation": dilation}, note)


def _hidden_conv_cases(rng: np.random.Generator) -> list[Case]:
    """Random sizes, kernels, strides, paddings ("valid", "same" or a number) and dilations."""
    cases = []
    while len(cases) < 6:
        size, kernel, stride, dilation = (int(rng.integers(1, top)) for top in (80, 8, 5, 5))
        padding = [str(rng.choice(["valid", "same"])), int(rng.integers(0, 4))][int(rng.random() < 0.3)]
        if size + 2 * (padding if isinstance(padding, int) else 0) < kernel + (kernel - 1) * (dilation - 1):
            continue  # an empty output: no such layer
        note = f"size {size}, kernel {kernel}, stride {stride}, padding {padding!r}, dilation {dilation}"
        cases.append(_conv_case(size, kernel, stride, padding, dilation, note))
    return cases


def _transposed_cases() -> list[Case]:
    """(size, kernel, stride, padding, output_padding) settings: Keras's defaults and its corners."""
    settings = [
        ((4, 3, 2, "same", None), "3x3, stride 2, same: size * stride"),
        ((4, 4, 2, "same", None), "4x4, stride 2, same: size * stride"),
        ((23, 3, 2, "same", None), "odd size, same: still size * stride"),
        ((4, 3, 2, "valid", None), "3x3, stride 2, valid: (size - 1) * stride + kernel"),
        ((4, 3, 1, "valid", None), "stride 1, valid: size + kernel - 1 (a 'full' convolution)"),
        ((4, 3, 1, "same", None), "stride 1, same: the size is kept"),
        ((4, 2, 3, "valid", None), "stride larger than the kernel, output_padding None: adds max(k, s) - k"),
        ((4, 1, 3, "valid", None), "1x1 kernel, stride 3, valid: Keras adds 2"),
        ((4, 3, 2, "valid", 1), "valid with output_padding 1: one more row"),
        ((4, 2, 3, "valid", 0), "stride larger than the kernel, output_padding 0: nothing added"),
        ((4, 3, 2, "same", 1), "odd kernel, same, output_padding 1: (size - 1) * s + 1 + 1"),
        ((4, 4, 2, "same", 1), "even kernel, same, output_padding 1: (size - 1) * s + 0 + 1"),
        ((5, 3, 3, "same", 2), "stride 3, same, output_padding 2"),
        ((1, 3, 2, "same", None), "a single input pixel, same"),
        ((1, 3, 2, "valid", None), "a single input pixel, valid: one copy of the kernel"),
    ]
    return [_transposed_case(*setting, note) for setting, note in settings]


def _transposed_case(size: int, kernel: int, stride: int, padding: str, output_padding: int | None,
                     note: str) -> Case:
    expected = reference.transposed_conv_output_size(size, kernel, stride, padding, output_padding)
    kwargs = {"stride": stride, "padding": padding, "output_padding": output_padding}
    return Case((size, kernel), expected, kwargs, note)


def _hidden_transposed_cases(rng: np.random.Generator) -> list[Case]:
    """Random sizes, kernels, strides, paddings, and output paddings (None or smaller than the stride)."""
    cases = []
    for _ in range(6):
        size, kernel, stride = (int(rng.integers(1, top)) for top in (40, 7, 5))
        padding = str(rng.choice(["valid", "same"]))
        output_padding = None if rng.random() < 0.5 else int(rng.integers(0, stride))
        note = f"size {size}, kernel {kernel}, stride {stride}, {padding!r}, output_padding {output_padding}"
        cases.append(_transposed_case(size, kernel, stride, padding, output_padding, note))
    return cases


@register(
    "ex-arith-conv-length",
    cases=_conv_cases,
    hidden=_hidden_conv_cases,
    compare=_exact,
    asks_for=("segcourse.reference.conv_output_size",),
)
def conv_output_length(function: Callable[..., Any]) -> Result:
    """Checks ``conv_output_length(size, kernel, stride=1, padding="valid", dilation=1) -> int``.

    Compares your function with ``segcourse.reference.conv_output_size`` (which equals what
    ``keras.layers.Conv2D`` returns) on "valid", "same" and explicit integer padding, strides smaller and
    larger than the kernel, dilations, and a kernel as large as the input.

    Args:
        function: your ``conv_output_length``.

    Returns:
        A ``Result``; in a notebook it prints what passed and, for each failure, the call, the expected and
        your value.

    Example:

    >>> from segcourse import check
    >>> check.conv_output_length(lambda size, kernel, **kw: size).ok
    False
    """


@register(
    "ex-arith-transposed-length",
    cases=_transposed_cases,
    hidden=_hidden_transposed_cases,
    compare=_exact,
    asks_for=("segcourse.reference.transposed_conv_output_size",),
)
def transposed_output_length(function: Callable[..., Any]) -> Result:
    """Checks ``transposed_output_length(size, kernel, stride=1, padding="valid", output_padding=None)``.

    Compares your function with ``segcourse.reference.transposed_conv_output_size`` (which equals what
    ``keras.layers.Conv2DTranspose`` returns) with Keras's default ``output_padding=None`` and with explicit
    values, including a stride larger than the kernel (where Keras's default adds rows).

    Args:
        function: your ``transposed_output_length``.

    Returns:
        A ``Result``; in a notebook it prints what passed and, for each failure, the call, the expected and
        your value.

    Example:

    >>> from segcourse import check
    >>> check.transposed_output_length(lambda size, kernel, **kw: 2 * size).ok
    False
    """

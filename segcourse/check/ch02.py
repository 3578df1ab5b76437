"""Checks of chapter 2, the fully convolutional network (``book/02_fcn``).

- ``dense_to_conv_kernel``: the reshaping that turns a fully connected layer into a convolution
  (expected kernels: what ``segcourse.models.convolutionalize`` gives the converted layer);
- ``bilinear_upsampling_kernel``: FCN's bilinear upsampling filter (expected: the outer product of
  ``segcourse.layers.bilinear_kernel_1d`` with itself, the filter ``BilinearInitializer`` uses).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from segcourse.check._core import Case, Result, register

__all__ = ["dense_to_conv_kernel", "bilinear_upsampling_kernel"]


def _converted_fc_kernels(
    feature_map: tuple[int, int, int], units: int, after_dense: bool, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """A Dense kernel and the Conv2D kernel that ``models.convolutionalize`` makes of it.

    Builds a small patch classifier whose layer ``fc`` sees a ``feature_map`` (height, width, channels)
    map, or, with ``after_dense``, follows another Dense layer of ``feature_map[2]`` units (then
    ``feature_map`` must be ``(1, 1, units_before)``). The weights of ``fc`` come from a NumPy generator
    of its own, so the cases are the same in every notebook and NumPy's global stream is left alone.
    """
    import keras

    from segcourse import models

    height, width, channels = feature_map
    hidden = 5
    # A 'valid' convolution of kernel k maps a (size + k - 1) patch to a `size` map; pick k so that the
    # patch is odd, as convolutionalize requires.
    kernel = tuple(3 if size % 2 else 2 for size in (height, width))
    # Zero initial weights: `fc` gets its weights from a NumPy generator of its own below.
    zeros = {"kernel_initializer": "zeros"}
    patch = keras.Input((height + kernel[0] - 1, width + kernel[1] - 1, 3))
    x = keras.layers.Conv2D(channels if not after_dense else hidden, kernel, name="conv", **zeros)(patch)
    x = keras.layers.Flatten(name="flatten")(x)
    if after_dense:
        x = keras.layers.Dense(channels, activation="relu", name="hidden", **zeros)(x)
    x = keras.layers.Dense(units, name="fc", **zeros)(x)
    model = keras.Model(patch, x)
    rng = np.random.default_rng(seed)
    fc = model.get_layer("fc")
    fc.set_weights([rng.standard_normal(w.shape).astype("float32") for w in fc.get_weights()])
    twin = models.convolutionalize(model, dense=False)
    return fc.get_weights()[0], twin.get_layer("fc").get_weights()[0]


@functools.lru_cache(maxsize=1)
def _dense_cases() -> tuple[Case, ...]:
    specs = [
        ((7, 7, 16), 32, False, "fc6 of the chapter's patch classifier at a smaller width: a 7x7x16 map"),
        ((3, 5, 4), 6, False, "a map wider than tall: the flattened order is row, column, channel"),
        ((5, 3, 2), 4, False, "a map taller than wide"),
        ((4, 6, 1), 3, False, "a single channel"),
        ((2, 3, 5), 1, False, "a single unit"),
        ((1, 1, 7), 8, True, "a Dense after a Dense, like the score layer: a 1x1 convolution"),
    ]
    cases = []
    for seed, (shape, units, after_dense, note) in enumerate(specs):
        dense_kernel, conv_kernel = _converted_fc_kernels(shape, units, after_dense, seed)
        cases.append(Case((dense_kernel, shape), conv_kernel, note=note))
    return tuple(cases)


def _hidden_dense_cases(rng: np.random.Generator) -> list[Case]:
    """Random feature-map shapes and unit counts (one of them a Dense after a Dense)."""
    cases = []
    for number in range(3):
        after_dense = number == 2
        shape = (1, 1, int(rng.integers(2, 9))) if after_dense else tuple(int(n) for n in rng.integers(1, 7, 3))
        units = int(rng.integers(1, 7))
        dense_kernel, conv_kernel = _converted_fc_kernels(shape, units, after_dense, int(rng.integers(2**31)))
        note = f"a random {'x'.join(map(str, shape))} map, {units} units" + (" after a Dense" * after_dense)
        cases.append(Case((dense_kernel, shape), conv_kernel, note=note))
    return cases


@register(
    "ex-fcn-dense-to-conv",
    cases=_dense_cases,
    hidden=_hidden_dense_cases,
    asks_for=("segcourse.models.convolutionalize", "segcourse.models.patch._dense_as_conv",
              "segcourse.check.ch02._converted_fc_kernels"),
)
def dense_to_conv_kernel(function: Callable[[Any, Any], Any]) -> Result:
    """Checks ``dense_to_conv_kernel(dense_kernel, feature_map_shape) -> conv_kernel``.

    ``dense_kernel`` has shape ``(height * width * channels, units)``, the kernel of a Dense layer that
    follows ``Flatten`` on a ``(height, width, channels)`` map (``feature_map_shape``); the answer must be
    the ``(height, width, channels, units)`` Conv2D kernel that computes the same outputs, as
    ``segcourse.models.convolutionalize`` builds it. Cases: square and non-square maps, one channel, one
    unit, and a Dense layer after a Dense layer (a 1x1 convolution).

    Args:
        function: your ``dense_to_conv_kernel``.

    Returns:
        A ``Result``; in a notebook it prints what passed and, for each failure, the input, the expected
        and your values.

    Example:

    >>> from segcourse import check
    >>> check.dense_to_conv_kernel(lambda kernel, shape: kernel).ok
    False
    """


def _bilinear_cases() -> list[Case]:
    notes = {
        1: "factor 1: a 1x1 kernel of weight 1 (no upsampling)",
        2: "factor 2: the 4x4 kernel of FCN's upscore2",
        3: "an odd factor: a 5x5 kernel with a centre tap of weight 1",
        4: "factor 4",
        5: "factor 5",
        8: "factor 8: FCN-8s's final upsampling, 16x16",
        32: "factor 32: FCN-32s's final upsampling, 64x64",
    }
    return [_bilinear_case(factor, note) for factor, note in notes.items()]


def _bilinear_case(factor: int, note: str) -> Case:
    from segcourse.layers import bilinear_kernel_1d

    taps = bilinear_kernel_1d(2 * factor - factor % 2)
    return Case((factor,), np.outer(taps, taps), note=note)


def _hidden_bilinear_cases(rng: np.random.Generator) -> list[Case]:
    """Factors the visible cases do not use, odd and even."""
    factors = rng.choice([6, 7, 9, 10, 11, 12, 13, 16], size=4, replace=False)
    return [_bilinear_case(int(factor), f"factor {factor}") for factor in factors]


@register(
    "ex-fcn-bilinear-kernel",
    cases=_bilinear_cases,
    hidden=_hidden_bilinear_cases,
    asks_for=("segcourse.layers.bilinear_kernel_1d",),
)
def bilinear_upsampling_kernel(function: Callable[[int], Any]) -> Result:
    """Checks ``bilinear_upsampling_kernel(factor) -> kernel``, FCN's bilinear upsampling filter.

    The answer is the 2-D kernel of size ``k x k``, ``k = 2 * factor - factor % 2``, that a
    ``Conv2DTranspose`` with stride ``factor`` uses to interpolate bilinearly: the outer product of the
    1-D tent ``1 - |i - centre| / factor`` with itself, as ``segcourse.layers.bilinear_kernel_1d`` and
    ``BilinearInitializer`` compute it. Cases: factors 1 (a 1x1 kernel), 2, 3 and 5 (odd sizes), 4, 8
    and 32.

    Args:
        function: your ``bilinear_upsampling_kernel``, taking an integer factor >= 1.

    Returns:
        A ``Result`` that prints what passed and, for each failure, the factor, the expected and your kernel.

    Example:

    >>> from segcourse import check
    >>> check.bilinear_upsampling_kernel(lambda factor: np.ones((2 * factor, 2 * factor))).ok
    False
    """

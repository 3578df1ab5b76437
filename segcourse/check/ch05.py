"""Checks of chapter 5, SegNet (``book/05_segnet``).

- ``median_frequency``: SegNet's median-frequency class weights (after Eigen & Fergus, 2015); expected
  values: ``segcourse.data.median_frequency_weights``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from segcourse import data
from segcourse.check._core import Case, Result, register

__all__ = ["median_frequency"]


def _labels(rows: list) -> np.ndarray:
    """uint8 label maps ``(n, h, w)``, the dtype ``synthetic_scenes`` returns."""
    return np.asarray(rows, dtype=np.uint8)


@functools.lru_cache(maxsize=1)
def _median_frequency_cases() -> tuple[Case, ...]:
    void = data.VOID
    _, scenes = data.synthetic_scenes(12, height=64, width=64, seed=5)
    specs = [
        (_labels([[[0, 0], [0, 1]]]), 2, "one image: class 0 on 3 pixels, class 1 on 1"),
        (
            _labels([[[0, 0, 1, 1], [0, 0, 1, 1]], [[0, 0, 0, 2], [0, 0, 0, 0]]]),
            3,
            "class 2 only in the second image: its frequency counts that image's pixels only",
        ),
        (
            _labels([[[0, 1, 1, void], [0, 0, void, void]], [[2, 2, 0, void], [1, 1, 0, 0]]]),
            3,
            "void pixels (255) are not counted at all",
        ),
        (
            _labels([[[0, 0, 3, 3], [0, 0, 3, 3]], [[3, 3, 3, 3], [0, 3, 3, 3]]]),
            4,
            "classes 1 and 2 never occur: weight 0, and left out of the median",
        ),
        (
            _labels([[[0, 1], [2, 3]], [[3, 2], [1, 0]]]),
            4,
            "every class equally frequent: every weight is 1",
        ),
        (
            _labels([[[void, void], [void, void]], [[0, 1], [1, 1]]]),
            2,
            "an image that is entirely void contributes nothing",
        ),
        (
            _labels([[[0, 0, 0, 1], [0, 0, 1, 2], [0, 1, 2, 3], [1, 2, 3, 4]]]),
            5,
            "five classes, an odd count: the median is one of the frequencies",
        ),
        (scenes, data.NUM_CLASSES, "12 synthetic street scenes, 8 classes, with void"),
    ]
    return tuple(
        Case((labels, num_classes), data.median_frequency_weights(labels, num_classes), note=note)
        for labels, num_classes, note in specs
    )


def _close_relative(actual: Any, expected: np.ndarray) -> bool:
    """Same shape and values within a relative 1e-5 (the reference is float32; float64 answers are fine)."""
    try:
        actual = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        return False
    return actual.shape == expected.shape and bool(np.allclose(actual, expected, rtol=1e-5, atol=1e-6))


def _hidden_median_frequency_cases(rng: np.random.Generator) -> list[Case]:
    """Random label maps of 2 to 6 classes, with void pixels and classes that occur in some images only."""
    cases = []
    for _ in range(4):
        num_classes = int(rng.integers(2, 7))
        shape = (int(rng.integers(1, 4)), int(rng.integers(2, 9)), int(rng.integers(2, 9)))
        # Each image uses a random subset of the classes, so frequencies count different pixel totals.
        labels = np.stack([rng.choice(rng.choice(num_classes, size=int(rng.integers(1, num_classes + 1)),
                                                 replace=False), size=shape[1:]) for _ in range(shape[0])])
        labels = np.where(rng.random(shape) < 0.15, data.VOID, labels).astype(np.uint8)
        labels.reshape(-1)[0] = 0 if (labels == data.VOID).all() else labels.reshape(-1)[0]
        cases.append(Case((labels, num_classes), data.median_frequency_weights(labels, num_classes),
                          note=f"random {shape} label maps, {num_classes} classes, with void"))
    return cases


@register(
    "ex-segnet-median-frequency",
    cases=_median_frequency_cases,
    hidden=_hidden_median_frequency_cases,
    compare=_close_relative,
    asks_for=("segcourse.data.median_frequency_weights",),
)
def median_frequency(function: Callable[[Any, int], Any]) -> Result:
    """Checks ``median_frequency(labels, num_classes) -> weights``, SegNet's class-balancing weights.

    ``labels`` are uint8 label maps ``(n, height, width)`` whose void pixels hold 255. The answer is one
    weight per class: ``median(freq) / freq(c)``, where ``freq(c)`` is the number of pixels of class ``c``
    divided by the number of labelled pixels of the images in which ``c`` occurs, the median is taken
    (``np.median``) over the classes that occur, and a class that never occurs gets 0; as
    ``segcourse.data.median_frequency_weights`` computes them. Cases: one image, a class present in one
    image only, void pixels, absent classes, equal frequencies, an all-void image, synthetic scenes.

    Args:
        function: your ``median_frequency``.

    Returns:
        A ``Result``; in a notebook it prints what passed and, for each failure, the labels, the expected
        and your weights.

    Example:

    >>> from segcourse import check
    >>> check.median_frequency(lambda labels, num_classes: np.ones(num_classes)).ok
    False
    """

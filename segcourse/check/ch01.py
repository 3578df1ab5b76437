"""Checks of chapter 1, the sliding window (``book/01_sliding_window``).

- ``window_coverage``: the map of how many sliding windows cover each pixel. The reference is a
  convolution of an image of ones with a ``patch_size x patch_size`` box of ones
  (``segcourse.reference.conv2d`` with zero padding), which counts, for each pixel, the window centres
  inside the image that lie within ``patch_size // 2`` rows and columns of it.
- ``sliding_window``: the sliding window itself, written by the student around any patch classifier.
  The reference is ``segcourse.models.sliding_window_predict`` on a small, randomly initialised
  ``segcourse.models.patch_classifier``.

Both follow the pattern of ``ch00.py``: expected values from ``segcourse``, ordinary and edge cases with a
note each.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from segcourse import data, reference
from segcourse.check._core import Case, Result, close, rebuildable, register

__all__ = ["sliding_window", "window_coverage"]


# --------------------------------------------------------------------------------------------------
# ex-sw-window-coverage


def _coverage(height: int, width: int, patch_size: int) -> np.ndarray:
    """The reference count map: ones convolved with a box of ones, zero padding ``patch_size // 2``."""
    ones = np.ones((height, width, 1))
    box = np.ones((patch_size, patch_size, 1, 1))
    counts = reference.conv2d(ones, box, padding=patch_size // 2)[..., 0]
    return np.rint(counts).astype(np.int64)


def _coverage_cases() -> list[Case]:
    shapes = [
        ((64, 96, 35), "the chapter's scenes and patch size"),
        ((9, 12, 5), "a small image, 5x5 windows"),
        ((6, 6, 1), "1x1 windows: each pixel lies in its own window only"),
        ((4, 5, 9), "windows larger than the image: every window covers every pixel"),
        ((7, 7, 7), "a window exactly as large as the image"),
        ((1, 10, 3), "a single row"),
        ((10, 1, 3), "a single column"),
        ((20, 13, 11), "an odd, non-square image"),
    ]
    return [Case(args, _coverage(*args), note=note) for args, note in shapes]


def _hidden_coverage_cases(rng: np.random.Generator) -> list[Case]:
    """Random image sizes and odd patch sizes, some windows larger than the image."""
    cases = []
    for _ in range(5):
        height, width = (int(n) for n in rng.integers(1, 40, size=2))
        patch_size = int(rng.choice([1, 3, 5, 7, 9, 11, 15, 21, 35, 41]))
        cases.append(Case((height, width, patch_size), _coverage(height, width, patch_size),
                          note=f"a random {height}x{width} image, {patch_size}x{patch_size} windows"))
    return cases


@register(
    "ex-sw-window-coverage",
    cases=_coverage_cases,
    hidden=_hidden_coverage_cases,
    asks_for=("segcourse.reference.conv2d", "segcourse.check.ch01._coverage"),
)
def window_coverage(function: Callable[..., Any]) -> Result:
    """Checks ``window_coverage(height, width, patch_size) -> (height, width)`` integer counts.

    Compares your map, for several image and window sizes (windows larger than the image and 1x1 windows
    included), with the convolution of an image of ones with a box of ones (``segcourse.reference``).

    Args:
        function: your ``window_coverage``.

    Returns:
        A ``Result``; in a notebook it prints what passed and, for each failure, the call, the expected and
        your map.

    Example:

    >>> from segcourse import check
    >>> check.window_coverage(lambda h, w, p: np.ones((h, w))).ok
    False
    """


# --------------------------------------------------------------------------------------------------
# ex-sw-sliding-window


@functools.cache
def _classifier(patch_size: int) -> Any:
    """A small patch classifier with fixed, seeded random weights (built once per patch size)."""
    from segcourse import models

    model = models.patch_classifier(data.NUM_CLASSES, patch_size=patch_size, width=0.25)
    rng = np.random.default_rng(patch_size)
    # Weights drawn here rather than by Keras: the scores then differ clearly from pixel to pixel, and
    # the check does not depend on the notebook's seeds.
    model.set_weights([rng.normal(0.0, 0.5, w.shape).astype("float32") for w in model.get_weights()])
    return model


def _classify_function(patch_size: int) -> Callable[[np.ndarray], np.ndarray]:
    """``classify(patches) -> scores`` around the classifier (a plain function: cases copy it as is)."""
    model = _classifier(patch_size)

    def classify(patches: np.ndarray) -> np.ndarray:
        return np.asarray(model.predict_on_batch(np.asarray(patches, dtype="float32")))

    classify.__name__ = classify.__qualname__ = f"classify_{patch_size}x{patch_size}"
    return classify


def _sliding_window_cases() -> list[Case]:
    rng = np.random.default_rng(1)
    scene = data.synthetic_scenes(1, 64, 64, seed=3)[0][0]
    inputs = [
        (rng.random((12, 16, 3), dtype=np.float32), 11, "a small image, 11x11 patches"),
        (scene[20:44, 8:40], 11, "a crop of a synthetic scene"),
        (rng.random((6, 8, 3), dtype=np.float32), 11, "an image smaller than the patch: mostly zero padding"),
        (rng.random((1, 9, 3), dtype=np.float32), 11, "a single row"),
        (rng.random((9, 5, 3), dtype=np.float32), 15, "15x15 patches on a tall, narrow image"),
    ]
    return [_sliding_window_case(image, patch_size, note) for image, patch_size, note in inputs]


def _sliding_window_case(image: np.ndarray, patch_size: int, note: str) -> Case:
    from segcourse import models

    expected = models.sliding_window_predict(_classifier(patch_size), image[None])[0]
    # The classifier is rebuilt from its patch size when the grader sends the case to a student's kernel.
    return Case((rebuildable(_classify_function, patch_size), image, patch_size), expected, note=note)


def _hidden_sliding_window_cases(rng: np.random.Generator) -> list[Case]:
    """Random images, some smaller than the patch, classified with 11x11 and 15x15 patches."""
    cases = []
    for _ in range(3):
        height, width = (int(n) for n in rng.integers(1, 14, size=2))
        patch_size = int(rng.choice([11, 15]))
        image = rng.random((height, width, 3), dtype=np.float32)
        cases.append(_sliding_window_case(image, patch_size, f"a random {height}x{width} image, {patch_size}x"
                                          f"{patch_size} patches"))
    return cases


def _close_scores(actual: Any, expected: Any) -> bool:
    # The scores of one patch can differ in the last bits with the batch it is classified in.
    return close(actual, expected, atol=1e-5)


@register(
    "ex-sw-sliding-window",
    cases=_sliding_window_cases,
    hidden=_hidden_sliding_window_cases,
    compare=_close_scores,
    asks_for=("segcourse.models.sliding_window_predict",),
)
def sliding_window(function: Callable[..., Any]) -> Result:
    """Checks ``sliding_window(classify, image, patch_size) -> (height, width, num_classes)`` scores.

    Runs your function with a small patch classifier (random weights) on several images, some smaller than
    the patch, and compares its scores with ``segcourse.models.sliding_window_predict`` (zero padding,
    the patch centred on each pixel).

    Args:
        function: your ``sliding_window``; ``classify`` maps ``(n, patch_size, patch_size, 3)`` patches to
            ``(n, num_classes)`` scores.

    Returns:
        A ``Result``; in a notebook it prints what passed and, for each failure, the call, the expected and
        your scores.

    Example:

    >>> from segcourse import check
    >>> check.sliding_window(lambda classify, image, patch_size: None).ok  # doctest: +SKIP
    False
    """

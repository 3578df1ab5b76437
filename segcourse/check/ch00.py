"""Checks of chapter 0, the introduction (``book/00_introduction``).

This module is also the pattern for the other chapters' ``chNN.py``:

- one function per implement-something exercise, named like the function the student writes, taking the
  student's function, whose docstring is the check's documentation; it is decorated with
  ``@register("<the exercise's :label:>", cases=..., hidden=..., asks_for=...)``, which runs the cases;
- the cases cover the ordinary input and the edge cases, each with a ``note`` saying what it tests, and
  their expected values come from ``segcourse`` itself (here ``segcourse.metrics``), not from a copy of the
  solution;
- ``hidden(rng)`` draws further cases at random, which only ``segcourse grade`` runs (so an answer that
  hard-codes the visible cases fails);
- ``asks_for`` names the ``segcourse`` functions that compute the expected values: while the grader runs the
  check they are unavailable, so an answer that calls them does not score;
- ``__all__`` lists the check functions: ``segcourse.check`` re-exports them, so a chapter calls
  ``check.metrics_from_confusion(metrics_from_confusion)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from segcourse import metrics
from segcourse.check._core import Case, Result, register

__all__ = ["metrics_from_confusion"]


def _scores(matrix: np.ndarray) -> tuple[float, float, float]:
    """The reference ``(pixel accuracy, class accuracy, mean IoU)`` of a confusion matrix."""
    scores = metrics.scores_from_confusion(matrix)
    return scores["pixel_accuracy"], scores["class_accuracy"], scores["mean_iou"]


def _confusion_cases() -> list[Case]:
    """Confusion matrices (rows: truth, columns: prediction), ordinary ones first, then edge cases."""
    rng = np.random.default_rng(0)
    eight_classes = rng.integers(0, 500, size=(8, 8))
    eight_classes[5, :] = eight_classes[:, 5] = 0  # like a test set without pedestrians
    matrices = [
        ([[3, 1, 0], [0, 5, 0], [1, 1, 4]], "the chapter's worked example"),
        ([[50, 10], [30, 10]], "the two-class matrix of the by-hand exercise"),
        (np.diag([5, 3, 7]), "a perfect prediction"),
        ([[4, 1, 0], [2, 3, 0], [0, 0, 0]], "class 2 absent from truth and prediction: left out of both means"),
        ([[0, 0, 0], [0, 4, 1], [0, 2, 3]], "class 0 absent from truth and prediction"),
        ([[3, 0, 2], [1, 4, 0], [0, 0, 0]], "class 2 only predicted, never true: IoU 0, no recall"),
        ([[5, 0, 1], [3, 0, 1], [0, 0, 4]], "class 1 never predicted"),
        ([[10, 0, 0], [5, 0, 0], [3, 0, 0]], "every pixel predicted as class 0 (the lazy baseline)"),
        (eight_classes, "8 classes, large counts, class 5 absent"),
    ]
    cases = []
    for matrix, note in matrices:
        matrix = np.asarray(matrix, dtype=np.int64)  # what metrics.confusion_matrix returns
        cases.append(Case((matrix,), _scores(matrix), note=note))
    return cases


def _hidden_cases(rng: np.random.Generator) -> list[Case]:
    """Random confusion matrices of 2 to 8 classes, some classes absent from the truth or the prediction."""
    cases = []
    for number in range(6):
        size = int(rng.integers(2, 9))
        matrix = rng.integers(0, 60, size=(size, size)) * (rng.random((size, size)) < 0.6)
        matrix[np.diag_indices(size)] += rng.integers(1, 80, size)
        absent = rng.random(size) < 0.25
        matrix[absent, :] = 0  # classes absent from the truth ...
        if number % 2:
            matrix[:, absent] = 0  # ... and, every other time, from the prediction too
        if matrix.sum() == 0:
            matrix[0, 0] = 1
        cases.append(Case((matrix.astype(np.int64),), _scores(matrix), note=f"a random {size}-class matrix"))
    return cases


@register(
    "ex-intro-metrics-from-matrix",
    cases=_confusion_cases,
    hidden=_hidden_cases,
    asks_for=("segcourse.metrics.scores_from_confusion", "segcourse.metrics._iou_from_confusion",
              "segcourse.check.ch00._scores"),
)
def metrics_from_confusion(function: Callable[[Any], Any]) -> Result:
    """Checks ``metrics_from_confusion(C) -> (pixel_accuracy, class_accuracy, mean_iou)``.

    Compares your function with ``segcourse.metrics`` on confusion matrices of 2 to 8 classes, including
    a perfect prediction, classes absent from both truth and prediction (left out of the means), a class
    that is only predicted, and a class that is never predicted.

    Args:
        function: your ``metrics_from_confusion``, taking an integer ``(K, K)`` array (rows: truth).

    Returns:
        A ``Result``; in a notebook it prints what passed and, for each failure, the matrix, the expected
        and your values.

    Example:

    >>> from segcourse import check
    >>> check.metrics_from_confusion(lambda C: (0.0, 0.0, 0.0)).ok
    False
    """

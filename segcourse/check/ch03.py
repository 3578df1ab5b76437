"""Checks of chapter 3, unpooling (``book/03_unpooling``).

Two functions to write in NumPy, each compared with ``segcourse.reference`` on ordinary inputs and on
the edge cases that catch the usual mistakes: non-square windows (row-major positions are counted with
the window's *width*), negative values (the rest of an unpooled window is zero, not the minimum), ties
(the first maximum wins), and input sizes that are not a multiple of the window (trailing rows and
columns are dropped, as ``keras.layers.MaxPooling2D`` does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from segcourse import reference
from segcourse.check._core import Case, Result, close, register

__all__ = ["unpool_with_indices", "pool_with_indices"]

#: The 4x4 matrix of the chapter's worked example (one channel); its top-right window holds a tie.
WORKED_EXAMPLE = np.array([[1, 5, 2, 0], [3, 4, 7, 7], [0, 2, 6, 1], [8, 1, 3, 9]], dtype=np.float32)[..., None]


def _random_indices(rng: np.random.Generator, shape: tuple[int, ...], pool: tuple[int, int]) -> np.ndarray:
    return rng.integers(0, pool[0] * pool[1], size=shape).astype(np.int32)


def _unpool_cases() -> list[Case]:
    rng = np.random.default_rng(3)
    pooled, indices = reference.max_pool2d_with_indices(WORKED_EXAMPLE, 2)
    inputs = [
        (pooled, indices, 2, "the chapter's worked example, 2x2 windows"),
        (rng.normal(size=(3, 4, 3)).astype(np.float32), _random_indices(rng, (3, 4, 3), (2, 2)), 2,
         "3 channels, each with its own indices"),
        (-rng.uniform(1, 5, size=(2, 2, 2)).astype(np.float32), _random_indices(rng, (2, 2, 2), (2, 2)), 2,
         "negative values: the rest of each window is still 0"),
        (np.full((2, 3, 1), 4.0, np.float32), np.full((2, 3, 1), 3, np.int32), 2,
         "every maximum at the last position of its window"),
        (rng.normal(size=(2, 2, 2)).astype(np.float32), _random_indices(rng, (2, 2, 2), (3, 3)), 3,
         "3x3 windows: positions 0 to 8"),
        (rng.normal(size=(2, 3, 1)).astype(np.float32), _random_indices(rng, (2, 3, 1), (2, 3)), (2, 3),
         "non-square windows (2, 3): row = index // 3, column = index % 3"),
        (rng.normal(size=(3, 2, 2)).astype(np.float32), _random_indices(rng, (3, 2, 2), (3, 2)), (3, 2),
         "non-square windows (3, 2): row = index // 2, column = index % 2"),
        (rng.normal(size=(1, 1, 4)).astype(np.float32), _random_indices(rng, (1, 1, 4), (2, 2)), 2,
         "a single window, 4 channels"),
        (rng.normal(size=(2, 3, 2)).astype(np.float32), np.zeros((2, 3, 2), np.int32), 1,
         "1x1 windows: unpooling changes nothing"),
    ]
    return [
        Case((values, idx, pool), reference.max_unpool2d(values, idx, pool), note=note)
        for values, idx, pool, note in inputs
    ]


def _random_pool(rng: np.random.Generator) -> tuple[int, int]:
    return tuple(int(n) for n in rng.integers(1, 4, size=2))


def _hidden_unpool_cases(rng: np.random.Generator) -> list[Case]:
    """Random values, indices, window shapes (square or not) and channel counts."""
    cases = []
    for _ in range(4):
        pool = _random_pool(rng)
        shape = tuple(int(n) for n in rng.integers(1, 5, size=3))
        values = rng.normal(size=shape).astype(np.float32)
        indices = _random_indices(rng, shape, pool)
        cases.append(Case((values, indices, pool), reference.max_unpool2d(values, indices, pool),
                          note=f"random {shape} values, {pool[0]}x{pool[1]} windows"))
    return cases


@register(
    "ex-unpool-max-unpool",
    cases=_unpool_cases,
    hidden=_hidden_unpool_cases,
    asks_for=("segcourse.reference.max_unpool2d", "segcourse.reference._unpool", "segcourse.layers._unpool"),
)
def unpool_with_indices(function: Callable[..., Any]) -> Result:
    """Checks ``unpool_with_indices(values, indices, pool_size) -> (h * ph, w * pw, c) array``.

    Index ("switch") unpooling of one image: ``values`` and ``indices`` have shape ``(h, w, c)``, the
    indices count positions inside each ``ph x pw`` window in row-major order, and every value goes to
    the position its index names, the rest of its window being 0. ``pool_size`` is an int or a pair
    ``(ph, pw)``. Compared with ``segcourse.reference.max_unpool2d`` on 2x2, 3x3, 2x3 and 3x2 windows,
    several channels, negative values, a single window and 1x1 windows.

    Args:
        function: your ``unpool_with_indices``.

    Returns:
        A ``Result`` that prints what passed and, for each failure, the input, the expected and your array.

    Example:

    >>> from segcourse import check
    >>> check.unpool_with_indices(lambda values, indices, pool_size: values).ok
    False
    """


def _pool_cases() -> list[Case]:
    rng = np.random.default_rng(4)
    inputs = [
        (WORKED_EXAMPLE, 2, "the chapter's worked example: a tie in the top-right window"),
        (rng.normal(size=(4, 6, 3)).astype(np.float32), 2, "3 channels, 2x2 windows"),
        (np.full((2, 4, 1), 7.0, np.float32), 2, "all values equal: the first position (0) wins every tie"),
        (rng.integers(0, 3, size=(4, 4, 2)).astype(np.float32), 2, "many ties"),
        (-rng.uniform(1, 5, size=(4, 4, 1)).astype(np.float32), 2, "all values negative"),
        (rng.normal(size=(5, 7, 2)).astype(np.float32), 2,
         "odd size 5x7: the last row and column fill no window and are dropped"),
        (rng.normal(size=(6, 6, 1)).astype(np.float32), 3, "3x3 windows"),
        (rng.normal(size=(4, 6, 2)).astype(np.float32), (2, 3), "non-square windows (2, 3)"),
        (rng.normal(size=(3, 3, 1)).astype(np.float32), 1, "1x1 windows: values unchanged, every index 0"),
    ]
    return [
        Case((x, pool), reference.max_pool2d_with_indices(x, pool), note=note) for x, pool, note in inputs
    ]


def _same_pooling(actual: Any, expected: tuple[np.ndarray, np.ndarray]) -> bool:
    """``(pooled, indices)`` equal to the reference's, in shape and value."""
    if not isinstance(actual, (tuple, list)) or len(actual) != 2:
        return False
    return close(np.asarray(actual[0]), expected[0]) and close(np.asarray(actual[1]), expected[1], atol=0)


def _hidden_pool_cases(rng: np.random.Generator) -> list[Case]:
    """Random inputs, with ties (small integers) every other time, and random window shapes."""
    cases = []
    for number in range(4):
        pool = _random_pool(rng)
        shape = (int(rng.integers(pool[0], 4 * pool[0] + 2)), int(rng.integers(pool[1], 4 * pool[1] + 2)),
                 int(rng.integers(1, 4)))
        if number % 2:
            x = rng.integers(-2, 3, size=shape).astype(np.float32)
        else:
            x = rng.normal(size=shape).astype(np.float32)
        note = f"a random {shape} input{' with ties' if number % 2 else ''}, {pool[0]}x{pool[1]} windows"
        cases.append(Case((x, pool), reference.max_pool2d_with_indices(x, pool), note=note))
    return cases


@register(
    "ex-unpool-pool-indices",
    cases=_pool_cases,
    hidden=_hidden_pool_cases,
    compare=_same_pooling,
    asks_for=("segcourse.reference.max_pool2d_with_indices", "segcourse.reference._max_pool_one",
              "segcourse.layers._argmax_positions"),
)
def pool_with_indices(function: Callable[..., Any]) -> Result:
    """Checks ``pool_with_indices(x, pool_size) -> (pooled, indices)``, max pooling that remembers.

    ``x`` has shape ``(h, w, c)``; both outputs have shape ``(h // ph, w // pw, c)``; ``indices`` holds
    the row-major position of each window's maximum inside the window, the first one when values tie.
    Compared with ``segcourse.reference.max_pool2d_with_indices`` on 2x2, 3x3 and 2x3 windows, ties,
    negative values, an odd input size (trailing rows and columns dropped) and 1x1 windows.

    Args:
        function: your ``pool_with_indices``.

    Returns:
        A ``Result`` that prints what passed and, for each failure, the input, the expected and your values.

    Example:

    >>> from segcourse import check
    >>> check.pool_with_indices(lambda x, pool_size: (x, x)).ok
    False
    """

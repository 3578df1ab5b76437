"""The checks of chapter 3 (segcourse.check.ch03): right answers pass, the usual mistakes fail."""

from __future__ import annotations

import numpy as np
import pytest

from segcourse import check, layers
from segcourse.check import ch03


def _pair(pool_size):
    return (pool_size, pool_size) if np.isscalar(pool_size) else tuple(pool_size)


def unpool_by_loops(values, indices, pool_size):
    """A right answer, written independently of the chapter's solution: one value at a time."""
    ph, pw = _pair(pool_size)
    values, indices = np.asarray(values), np.asarray(indices)
    h, w, c = values.shape
    out = np.zeros((h * ph, w * pw, c), values.dtype)
    for i in range(h):
        for j in range(w):
            for k in range(c):
                out[i * ph + indices[i, j, k] // pw, j * pw + indices[i, j, k] % pw, k] = values[i, j, k]
    return out


def unpool_divides_by_height(values, indices, pool_size):
    """The classic mistake: row = index // ph, column = index % ph (right only for square windows)."""
    ph, pw = _pair(pool_size)
    values, indices = np.asarray(values), np.asarray(indices)
    h, w, c = values.shape
    out = np.zeros((h * ph, w * pw, c), values.dtype)
    for (i, j, k), index in np.ndenumerate(indices):
        out[i * ph + index // ph, j * pw + index % ph, k] = values[i, j, k]
    return out


def unpool_keeps_the_minimum(values, indices, pool_size):
    """Fills the rest of each window with the smallest value instead of 0."""
    out = unpool_by_loops(values, indices, pool_size)
    mask = unpool_by_loops(np.ones_like(values), indices, pool_size) == 0
    out[mask] = np.min(values)
    return out


def nearest(values, indices, pool_size):
    ph, pw = _pair(pool_size)
    return np.repeat(np.repeat(np.asarray(values), ph, axis=0), pw, axis=1)


def test_unpool_with_indices_passes_a_right_answer():
    result = check.unpool_with_indices(unpool_by_loops)
    assert result.ok and result.total >= 8


@pytest.mark.parametrize("wrong", [unpool_divides_by_height, unpool_keeps_the_minimum, nearest])
def test_unpool_with_indices_fails_the_usual_mistakes(wrong):
    result = check.unpool_with_indices(wrong)
    assert not result.ok and result.passed < result.total


def test_unpool_cases_agree_with_the_keras_layer():
    for case in ch03._unpool_cases():
        values, indices, pool_size = case.args
        ph, pw = _pair(pool_size)
        assert case.expected.shape == (values.shape[0] * ph, values.shape[1] * pw, values.shape[2])
        from_layer = layers.MaxUnpooling2D(pool_size)([values[None], indices[None]])
        assert np.array_equal(np.asarray(from_layer)[0], case.expected), case.note


def pool_by_loops(x, pool_size):
    """A right answer: window by window, channel by channel, first maximum kept."""
    ph, pw = _pair(pool_size)
    x = np.asarray(x)
    h, w, c = x.shape[0] // ph, x.shape[1] // pw, x.shape[2]
    pooled, indices = np.zeros((h, w, c), x.dtype), np.zeros((h, w, c), np.int64)
    for i in range(h):
        for j in range(w):
            for k in range(c):
                window = x[i * ph : (i + 1) * ph, j * pw : (j + 1) * pw, k].ravel()
                best = 0
                for position in range(1, ph * pw):
                    if window[position] > window[best]:
                        best = position
                pooled[i, j, k], indices[i, j, k] = window[best], best
    return pooled, indices


def pool_last_tie(x, pool_size):
    """Breaks ties towards the last position of the window."""
    ph, pw = _pair(pool_size)
    h, w, c = x.shape[0] // ph, x.shape[1] // pw, x.shape[2]
    windows = x[: h * ph, : w * pw].reshape(h, ph, w, pw, c).transpose(0, 2, 1, 3, 4).reshape(h, w, ph * pw, c)
    return windows.max(axis=2), ph * pw - 1 - windows[:, :, ::-1].argmax(axis=2)


def pool_column_major(x, pool_size):
    """Counts positions column by column."""
    ph, pw = _pair(pool_size)
    pooled, indices = pool_by_loops(x, pool_size)
    return pooled, (indices % pw) * ph + indices // pw


def test_pool_with_indices_passes_a_right_answer():
    result = check.pool_with_indices(pool_by_loops)
    assert result.ok and result.total >= 8


@pytest.mark.parametrize(
    "wrong",
    [pool_last_tie, pool_column_major, lambda x, pool_size: pool_by_loops(x, pool_size)[::-1],
     lambda x, pool_size: pool_by_loops(x, pool_size)[0]],
    ids=["last-tie", "column-major", "swapped", "no-indices"],
)
def test_pool_with_indices_fails_the_usual_mistakes(wrong):
    result = check.pool_with_indices(wrong)
    assert not result.ok and result.passed < result.total


def test_pool_cases_agree_with_the_keras_layer():
    for case in ch03._pool_cases():
        x, pool_size = case.args
        pooled, indices = layers.MaxPoolingWithIndices2D(pool_size)(x[None])
        assert np.array_equal(np.asarray(pooled)[0], case.expected[0]), case.note
        assert np.array_equal(np.asarray(indices)[0], case.expected[1]), case.note


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_right_answers_pass_the_hidden_cases(seed):
    assert check.run_hidden_cases("ex-unpool-max-unpool", unpool_by_loops, seed).ok
    assert check.run_hidden_cases("ex-unpool-pool-indices", pool_by_loops, seed).ok
    assert not check.run_hidden_cases("ex-unpool-pool-indices", pool_last_tie, seed).ok

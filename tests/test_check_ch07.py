"""The check of chapter 7 (Pareto front): right answers pass, the classic mistakes fail on the right cases."""

from __future__ import annotations

import numpy as np
import pytest

from segcourse import check
from segcourse.check import ch07


def sweep(names, scores, seconds):
    """The usual one-pass answer, written apart from the chapter's solution: sort by time, keep records."""
    order = sorted(range(len(names)), key=lambda i: (seconds[i], -scores[i], i))
    front, best, last = [], -np.inf, None
    for i in order:
        point = (scores[i], seconds[i])
        if scores[i] > best or point == last:
            front.append(names[i])
            best, last = max(best, scores[i]), point
    return front


def keeps_equal_scores(names, scores, seconds):
    """Keeps a slower model with the same score: `>=` where `>` is needed."""
    order = sorted(range(len(names)), key=lambda i: (seconds[i], -scores[i], i))
    front, best = [], -np.inf
    for i in order:
        if scores[i] >= best:
            front.append(names[i])
            best = scores[i]
    return front


def unsorted(names, scores, seconds):
    """The right set, in input order."""
    kept = set(sweep(names, scores, seconds))
    return [name for name in names if name in kept]


def test_right_answers_pass_every_case():
    result = check.pareto_front(sweep)
    assert result.ok and result.total >= 10, result.report()
    assert check.pareto_front(lambda *args: tuple(sweep(*args))).ok  # a tuple is fine
    assert check.pareto_front(lambda *args: np.array(sweep(*args))).ok  # so is an array of names


def test_keeping_a_slower_model_with_an_equal_score_fails_there():
    result = check.pareto_front(keeps_equal_scores)
    assert 0 < result.passed < result.total
    assert any("equal scores" in failure for failure in result.failures)


def test_the_right_set_in_the_wrong_order_fails():
    result = check.pareto_front(unsorted)
    assert 0 < result.passed < result.total
    assert any("another order" in failure for failure in result.failures)


def test_a_set_is_not_an_answer():
    assert not check.pareto_front(lambda *args: set(sweep(*args))).ok


def test_reference_on_the_chapter_like_table():
    names = ["sliding window", "dense twin", "FCN-8s", "SegNet"]
    assert ch07._reference(names, [0.5, 0.5, 0.45, 0.6], [0.9, 0.01, 0.004, 0.006]) == ["FCN-8s", "SegNet"]
    assert ch07._reference(["a", "b"], [0.5, 0.5], [1.0, 1.0]) == ["a", "b"]


def kept_bytes(height, width, channels):
    """A right answer written apart from the chapter's solution: sizes per level with floor division."""
    sizes = [(height >> level, width >> level) for level in range(len(channels) + 1)]
    maps = sum(h * w * c for (h, w), c in zip(sizes[:-1], channels, strict=True))
    pooled = sum(h * w * c for (h, w), c in zip(sizes[1:], channels, strict=True))
    return 4 * pooled, pooled / 4, 4 * maps


def test_decoder_memory_right_answer_passes_every_case():
    result = check.decoder_memory(kept_bytes)
    assert result.ok and result.total >= 7, result.report()
    assert check.decoder_memory(lambda *args: list(kept_bytes(*args))).ok  # a list is fine


def test_decoder_memory_counting_pooled_maps_as_feature_maps_fails():
    def pooled_maps(height, width, channels):
        int32, two_bits, _ = kept_bytes(height, width, channels)
        return int32, two_bits, int32  # (c) as the pooled maps, not the maps before pooling
    assert not check.decoder_memory(pooled_maps).ok


def test_decoder_memory_in_bits_instead_of_bytes_fails():
    def in_bits(height, width, channels):
        int32, two_bits, maps = kept_bytes(height, width, channels)
        return int32, two_bits * 8, maps
    assert not check.decoder_memory(in_bits).ok


def test_decoder_memory_with_true_division_fails_on_odd_sizes_only():
    def true_division(height, width, channels):
        pooled = maps = 0
        for c in channels:
            maps += height * width * c
            height, width = height / 2, width / 2
            pooled += height * width * c
        return 4 * pooled, pooled / 4, 4 * maps
    result = check.decoder_memory(true_division)
    assert 0 < result.passed < result.total
    assert any("odd" in failure or "1x1" in failure for failure in result.failures)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_right_answers_pass_the_hidden_cases(seed):
    assert check.run_hidden_cases("ex-together-pareto", sweep, seed).ok
    assert check.run_hidden_cases("ex-together-memory-by-hand", kept_bytes, seed).ok

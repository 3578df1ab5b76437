"""The checks of chapter 1 (segcourse.check.ch01): right answers pass, typical mistakes fail, nothing raises."""

from __future__ import annotations

import numpy as np
import pytest

from segcourse import check, models
from segcourse.check import ch01

# --------------------------------------------------------------------------------------------------
# window_coverage


def coverage_by_counting(height, width, patch_size):
    """A right answer written independently of the chapter's: add one for every window, pixel by pixel."""
    half = patch_size // 2
    counts = np.zeros((height, width), dtype=int)
    for row in range(height):
        for col in range(width):
            counts[max(row - half, 0) : row + half + 1, max(col - half, 0) : col + half + 1] += 1
    return counts


def test_window_coverage_accepts_a_right_answer():
    result = check.window_coverage(coverage_by_counting)
    assert result.ok and result.total >= 6


def test_window_coverage_reference_matches_counting():
    for case in ch01._coverage_cases():
        assert np.array_equal(case.expected, coverage_by_counting(*case.args)), case.note


@pytest.mark.parametrize(
    "wrong",
    [
        lambda h, w, p: np.full((h, w), p * p),  # forgets the border
        lambda h, w, p: coverage_by_counting(w, h, p),  # height and width swapped
        lambda h, w, p: coverage_by_counting(h, w, p)[1:-1, 1:-1],  # wrong shape
    ],
    ids=["no-border", "swapped", "cropped"],
)
def test_window_coverage_rejects_mistakes(wrong):
    result = check.window_coverage(wrong)
    assert not result.ok and result.passed < result.total


def test_window_coverage_stub_is_not_implemented():
    def window_coverage(height, width, patch_size):
        raise NotImplementedError("your code here")

    result = check.window_coverage(window_coverage)
    assert result.passed == 0 and "not implemented yet" in result.failures[0]


# --------------------------------------------------------------------------------------------------
# sliding_window


def sliding_window_loop(classify, image, patch_size):
    """A right answer: one window at a time (slow but plain)."""
    half = patch_size // 2
    padded = np.pad(image, ((half, half), (half, half), (0, 0)))
    height, width = image.shape[:2]
    scores = [
        [classify(padded[None, r : r + patch_size, c : c + patch_size])[0] for c in range(width)]
        for r in range(height)
    ]
    return np.asarray(scores)


def reflect_padding(classify, image, patch_size):
    """The classic mistake: pads by reflection instead of zeros (the borders differ)."""
    half = patch_size // 2
    padded = np.pad(image, ((half, half), (half, half), (0, 0)), mode="reflect")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (patch_size, patch_size), axis=(0, 1))
    patches = windows.reshape(-1, 3, patch_size, patch_size).transpose(0, 2, 3, 1)
    return classify(patches).reshape(*image.shape[:2], -1)


def test_sliding_window_accepts_a_right_answer():
    result = check.sliding_window(sliding_window_loop)
    assert result.ok and result.total >= 4, result.report()


@pytest.mark.parametrize(
    "wrong",
    [
        reflect_padding,
        lambda classify, image, patch_size: sliding_window_loop(classify, image, patch_size).argmax(-1),
        lambda classify, image, patch_size: None,
    ],
    ids=["reflect-padding", "labels-not-scores", "None"],
)
def test_sliding_window_rejects_mistakes(wrong):
    result = check.sliding_window(wrong)
    assert not result.ok


def test_sliding_window_expected_values_come_from_segcourse():
    for case in ch01._sliding_window_cases():
        classify, image, patch_size = case.args
        model = ch01._classifier(patch_size)
        assert np.allclose(case.expected, models.sliding_window_predict(model, image[None])[0])
        assert classify(np.zeros((2, patch_size, patch_size, 3), np.float32)).shape == (2, 8)
        assert case.note


@pytest.mark.parametrize("seed", [0, 1])
def test_right_answers_pass_the_hidden_cases(seed):
    assert check.run_hidden_cases("ex-sw-window-coverage", coverage_by_counting, seed).ok
    assert check.run_hidden_cases("ex-sw-sliding-window", sliding_window_loop, seed).ok
    assert not check.run_hidden_cases("ex-sw-sliding-window", reflect_padding, seed).ok

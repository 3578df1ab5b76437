"""The check of chapter 5 (median-frequency weights): right answers pass, the classic mistakes fail."""

from __future__ import annotations

import numpy as np
import pytest

from segcourse import check, data
from segcourse.check import ch05

VOID = data.VOID


def right(labels, num_classes):
    """Written from Eigen & Fergus's definition, independently of the chapter's solution."""
    labels = np.asarray(labels)
    frequencies = {}
    for c in range(num_classes):
        with_c = [image for image in labels if np.any(image == c)]
        if with_c:
            labelled = sum(int(np.sum(image != VOID)) for image in with_c)
            frequencies[c] = sum(int(np.sum(image == c)) for image in with_c) / labelled
    median = np.median(list(frequencies.values()))
    return np.array([median / frequencies[c] if c in frequencies else 0.0 for c in range(num_classes)])


def global_frequency(labels, num_classes):
    """The classic mistake: divides by every labelled pixel, not by those of the images where c occurs."""
    labels = np.asarray(labels)
    counts = np.bincount(labels[labels != VOID], minlength=num_classes)
    frequency = counts / counts.sum()
    weights = np.zeros(num_classes)
    weights[counts > 0] = np.median(frequency[counts > 0]) / frequency[counts > 0]
    return weights


def counts_void(labels, num_classes):
    """Counts void pixels among the pixels of an image."""
    labels = np.asarray(labels)
    frequencies = np.full(num_classes, np.nan)
    for c in range(num_classes):
        with_c = [image for image in labels if np.any(image == c)]
        if with_c:
            pixels = sum(image.size for image in with_c)
            frequencies[c] = sum(int(np.sum(image == c)) for image in with_c) / pixels
    weights = np.nanmedian(frequencies) / frequencies
    return np.nan_to_num(weights, nan=0.0)


def median_over_all_classes(labels, num_classes):
    """Lets the absent classes (frequency 0) into the median."""
    labels = np.asarray(labels)
    weights = right(labels, num_classes)
    present = weights > 0
    if present.all():
        return weights
    frequencies = np.zeros(num_classes)
    frequencies[present] = np.median(1 / weights[present]) / weights[present]  # back to frequencies, scaled
    median = np.median(frequencies)
    return np.where(present, median / np.where(present, frequencies, 1.0), 0.0)


def test_expected_values_are_segcourse_s():
    for case in ch05._median_frequency_cases():
        assert np.array_equal(case.expected, data.median_frequency_weights(*case.args))


def test_right_answers_pass_every_case_in_float64_or_float32_or_a_list():
    assert check.median_frequency(right).ok
    assert check.median_frequency(lambda labels, k: right(labels, k).astype(np.float32)).ok
    assert check.median_frequency(lambda labels, k: list(right(labels, k))).ok
    result = check.median_frequency(right)
    assert result.total >= 8 and result.report().startswith("[PASSED] ex-segnet-median-frequency")


def test_global_frequency_fails_the_class_present_in_one_image():
    result = check.median_frequency(global_frequency)
    assert 0 < result.passed < result.total
    assert any("only in the second image" in failure for failure in result.failures)


def test_counting_void_pixels_fails_the_void_cases():
    result = check.median_frequency(counts_void)
    assert 0 < result.passed < result.total
    assert any("void pixels (255)" in failure for failure in result.failures)


def test_absent_classes_in_the_median_fail():
    result = check.median_frequency(median_over_all_classes)
    assert not result.ok
    assert any("never occur" in failure for failure in result.failures)


def test_wrong_shape_and_the_stub_fail():
    assert check.median_frequency(lambda labels, k: right(labels, k)[:-1]).passed == 0

    def median_frequency(labels, num_classes):
        raise NotImplementedError("your code here")

    result = check.median_frequency(median_frequency)
    assert result.passed == 0 and "not implemented yet" in result.failures[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_right_answers_pass_the_hidden_cases(seed):
    assert check.run_hidden_cases("ex-segnet-median-frequency", right, seed).ok
    assert not check.run_hidden_cases("ex-segnet-median-frequency", counts_void, seed).ok

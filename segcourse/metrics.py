"""Metrics of semantic segmentation: confusion matrix, pixel and class accuracy, IoU, boundary F1.

Conventions shared by every function:

- ``y_true`` holds integer labels, one image ``(height, width)`` or a batch ``(n, height, width)``.
- ``y_pred`` holds either integer labels of the same shape, or class scores (logits or probabilities) of
  shape ``y_true.shape + (num_classes,)``, which are turned into labels by an argmax over the last axis.
- NumPy arrays, TensorFlow tensors and nested lists are accepted.
- Pixels whose *truth* is ``ignore_index`` (``data.VOID`` = 255 by default) take no part in any metric.
  A prediction may hold ``ignore_index`` only where the truth does (so ``metric(labels, labels)`` works).
- A metric with nothing to average (no valid pixel, no class present) is ``nan``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from segcourse import _validate
from segcourse.data import CLASS_NAMES, VOID

__all__ = [
    "boundary_distance",
    "boundary_f1",
    "boundary_tolerance",
    "class_accuracy",
    "confusion_matrix",
    "evaluate",
    "iou_per_class",
    "mean_iou",
    "pixel_accuracy",
    "scores_from_confusion",
]


# --------------------------------------------------------------------------------------------------
# Argument checks


def _check_ignore_index(ignore_index: Any) -> int | None:
    if ignore_index is None:
        return None
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
        raise ValueError(f"`ignore_index` must be an integer or None; got {ignore_index!r}.")
    return int(ignore_index)


def _prepare(
    y_true: Any,
    y_pred: Any,
    num_classes: Any,
    ignore_index: Any,
    true_name: str = "y_true",
    pred_name: str = "y_pred",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Checks the arguments of a metric.

    Returns:
        ``(truth, prediction, valid, num_classes)``: integer labels of shape ``(n, height, width)`` (a single
        image gets a batch axis), and the mask of the pixels that count (truth not ``ignore_index``).
    """
    num_classes = _validate.check_positive_int(num_classes, "num_classes", minimum=2)
    ignore_index = _check_ignore_index(ignore_index)
    truth = _validate.check_labels(y_true, num_classes, true_name, ignore_index, ranks=(2, 3))
    pred = _validate.check_predictions(y_pred, truth.shape, num_classes, pred_name, ignore_index)
    valid = truth != ignore_index if ignore_index is not None else np.ones(truth.shape, bool)
    # A void *prediction* at a labelled pixel has no column in the confusion matrix: refuse it rather
    # than silently drop the pixel. (An ignore_index inside [0, num_classes) is a real, predictable class.)
    if ignore_index is not None and not 0 <= ignore_index < num_classes:
        if np.any((pred == ignore_index) & valid):
            raise ValueError(
                f"`{pred_name}` may hold {ignore_index} (ignore_index) only where `{true_name}` does; "
                f"predicted labels must lie in [0, {num_classes - 1}]."
            )
    if truth.ndim == 2:
        truth, pred, valid = truth[None], pred[None], valid[None]
    return truth, pred, valid, num_classes


def _check_confusion(matrix: Any) -> np.ndarray:
    array = _validate.as_array(matrix, "matrix")
    if array.ndim != 2 or array.shape[0] != array.shape[1] or array.shape[0] < 2:
        raise ValueError(
            f"`matrix` must be a square confusion matrix (num_classes, num_classes) with num_classes >= 2; "
            f"got shape {tuple(array.shape)}."
        )
    if not np.issubdtype(array.dtype, np.number) or (array.size and np.min(array) < 0):
        raise ValueError("`matrix` must hold non-negative counts.")
    return array


# --------------------------------------------------------------------------------------------------
# The confusion matrix and the scores read from it


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int, ignore_index: int | None = None) -> np.ndarray:
    """Counts the pixels of each (true class, predicted class) pair.

    Entry ``[i, j]`` is the number of pixels of true class ``i`` predicted as class ``j``: rows are the
    truth, columns the prediction, the diagonal holds the correct pixels. Every score of this module
    except the boundary F1 is read from this matrix, and matrices of several batches can be added up.

    Args:
        y_true: integer labels, shape ``(height, width)`` or ``(n, height, width)``.
        y_pred: integer labels of the same shape, or class scores of shape ``y_true.shape + (num_classes,)``.
        num_classes: number of classes, at least 2.
        ignore_index: label of pixels to leave out (their truth is unknown), or ``None`` to keep every pixel.

    Returns:
        An int64 array of shape ``(num_classes, num_classes)``.

    Example:

    >>> confusion_matrix([[0, 0, 1, 255]], [[0, 1, 1, 1]], num_classes=2, ignore_index=255)
    array([[1, 1],
           [0, 1]])
    """
    truth, pred, valid, num_classes = _prepare(y_true, y_pred, num_classes, ignore_index)
    # One bincount over the flat pair index truth * C + prediction counts every pair at once. Ignored
    # pixels go to an extra last bin, which is dropped: cheaper than gathering the valid pixels first.
    bins = num_classes * num_classes
    pairs = truth.astype(np.intp, copy=False) * num_classes + pred
    pairs[~valid] = bins
    counts = np.bincount(pairs.ravel(), minlength=bins + 1)[:bins]
    return counts.astype(np.int64).reshape(num_classes, num_classes)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise ``numerator / denominator``, ``nan`` where the denominator is 0 (without a warning)."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _nanmean(values: np.ndarray) -> float:
    """Mean of the defined (non-nan) values; ``nan`` if there is none (``np.nanmean`` would warn)."""
    values = np.asarray(values, dtype=np.float64)
    defined = values[~np.isnan(values)]
    return float(defined.mean()) if defined.size else float("nan")


def _iou_from_confusion(matrix: np.ndarray) -> np.ndarray:
    true_positives = np.diag(matrix)
    union = matrix.sum(axis=1) + matrix.sum(axis=0) - true_positives
    return _ratio(true_positives, union)


def scores_from_confusion(matrix: Any) -> dict[str, Any]:
    """Reads pixel accuracy, class accuracy and IoU from a confusion matrix.

    With ``M`` the matrix (rows truth, columns prediction) and ``C`` classes:

    - pixel accuracy ``= sum_c M[c, c] / sum_ij M[i, j]``;
    - class accuracy ``= mean over classes c present in the truth of M[c, c] / sum_j M[c, j]`` (the recall
      of each class, so that a rare class weighs as much as a frequent one);
    - ``IoU_c = M[c, c] / (sum_j M[c, j] + sum_i M[i, c] - M[c, c])``, true positives over the union of
      the true and the predicted pixels of class ``c``; ``nan`` for a class absent from both;
    - mean IoU ``=`` the mean of the defined ``IoU_c``: a class absent from both truth and prediction is
      left out, as in ``keras.metrics.MeanIoU``; a class predicted but absent from the truth counts, with 0.

    Useful to score a dataset batch by batch: add up the ``confusion_matrix`` of each batch first.

    Args:
        matrix: a ``(num_classes, num_classes)`` array of counts.

    Returns:
        A dict with floats ``"pixel_accuracy"``, ``"class_accuracy"``, ``"mean_iou"`` and the array
        ``"iou_per_class"`` of shape ``(num_classes,)``.

    Example:

    >>> scores = scores_from_confusion([[3, 1], [0, 4]])
    >>> scores["pixel_accuracy"], scores["mean_iou"]
    (0.875, 0.775)
    """
    matrix = _check_confusion(matrix)
    iou = _iou_from_confusion(matrix)
    return {
        "pixel_accuracy": float(_ratio(np.trace(matrix), matrix.sum())),
        "class_accuracy": _nanmean(_ratio(np.diag(matrix), matrix.sum(axis=1))),
        "mean_iou": _nanmean(iou),
        "iou_per_class": iou,
    }


def pixel_accuracy(y_true: Any, y_pred: Any, num_classes: int, ignore_index: int | None = VOID) -> float:
    """Fraction of the (non-ignored) pixels whose predicted class is right.

    ``pixel accuracy = correct pixels / labelled pixels``. Dominated by the large classes (sky, road):
    a model that never finds a pole loses almost nothing.

    Args:
        y_true: integer labels, shape ``(height, width)`` or ``(n, height, width)``.
        y_pred: integer labels of the same shape, or class scores of shape ``y_true.shape + (num_classes,)``.
        num_classes: number of classes, at least 2.
        ignore_index: label of pixels to leave out (default ``data.VOID``), or ``None``.

    Returns:
        A float in [0, 1] (``nan`` if no pixel is labelled).

    Example:

    >>> pixel_accuracy([[0, 0, 1, 1]], [[0, 1, 1, 1]], num_classes=2)
    0.75
    """
    matrix = confusion_matrix(y_true, y_pred, num_classes, ignore_index)
    return scores_from_confusion(matrix)["pixel_accuracy"]


def class_accuracy(y_true: Any, y_pred: Any, num_classes: int, ignore_index: int | None = VOID) -> float:
    """Mean over classes of the fraction of each class's pixels that are found (mean per-class recall).

    ``class accuracy = mean_c (correct pixels of class c / true pixels of class c)``, over the classes
    present in the truth (a class with no true pixel has no recall). Every class weighs the same.

    Args:
        y_true: integer labels, shape ``(height, width)`` or ``(n, height, width)``.
        y_pred: integer labels of the same shape, or class scores of shape ``y_true.shape + (num_classes,)``.
        num_classes: number of classes, at least 2.
        ignore_index: label of pixels to leave out (default ``data.VOID``), or ``None``.

    Returns:
        A float in [0, 1] (``nan`` if no pixel is labelled).

    Example:

    >>> class_accuracy([[0, 0, 0, 1]], [[0, 0, 0, 0]], num_classes=2)  # (3/3 + 0/1) / 2
    0.5
    """
    matrix = confusion_matrix(y_true, y_pred, num_classes, ignore_index)
    return scores_from_confusion(matrix)["class_accuracy"]


def iou_per_class(y_true: Any, y_pred: Any, num_classes: int, ignore_index: int | None = VOID) -> np.ndarray:
    """Intersection over union (Jaccard index) of each class.

    ``IoU_c = |true_c ∩ pred_c| / |true_c ∪ pred_c| = TP / (TP + FP + FN)``. A class absent from both the
    truth and the prediction has no IoU: ``nan``. A class predicted but absent from the truth gets 0.

    Args:
        y_true: integer labels, shape ``(height, width)`` or ``(n, height, width)``.
        y_pred: integer labels of the same shape, or class scores of shape ``y_true.shape + (num_classes,)``.
        num_classes: number of classes, at least 2.
        ignore_index: label of pixels to leave out (default ``data.VOID``), or ``None``.

    Returns:
        A float64 array of shape ``(num_classes,)``.

    Example:

    >>> iou_per_class([[0, 0, 1, 1]], [[0, 1, 1, 1]], num_classes=3)  # 1/2, 2/3, absent
    array([0.5       , 0.66666667,        nan])
    """
    matrix = confusion_matrix(y_true, y_pred, num_classes, ignore_index)
    return _iou_from_confusion(matrix)


def mean_iou(y_true: Any, y_pred: Any, num_classes: int, ignore_index: int | None = VOID) -> float:
    """Mean of the per-class intersection over union: the headline metric of segmentation benchmarks.

    ``mean IoU = mean of IoU_c over the classes where it is defined``: a class absent from both truth and
    prediction is left out of the mean (the convention of ``keras.metrics.MeanIoU``), while a class that
    is predicted but absent from the truth counts with IoU 0. The IoUs come from one confusion matrix of
    the whole batch, not from averaging per image.

    Args:
        y_true: integer labels, shape ``(height, width)`` or ``(n, height, width)``.
        y_pred: integer labels of the same shape, or class scores of shape ``y_true.shape + (num_classes,)``.
        num_classes: number of classes, at least 2.
        ignore_index: label of pixels to leave out (default ``data.VOID``), or ``None``.

    Returns:
        A float in [0, 1] (``nan`` if no class has an IoU).

    Example:

    >>> round(mean_iou([[0, 0, 1, 1]], [[0, 1, 1, 1]], num_classes=3), 4)  # (1/2 + 2/3) / 2
    0.5833
    """
    return _nanmean(iou_per_class(y_true, y_pred, num_classes, ignore_index))


# --------------------------------------------------------------------------------------------------
# Boundary F1


def _boundary_pixels(labels: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Marks the valid pixels that have a valid 4-neighbour of another class.

    Both sides of a class change are marked: the inner boundary of each class. Pixels at the image border
    are not boundaries for that reason alone, and neither are pixels next to void only.
    """
    edges = np.zeros(labels.shape, dtype=bool)
    for axis in (1, 2):
        head = [slice(None)] * 3
        tail = [slice(None)] * 3
        head[axis], tail[axis] = slice(None, -1), slice(1, None)
        head, tail = tuple(head), tuple(tail)
        change = (labels[head] != labels[tail]) & valid[head] & valid[tail]
        edges[head] |= change
        edges[tail] |= change
    return edges


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Binary dilation over the last two axes by a ``(2 radius + 1)`` square, with array shifts.

    A pixel of the result is set when a set pixel lies within Chebyshev distance ``radius``
    (``max(|di|, |dj|) <= radius``). The square is separable: a horizontal pass, then a vertical pass.
    """
    rows = mask.copy()
    for shift in range(1, radius + 1):
        rows[..., shift:] |= mask[..., :-shift]
        rows[..., :-shift] |= mask[..., shift:]
    out = rows.copy()
    for shift in range(1, radius + 1):
        out[..., shift:, :] |= rows[..., :-shift, :]
        out[..., :-shift, :] |= rows[..., shift:, :]
    return out


def _f1_scores(true_edges: np.ndarray, pred_edges: np.ndarray, tolerance: int) -> np.ndarray:
    """Boundary F1 of each image of a batch, for one class's boundary masks ``(n, height, width)``."""
    true_count = true_edges.sum(axis=(1, 2))
    pred_count = pred_edges.sum(axis=(1, 2))
    pred_matched = (pred_edges & _dilate(true_edges, tolerance)).sum(axis=(1, 2))
    true_matched = (true_edges & _dilate(pred_edges, tolerance)).sum(axis=(1, 2))
    precision = _ratio(pred_matched, pred_count)
    recall = _ratio(true_matched, true_count)
    f1 = np.nan_to_num(_ratio(2 * precision * recall, precision + recall), nan=0.0)
    # Empty boundaries: none to find and none claimed is perfect; one of the two empty is a total miss.
    f1[(true_count == 0) != (pred_count == 0)] = 0.0
    f1[(true_count == 0) & (pred_count == 0)] = 1.0
    return f1


# The boundary F1 tolerance as a fraction of the image diagonal (Csurka et al., 2013; SegNet, Section 3.3).
_DIAGONAL_FRACTION = 0.0075


def boundary_tolerance(height: int, width: int) -> int:
    """The course's boundary F1 tolerance for an image size: 0.75% of the image diagonal, in pixels.

    ``tolerance = max(1, round(0.0075 * sqrt(height**2 + width**2)))``: the convention of Csurka et al.
    (BMVC 2013) and of the SegNet paper (Badrinarayanan et al., TPAMI 2017, Section 3.3), rounded to whole
    pixels, and at least 1 pixel so that a contour one pixel off still counts on small images. Tying the
    tolerance to the diagonal makes the score the same measure at every resolution: a contour off by the
    same fraction of the image is forgiven at 64x96 (1 pixel) and at 360x480 (4 pixels) alike. (Python's
    ``round`` rounds halves to even: 4.5 pixels at 360x480 give 4.)
    ``boundary_f1`` and ``evaluate`` use it when their ``tolerance`` is ``None`` (the default).

    Args:
        height: image height in pixels, >= 1.
        width: image width in pixels, >= 1.

    Returns:
        The tolerance in pixels, an integer >= 1.

    Example:

    >>> boundary_tolerance(64, 96), boundary_tolerance(360, 480), boundary_tolerance(720, 960)
    (1, 4, 9)
    """
    height = _validate.check_positive_int(height, "height")
    width = _validate.check_positive_int(width, "width")
    return max(1, round(_DIAGONAL_FRACTION * math.hypot(height, width)))


def _check_tolerance(tolerance: Any) -> int | None:
    if tolerance is None:
        return None
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, np.integer)) or tolerance < 0:
        raise ValueError(
            "`tolerance` must be None (0.75% of the image diagonal, see boundary_tolerance) or an integer "
            f"number of pixels >= 0; got {tolerance!r}."
        )
    return int(tolerance)


def boundary_f1(
    y_true: Any,
    y_pred: Any,
    num_classes: int,
    tolerance: int | None = None,
    ignore_index: int | None = VOID,
) -> float:
    """Boundary F1 (BF) score: how well the predicted class contours follow the true ones.

    The measure of Csurka et al. (BMVC 2013) that the SegNet paper reports. Region metrics (IoU) barely
    notice a contour that is a few pixels off or a thin pole that vanishes; this one does. Definitions:

    - **void**: pixels whose truth is ``ignore_index`` are removed from both label maps.
    - **boundary pixel** of class ``c`` in a label map: a valid pixel of class ``c`` with at least one valid
      4-neighbour (up, down, left, right) of another class. The image border and void do not make
      boundaries. This is the inner contour of each region, so a class change marks a pixel on each side.
    - **distance**: the Chebyshev distance ``max(|di|, |dj|)``; "within ``tolerance``" means inside the
      ``(2 tolerance + 1)``-pixel square around a pixel (a binary dilation done with NumPy shifts).
      Csurka et al.'s measure uses the Euclidean distance (a disc); the square also accepts the corners
      beyond the disc (at a 1-pixel tolerance, the 4 diagonal neighbours), so its scores can be a little
      higher than the disc's for the same maps. The chapters compare models with one convention, this one.
    - **tolerance**: by default (``tolerance=None``) 0.75% of the image diagonal, as Csurka et al. and the
      SegNet paper (Section 3.3) set it, in whole pixels and at least 1 (``boundary_tolerance``):
      ``tolerance = max(1, round(0.0075 * sqrt(height**2 + width**2)))``, 1 pixel at 64x96, 2 at 128x192,
      4 at CamVid's 360x480, so that the score measures the same thing at every image size. An explicit
      integer overrides it (0 demands an exact match).
    - For each image and each class ``c`` present in that image's truth (at least one valid pixel):
      ``precision = |predicted boundary pixels within tolerance of a true boundary pixel| / |predicted
      boundary pixels|``, ``recall = |true boundary pixels within tolerance of a predicted boundary pixel|
      / |true boundary pixels|``, ``F1 = 2 precision recall / (precision + recall)`` (0 if both are 0).
    - **empty boundaries**: if neither map has a boundary of class ``c`` (say the class fills the image in
      both) ``F1 = 1``; if exactly one of them has, ``F1 = 0``.
    - The score of an image is the mean F1 over its present classes; the result is the mean over the
      images (images with no labelled pixel are skipped; ``nan`` if all are).

    Args:
        y_true: integer labels, shape ``(height, width)`` or ``(n, height, width)``.
        y_pred: integer labels of the same shape, or class scores of shape ``y_true.shape + (num_classes,)``.
        num_classes: number of classes, at least 2.
        tolerance: the distance in pixels (integer >= 0) within which a boundary pixel counts as matched, or
            ``None`` (default) for 0.75% of the image diagonal (``boundary_tolerance(height, width)``).
        ignore_index: label of pixels to leave out (default ``data.VOID``), or ``None``.

    Returns:
        A float in [0, 1].

    Example:

    >>> truth = np.zeros((8, 8), int); truth[:, 4:] = 1
    >>> shifted = np.zeros((8, 8), int); shifted[:, 5:] = 1  # both contours one pixel to the right
    >>> boundary_f1(truth, shifted, num_classes=2, tolerance=1), boundary_f1(truth, shifted, 2, tolerance=0)
    (1.0, 0.0)
    >>> boundary_f1(truth, shifted, num_classes=2)  # 8x8: the default tolerance is 1 pixel
    1.0
    """
    tolerance = _check_tolerance(tolerance)
    truth, pred, valid, num_classes = _prepare(y_true, y_pred, num_classes, ignore_index)
    if tolerance is None:
        tolerance = boundary_tolerance(truth.shape[1], truth.shape[2])
    return _nanmean(_boundary_f1_per_image(truth, pred, valid, num_classes, tolerance))


def _boundary_f1_per_image(
    truth: np.ndarray, pred: np.ndarray, valid: np.ndarray, num_classes: int, tolerance: int
) -> np.ndarray:
    """Each image's boundary F1 (``nan`` for an image without a labelled pixel), from ``_prepare``'s output."""
    true_edges = _boundary_pixels(truth, valid)
    pred_edges = _boundary_pixels(pred, valid)

    # Vectorised over the batch; the loop runs over the (few) classes to keep memory at one batch of masks.
    f1 = np.zeros((truth.shape[0], num_classes))
    present = np.zeros((truth.shape[0], num_classes), dtype=bool)
    for c in range(num_classes):
        is_c = truth == c
        present[:, c] = (is_c & valid).any(axis=(1, 2))
        f1[:, c] = _f1_scores(true_edges & is_c, pred_edges & (pred == c), tolerance)
    return _ratio((f1 * present).sum(axis=1), present.sum(axis=1))


def boundary_distance(labels: Any, farthest: int = 4, ignore_index: int | None = VOID) -> np.ndarray:
    """The distance of every pixel to the nearest class boundary of a label map, capped at ``farthest``.

    Boundary pixels are those of ``boundary_f1``: labelled pixels with a labelled 4-neighbour of another
    class (void makes no boundary). They are at distance 0, their 8 neighbours at 1, and so on: the
    Chebyshev distance ``max(|di|, |dj|)`` to the nearest boundary pixel of the same image. Pixels farther
    than ``farthest - 1`` get ``farthest``, read as "``farthest`` or more". Void pixels get a distance too;
    leave them out with ``labels != ignore_index``. Used to measure accuracy against the distance to a
    boundary, where the decoders of chapter 3 differ.

    Args:
        labels: integer labels, shape ``(height, width)`` or ``(n, height, width)``.
        farthest: the cap, an integer >= 1.
        ignore_index: label of void pixels (default ``data.VOID``), or ``None``.

    Returns:
        An int array of the shape of ``labels``, values in ``0 .. farthest``.

    Example:

    >>> labels = np.zeros((1, 7), int); labels[0, 3:] = 1
    >>> boundary_distance(labels, farthest=3)
    array([[2, 1, 0, 0, 1, 2, 3]])
    """
    farthest = _validate.check_positive_int(farthest, "farthest")
    ignore_index = _check_ignore_index(ignore_index)
    truth = _validate.as_array(labels, "labels")
    _validate.check_rank(truth, "labels", (2, 3), "(height, width) or (n, height, width)")
    if not np.issubdtype(truth.dtype, np.integer):
        raise ValueError(f"`labels` must hold integer class labels; got dtype {truth.dtype}.")
    batch = truth[None] if truth.ndim == 2 else truth
    valid = batch != ignore_index if ignore_index is not None else np.ones(batch.shape, bool)
    reached = _boundary_pixels(batch, valid)
    distance = np.full(batch.shape, farthest)
    for d in range(farthest):
        distance[reached & (distance == farthest)] = d
        reached = _dilate(reached, 1)
    return distance[0] if truth.ndim == 2 else distance


# --------------------------------------------------------------------------------------------------
# Evaluating a model


def _default_class_names(class_names: Any, num_classes: int) -> tuple[str, ...]:
    if class_names is not None:
        return _validate.check_class_names(class_names, num_classes)
    if num_classes == len(CLASS_NAMES):
        return CLASS_NAMES
    return tuple(f"class_{i}" for i in range(num_classes))


#: Images scored at a time by ``evaluate``: its working memory (label copies, boundary masks) is that of this
#: many images, whatever the size of the test set.
_SCORE_CHUNK = 64
#: Pixels predicted at a time by ``evaluate`` (in whole batches, at least one): the float32 inputs and class
#: scores of a chunk stay at a few dozen megabytes, whatever the image size.
_PREDICT_PIXELS = 2**22


def _predict_labels(model: Any, images: np.ndarray, batch_size: int) -> tuple[np.ndarray, int]:
    """Predicted labels ``(n, height, width)`` and the model's number of output channels.

    Predicts a chunk of images at a time and keeps only the argmax, in one byte per pixel when the classes
    allow it: the float scores of a whole test set at full resolution would take ``num_classes`` times
    the memory of the labels.
    """
    pixels = int(np.prod(images.shape[1:3]))
    chunk = batch_size * max(1, _PREDICT_PIXELS // pixels // batch_size)
    labels, channels = [], None
    for start in range(0, len(images), chunk):
        batch = images[start : start + chunk]
        if batch.dtype == np.uint8:  # images kept as bytes (load_camvid/load_oxford_pets with dtype="uint8")
            batch = batch.astype(np.float32) / np.float32(255.0)
        scores = _validate.as_array(model.predict(batch, batch_size=batch_size, verbose=0), "model output")
        _validate.check_rank(scores, "model output", (4,), "(n, height, width, num_classes)")
        channels = scores.shape[-1]
        labels.append(np.argmax(scores, axis=-1).astype(np.uint8 if channels < 255 else np.int32))
    return np.concatenate(labels), int(channels)


def evaluate(
    model: Any,
    images: Any,
    labels: Any,
    batch_size: int = 16,
    num_classes: int | None = None,
    class_names: Any = None,
    ignore_index: int | None = VOID,
    tolerance: int | None = None,
) -> dict[str, Any]:
    """Runs a segmentation model on a set of images and computes every metric of this module.

    Calls ``model.predict(images, batch_size=batch_size, verbose=0)`` (about four million pixels at a time),
    takes the argmax of the class scores, and scores the predicted labels against ``labels``, a few dozen
    images at a time (adding up their confusion matrices and collecting each image's boundary F1), so that
    the memory it needs beyond the predicted labels does not grow with the test set.

    Args:
        model: a Keras model mapping ``(n, height, width, channels)`` images to class scores
            ``(n, height, width, num_classes)``.
        images: the input images, shape ``(n, height, width, channels)``; uint8 images (0-255) are scaled to
            [0, 1] a chunk at a time, as ``data.make_dataset`` does.
        labels: integer labels, shape ``(n, height, width)``.
        batch_size: images per forward pass.
        num_classes: number of classes; defaults to the last dimension of the model's output.
        class_names: one name per class; defaults to ``data.CLASS_NAMES`` when the count matches,
            else ``"class_0"``, ``"class_1"``, ...
        ignore_index: label of pixels to leave out (default ``data.VOID``), or ``None``.
        tolerance: boundary F1 tolerance in pixels, or ``None`` (default) for 0.75% of the image diagonal,
            at least 1 pixel (see ``boundary_f1`` and ``boundary_tolerance``).

    Returns:
        A dict with floats ``"pixel_accuracy"``, ``"class_accuracy"``, ``"mean_iou"``, ``"boundary_f1"``,
        a dict ``"iou_per_class"`` from class name to IoU, and the int64 ``"confusion_matrix"``.

    Example:

    >>> import keras
    >>> model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(8, 3, padding="same")])
    >>> images = np.random.rand(4, 32, 32, 3).astype("float32")
    >>> labels = np.random.randint(0, 8, size=(4, 32, 32))
    >>> results = evaluate(model, images, labels)
    >>> sorted(results)
    ['boundary_f1', 'class_accuracy', 'confusion_matrix', 'iou_per_class', 'mean_iou', 'pixel_accuracy']
    >>> list(results["iou_per_class"])[:3]
    ['sky', 'building', 'pole']
    """
    batch_size = _validate.check_positive_int(batch_size, "batch_size")
    tolerance = _check_tolerance(tolerance)
    if num_classes is not None:
        num_classes = _validate.check_positive_int(num_classes, "num_classes", minimum=2)
    images = _validate.as_array(images, "images")
    _validate.check_rank(images, "images", (4,), "(n, height, width, channels)")
    labels = _validate.as_array(labels, "labels")
    _validate.check_rank(labels, "labels", (3,), "(n, height, width)")
    if not np.issubdtype(labels.dtype, np.integer):  # fail before the (slow) prediction
        raise ValueError(f"`labels` must hold integer class labels; got dtype {labels.dtype}.")
    if labels.shape != images.shape[:3]:
        raise ValueError(
            f"`labels` must have shape {images.shape[:3]} (the images' n, height, width); "
            f"got shape {tuple(labels.shape)}."
        )

    predicted, channels = _predict_labels(model, images, batch_size)
    if num_classes is None:
        num_classes = _validate.check_positive_int(channels, "num_classes (the model's output channels)", 2)
    elif channels != num_classes:
        raise ValueError(
            f"`num_classes` is {num_classes} but the model outputs {channels} class scores per pixel."
        )
    names = _default_class_names(class_names, num_classes)
    if tolerance is None:
        tolerance = boundary_tolerance(labels.shape[1], labels.shape[2])

    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    per_image = []
    for start in range(0, len(labels), _SCORE_CHUNK):
        chunk = slice(start, start + _SCORE_CHUNK)
        truth, pred, valid, _ = _prepare(
            labels[chunk], predicted[chunk], num_classes, ignore_index, "labels", "model output"
        )
        matrix += confusion_matrix(truth, pred, num_classes, ignore_index)
        per_image.append(_boundary_f1_per_image(truth, pred, valid, num_classes, tolerance))
    scores = scores_from_confusion(matrix)
    return {
        "pixel_accuracy": scores["pixel_accuracy"],
        "class_accuracy": scores["class_accuracy"],
        "mean_iou": scores["mean_iou"],
        "boundary_f1": _nanmean(np.concatenate(per_image)),
        "iou_per_class": {name: float(iou) for name, iou in zip(names, scores["iou_per_class"], strict=True)},
        "confusion_matrix": matrix,
    }

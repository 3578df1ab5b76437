"""Tests of segcourse.metrics: hand-computed cases, conventions, agreement with Keras, bad input."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from segcourse import metrics
from segcourse.data import CLASS_NAMES, VOID

# A small case used by several tests: 3 classes, one void pixel.
TRUTH = np.array([[0, 0, 1], [1, 2, VOID]])
PRED = np.array([[0, 1, 1], [2, 2, 0]])
# The (truth, prediction) pairs of the five labelled pixels: (0,0) (0,1) (1,1) (1,2) (2,2).
CONFUSION = np.array([[1, 1, 0], [0, 1, 1], [0, 0, 1]])


def blocky_labels(rng: np.random.Generator, n: int, size: int, num_classes: int, block: int = 4):
    """Random labels constant over block x block squares, so that they have real contours."""
    coarse = rng.integers(0, num_classes, size=(n, size // block, size // block))
    return np.repeat(np.repeat(coarse, block, axis=1), block, axis=2)


# --------------------------------------------------------------------------------------------------
# Confusion matrix and region metrics


def test_confusion_matrix_hand_computed():
    matrix = metrics.confusion_matrix(TRUTH, PRED, num_classes=3, ignore_index=VOID)
    np.testing.assert_array_equal(matrix, CONFUSION)
    assert matrix.dtype == np.int64


def test_confusion_matrix_without_ignore_index_keeps_every_pixel():
    truth = np.array([[0, 1], [1, 1]])
    pred = np.array([[1, 1], [0, 1]])
    # rows truth, columns prediction: (0->1) once, (1->1) twice, (1->0) once.
    np.testing.assert_array_equal(metrics.confusion_matrix(truth, pred, 2), [[0, 1], [1, 2]])


def test_region_metrics_hand_computed():
    # From CONFUSION: 3 of 5 labelled pixels right; recalls 1/2, 1/2, 1/1;
    # IoU_0 = 1 / (2 + 1 - 1) = 1/2, IoU_1 = 1 / (2 + 2 - 1) = 1/3, IoU_2 = 1 / (1 + 2 - 1) = 1/2.
    assert metrics.pixel_accuracy(TRUTH, PRED, 3) == pytest.approx(3 / 5)
    assert metrics.class_accuracy(TRUTH, PRED, 3) == pytest.approx((1 / 2 + 1 / 2 + 1) / 3)
    np.testing.assert_allclose(metrics.iou_per_class(TRUTH, PRED, 3), [1 / 2, 1 / 3, 1 / 2])
    assert metrics.mean_iou(TRUTH, PRED, 3) == pytest.approx((1 / 2 + 1 / 3 + 1 / 2) / 3)


def test_scores_from_confusion_matches_the_functions():
    scores = metrics.scores_from_confusion(CONFUSION)
    assert scores["pixel_accuracy"] == pytest.approx(metrics.pixel_accuracy(TRUTH, PRED, 3))
    assert scores["class_accuracy"] == pytest.approx(metrics.class_accuracy(TRUTH, PRED, 3))
    assert scores["mean_iou"] == pytest.approx(metrics.mean_iou(TRUTH, PRED, 3))
    np.testing.assert_allclose(scores["iou_per_class"], metrics.iou_per_class(TRUTH, PRED, 3))


def test_class_absent_from_truth_and_prediction_is_left_out():
    # A 4th class that appears nowhere: its IoU is undefined (nan) and the means do not change.
    iou = metrics.iou_per_class(TRUTH, PRED, 4)
    assert np.isnan(iou[3])
    assert metrics.mean_iou(TRUTH, PRED, 4) == pytest.approx((1 / 2 + 1 / 3 + 1 / 2) / 3)
    assert metrics.class_accuracy(TRUTH, PRED, 4) == pytest.approx(2 / 3)


def test_class_predicted_but_absent_from_truth_counts_as_zero():
    truth, pred = np.array([[0, 0]]), np.array([[0, 1]])
    # IoU_0 = 1 / (2 + 1 - 1) = 1/2; IoU_1 = 0 / (0 + 1 - 0) = 0; class 2 absent from both: nan.
    np.testing.assert_allclose(metrics.iou_per_class(truth, pred, 3), [0.5, 0.0, np.nan])
    assert metrics.mean_iou(truth, pred, 3) == pytest.approx(0.25)
    # Class accuracy averages recalls of classes present in the truth: only class 0, recall 1/2.
    assert metrics.class_accuracy(truth, pred, 3) == pytest.approx(0.5)


def test_ignore_index_pixels_do_not_count():
    other = PRED.copy()
    other[1, 2] = 2  # the prediction at the void pixel changes: no metric may notice
    for fn in (metrics.pixel_accuracy, metrics.class_accuracy, metrics.mean_iou, metrics.boundary_f1):
        assert fn(TRUTH, PRED, 3) == fn(TRUTH, other, 3)


def test_ignore_index_inside_the_class_range_drops_that_class_from_the_truth():
    # Ignoring class 2: the pixel (1,1) of true class 2 is left out, the rest is as in CONFUSION.
    truth = np.where(TRUTH == VOID, 0, TRUTH)  # the former void pixel is now a class-0 pixel predicted 0
    matrix = metrics.confusion_matrix(truth, PRED, 3, ignore_index=2)
    np.testing.assert_array_equal(matrix, [[2, 1, 0], [0, 1, 1], [0, 0, 0]])


def test_void_prediction_allowed_only_on_void_truth():
    # metric(labels, labels) must work even though the labels hold void...
    assert metrics.mean_iou(TRUTH, TRUTH, 3) == 1.0
    assert metrics.boundary_f1(TRUTH, TRUTH, 3) == 1.0
    # ...but a void prediction at a labelled pixel is an error.
    bad = PRED.copy()
    bad[0, 0] = VOID
    with pytest.raises(ValueError, match="y_pred"):
        metrics.mean_iou(TRUTH, bad, 3)


def test_all_void_gives_nan():
    truth = np.full((2, 3), VOID)
    pred = np.zeros((2, 3), int)
    assert np.isnan(metrics.pixel_accuracy(truth, pred, 3))
    assert np.isnan(metrics.mean_iou(truth, pred, 3))
    assert np.isnan(metrics.boundary_f1(truth, pred, 3))


def test_scores_and_labels_agree():
    rng = np.random.default_rng(0)
    truth = blocky_labels(rng, 3, 16, 5)
    scores = rng.normal(size=(3, 16, 16, 5)).astype("float32")
    labels = scores.argmax(-1)
    for fn in (metrics.pixel_accuracy, metrics.class_accuracy, metrics.mean_iou, metrics.boundary_f1):
        assert fn(truth, scores, 5) == fn(truth, labels, 5)


def test_tensors_and_single_images_are_accepted():
    single = metrics.mean_iou(tf.constant(TRUTH), tf.constant(PRED), 3)
    batched = metrics.mean_iou(TRUTH[None], PRED[None], 3)
    assert single == pytest.approx(batched)
    assert metrics.boundary_f1(TRUTH, PRED, 3) == metrics.boundary_f1(TRUTH[None], PRED[None], 3)


@pytest.mark.parametrize("num_classes, draw", [(5, 5), (6, 4)])  # (6, 4): classes 4, 5 absent
def test_mean_iou_agrees_with_keras(num_classes, draw):
    rng = np.random.default_rng(num_classes)
    truth = rng.integers(0, draw, size=(4, 12, 12))
    pred = rng.integers(0, draw, size=(4, 12, 12))
    keras_metric = keras.metrics.MeanIoU(num_classes, sparse_y_true=True, sparse_y_pred=True)
    keras_metric.update_state(truth, pred)
    ours = metrics.mean_iou(truth, pred, num_classes, ignore_index=None)
    assert ours == pytest.approx(float(keras_metric.result()), abs=1e-6)


def test_mean_iou_agrees_with_keras_on_scores():
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 4, size=(2, 10, 10))
    scores = rng.random(size=(2, 10, 10, 4)).astype("float32")
    keras_metric = keras.metrics.MeanIoU(4, sparse_y_true=True, sparse_y_pred=False)
    keras_metric.update_state(truth, scores)
    ours = metrics.mean_iou(truth, scores, 4, ignore_index=None)
    assert ours == pytest.approx(float(keras_metric.result()), abs=1e-6)


def test_mean_iou_agrees_with_keras_ignore_class():
    rng = np.random.default_rng(2)
    truth = rng.integers(0, 4, size=(3, 8, 8))
    truth[:, :2] = VOID
    pred = rng.integers(0, 4, size=(3, 8, 8))
    keras_metric = keras.metrics.MeanIoU(4, ignore_class=VOID, sparse_y_true=True, sparse_y_pred=True)
    keras_metric.update_state(truth, pred)
    assert metrics.mean_iou(truth, pred, 4) == pytest.approx(float(keras_metric.result()), abs=1e-6)


# --------------------------------------------------------------------------------------------------
# Boundary F1


def test_boundary_f1_perfect_prediction_is_one():
    truth = blocky_labels(np.random.default_rng(2), 3, 24, 4)
    assert metrics.boundary_f1(truth, truth, 4) == 1.0


def test_boundary_f1_one_pixel_shift_within_tolerance_is_one():
    truth = np.zeros((10, 10), int)
    truth[:, 5:] = 1
    shifted = np.roll(truth, 1, axis=1)
    shifted[:, 0] = 0
    assert metrics.boundary_f1(truth, shifted, 2, tolerance=2) == 1.0


def test_boundary_f1_shift_beyond_tolerance_is_lower():
    truth = np.zeros((12, 12), int)
    truth[:, 4:] = 1
    shifted = np.zeros((12, 12), int)
    shifted[:, 8:] = 1  # both contours 4 pixels to the right
    # Every boundary pixel is 4 > 2 pixels from the other map's: precision = recall = 0 for both classes.
    assert metrics.boundary_f1(truth, shifted, 2, tolerance=2) == 0.0
    assert metrics.boundary_f1(truth, shifted, 2, tolerance=4) == 1.0
    # The region metric barely moves: 4 columns out of 12 are wrong.
    assert metrics.pixel_accuracy(truth, shifted, 2) == pytest.approx(8 / 12)


def test_boundary_f1_hand_computed():
    # Truth: classes 0 | 1 split between columns 2 and 3 in all 4 rows.
    truth = np.array([[0, 0, 0, 1, 1, 1]] * 4)
    # Prediction: the same split in rows 0-1, moved two columns right in rows 2-3.
    pred = np.array([[0, 0, 0, 1, 1, 1]] * 2 + [[0, 0, 0, 0, 0, 1]] * 2)
    # Boundary pixels (valid pixels with a 4-neighbour of another class):
    #   truth class 0: (r, 2) for r = 0..3 (4 px);      truth class 1: (r, 3) for r = 0..3 (4 px)
    #   pred class 0: (0,2) (1,2) (2,4) (3,4), and (2,3) below the 1 at (1,3): 5 px
    #   pred class 1: (0,3) (1,3) (2,5) (3,5), and (1,4) above the 0 at (2,4): 5 px
    # Tolerance 0 (exact match): class 0 matches (0,2) (1,2): P = 2/5, R = 2/4, F1 = 2 PR/(P+R) = 4/9;
    #   class 1 likewise matches (0,3) (1,3): F1 = 4/9. Mean: 4/9.
    assert metrics.boundary_f1(truth, pred, 2, tolerance=0) == pytest.approx(4 / 9)
    # Tolerance 1 (3x3 square): class 0: pred (0,2) (1,2) (2,3) are within 1 of column 2: P = 3/5;
    #   every truth pixel (r,2) is within 1 of (0,2), (1,2) or (2,3): R = 1; F1 = 1.2 / 1.6 = 3/4.
    #   class 1: pred (0,3) (1,3) (1,4) within 1 of column 3: P = 3/5; truth (3,3) is 2 away from
    #   every predicted class-1 boundary pixel: R = 3/4; F1 = 0.9 / 1.35 = 2/3. Mean: (3/4 + 2/3) / 2.
    assert metrics.boundary_f1(truth, pred, 2, tolerance=1) == pytest.approx((3 / 4 + 2 / 3) / 2)
    # Tolerance 2: everything matches.
    assert metrics.boundary_f1(truth, pred, 2, tolerance=2) == 1.0


def test_boundary_f1_void_makes_no_boundary():
    # Classes 0 and 1 separated by a void column: no boundary in the truth, and the prediction,
    # which fills the void column with class 0, has none either once void is removed: F1 = 1, 1.
    truth = np.array([[0, 0, VOID, 1, 1]] * 3)
    pred = np.array([[0, 0, 0, 1, 1]] * 3)
    assert metrics.boundary_f1(truth, pred, 2) == 1.0


def test_boundary_f1_empty_boundaries():
    uniform = np.zeros((6, 6), int)
    assert metrics.boundary_f1(uniform, uniform, 2) == 1.0  # nothing to find, nothing claimed
    blob = uniform.copy()
    blob[2:4, 2:4] = 1
    # Class 0 (the only one present) has no true boundary but a predicted one: F1 = 0.
    # Class 1 is absent from the truth, so it is not averaged.
    assert metrics.boundary_f1(uniform, blob, 2) == 0.0
    # Predicting nothing where there is a contour: recall 0, F1 = 0 for both classes.
    assert metrics.boundary_f1(blob, uniform, 2) == 0.0


def test_boundary_f1_averages_over_images():
    uniform = np.zeros((6, 6), int)
    blob = uniform.copy()
    blob[2:4, 2:4] = 1
    # Image 0 scores 1 (perfect), image 1 scores 0 (see above): mean 1/2.
    assert metrics.boundary_f1(np.stack([blob, uniform]), np.stack([blob, blob]), 2) == 0.5


@pytest.mark.parametrize(
    "height, width, expected",
    [(64, 96, 1), (128, 192, 2), (360, 480, 4), (720, 960, 9), (1024, 2048, 17), (8, 8, 1), (1, 1, 1)],
)
def test_boundary_tolerance_is_three_quarters_of_a_percent_of_the_diagonal(height, width, expected):
    # 0.0075 * hypot: 0.87 -> 1, 1.73 -> 2, 4.5 -> 4 (round half to even), 9.0, 17.2 -> 17; tiny images get 1.
    assert metrics.boundary_tolerance(height, width) == expected
    assert metrics.boundary_tolerance(height, width) == max(1, round(0.0075 * np.hypot(height, width)))


def shifted_contour(height: int, width: int, shift: int) -> tuple[np.ndarray, np.ndarray]:
    """Two classes split by a vertical contour, and the same split moved ``shift`` columns to the right."""
    truth = np.zeros((height, width), int)
    truth[:, width // 2 :] = 1
    moved = np.zeros((height, width), int)
    moved[:, width // 2 + shift :] = 1
    return truth, moved


@pytest.mark.parametrize("height, width", [(64, 96), (256, 384), (360, 480)])
def test_boundary_f1_default_tolerance_follows_the_image_size(height, width):
    tolerance = metrics.boundary_tolerance(height, width)  # 1, 3 and 4 pixels
    # A contour moved by the tolerance is found; moved one pixel further, it is missed entirely.
    within, beyond = shifted_contour(height, width, tolerance), shifted_contour(height, width, tolerance + 1)
    assert metrics.boundary_f1(*within, 2) == 1.0
    assert metrics.boundary_f1(*beyond, 2) == 0.0
    # The default is exactly the explicit tolerance of that size.
    assert metrics.boundary_f1(*beyond, 2) == metrics.boundary_f1(*beyond, 2, tolerance=tolerance)
    assert metrics.boundary_f1(*beyond, 2, tolerance=tolerance + 1) == 1.0


def test_boundary_f1_default_tolerance_is_not_the_old_two_pixels():
    # At 64x96 the diagonal rule gives 1 pixel: a contour 2 pixels off, which a fixed 2-pixel tolerance
    # forgave, is now a miss.
    truth, moved = shifted_contour(64, 96, 2)
    assert metrics.boundary_f1(truth, moved, 2, tolerance=2) == 1.0
    assert metrics.boundary_f1(truth, moved, 2) == 0.0


def test_boundary_f1_ignores_image_border():
    # A single class touching the border everywhere has no boundary at all.
    full = np.ones((5, 5), int)
    assert metrics.boundary_f1(full, full, 2) == 1.0


def test_boundary_distance_counts_chessboard_steps_to_the_nearest_boundary():
    labels = np.zeros((7, 9), int)
    labels[2:5, 3:6] = 1  # a 3x3 square; boundary pixels have a 4-neighbour of another class
    distance = metrics.boundary_distance(labels, farthest=3)
    boundary = np.zeros((7, 9), bool)
    for axis in (0, 1):
        change = np.diff(labels, axis=axis) != 0
        head = (slice(None, -1), slice(None)) if axis == 0 else (slice(None), slice(None, -1))
        tail = (slice(1, None), slice(None)) if axis == 0 else (slice(None), slice(1, None))
        boundary[head] |= change
        boundary[tail] |= change
    np.testing.assert_array_equal(distance == 0, boundary)
    assert distance[3, 4] == 1  # the centre of the square, one step from its border
    # Brute force: Chebyshev distance to the nearest boundary pixel, capped at 3.
    rows, cols = np.nonzero(boundary)
    i, j = np.indices(labels.shape)
    nearest = np.maximum(np.abs(i[..., None] - rows), np.abs(j[..., None] - cols)).min(axis=-1)
    np.testing.assert_array_equal(distance, np.minimum(nearest, 3))


def test_boundary_distance_per_image_and_void():
    labels = np.zeros((2, 4, 6), np.uint8)
    labels[0, :, 3:] = 1
    labels[1, :, 3:] = VOID  # void makes no boundary: the second image has none
    distance = metrics.boundary_distance(labels, farthest=4)
    assert distance.shape == labels.shape
    np.testing.assert_array_equal(distance[0, 0], [2, 1, 0, 0, 1, 2])
    assert (distance[1] == 4).all()
    assert (metrics.boundary_distance(labels, ignore_index=None)[1, 0] == [2, 1, 0, 0, 1, 2]).all()
    np.testing.assert_array_equal(metrics.boundary_distance(labels[0], farthest=4), distance[0])
    with pytest.raises(ValueError, match="`farthest`"):
        metrics.boundary_distance(labels, farthest=0)
    with pytest.raises(ValueError, match="`labels`"):
        metrics.boundary_distance(labels.astype(float))


# --------------------------------------------------------------------------------------------------
# evaluate


@pytest.fixture(scope="module")
def tiny_model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(3, 1, activation="softmax")])


@pytest.fixture(scope="module")
def tiny_data():
    rng = np.random.default_rng(3)
    images = rng.random((5, 8, 8, 3)).astype("float32")
    labels = blocky_labels(rng, 5, 8, 3, block=2)
    labels[:, 0, 0] = VOID
    return images, labels


def test_evaluate_matches_the_metrics(tiny_model, tiny_data):
    images, labels = tiny_data
    results = metrics.evaluate(tiny_model, images, labels, batch_size=2)
    pred = tiny_model.predict(images, verbose=0)
    assert results["pixel_accuracy"] == pytest.approx(metrics.pixel_accuracy(labels, pred, 3))
    assert results["class_accuracy"] == pytest.approx(metrics.class_accuracy(labels, pred, 3))
    assert results["mean_iou"] == pytest.approx(metrics.mean_iou(labels, pred, 3))
    assert results["boundary_f1"] == pytest.approx(metrics.boundary_f1(labels, pred, 3))
    assert list(results["iou_per_class"]) == ["class_0", "class_1", "class_2"]
    np.testing.assert_array_equal(results["confusion_matrix"], metrics.confusion_matrix(labels, pred, 3, VOID))
    assert results["confusion_matrix"].sum() == labels.size - 5  # one void pixel per image


def test_evaluate_scores_a_chunk_of_images_at_a_time_with_the_same_results(tiny_model, tiny_data, monkeypatch):
    images, labels = tiny_data  # 5 images: chunks of 2, 2 and 1
    whole = metrics.evaluate(tiny_model, images, labels, batch_size=2)
    monkeypatch.setattr(metrics, "_SCORE_CHUNK", 2)
    monkeypatch.setattr(metrics, "_PREDICT_PIXELS", 3 * 8 * 8)  # 3 images: predicted a batch of 2 at a time
    chunked = metrics.evaluate(tiny_model, images, labels, batch_size=2)
    np.testing.assert_array_equal(chunked["confusion_matrix"], whole["confusion_matrix"])
    # The boundary F1 is a mean over images: the chunks' per-image scores give the whole set's mean.
    pred = tiny_model.predict(images, verbose=0)
    assert chunked["boundary_f1"] == pytest.approx(metrics.boundary_f1(labels, pred, 3))
    assert chunked["mean_iou"] == whole["mean_iou"] and chunked["pixel_accuracy"] == whole["pixel_accuracy"]


def test_evaluate_boundary_f1_uses_the_diagonal_tolerance_unless_told(tiny_data):
    images, labels = tiny_data
    # A model that predicts the labels moved one column to the right, as one-hot scores.
    moved = np.roll(np.where(labels == VOID, 0, labels), 1, axis=2)
    scores = np.eye(3, dtype="float32")[moved]

    class Fixed:
        def predict(self, batch, batch_size, verbose):
            assert len(batch) == len(images)  # 5 images of 8x8: one chunk of pixels
            return scores

    default = metrics.evaluate(Fixed(), images, labels, batch_size=2)["boundary_f1"]
    assert metrics.boundary_tolerance(8, 8) == 1
    assert default == pytest.approx(metrics.boundary_f1(labels, moved, 3, tolerance=1))
    exact = metrics.evaluate(Fixed(), images, labels, batch_size=2, tolerance=0)["boundary_f1"]
    assert exact == pytest.approx(metrics.boundary_f1(labels, moved, 3, tolerance=0))
    assert exact < default  # an explicit tolerance is still used, and a stricter one scores lower


def test_evaluate_scales_uint8_images_like_make_dataset(tiny_data):
    images, labels = tiny_data
    # With biases the predicted classes depend on the scale of the input (without, the argmax would not).
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [keras.Input((8, 8, 3)), keras.layers.Conv2D(3, 1, bias_initializer=keras.initializers.RandomNormal())]
    )
    as_bytes = np.round(images * 255).astype(np.uint8)
    from_bytes = metrics.evaluate(model, as_bytes, labels, batch_size=2)
    from_floats = metrics.evaluate(model, as_bytes / np.float32(255), labels, batch_size=2)
    np.testing.assert_array_equal(from_bytes["confusion_matrix"], from_floats["confusion_matrix"])
    # Unscaled bytes give other predictions: the scaling is what makes the two agree.
    unscaled = metrics.evaluate(model, as_bytes.astype(np.float32), labels, batch_size=2)
    assert not np.array_equal(unscaled["confusion_matrix"], from_floats["confusion_matrix"])


def test_evaluate_class_names(tiny_model, tiny_data):
    images, labels = tiny_data
    results = metrics.evaluate(tiny_model, images, labels, class_names=["a", "b", "c"])
    assert list(results["iou_per_class"]) == ["a", "b", "c"]
    eight = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(8, 1)])
    results = metrics.evaluate(eight, images, labels)
    assert tuple(results["iou_per_class"]) == CLASS_NAMES


# --------------------------------------------------------------------------------------------------
# Bad input

GOOD_TRUE = np.zeros((2, 4, 4), int)
GOOD_PRED = np.zeros((2, 4, 4), int)


@pytest.mark.parametrize(
    "y_true, y_pred, kwargs, argument",
    [
        (GOOD_TRUE, np.zeros((2, 4, 5), int), {}, "y_pred"),  # mismatched shapes
        (GOOD_TRUE, np.zeros((2, 4, 4, 4)), {}, "y_pred"),  # scores with the wrong class count
        (np.zeros(4, int), np.zeros(4, int), {}, "y_true"),  # rank 1
        (np.zeros((1, 2, 4, 4), int), np.zeros((1, 2, 4, 4), int), {}, "y_true"),  # rank 4
        (GOOD_TRUE.astype(float), GOOD_PRED, {}, "y_true"),  # float labels
        (GOOD_TRUE, GOOD_PRED.astype("float32"), {}, "y_pred"),  # float predicted labels
        (GOOD_TRUE + 3, GOOD_PRED, {}, "y_true"),  # out of range
        (GOOD_TRUE, GOOD_PRED - 1, {}, "y_pred"),  # negative
        (GOOD_TRUE, GOOD_PRED, {"num_classes": 1}, "num_classes"),
        (GOOD_TRUE, GOOD_PRED, {"num_classes": 2.0}, "num_classes"),
        (GOOD_TRUE, GOOD_PRED, {"ignore_index": "void"}, "ignore_index"),
        (GOOD_TRUE + VOID, GOOD_PRED, {"ignore_index": None}, "y_true"),  # void not allowed
    ],
)
@pytest.mark.parametrize(
    "fn",
    [
        metrics.confusion_matrix,
        metrics.pixel_accuracy,
        metrics.class_accuracy,
        metrics.iou_per_class,
        metrics.mean_iou,
        metrics.boundary_f1,
    ],
)
def test_bad_input_raises(fn, y_true, y_pred, kwargs, argument):
    kwargs = {"num_classes": 3, **kwargs}
    with pytest.raises(ValueError, match=f"`{argument}"):
        fn(y_true, y_pred, **kwargs)


@pytest.mark.parametrize("tolerance", [-1, 1.5, True, "2"])
def test_bad_tolerance_raises(tolerance):
    with pytest.raises(ValueError, match="`tolerance`"):
        metrics.boundary_f1(GOOD_TRUE, GOOD_PRED, 3, tolerance=tolerance)


@pytest.mark.parametrize(
    "height, width, argument", [(0, 96, "height"), (64, 9.5, "width"), (True, 4, "height")]
)
def test_bad_boundary_tolerance_size_raises(height, width, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        metrics.boundary_tolerance(height, width)


@pytest.mark.parametrize("matrix", [np.zeros((3, 2)), np.zeros((1, 1)), -np.ones((2, 2))])
def test_bad_confusion_matrix_raises(matrix):
    with pytest.raises(ValueError, match="`matrix`"):
        metrics.scores_from_confusion(matrix)


@pytest.mark.parametrize(
    "change, argument",
    [
        ({"images": np.zeros((5, 8, 8), "float32")}, "images"),
        ({"labels": np.zeros((5, 8, 7), int)}, "labels"),
        ({"labels": np.zeros((5, 8, 8))}, "labels"),  # float labels
        ({"labels": np.full((5, 8, 8), 3)}, "labels"),  # out of range for 3 classes
        ({"batch_size": 0}, "batch_size"),
        ({"tolerance": -1}, "tolerance"),
        ({"num_classes": 4}, "num_classes"),  # the model outputs 3
        ({"class_names": ["a", "b"]}, "class_names"),
    ],
)
def test_evaluate_bad_input_raises(tiny_model, tiny_data, change, argument):
    images, labels = tiny_data
    kwargs = {"images": images, "labels": labels, **change}
    with pytest.raises(ValueError, match=f"`{argument}"):
        metrics.evaluate(tiny_model, **kwargs)

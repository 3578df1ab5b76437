"""Tests of segcourse.data: synthetic scenes, tf.data pipeline, class weights, CamVid and Pets loaders."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import segcourse.data as data
from segcourse.data import (
    CAMVID_CLASS_NAMES,
    CLASS_NAMES,
    NUM_CLASSES,
    PALETTE,
    PETS_CLASS_NAMES,
    VOID,
    class_frequencies,
    load_camvid,
    load_oxford_pets,
    make_dataset,
    median_frequency_weights,
    synthetic_scenes,
)

SKY, BUILDING, POLE, ROAD, SIDEWALK, VEGETATION, CAR, PEDESTRIAN = range(NUM_CLASSES)


@pytest.fixture(scope="module")
def scenes() -> tuple[np.ndarray, np.ndarray]:
    return synthetic_scenes(32, 96, 128, seed=0)


def interior(mask: np.ndarray, radius: int = 2) -> np.ndarray:
    """Pixels of ``mask`` (n, h, w) whose whole (2r+1)^2 neighbourhood is in the mask (borders excluded)."""
    padded = np.pad(mask, ((0, 0), (radius, radius), (radius, radius)), constant_values=False)
    h, w = mask.shape[1:]
    result = np.ones_like(mask)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            result &= padded[:, dy : dy + h, dx : dx + w]
    return result


# --------------------------------------------------------------------------------------------------
# synthetic_scenes
# --------------------------------------------------------------------------------------------------


def test_constants_are_consistent():
    assert NUM_CLASSES == len(CLASS_NAMES) == len(PALETTE) == 8
    assert PALETTE.dtype == np.uint8 and PALETTE.shape == (NUM_CLASSES, 3)
    assert VOID == 255
    assert len(CAMVID_CLASS_NAMES) == 11 and PETS_CLASS_NAMES == ("pet", "background", "border")


def test_scenes_shapes_dtypes_and_ranges(scenes):
    images, labels = scenes
    assert images.shape == (32, 96, 128, 3) and images.dtype == np.float32
    assert labels.shape == (32, 96, 128) and labels.dtype == np.uint8
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert set(np.unique(labels)) <= set(range(NUM_CLASSES)) | {VOID}
    # Not flat: every image has real contrast.
    assert (images.reshape(32, -1).std(axis=1) > 0.05).all()


def test_every_class_occurs_and_most_in_every_scene(scenes):
    _, labels = scenes
    present = np.array([[np.any(label == c) for c in range(NUM_CLASSES)] for label in labels])
    assert present.any(axis=0).all(), "some class never occurs in 32 scenes"
    # The street itself is in every scene.
    for c in (SKY, BUILDING, POLE, ROAD, SIDEWALK, CAR):
        assert present[:, c].mean() > 0.9, CLASS_NAMES[c]


def test_void_is_small_but_present(scenes):
    _, labels = scenes
    fraction = np.mean(labels == VOID)
    assert 0.003 < fraction < 0.02
    assert np.mean([np.any(label == VOID) for label in labels]) > 0.9


def test_poles_are_thin(scenes):
    _, labels = scenes
    pole = labels == POLE
    assert pole.sum() > 500
    # Nearly every pole pixel has a non-pole pixel within 1 px to its left or right.
    padded = np.pad(pole, ((0, 0), (0, 0), (1, 1)), constant_values=False)
    near_edge = ~padded[:, :, :-2] | ~padded[:, :, 2:]
    assert near_edge[pole].mean() > 0.9
    # Horizontal runs of pole pixels (row by row): the typical run is 1-2 px wide.
    edges = np.diff(np.pad(pole, ((0, 0), (0, 0), (1, 1))).astype(np.int8), axis=2)
    run_lengths = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
    assert np.median(run_lengths) <= 2
    assert np.mean(run_lengths <= 2) > 0.85


def test_road_and_sidewalk_look_alike_locally(scenes):
    images, labels = scenes
    road, sidewalk, sky = (interior(labels == c) for c in (ROAD, SIDEWALK, SKY))
    road_vs_sidewalk, road_vs_sky, signed = [], [], []
    for i in range(len(images)):
        if road[i].sum() < 100 or sidewalk[i].sum() < 100 or sky[i].sum() < 100:
            continue
        road_mean, sidewalk_mean = images[i][road[i]].mean(axis=0), images[i][sidewalk[i]].mean(axis=0)
        road_vs_sidewalk.append(np.abs(road_mean - sidewalk_mean).mean())
        road_vs_sky.append(np.abs(road_mean - images[i][sky[i]].mean(axis=0)).mean())
        signed.append((road_mean - sidewalk_mean).mean())
        # Same texture: same spread of values.
        spread_ratio = images[i][road[i]].std() / images[i][sidewalk[i]].std()
        assert 0.6 < spread_ratio < 1.6
    assert len(road_vs_sidewalk) >= 20
    assert np.mean(road_vs_sidewalk) < 0.1 * np.mean(road_vs_sky)
    # No systematic brightness difference a model could learn locally.
    assert abs(np.mean(signed)) < 0.01


def test_road_and_sidewalk_are_told_apart_by_context(scenes):
    _, labels = scenes
    n, h, w = labels.shape
    rows = np.arange(h)[None, :, None]
    # The sidewalk lies between the facades and the road, in every column where both are visible.
    for c_above, c_below in ((BUILDING, SIDEWALK), (SIDEWALK, ROAD)):
        above, below = labels == c_above, labels == c_below
        both = above.any(axis=1) & below.any(axis=1)
        lowest_above = np.where(above, rows, -1).max(axis=1)
        highest_below = np.where(below, rows, h).min(axis=1)
        assert (lowest_above[both] < highest_below[both]).mean() > 0.99
    # People stand on the sidewalk; cars stand on the road (look just below their lowest pixels).
    for thing, ground, others in ((PEDESTRIAN, SIDEWALK, ROAD), (CAR, ROAD, SIDEWALK)):
        mask = labels == thing
        lowest = np.where(mask, rows, -1).max(axis=1)
        image_index, column = np.nonzero((lowest >= 0) & (lowest < h - 1))
        below = labels[image_index, lowest[image_index, column] + 1, column]
        assert np.mean(below == ground) > 0.6
        assert np.mean(below == ground) > 5 * np.mean(below == others)


def test_row_alone_does_not_decide_road_or_sidewalk(scenes):
    _, labels = scenes
    road_per_row = (labels == ROAD).sum(axis=(0, 2))
    sidewalk_per_row = (labels == SIDEWALK).sum(axis=(0, 2))
    # Best possible rule "this row is road / sidewalk", fitted on the same scenes: still often wrong.
    accuracy = np.maximum(road_per_row, sidewalk_per_row).sum() / (road_per_row + sidewalk_per_row).sum()
    assert accuracy < 0.9


def test_scenes_are_deterministic_and_seed_dependent():
    first, first_labels = synthetic_scenes(3, 64, 80, seed=7)
    again, again_labels = synthetic_scenes(3, 64, 80, seed=7)
    other, other_labels = synthetic_scenes(3, 64, 80, seed=8)
    assert first.tobytes() == again.tobytes() and first_labels.tobytes() == again_labels.tobytes()
    assert not np.array_equal(first_labels, other_labels)
    assert np.abs(first - other).mean() > 0.05
    # Scenes within one call differ from each other too.
    assert not np.array_equal(first_labels[0], first_labels[1])


def test_first_scenes_do_not_depend_on_n():
    small_images, small_labels = synthetic_scenes(3, 64, 64, seed=2)
    large_images, large_labels = synthetic_scenes(70, 64, 64, seed=2)  # more than one block
    np.testing.assert_array_equal(small_images, large_images[:3])
    np.testing.assert_array_equal(small_labels, large_labels[:3])
    assert not np.array_equal(large_labels[64], large_labels[0])


@pytest.mark.parametrize("size", [(64, 64), (360, 480), (64, 200)])
def test_any_size_gives_a_plausible_scene(size):
    images, labels = synthetic_scenes(2, *size, seed=1)
    assert images.shape == (2, *size, 3) and labels.shape == (2, *size)
    for label in labels:
        # Sky above, road at the bottom.
        assert np.mean(label[0] == SKY) + np.mean(label[0] == BUILDING) + np.mean(label[0] == POLE) > 0.5
        assert np.mean(label[-1] == ROAD) + np.mean(label[-1] == CAR) > 0.9
        assert np.any(label == SIDEWALK) and np.any(label == POLE)


def test_geometry_is_in_relative_units():
    # Same seed and aspect ratio: the same street at two resolutions.
    _, small = synthetic_scenes(2, 96, 128, seed=4)
    _, large = synthetic_scenes(2, 360, 480, seed=4)
    rows = ((np.arange(96) + 0.5) * 360 / 96).astype(int)
    cols = ((np.arange(128) + 0.5) * 480 / 128).astype(int)
    assert np.mean(large[:, rows][:, :, cols] == small) > 0.9
    # Poles are wider in proportion at the larger size.
    pole_columns_small = (small == POLE).sum(axis=2)
    pole_columns_large = (large == POLE).sum(axis=2)
    mean_width_large = pole_columns_large[pole_columns_large > 0].mean()
    assert mean_width_large > 2 * pole_columns_small[pole_columns_small > 0].mean()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n": 0}, "`n`"),
        ({"n": -3}, "`n`"),
        ({"n": 2.0}, "`n`"),
        ({"n": "4"}, "`n`"),
        ({"n": True}, "`n`"),
        ({"n": 1, "height": 63}, "`height`"),
        ({"n": 1, "width": 32}, "`width`"),
        ({"n": 1, "height": 96.0}, "`height`"),
        ({"n": 1, "seed": -1}, "`seed`"),
    ],
)
def test_scenes_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        synthetic_scenes(**kwargs)


# --------------------------------------------------------------------------------------------------
# make_dataset
# --------------------------------------------------------------------------------------------------


def encoded_examples(n: int = 12, h: int = 6, w: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Examples whose red channel encodes the label and green channel the example index; labels vary along
    the width (so a flip is visible) and include void."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, NUM_CLASSES, size=(n, h, w)).astype(np.uint8)
    labels[:, 0, 0] = VOID
    images = np.zeros((n, h, w, 3), dtype=np.float32)
    images[..., 0] = np.where(labels == VOID, 1.0, labels / 10)
    images[..., 1] = (np.arange(n) / 100)[:, None, None]
    images[..., 2] = np.linspace(0, 1, w)  # a left-to-right ramp: reveals flips
    return images, labels


def collect(dataset) -> list[tuple[np.ndarray, ...]]:
    return [tuple(t.numpy() for t in batch) for batch in dataset]


def test_dataset_batches_and_types():
    images, labels = encoded_examples(10)
    batches = collect(make_dataset(images, labels, batch_size=4, shuffle=False))
    assert [b[0].shape for b in batches] == [(4, 6, 10, 3), (4, 6, 10, 3), (2, 6, 10, 3)]
    assert all(b[0].dtype == np.float32 and b[1].dtype == np.int32 and len(b) == 2 for b in batches)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), images)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), labels.astype(np.int32))
    # Void stays 255: the loss ignores it with ignore_class=VOID.
    assert np.all(np.concatenate([b[1] for b in batches])[:, 0, 0] == VOID)


def test_dataset_of_uint8_images_gives_the_same_float_batches():
    images, labels = encoded_examples(10)
    as_bytes = np.round(images * 255).astype(np.uint8)
    weights = np.linspace(0.5, 2.0, NUM_CLASSES)
    kwargs = {"batch_size": 4, "augment": True, "seed": 2, "class_weights": weights}
    from_bytes = collect(make_dataset(as_bytes, labels, **kwargs))
    from_floats = collect(make_dataset(as_bytes / np.float32(255), labels, **kwargs))
    assert all(b[0].dtype == np.float32 for b in from_bytes)
    for got, expected in zip(from_bytes, from_floats, strict=True):
        np.testing.assert_allclose(got[0], expected[0], atol=1e-6)
        np.testing.assert_array_equal(got[1], expected[1])
        np.testing.assert_array_equal(got[2], expected[2])


def test_dataset_refuses_other_integer_images():
    images, labels = encoded_examples(4)
    with pytest.raises(ValueError, match="`images` must be floating point in \\[0, 1\\] or uint8"):
        make_dataset((images * 255).astype(np.int32), labels)


def test_dataset_shuffle_is_seeded_and_complete():
    images, labels = encoded_examples(12)

    def order(dataset) -> list[int]:
        return [int(round(i * 100)) for b in collect(dataset) for i in b[0][:, 0, 0, 1]]

    first = order(make_dataset(images, labels, batch_size=5, seed=3))
    assert sorted(first) == list(range(12)) and first != list(range(12))
    assert order(make_dataset(images, labels, batch_size=5, seed=3)) == first
    assert order(make_dataset(images, labels, batch_size=5, seed=4)) != first
    # A new order each epoch.
    dataset = make_dataset(images, labels, batch_size=12, seed=3)
    assert order(dataset) != order(dataset)


def test_flips_keep_images_and_labels_aligned():
    images, labels = encoded_examples(16)
    dataset = make_dataset(images, labels, batch_size=16, shuffle=False, augment=True, seed=1)
    epochs = [collect(dataset)[0] for _ in range(2)]
    for x, y in epochs:
        # Red channel still encodes the label at every pixel, flipped or not.
        decoded = np.where(x[..., 0] == 1.0, VOID, np.round(x[..., 0] * 10)).astype(np.int32)
        np.testing.assert_array_equal(decoded, y)
        flipped = x[:, 0, 0, 2] > x[:, 0, -1, 2]  # the ramp runs right to left
        assert 0 < flipped.sum() < 16
        for i in range(16):
            expected = labels[i, :, ::-1] if flipped[i] else labels[i]
            np.testing.assert_array_equal(y[i], expected)
    # The flips are drawn anew each epoch.
    assert not np.array_equal(epochs[0][0][:, 0, 0, 2], epochs[1][0][:, 0, 0, 2])
    # Without augment nothing is flipped.
    ((x, _),) = collect(make_dataset(images, labels, batch_size=16, shuffle=False))
    assert np.all(x[:, 0, 0, 2] < x[:, 0, -1, 2])


def test_sample_weights_follow_the_labels():
    images, labels = encoded_examples(6)
    class_weights = np.arange(1, NUM_CLASSES + 1, dtype=np.float32) / 2
    batches = collect(make_dataset(images, labels, batch_size=4, shuffle=False, class_weights=class_weights))
    assert all(len(b) == 3 for b in batches)
    y = np.concatenate([b[1] for b in batches])
    weights = np.concatenate([b[2] for b in batches])
    assert weights.dtype == np.float32 and weights.shape == y.shape
    labelled = y != VOID
    np.testing.assert_array_equal(weights[labelled], class_weights[y[labelled]])
    assert np.all(weights[~labelled] == 0.0)


def test_dataset_trains_a_keras_model():
    import keras

    images, labels = synthetic_scenes(4, 64, 64)
    weights = median_frequency_weights(labels)
    model = keras.Sequential([keras.Input((64, 64, 3)), keras.layers.Conv2D(NUM_CLASSES, 1)])
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=VOID),
    )
    dataset = make_dataset(images, labels, batch_size=2, class_weights=weights)
    history = model.fit(dataset, epochs=1, shuffle=False, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize(
    ("change", "name"),
    [
        (lambda x, y: (x[:3], y), "`labels`"),
        (lambda x, y: (x[..., :2], y), "`images`"),
        (lambda x, y: (x * 2, y), "`images`"),
        (lambda x, y: ((x * 255).astype(np.int16), y), "`images`"),  # uint8 is allowed, not others
        (lambda x, y: (x[0], y), "`images`"),
        (lambda x, y: (x, y.astype(np.float32)), "`labels`"),
        (lambda x, y: (x, y.astype(np.int32) + 300), "`labels`"),
        (lambda x, y: (x, y[..., None]), "`labels`"),
    ],
)
def test_dataset_bad_arrays(change, name):
    images, labels = change(*encoded_examples(4))
    with pytest.raises(ValueError, match=name):
        make_dataset(images, labels)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"batch_size": 0}, "`batch_size`"),
        ({"batch_size": 2.5}, "`batch_size`"),
        ({"seed": -1}, "`seed`"),
        ({"shuffle": "yes"}, "`shuffle`"),
        ({"augment": 1}, "`augment`"),
        ({"class_weights": np.ones(NUM_CLASSES - 1)}, "`class_weights`"),
        ({"class_weights": np.ones((2, NUM_CLASSES))}, "`class_weights`"),
        ({"class_weights": -np.ones(NUM_CLASSES)}, "`class_weights`"),
        ({"class_weights": np.full(NUM_CLASSES, np.nan)}, "`class_weights`"),
        ({"class_weights": ["a"] * NUM_CLASSES}, "`class_weights`"),
    ],
)
def test_dataset_bad_arguments(kwargs, name):
    images, labels = encoded_examples(4)
    labels[0, 1, 1] = NUM_CLASSES - 1  # every class id up to the last one occurs
    with pytest.raises(ValueError, match=name):
        make_dataset(images, labels, **kwargs)


# --------------------------------------------------------------------------------------------------
# median_frequency_weights
# --------------------------------------------------------------------------------------------------


def test_median_frequency_by_hand():
    labels = np.array(
        [
            [[0, 0], [0, 1]],  # 4 labelled pixels: class 0 x3, class 1 x1
            [[1, 2], [VOID, 2]],  # 3 labelled pixels: class 1 x1, class 2 x2
        ],
        dtype=np.uint8,
    )
    # freq(0) = 3/4 (only image 1 has it), freq(1) = 2/7 (both images), freq(2) = 2/3 (only image 2);
    # class 3 never occurs. The median of (3/4, 2/7, 2/3) is 2/3.
    expected = np.array([(2 / 3) / (3 / 4), (2 / 3) / (2 / 7), 1.0, 0.0], dtype=np.float32)
    weights = median_frequency_weights(labels, num_classes=4)
    assert weights.dtype == np.float32 and weights.shape == (4,)
    np.testing.assert_allclose(weights, expected, rtol=1e-6)


def test_median_frequency_counts_a_chunk_of_images_at_a_time(scenes, monkeypatch):
    from segcourse.data import class_weights

    _, labels = scenes
    whole = median_frequency_weights(labels)
    monkeypatch.setattr(class_weights, "_CHUNK_IMAGES", 3)  # chunks that split the images unevenly
    assert len(labels) % 3 != 0
    np.testing.assert_array_equal(median_frequency_weights(labels), whole)


def test_class_frequencies_count_only_the_images_that_hold_the_class():
    labels = np.array(
        [
            [[0, 0], [0, 1]],  # 4 labelled pixels: class 0 x3, class 1 x1
            [[1, 2], [VOID, 2]],  # 3 labelled pixels: class 1 x1, class 2 x2
        ],
        dtype=np.uint8,
    )
    frequencies = class_frequencies(labels, num_classes=4)
    np.testing.assert_allclose(frequencies, [3 / 4, 2 / 7, 2 / 3, 0.0])
    # Not the share of all labelled pixels, which is 3/7, 2/7, 2/7 here.
    shares = np.bincount(labels[labels != VOID], minlength=4) / 7
    assert not np.allclose(frequencies, shares)
    # The weights are median(freq) / freq over the classes that occur.
    weights = median_frequency_weights(labels, num_classes=4)
    np.testing.assert_allclose(weights[:3], np.median(frequencies[:3]) / frequencies[:3], rtol=1e-6)


def test_median_weight_is_one_for_an_odd_number_of_classes_only():
    odd = np.array([[[0, 0, 0, 1], [1, 2, 2, 2]]])  # one image: freq 3/8, 2/8, 3/8, median 3/8
    assert 1.0 in median_frequency_weights(odd, num_classes=3)
    even = np.array([[[0, 0, 0, 0], [1, 1, 1, 2]], [[3, 3, 3, 3], [3, 3, 3, 3]]])  # 4/8, 3/8, 1/8 and 8/8
    weights = median_frequency_weights(even, num_classes=4)  # median (3/8 + 4/8) / 2: no class at it
    assert 1.0 not in weights
    np.testing.assert_allclose(weights, [7 / 8, 7 / 6, 7 / 2, 7 / 16])


def test_median_frequency_single_map_and_no_ignore():
    label = np.array([[0, 0, 0, 1]])  # freq 3/4 and 1/4, median 1/2
    np.testing.assert_allclose(median_frequency_weights(label, num_classes=2, ignore_index=None), [2 / 3, 2])
    # With ignore_index=None, 255 is not allowed.
    with pytest.raises(ValueError, match="`labels`"):
        median_frequency_weights(np.array([[0, 255]]), num_classes=2, ignore_index=None)


def test_median_frequency_favours_rare_classes(scenes):
    _, labels = scenes
    weights = median_frequency_weights(labels)
    assert weights.shape == (NUM_CLASSES,) and np.all(weights > 0)
    assert weights[POLE] > 1 > weights[ROAD]
    assert weights[PEDESTRIAN] > weights[BUILDING]


@pytest.mark.parametrize(
    ("labels", "kwargs", "name"),
    [
        (np.full((1, 2, 2), VOID), {}, "`labels`"),  # nothing labelled
        (np.array([[[0, 8]]]), {}, "`labels`"),  # 8 >= NUM_CLASSES
        (np.zeros((2, 2, 2), dtype=np.float32), {}, "`labels`"),
        (np.zeros(4, dtype=int), {}, "`labels`"),
        (np.zeros((1, 2, 2), dtype=int), {"num_classes": 0}, "`num_classes`"),
    ],
)
def test_median_frequency_bad_input(labels, kwargs, name):
    with pytest.raises(ValueError, match=name):
        median_frequency_weights(labels, **kwargs)


# --------------------------------------------------------------------------------------------------
# load_camvid
# --------------------------------------------------------------------------------------------------


def write_camvid(root: Path, split: str = "train", count: int = 3, size: tuple[int, int] = (12, 16)):
    """Writes ``count`` random image/annotation PNG pairs in the SegNet layout; returns them as arrays."""
    rng = np.random.default_rng(len(split))
    (root / split).mkdir(parents=True)
    (root / f"{split}annot").mkdir()
    images, annotations = [], []
    for i in range(count):
        image = rng.integers(0, 256, size=(*size, 3), dtype=np.uint8)
        annotation = rng.integers(0, 12, size=size, dtype=np.uint8)  # 0-10 classes, 11 unlabelled
        name = f"0001TP_{i:06d}.png"
        Image.fromarray(image).save(root / split / name)
        Image.fromarray(annotation).save(root / f"{split}annot" / name)
        images.append(image)
        annotations.append(annotation)
    return np.stack(images), np.stack(annotations)


def test_camvid_loads_the_segnet_layout(tmp_path):
    written_images, written_labels = write_camvid(tmp_path, "val")
    images, labels = load_camvid(tmp_path, split="val")
    assert images.shape == (3, 12, 16, 3) and images.dtype == np.float32
    assert labels.shape == (3, 12, 16) and labels.dtype == np.uint8
    np.testing.assert_allclose(images, written_images / 255.0, atol=1e-6)
    unlabelled = written_labels == 11
    assert unlabelled.any() and np.all(labels[unlabelled] == VOID)
    np.testing.assert_array_equal(labels[~unlabelled], written_labels[~unlabelled])


def test_camvid_as_uint8_keeps_the_bytes(tmp_path):
    written_images, _ = write_camvid(tmp_path, "train")
    images, labels = load_camvid(tmp_path, dtype="uint8")
    assert images.dtype == np.uint8 and labels.dtype == np.uint8
    np.testing.assert_array_equal(images, written_images)
    with pytest.raises(ValueError, match="`dtype`"):
        load_camvid(tmp_path, dtype="float16")


def test_camvid_resizes_images_bilinear_and_labels_nearest(tmp_path):
    _, written_labels = write_camvid(tmp_path, "test")
    images, labels = load_camvid(str(tmp_path), split="test", size=(6, 9))
    assert images.shape == (3, 6, 9, 3) and labels.shape == (3, 6, 9)
    assert images.min() >= 0 and images.max() <= 1
    for label, written in zip(labels, written_labels, strict=True):
        # Nearest neighbour invents no ids: every value comes from the original map.
        expected = {VOID if v == 11 else v for v in np.unique(written)}
        assert set(np.unique(label)) <= expected


def test_camvid_images_of_different_sizes_need_size(tmp_path):
    write_camvid(tmp_path, "train", count=1, size=(12, 16))
    Image.fromarray(np.zeros((10, 14, 3), np.uint8)).save(tmp_path / "train" / "b.png")
    Image.fromarray(np.zeros((10, 14), np.uint8)).save(tmp_path / "trainannot" / "b.png")
    with pytest.raises(ValueError, match="size"):
        load_camvid(tmp_path)
    images, labels = load_camvid(tmp_path, size=(8, 8))
    assert images.shape == (2, 8, 8, 3) and labels.shape == (2, 8, 8)


def test_camvid_missing_root_and_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_camvid(tmp_path / "nowhere")
    write_camvid(tmp_path, "train")
    with pytest.raises(FileNotFoundError, match="val"):
        load_camvid(tmp_path, split="val")
    with pytest.raises(ValueError, match="`split`"):
        load_camvid(tmp_path, split="training")
    (tmp_path / "test").mkdir()
    (tmp_path / "testannot").mkdir()
    with pytest.raises(FileNotFoundError, match="No PNG"):
        load_camvid(tmp_path, split="test")


def test_camvid_unpaired_files(tmp_path):
    write_camvid(tmp_path)
    (tmp_path / "trainannot" / "0001TP_000001.png").unlink()
    with pytest.raises(FileNotFoundError, match="0001TP_000001.png"):
        load_camvid(tmp_path)
    (tmp_path / "train" / "0001TP_000001.png").unlink()
    Image.fromarray(np.zeros((12, 16), np.uint8)).save(tmp_path / "trainannot" / "extra.png")
    with pytest.raises(FileNotFoundError, match="extra.png"):
        load_camvid(tmp_path)


def test_camvid_bad_files(tmp_path):
    write_camvid(tmp_path)
    annotation = tmp_path / "trainannot" / "0001TP_000002.png"
    # Corrupt image.
    (tmp_path / "train" / "0001TP_000000.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(ValueError, match="0001TP_000000.png"):
        load_camvid(tmp_path)
    Image.fromarray(np.zeros((12, 16, 3), np.uint8)).save(tmp_path / "train" / "0001TP_000000.png")
    # Label value out of range.
    Image.fromarray(np.full((12, 16), 12, np.uint8)).save(annotation)
    with pytest.raises(ValueError, match=r"0001TP_000002.png.*\[12\]"):
        load_camvid(tmp_path)
    # Annotation of another size than its image.
    Image.fromarray(np.zeros((12, 15), np.uint8)).save(annotation)
    with pytest.raises(ValueError, match="0001TP_000002.png"):
        load_camvid(tmp_path)
    # Colour annotation instead of class ids.
    Image.fromarray(np.zeros((12, 16, 3), np.uint8)).save(annotation)
    with pytest.raises(ValueError, match="single-channel"):
        load_camvid(tmp_path)


@pytest.mark.parametrize("size", [(0, 5), (5,), "64x64", (5.0, 5), (True, 4)])
def test_camvid_bad_size(tmp_path, size):
    write_camvid(tmp_path, count=1)
    with pytest.raises(ValueError, match="`size`"):
        load_camvid(tmp_path, size=size)


# --------------------------------------------------------------------------------------------------
# Oxford-IIIT Pet
# --------------------------------------------------------------------------------------------------


def fake_pets(count: int = 3) -> list[dict[str, np.ndarray]]:
    """Examples shaped like ``tfds.as_numpy(tfds.load("oxford_iiit_pet"))``: images of varying sizes."""
    rng = np.random.default_rng(5)
    examples = []
    for i in range(count):
        h, w = 20 + 4 * i, 30 - 2 * i
        mask = np.full((h, w, 1), 2, np.uint8)  # background
        mask[5:15, 5:15] = 3  # border
        mask[7:13, 7:13] = 1  # pet
        examples.append({"image": rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "segmentation_mask": mask})
    return examples


def test_pets_conversion():
    images, labels = data._pets_to_arrays(iter(fake_pets()), (16, 16))
    assert images.shape == (3, 16, 16, 3) and images.dtype == np.float32
    assert labels.shape == (3, 16, 16) and labels.dtype == np.uint8
    assert images.min() >= 0 and images.max() <= 1
    assert set(np.unique(labels)) == {0, 1, 2}
    # Same size: no resizing, and the trimap maps 1, 2, 3 -> 0, 1, 2 exactly.
    example = fake_pets(1)[0]
    example["segmentation_mask"] = example["segmentation_mask"][..., 0]  # (h, w) masks are accepted too
    _, (label,) = data._pets_to_arrays([example], (20, 30))
    np.testing.assert_array_equal(label, example["segmentation_mask"] - 1)
    assert label[10, 10] == PETS_CLASS_NAMES.index("pet")
    assert label[0, 0] == PETS_CLASS_NAMES.index("background")


def test_pets_conversion_to_uint8_matches_the_float_images():
    floats, labels = data._pets_to_arrays(iter(fake_pets()), (16, 16))
    as_bytes, same_labels = data._pets_to_arrays(iter(fake_pets()), (16, 16), "uint8")
    assert as_bytes.dtype == np.uint8 and as_bytes.nbytes * 4 == floats.nbytes
    np.testing.assert_allclose(as_bytes / 255.0, floats, atol=1e-6)
    np.testing.assert_array_equal(same_labels, labels)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda e: e.update(segmentation_mask=np.zeros_like(e["segmentation_mask"])), "trimap"),
        (lambda e: e.update(segmentation_mask=e["segmentation_mask"][:-1]), "segmentation_mask"),
        (lambda e: e.update(image=e["image"][..., :1]), "image"),
        (lambda e: e.update(image=e["image"].astype(np.float32)), "image"),
    ],
)
def test_pets_bad_examples(edit, message):
    examples = fake_pets(2)
    edit(examples[1])
    with pytest.raises(ValueError, match=f"example 1.*{message}"):
        data._pets_to_arrays(examples, (16, 16))


def test_pets_no_examples():
    with pytest.raises(ValueError, match="empty"):
        data._pets_to_arrays([], (16, 16))


def test_load_oxford_pets_with_a_fake_tfds(monkeypatch):
    calls = []
    fake = types.ModuleType("tensorflow_datasets")
    fake.load = lambda name, split, **kwargs: calls.append((name, split)) or fake_pets(2)
    fake.as_numpy = lambda dataset: iter(dataset)
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", fake)
    images, labels = load_oxford_pets("test[:2]", size=(32, 24))
    assert calls == [("oxford_iiit_pet", "test[:2]")]
    assert images.shape == (2, 32, 24, 3) and labels.shape == (2, 32, 24)
    assert set(np.unique(labels)) <= {0, 1, 2}


def test_load_oxford_pets_without_tfds(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)  # makes the import fail
    with pytest.raises(ImportError, match="pip install tensorflow-datasets"):
        load_oxford_pets()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"split": "validation"}, "`split`"), ({"size": (0, 8)}, "`size`"), ({"dtype": "int8"}, "`dtype`")],
)
def test_load_oxford_pets_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        load_oxford_pets(**kwargs)


# --------------------------------------------------------------------------------------------------
# Docstrings
# --------------------------------------------------------------------------------------------------


def test_docstring_examples_run():
    # The examples are written for the package's namespace (segcourse.data.X), whichever module defines X.
    failures = attempted = 0
    for module in pkgutil.iter_modules(data.__path__, prefix="segcourse.data."):
        result = doctest.testmod(importlib.import_module(module.name), extraglobs=vars(data), verbose=False)
        failures, attempted = failures + result.failed, attempted + result.attempted
    assert attempted >= 3 and failures == 0


def test_sample_patches_centres_match_labels_and_padding():
    images, labels = data.synthetic_scenes(3, 64, 64, seed=5)
    patches, centres = data.sample_patches(images, labels, patch_size=9, count=200, seed=1)
    assert patches.shape == (200, 9, 9, 3) and patches.dtype == np.float32
    assert centres.dtype == np.int32 and not np.any(centres == data.VOID)
    # Each patch's centre pixel is a pixel of some image whose label is the patch label.
    for patch, centre in zip(patches[:20], centres[:20], strict=True):
        hits = np.argwhere(np.all(images == patch[4, 4], axis=-1))
        assert any(labels[i, r, c] == centre for i, r, c in hits)
    # A corner centre sees the zero padding, as sliding_window_predict pads.
    corner = np.zeros_like(labels)
    corner[:] = data.VOID
    corner[0, 0, 0] = 1
    patch, centre = data.sample_patches(images, corner, patch_size=5, count=1)
    assert centre[0] == 1 and np.all(patch[0, :2] == 0) and np.all(patch[0, :, :2] == 0)
    assert np.array_equal(patch[0, 2:, 2:], images[0, :3, :3])


def test_sample_patches_balanced_draws_rare_classes_more_often():
    images, labels = data.synthetic_scenes(8, 64, 64, seed=0)
    _, uniform = data.sample_patches(images, labels, 5, 4000, seed=0)
    _, balanced = data.sample_patches(images, labels, 5, 4000, seed=0, balanced=True)
    pole = data.CLASS_NAMES.index("pole")
    assert np.mean(balanced == pole) > 3 * np.mean(uniform == pole)
    present = np.unique(labels[labels != data.VOID])
    shares = np.bincount(balanced, minlength=data.NUM_CLASSES)[present] / balanced.size
    assert np.all(np.abs(shares - 1 / present.size) < 0.05)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"patch_size": 4}, "patch_size"), ({"count": 0}, "count"), ({"patch_size": 0}, "patch_size")],
)
def test_sample_patches_bad_arguments(kwargs, name):
    images, labels = data.synthetic_scenes(1, 64, 64)
    arguments = {"patch_size": 5, "count": 3, **kwargs}
    with pytest.raises(ValueError, match=f"`{name}`"):
        data.sample_patches(images, labels, **arguments)

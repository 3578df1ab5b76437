"""viz.show_maps and viz.animate_unpooling (chapter 3): what they draw, checked against segcourse.reference."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from segcourse import reference, viz
from segcourse.viz.unpooling import _unpooling_scene, unpooling_frames

# The worked example of chapter 3: a tie (two 7s) in the top-right window.
X = np.array([[1, 5, 2, 0], [3, 4, 7, 7], [0, 2, 6, 1], [8, 1, 3, 9]], dtype=np.float32)


def _texts(grid) -> np.ndarray:
    return np.array([[text.get_text() for text in row] for row in grid.texts])


def _numbers(values: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v: f"{v:g}")(values)


def test_show_maps_draws_each_panel_with_its_name_and_the_block_borders() -> None:
    mask = np.zeros((8, 12))
    mask[:, 5] = 1
    image = np.random.default_rng(0).random((8, 12, 3))
    fig = viz.show_maps({"image": image, "mask": mask}, title="two panels", block=4)
    assert [ax.get_title() for ax in fig.axes] == ["image", "mask"]
    np.testing.assert_array_equal(fig.axes[1].images[0].get_array(), mask)
    # Block borders: one line between the two rows of blocks, two between the three columns of blocks.
    assert len(fig.axes[1].lines) == 1 + 2
    assert fig._suptitle.get_text() == "two panels"
    assert not plt.get_fignums()  # closed in pyplot, shown once by the notebook
    assert len(viz.show_maps({"mask": mask}).axes[0].lines) == 0


@pytest.mark.parametrize(
    ("panels", "kwargs", "message"),
    [
        ({}, {}, "`panels`"),
        ({"a": np.zeros((4, 4, 2))}, {}, "RGB"),
        ({"a": np.zeros((4, 4)), "b": np.zeros((4, 5))}, {}, "same height and width"),
        ({"a": np.zeros((4, 4))}, {"block": 0}, "`block`"),
    ],
)
def test_show_maps_refuses_bad_arguments(panels, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        viz.show_maps(panels, **kwargs)


def test_the_frames_pool_each_window_then_unpool_each_window() -> None:
    assert unpooling_frames((4, 4), 2) == [
        ("pool", 0), ("pool", 1), ("pool", 2), ("pool", 3),
        ("unpool", 0), ("unpool", 1), ("unpool", 2), ("unpool", 3), ("done", -1),
    ]  # fmt: skip
    assert len(unpooling_frames((5, 7), (2, 3))) == 2 * 2 * 2 + 1  # the odd row and column fill no window
    with pytest.raises(ValueError, match="no 2x2 window"):
        unpooling_frames((1, 4), 2)


def test_the_animation_shows_the_reference_results_step_by_step() -> None:
    fig, update, frames, grids = _unpooling_scene(X, (2, 2))
    pooled, indices = (a[..., 0] for a in reference.max_pool2d_with_indices(X[..., None], 2))
    unpooled = reference.max_unpool2d(pooled[..., None], indices[..., None], 2)[..., 0]
    update(1)  # the second window pooled: the tie of two 7s gives index 2, the first of them
    assert _texts(grids[1]).tolist() == [["5", "7"], ["", ""]]
    assert _texts(grids[2]).tolist() == [["1", "2"], ["", ""]]
    assert (_texts(grids[3]) == "").all()
    assert grids[0].cell.get_xy() == (1.5, 0.5)  # the first 7, row 1 column 2, is the one filled
    assert "the first of 2" in fig._suptitle.get_text()
    update(5)  # the second value unpooled
    assert (_texts(grids[3])[:2] == _numbers(unpooled[:2])).all() and (_texts(grids[3])[2:] == "").all()
    update(frames - 1)
    np.testing.assert_array_equal(_texts(grids[1]), _numbers(pooled))
    np.testing.assert_array_equal(_texts(grids[2]), _numbers(indices))
    np.testing.assert_array_equal(_texts(grids[3]), _numbers(unpooled))
    assert not any(grid.cell.get_visible() or grid.frame.get_visible() for grid in grids)
    plt.close(fig)


def test_animate_unpooling_records_one_distinct_frame_per_step() -> None:
    animation = viz.animate_unpooling(X, 2, dpi=40)
    assert len(animation.frames) == 9
    pictures = [np.asarray(Image.open(io.BytesIO(frame)).convert("RGB")) for frame in animation.frames]
    assert len({picture.tobytes() for picture in pictures}) == 9
    assert "max pooled" in animation.alt and "at position" not in animation.alt
    assert viz.animate_unpooling(X, 2, dpi=40).to_html() == animation.to_html()  # the same on every run


@pytest.mark.parametrize(
    ("x", "kwargs", "message"),
    [
        (np.zeros((4, 4, 1)), {}, "2-D map"),
        (np.zeros((10, 4)), {}, "at most 8x8"),
        (X, {"pool_size": (2, 0)}, "`pool_size`"),
        (np.zeros((1, 4)), {}, "no 2x2 window"),
    ],
)
def test_animate_unpooling_refuses_bad_arguments(x, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        viz.animate_unpooling(x, **kwargs)

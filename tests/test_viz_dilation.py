"""viz.dilation: chapter 6's receptive-field animation and figures count what the formulas say."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from segcourse import reference, viz
from segcourse.viz.dilation import receptive_field_maps


def extent(paths: np.ndarray) -> int:
    rows = np.nonzero(paths.any(axis=1))[0]
    return int(rows.max() - rows.min() + 1)


@pytest.mark.parametrize("dilations", [(1, 2, 4), (1, 1, 2, 4, 8, 16, 1), (2, 2, 2), (1, 2, 5)])
def test_receptive_field_maps_count_the_paths_through_the_stack(dilations):
    maps = receptive_field_maps(dilations)
    fields = reference.receptive_field([(3, 1, d) for d in dilations])
    assert [extent(m) for m in maps] == fields
    assert [int(m.sum()) for m in maps] == [9 ** (layer + 1) for layer in range(len(dilations))]
    assert all(m.shape == (fields[-1], fields[-1]) for m in maps)


def test_doubling_rates_leave_no_hole_and_repeated_even_rates_do():
    assert [int(np.count_nonzero(m)) for m in receptive_field_maps((1, 2, 4))] == [9, 49, 225]
    gridded = receptive_field_maps((2, 2, 2))[-1]
    assert np.count_nonzero(gridded) == 7 * 7 and gridded.shape == (13, 13)  # even offsets only


def test_receptive_field_maps_refuse_bad_arguments():
    with pytest.raises(ValueError, match="`kernel`"):
        receptive_field_maps((1, 2), kernel=4)
    with pytest.raises(ValueError, match="`dilations`"):
        receptive_field_maps(())
    with pytest.raises(ValueError, match="`dilations`"):
        receptive_field_maps((1, 0))


def test_the_animation_adds_one_tap_a_frame_and_every_frame_differs():
    anim = viz.animate_receptive_field((1, 2, 4), dpi=40)
    assert len(anim.frames) == 1 + 3 * 9
    images = [np.asarray(Image.open(io.BytesIO(f)).convert("RGB")) for f in anim.frames]
    assert all(not np.array_equal(a, b) for a, b in zip(images, images[1:], strict=False))
    assert "15x15" in anim.alt and not plt.get_fignums()


def test_the_animation_refuses_a_field_too_wide_to_draw():
    with pytest.raises(ValueError, match="`dilations`"):
        viz.animate_receptive_field((1, 2, 4, 8, 16))
    with pytest.raises(ValueError, match="too wide"):
        viz.animate_receptive_field((8, 8, 8))


def test_path_maps_leave_unread_pixels_white_and_give_the_coverage():
    maps = {"2, 2, 2": receptive_field_maps((2, 2, 2))[-1], "1, 2, 4": receptive_field_maps((1, 2, 4))[-1]}
    fig = viz.plot_path_maps(maps)
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert "coverage 29%" in titles[0] and "coverage 100%" in titles[1]
    shown = fig.axes[0].images[0].get_array()
    assert np.ma.count_masked(shown) == 13 * 13 - 49
    with pytest.raises(ValueError, match="nonnegative"):
        viz.plot_path_maps({"x": -np.ones((3, 3))})


def test_sensitivity_maps_mark_the_window_and_clip_the_scale():
    maps = {"a": np.random.default_rng(0).random((16, 24)), "b": np.ones((16, 24))}
    fig = viz.plot_sensitivity(maps, box=(2, 3, 5, 6), clip=0.5)
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == 2 and panels[0].images[0].get_clim() == (0, 0.5)
    box = panels[0].patches[0]
    assert (box.get_x(), box.get_y(), box.get_width(), box.get_height()) == (2.5, 1.5, 6, 5)
    with pytest.raises(ValueError, match="`clip`"):
        viz.plot_sensitivity(maps, box=(2, 3, 5, 6), clip=0)
    with pytest.raises(ValueError, match="`box`"):
        viz.plot_sensitivity(maps, box=(2, 3, 5))

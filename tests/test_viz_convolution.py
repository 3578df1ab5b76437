"""viz.convolution: chapter 4's animations and figures show what the arithmetic says."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from segcourse import reference, viz
from segcourse.viz.convolution import (
    BLUE,
    GREY,
    ORANGE,
    transposed_convolution_steps,
    window_positions,
)


def pictures(anim: viz.Animation) -> list[np.ndarray]:
    return [np.asarray(Image.open(io.BytesIO(frame)).convert("RGB")) for frame in anim.frames]


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "dilation"), [(7, 3, 1, 1), (7, 3, 2, 1), (8, 3, 3, 1), (9, 3, 1, 2)]
)
def test_window_positions_follow_the_output_size_formula(size, kernel, stride, dilation):
    positions = window_positions(size, kernel, stride, dilation)
    out = reference.conv_output_size(size, kernel, stride, "valid", dilation)
    assert len(positions) == out * out
    assert positions[0] == (0, 0) and positions[1] == (0, stride) and positions[out] == (stride, 0)
    span = reference.effective_kernel_size(kernel, dilation)
    assert max(r for r, _ in positions) + span <= size  # every window fits inside the input


def test_sliding_window_animation_has_one_frame_per_position_and_every_frame_differs():
    anim = viz.animate_convolution(7, 3, strides=(1, 2), dpi=40)
    assert len(anim.frames) == 5 * 5 + 1  # stride 1: 25 positions, then "done"; stride 2 waits after 9
    images = pictures(anim)
    assert all(not np.array_equal(a, b) for a, b in zip(images, images[1:], strict=False))
    assert "stride" in anim.alt and not plt.get_fignums()


def test_sliding_window_animation_with_a_dilation_and_one_stride():
    anim = viz.animate_convolution(9, 3, strides=(1,), dilation=2, dpi=40)
    assert len(anim.frames) == 5 * 5 + 1  # span 5: (9 - 5) + 1 = 5 positions a side


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"size": 13}, "`size`"),
        ({"size": 2}, "`size`"),
        ({"strides": ()}, "`strides`"),
        ({"strides": (1, 0)}, "`strides`"),
        ({"size": 4, "dilation": 2}, "span"),
    ],
)
def test_sliding_window_animation_refuses_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        viz.animate_convolution(**kwargs)


@pytest.mark.parametrize(
    ("shape", "k", "stride"), [((2, 2), 3, 2), ((2, 3), 2, 3), ((3, 3), 3, 1), ((1, 2), 4, 2)]
)
def test_zero_insertion_steps_equal_the_transposed_convolution(shape, k, stride):
    rng = np.random.default_rng(0)
    x, kernel = rng.normal(size=shape), rng.normal(size=(k, k))
    steps = transposed_convolution_steps(x, kernel, stride)
    expected = reference.conv2d_transpose(x[:, :, None], kernel[:, :, None, None], stride, "valid", 0)[..., 0]
    np.testing.assert_allclose(steps["output"], expected, atol=1e-12)
    assert steps["spread"].shape == ((shape[0] - 1) * stride + 1, (shape[1] - 1) * stride + 1)
    assert steps["padded"].shape == tuple(n + 2 * (k - 1) for n in steps["spread"].shape)
    assert np.count_nonzero(steps["spread"]) == x.size  # the inserted values are zeros


def test_transposed_animation_builds_the_input_then_slides_over_every_output_pixel():
    anim = viz.animate_transposed_convolution(dpi=40)
    assert len(anim.frames) == 3 + 25 + 1  # input, zeros inserted, padded; 5x5 positions; done
    images = pictures(anim)
    assert all(not np.array_equal(a, b) for a, b in zip(images, images[1:], strict=False))
    assert "zeros" in anim.alt


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"x": np.ones((5, 5))}, "`x`"),
        ({"kernel": np.ones((2, 3))}, "`kernel`"),
        ({"stride": 4}, "`stride`"),
        ({"x": [[1, np.nan]]}, "`x`"),
    ],
)
def test_transposed_animation_refuses_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        viz.animate_transposed_convolution(**kwargs)


def test_plot_taps_colours_each_output_pixels_reads_and_the_shared_ones():
    first, second = [(0, 0), (0, 1), (0, 2)], [(0, 2), (0, 3), (0, 4)]
    fig = viz.plot_taps({"stride 2": (first, second), "other": ([(1, 1)], [(1, 3)])}, shape=(2, 6))
    assert len(fig.axes) == 2
    colours = fig.axes[0].images[0].get_array()
    assert tuple(colours[0, 0]) == BLUE and tuple(colours[0, 4]) == ORANGE and tuple(colours[0, 2]) == GREY
    assert tuple(colours[0, 5]) == (1.0, 1.0, 1.0) and tuple(colours[1, 0]) == (1.0, 1.0, 1.0)
    assert not plt.get_fignums()
    with pytest.raises(ValueError, match="outside"):
        viz.plot_taps({"x": ([(5, 0)], [])}, shape=(2, 6))
    with pytest.raises(ValueError, match="`panels`"):
        viz.plot_taps([first, second])


def test_plot_responses_shares_one_grey_scale():
    fig = viz.plot_responses({"a": np.ones((4, 4)), "b": np.eye(4)}, 0, 2, "output / its mean")
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 2 and all(image.get_clim() == (0, 2) for image in images)
    assert any(ax.get_ylabel() == "output / its mean" for ax in fig.axes)  # the colour bar
    with pytest.raises(ValueError, match="`low`"):
        viz.plot_responses({"a": np.ones((4, 4))}, 2, 0, "x")
    with pytest.raises(ValueError, match="panels"):
        viz.plot_responses({"a": np.ones(4)}, 0, 1, "x")

"""viz.animate: frames recorded from a figure, played by an offline HTML player, the same HTML every run."""

from __future__ import annotations

import io
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from segcourse import viz
from segcourse.viz.animation import MAX_BYTES, Animation


def moving_square(frames: int = 4, dpi: float = 40) -> viz.Animation:
    fig, ax = plt.subplots(figsize=(2, 2))
    grid = np.zeros((4, 4))
    image = ax.imshow(grid, vmin=0, vmax=1)

    def update(i: int) -> None:
        grid[:] = 0
        grid[i % 4, i % 4] = 1
        image.set_data(grid)

    return viz.animate(fig, update, frames=frames, dpi=dpi, alt="a square moving down the diagonal")


def test_one_png_per_frame_and_the_frames_differ():
    anim = moving_square()
    assert len(anim.frames) == 4
    pictures = [np.asarray(Image.open(io.BytesIO(f)).convert("RGB")) for f in anim.frames]
    assert all(p.shape == pictures[0].shape for p in pictures)
    assert len({p.tobytes() for p in pictures}) == 4
    assert not plt.get_fignums()  # the figure is closed: the cell shows only the player


def test_the_html_is_the_same_for_the_same_frames():
    first, second = moving_square().to_html(), moving_square().to_html()
    assert first == second
    assert moving_square(frames=3).to_html() != first


def test_the_player_has_its_controls_frames_and_text_alternative():
    anim = moving_square()
    page = anim._repr_html_()
    for control in ("previous", "play", "next", "slider", "counter"):
        assert f'id="{anim.id}-{control}"' in page
    assert page.count("iVBORw0KGgo") == 1 + 4  # the first frame as the image, then all four for the script
    assert 'alt="a square moving down the diagonal"' in page
    assert not re.search(r"https?://", page)  # nothing to fetch: it plays offline
    assert "4 frames" in repr(anim)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"frames": 0}, "`frames`"),
        ({"frames": 2.0}, "`frames`"),
        ({"dpi": 5}, "`dpi`"),
        ({"update": None}, "`update`"),
        ({"fig": "figure"}, "`fig`"),
        ({"fps": 0}, "`fps`"),
        ({"alt": " "}, "`alt`"),
    ],
)
def test_bad_arguments(kwargs, name):
    fig, _ = plt.subplots()
    arguments = {"fig": fig, "update": lambda i: None, "frames": 2, **kwargs}
    with pytest.raises(ValueError, match=name):
        viz.animate(**arguments)


def test_frames_too_large_for_a_page_are_refused():
    with pytest.raises(ValueError, match="MB"):
        Animation([b"x" * (MAX_BYTES // 2 + 1)] * 2)

"""Animations for pages where motion is the idea: matplotlib frames played by a small offline HTML player.

``animate(fig, update, frames)`` calls ``update(i)`` for each frame, renders the figure to a PNG each time, and
returns an ``Animation``. In Jupyter, Colab and the book it shows as an image with a play/pause button,
previous/next buttons and a slider: plain HTML and a few lines of JavaScript with the frames inside it, so it
needs no video codec, no network and no JavaScript library. The same frames give the same HTML on every run
(its element ids come from the frames), so notebook tests can compare it.

The player works without its script too: the first frame is an ordinary image.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = ["Animation", "animate"]

#: Largest total size of an animation's frames: pages stay light (a page should stay under a few MB).
MAX_BYTES = 2_000_000

_PLAYER = """<div class="segcourse-animation" id="{id}" style="max-width:100%">
<img id="{id}-frame" src="data:image/png;base64,{first}" alt="{alt}" style="max-width:100%;height:auto">
<div class="segcourse-animation-controls" style="display:flex;gap:0.4em;align-items:center;flex-wrap:wrap">
<button type="button" id="{id}-previous" aria-label="previous frame">&#9664;&#9664;</button>
<button type="button" id="{id}-play" aria-label="play or pause">&#9654; play</button>
<button type="button" id="{id}-next" aria-label="next frame">&#9654;&#9654;</button>
<input type="range" id="{id}-slider" min="0" max="{last}" value="0" aria-label="frame"
 style="flex:1;min-width:6em">
<span id="{id}-counter">1 / {count}</span>
</div>
<script>
(function () {{
  var frames = {frames};
  var root = document.getElementById("{id}");
  if (!root || root.dataset.ready) {{ return; }}
  root.dataset.ready = "1";
  var image = document.getElementById("{id}-frame");
  var slider = document.getElementById("{id}-slider");
  var counter = document.getElementById("{id}-counter");
  var play = document.getElementById("{id}-play");
  var current = 0, timer = null;
  function show(i) {{
    current = (i + frames.length) % frames.length;
    image.src = "data:image/png;base64," + frames[current];
    slider.value = current;
    counter.textContent = (current + 1) + " / " + frames.length;
  }}
  function stop() {{ if (timer) {{ clearInterval(timer); timer = null; }} play.innerHTML = "&#9654; play"; }}
  play.addEventListener("click", function () {{
    if (timer) {{ stop(); return; }}
    play.innerHTML = "&#10074;&#10074; pause";
    timer = setInterval(function () {{ show(current + 1); }}, {interval});
  }});
  function step(by) {{ return function () {{ stop(); show(current + by); }}; }}
  document.getElementById("{id}-previous").addEventListener("click", step(-1));
  document.getElementById("{id}-next").addEventListener("click", step(1));
  slider.addEventListener("input", function () {{ stop(); show(parseInt(slider.value, 10)); }});
}})();
</script>
</div>"""


class Animation:
    """Frames (PNG images) and the speed to play them; shows itself as an HTML player in a notebook.

    Args:
        frames: the frames, each the bytes of a PNG image.
        fps: frames per second when playing.
        alt: the text alternative of the image (what a screen reader says, what shows if it cannot load).

    Attributes:
        frames: the PNG bytes of each frame, a tuple.
        fps: frames per second.
        alt: the text alternative.
    """

    def __init__(self, frames: Sequence[bytes], fps: float = 2.0, alt: str = "animation") -> None:
        if not isinstance(frames, Sequence) or not frames or not all(isinstance(f, bytes) for f in frames):
            raise ValueError("`frames` must be a non-empty sequence of PNG images (bytes).")
        if isinstance(fps, bool) or not isinstance(fps, numbers.Real) or not 0.1 <= fps <= 60:
            raise ValueError(f"`fps` must be a number from 0.1 to 60; got {fps!r}.")
        if not isinstance(alt, str) or not alt.strip():
            raise ValueError("`alt` must be a non-empty text describing the animation.")
        size = sum(len(f) for f in frames)
        if size > MAX_BYTES:
            raise ValueError(
                f"the {len(frames)} frames take {size / 1e6:.1f} MB, more than {MAX_BYTES / 1e6:.0f} MB: "
                "use fewer frames, a smaller figure or a lower `dpi`."
            )
        self.frames = tuple(frames)
        self.fps = float(fps)
        self.alt = alt

    @property
    def id(self) -> str:
        """A digest of the frames, used as the player's element id (the same frames give the same HTML)."""
        digest = hashlib.sha1(b"".join(self.frames) + repr((self.fps, self.alt)).encode()).hexdigest()
        return f"segcourse-animation-{digest[:12]}"

    def to_html(self) -> str:
        """The player: an image, play/pause, previous/next and a slider, with the frames embedded."""
        encoded = [base64.b64encode(frame).decode("ascii") for frame in self.frames]
        return _PLAYER.format(
            id=self.id,
            first=encoded[0],
            alt=html.escape(self.alt, quote=True),
            last=len(encoded) - 1,
            count=len(encoded),
            frames=json.dumps(encoded),
            interval=round(1000 / self.fps),
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return f"<Animation: {len(self.frames)} frames at {self.fps:g} fps, {self.alt!r}>"


def animate(
    fig: Figure,
    update: Callable[[int], Any],
    frames: int,
    fps: float = 2.0,
    dpi: float = 80,
    alt: str = "animation",
) -> Animation:
    """Records an animation: calls ``update(i)`` for ``i`` in ``range(frames)`` and renders ``fig`` after each.

    ``update`` changes the figure in place (image data, titles, patches); the figure is closed in ``pyplot``
    at the end, so the cell shows only the returned ``Animation``.

    Args:
        fig: the matplotlib figure to record.
        update: called with the frame number before each frame is rendered.
        frames: the number of frames, from 1 to 200.
        fps: frames per second when playing.
        dpi: resolution of the frames (keep it low: every frame is stored in the page).
        alt: the text alternative of the animation, for readers who cannot see it.

    Returns:
        An ``Animation``, shown as an HTML player in Jupyter, Colab and the book.

    Example:

    >>> fig, ax = plt.subplots(figsize=(2, 2))
    >>> dot, = ax.plot([0], [0], "o")
    >>> anim = animate(fig, lambda i: dot.set_data([i], [i]), frames=3, alt="a dot moving up")
    >>> len(anim.frames)
    3
    """
    if not isinstance(fig, Figure):
        raise ValueError(f"`fig` must be a matplotlib Figure; got {type(fig).__name__}.")
    if not callable(update):
        raise ValueError(f"`update` must be callable with the frame number; got {type(update).__name__}.")
    if isinstance(frames, bool) or not isinstance(frames, numbers.Integral) or not 1 <= frames <= 200:
        raise ValueError(f"`frames` must be an integer from 1 to 200; got {frames!r}.")
    if isinstance(dpi, bool) or not isinstance(dpi, numbers.Real) or not 10 <= dpi <= 300:
        raise ValueError(f"`dpi` must be a number from 10 to 300; got {dpi!r}.")
    images = []
    try:
        for i in range(int(frames)):
            update(i)
            buffer = io.BytesIO()
            # No "Software" entry: the bytes then depend only on the pixels.
            fig.savefig(buffer, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
            images.append(buffer.getvalue())
    finally:
        plt.close(fig)
    return Animation(images, fps=fps, alt=alt)

"""Checks of chapter 7, putting it together (``book/07_putting_it_together``).

One exercise asks for ``decoder_memory(height, width, channels)``: the bytes a decoder keeps from an encoder
of blocks that each end in a 2x2 max pooling, as int32 indices, as 2-bit indices and as float32 feature maps.
The expected answers come from ``_decoder_reference``, which counts the values block by block.

Another asks for ``pareto_front(names, scores, seconds)``: the models that no other model beats on both
accuracy and speed, fastest first. A model *dominates* another when its score is at least as high and its time
at most as long, and at least one of the two is strictly better; the front is the set of models that no model
dominates.

There is no Pareto function elsewhere in ``segcourse``, so the expected answers come from ``_reference`` below,
a brute-force comparison of every pair written straight from the definition (no sorting trick, unlike the
usual one-pass solution), and the small cases are also easy to verify by eye.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from segcourse.check._core import Case, Result, register

__all__ = ["decoder_memory", "pareto_front"]


def _decoder_reference(height: int, width: int, channels: Sequence[int]) -> tuple[int, float, int]:
    """(int32 index bytes, 2-bit index bytes, float32 feature-map bytes) kept from 2x2-pooling blocks."""
    pooled = maps = 0
    for c in channels:
        maps += height * width * c  # the block's map, before its pooling
        height, width = height // 2, width // 2  # "valid" pooling: an odd row or column fills no window
        pooled += height * width * c
    return 4 * pooled, pooled / 4, 4 * maps


def _decoder_cases() -> list[Case]:
    """VGG16 at CamVid's sizes first, then small encoders whose counts are easy to verify by hand."""
    inputs = [
        (352, 480, (64, 128, 256, 512, 512), "VGG16 at 352x480, the chapter's case"),
        (360, 480, (64, 128, 256, 512, 512), "VGG16 at 360x480: 45 rows pool to 22, the last row is dropped"),
        (4, 4, (1,), "one block, one channel: 4 pooled values, a 16-value map"),
        (2, 6, [3, 5], "channels as a list; the second block's map is 1x3 and pools to nothing"),
        (5, 7, (2,), "odd sizes: 5x7 pools to 2x3, the map keeps all 35 values"),
        (64, 96, (32, 64, 128), "the chapters' 64x96 images, SegNet's three blocks at width 1"),
        (1, 1, (8,), "a 1x1 image: nothing to pool, the map is still kept"),
    ]
    return [
        Case((h, w, channels), _decoder_reference(h, w, channels), note=note) for h, w, channels, note in inputs
    ]


def _hidden_decoder_cases(rng: np.random.Generator) -> list[Case]:
    """Random image sizes, odd ones included, and encoders of 1 to 5 blocks."""
    cases = []
    for _ in range(5):
        height, width = (int(n) for n in rng.integers(1, 400, size=2))
        channels = [int(c) for c in rng.choice([1, 3, 16, 32, 64, 96, 128, 256], size=int(rng.integers(1, 6)))]
        cases.append(Case((height, width, channels), _decoder_reference(height, width, channels),
                          note=f"a {height}x{width} image, channels {channels}"))
    return cases


@register(
    "ex-together-memory-by-hand",
    cases=_decoder_cases,
    hidden=_hidden_decoder_cases,
    asks_for=("segcourse.check.ch07._decoder_reference",),
)
def decoder_memory(function: Callable[..., Any]) -> Result:
    """Checks ``decoder_memory(height, width, channels) -> (int32 bytes, 2-bit bytes, float32 bytes)``.

    Runs your function on VGG16 at 352x480 and 360x480, on one-block encoders, odd sizes, a list of channels
    and a 1x1 image. Each answer is compared as three numbers: the bytes of the int32 indices (4 per pooled
    value), of the 2-bit indices (a quarter byte per pooled value, so possibly a fraction), and of the float32
    feature maps before each pooling (4 per value of each block's whole map).

    Args:
        function: your ``decoder_memory``, taking the image's height and width and the channels of each block.

    Returns:
        A ``Result``; in a notebook it prints what passed and, for each failure, the input, the expected and
        your answer.

    Example:

    >>> from segcourse import check
    >>> check.decoder_memory(lambda height, width, channels: (0, 0, 0)).ok
    False
    """


def _reference(names: Sequence[str], scores: Sequence[float], seconds: Sequence[float]) -> list[str]:
    """The non-dominated names, by time (fastest first), then by score (best first), then in input order."""
    points = list(zip(names, (float(s) for s in scores), (float(t) for t in seconds), strict=True))

    def dominates(a: tuple[str, float, float], b: tuple[str, float, float]) -> bool:
        return a[1] >= b[1] and a[2] <= b[2] and (a[1] > b[1] or a[2] < b[2])

    front = [p for p in points if not any(dominates(q, p) for q in points)]
    order = sorted(range(len(front)), key=lambda i: (front[i][2], -front[i][1], i))
    return [front[i][0] for i in order]


def _same_names(actual: Any, expected: list[str]) -> bool:
    """The answer must be a list or tuple of the names, in the expected order."""
    if isinstance(actual, np.ndarray):
        actual = actual.tolist()
    return isinstance(actual, (list, tuple)) and [str(a) for a in actual] == expected


def _pareto_cases() -> list[Case]:
    """(names, scores, seconds) tables: a chapter-like one first, then the edge cases."""
    tables = [
        (
            ["sliding window", "dense twin", "FCN-32s", "FCN-8s", "SegNet", "SegNet (upsampling)", "dilated"],
            [0.47, 0.47, 0.30, 0.48, 0.57, 0.58, 0.55],
            [0.9, 0.012, 0.004, 0.004, 0.006, 0.005, 0.008],
            "a table like the chapter's (the sliding window is dominated by its own dense twin)",
        ),
        (["a", "b", "c"], [0.3, 0.5, 0.7], [1.0, 2.0, 3.0], "a pure trade-off: every model is on the front"),
        (["c", "a", "b"], [0.7, 0.3, 0.5], [3.0, 1.0, 2.0], "the same, given in another order: sort by time"),
        (["a", "b", "c"], [0.9, 0.5, 0.7], [1.0, 2.0, 3.0], "one model both best and fastest dominates all"),
        (["only"], [0.5], [1.0], "a single model is its own front"),
        (["a", "b"], [0.6, 0.6], [1.0, 2.0], "equal scores: the slower one is dominated"),
        (["a", "b"], [0.5, 0.6], [1.0, 1.0], "equal times: the less accurate one is dominated"),
        (["a", "b", "c"], [0.6, 0.6, 0.4], [1.0, 1.0, 0.5], "identical points: neither dominates the other"),
        (["x", "y", "z", "w"], [0.2, 0.2, 0.9, 0.1], [5, 5, 5, 0.1], "ties in time: identical points beaten"),
    ]
    cases = []
    for names, scores, seconds, note in tables:
        cases.append(Case((names, scores, seconds), _reference(names, scores, seconds), note=note))
    names, scores, seconds = tables[0][:3]
    cases.append(
        Case(
            (names, np.array(scores), np.array(seconds)),
            _reference(names, scores, seconds),
            note="scores and times as NumPy arrays",
        )
    )
    return cases


def _hidden_pareto_cases(rng: np.random.Generator) -> list[Case]:
    """Random tables of 2 to 9 models, with ties in score and time drawn on purpose (a coarse grid)."""
    cases = []
    for _ in range(5):
        count = int(rng.integers(2, 10))
        names = [f"model {chr(ord('a') + i)}" for i in rng.permutation(count)]
        scores = [round(float(s), 1) for s in rng.integers(1, 6, count) / 10]
        seconds = [float(t) for t in rng.integers(1, 6, count)]
        cases.append(Case((names, scores, seconds), _reference(names, scores, seconds),
                          note=f"a random table of {count} models, with ties"))
    return cases


@register(
    "ex-together-pareto",
    cases=_pareto_cases,
    hidden=_hidden_pareto_cases,
    compare=_same_names,
    asks_for=("segcourse.check.ch07._reference",),
)
def pareto_front(function: Callable[..., Any]) -> Result:
    """Checks ``pareto_front(names, scores, seconds) -> list of names``, fastest first.

    Runs your function on small tables of models: one like the chapter's, a pure trade-off (every model on the
    front), the same in another order, a model that dominates all, a single model, equal scores, equal times,
    identical points (neither dominates the other, both stay, in input order), and NumPy inputs. The answer
    is compared as a list of names in order: fastest first, ties in time broken by the higher score first,
    then by input order.

    Args:
        function: your ``pareto_front``, taking three sequences of equal length (names, scores where higher is
            better, seconds where lower is better) and returning a list (or tuple) of names.

    Returns:
        A ``Result``; in a notebook it prints what passed and, for each failure, the input, the expected and
        your list.

    Example:

    >>> from segcourse import check
    >>> check.pareto_front(lambda names, scores, seconds: list(names)).ok
    False
    """

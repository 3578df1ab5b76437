"""Diagrams of FCN-32s, FCN-16s and FCN-8s, drawn from the models themselves (chapter 2).

``plot_fcn`` reads the layers of models built by ``models.fcn`` (their names, output shapes, upsampling
factors and whether each upsampling learns) and draws each network on a grid of scales: the encoder steps
down one scale per pooling, the class scores come from ``score_fr`` at 1/32, and the upsamplings climb back
to the image, picking up the skip scores of ``pool4`` and ``pool3`` on the way. Nothing in the drawing is
typed by hand, so it cannot disagree with the models the chapter trains.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import keras
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

from segcourse.viz._common import _finish

__all__ = ["plot_fcn"]

# Colours: encoder, VGG's fully connected layers as convolutions, 1x1 class scores, upsampling, output.
_ENCODER = ("#dce8f4", "#3b6a91")
_FULLY_CONNECTED = ("#e6def2", "#6a4f92")
_SCORES = ("#fde3c6", "#b4641a")
_UPSAMPLING = "#2e7d32"
_OUTPUT = ("#eeeeee", "#555555")
_DASHED = (0, (4, 2.5))
_ENCODER_ARROW = "#7a8a99"

# Where the layers go, in data units: x along the page, y = -(log2 of the downsampling factor).
_POOL_X = {f"pool{i}": float(i) for i in range(1, 6)}
_TOP_X = {"fc6": 6.15, "fc7": 7.25, "score_fr": 8.35}
_SKIP_X = 7.25  # score_pool4 and score_pool3, under fc7
_FUSE_X = {"fuse_pool4": 9.45, "fuse_pool3": 10.35}
_OUTPUT_X = 11.35
_BOX_WIDTH, _BOX_HEIGHT = 0.92, 0.66
_FUSE_POINTS = 13  # diameter of an addition marker, in points
_VARIANT_LAYERS = {"upscore32": "32s", "upscore16": "16s", "upscore8": "8s"}


def _networks(networks: Any) -> dict[str, keras.Model]:
    """A title -> model dict from one model, a sequence of models or a mapping title -> model."""
    if isinstance(networks, keras.Model):
        networks = [networks]
    if isinstance(networks, Mapping):
        items = [(str(title), model) for title, model in networks.items()]
    elif isinstance(networks, Sequence) and not isinstance(networks, str):
        items = [(None, model) for model in networks]
    else:
        raise ValueError(
            "`networks` must be an FCN model, a list of them or a dict title -> model; "
            f"got {type(networks).__name__}."
        )
    if not items:
        raise ValueError("`networks` is empty: give at least one FCN model.")
    result = {}
    for title, model in items:
        if not isinstance(model, keras.Model):
            raise ValueError(
                f"`networks` must hold Keras models built by models.fcn; got {type(model).__name__}."
            )
        variant = _variant(model)
        result[title or f"FCN-{variant}"] = model
    return result


def _layer(model: keras.Model, name: str) -> Any:
    try:
        return model.get_layer(name)
    except ValueError:
        raise ValueError(
            f"`networks` must hold FCN models built by models.fcn; model {model.name!r} has no layer {name!r}."
        ) from None


def _variant(model: keras.Model) -> str:
    """'32s', '16s' or '8s', from the final upsampling layer the model has."""
    names = {layer.name for layer in model.layers}
    found = [variant for name, variant in _VARIANT_LAYERS.items() if name in names]
    if len(found) != 1:
        raise ValueError(
            f"`networks` must hold FCN models built by models.fcn; model {model.name!r} has no final "
            "upsampling layer upscore32, upscore16 or upscore8."
        )
    for name in ("pool1", "pool2", "pool3", "pool4", "pool5", "fc6", "fc7", "score_fr"):
        _layer(model, name)
    return found[0]


def _shape(layer: Any) -> tuple[int, int, int]:
    return tuple(int(size) for size in layer.output.shape[1:4])


def _size_text(shape: Sequence[int]) -> str:
    return "\u00d7".join(str(size) for size in shape)


def _level(height: int, image_height: int) -> float:
    """-log2(image height / map height): 0 for the image, -5 for stride 32."""
    return -math.log2(image_height / height)


def _box(
    ax: Axes,
    x: float,
    y: float,
    lines: Sequence[str],
    colours: tuple[str, str],
    gid: str,
    width: float = _BOX_WIDTH,
) -> FancyBboxPatch:
    """A rounded box centred at ``(x, y)`` with a bold first line (the layer) and a second (its shape)."""
    patch = FancyBboxPatch(
        (x - width / 2, y - _BOX_HEIGHT / 2),
        width,
        _BOX_HEIGHT,
        boxstyle="round,pad=0,rounding_size=0.08",
        facecolor=colours[0],
        edgecolor=colours[1],
        linewidth=0.9,
        gid=gid,
        zorder=3,
    )
    ax.add_patch(patch)
    ax.text(x, y + 0.13, lines[0], ha="center", va="center", fontsize=7.2, weight="bold", zorder=4)
    ax.text(x, y - 0.16, lines[1], ha="center", va="center", fontsize=6.6, zorder=4)
    return patch


def _fuse(ax: Axes, x: float, y: float, gid: str) -> tuple[float, float]:
    """The addition of two score maps: a round marker with a plus (round on the page, whatever the scales)."""
    ax.plot(
        [x],
        [y],
        marker="o",
        markersize=_FUSE_POINTS,
        markerfacecolor="white",
        markeredgecolor="black",
        markeredgewidth=0.9,
        linestyle="none",
        gid=gid,
        zorder=3,
    )
    ax.text(x, y, "+", ha="center", va="center", fontsize=10, weight="bold", zorder=4)
    return (x, y)


def _arrow(
    ax: Axes, start: Any, end: Any, colour: str, gid: str, dashed: bool = False, width: float = 1.1
) -> FancyArrowPatch:
    """An arrow between two boxes (clipped at their outlines) or addition markers (stopped at their rim)."""
    ends = {}
    for key, node in (("A", start), ("B", end)):
        if isinstance(node, FancyBboxPatch):
            ends[f"patch{key}"], ends[f"pos{key}"], ends[f"shrink{key}"] = node, _centre(node), 1
        else:
            ends[f"pos{key}"], ends[f"shrink{key}"] = node, _FUSE_POINTS / 2 + 1
    arrow = FancyArrowPatch(
        arrowstyle="-|>",
        mutation_scale=9,
        color=colour,
        linewidth=width,
        linestyle=_DASHED if dashed else "-",
        gid=gid,
        zorder=2,
        **ends,
    )
    ax.add_patch(arrow)
    return arrow


def _centre(node: Any) -> tuple[float, float]:
    if isinstance(node, FancyBboxPatch):
        return (node.get_x() + node.get_width() / 2, node.get_y() + node.get_height() / 2)
    return node


def _draw(ax: Axes, title: str, model: keras.Model) -> None:
    image_shape = tuple(int(size) for size in model.input_shape[1:4])
    image_height = image_shape[0]
    variant = _variant(model)
    nodes = {"image": _box(ax, 0.0, 0.0, ("image", _size_text(image_shape)), _OUTPUT, "layer:image")}

    previous = nodes["image"]
    for name, x in _POOL_X.items():  # the encoder: one step down per pooling
        shape = _shape(_layer(model, name))
        level = _level(shape[0], image_height)
        nodes[name] = _box(ax, x, level, (name, _size_text(shape)), _ENCODER, f"layer:{name}")
        _arrow(ax, previous, nodes[name], _ENCODER_ARROW, f"encoder:{name}")
        previous = nodes[name]
    for name, x in _TOP_X.items():  # fc6, fc7 and score_fr at the coarsest scale
        layer = _layer(model, name)
        shape = _shape(layer)
        kernel = "\u00d7".join(str(k) for k in layer.kernel_size)
        colours = _SCORES if name == "score_fr" else _FULLY_CONNECTED
        lines = (name if name == "score_fr" else f"{name} {kernel}", _size_text(shape))  # score_fr: 1x1
        nodes[name] = _box(ax, x, _level(shape[0], image_height), lines, colours, f"layer:{name}")
        _arrow(ax, previous, nodes[name], _ENCODER_ARROW, f"encoder:{name}")
        previous = nodes[name]

    out_shape = _shape(model.layers[-1])
    nodes["output"] = _box(ax, _OUTPUT_X, 0.0, ("scores", _size_text(out_shape)), _OUTPUT, "layer:output")

    # The decoder: 2x upsamplings that meet the skip scores, then the final upsampling to the image.
    steps = [("upscore2", "pool4"), ("upscore_pool4", "pool3")][: {"32s": 0, "16s": 1, "8s": 2}[variant]]
    current = nodes["score_fr"]
    for upsampling, pool in steps:
        level = _level(_shape(_layer(model, pool))[0], image_height)
        skip = f"score_{pool}"
        _layer(model, skip)
        nodes[skip] = _box(ax, _SKIP_X, level, (skip, "1\u00d71 conv"), _SCORES, f"layer:{skip}", width=1.2)
        fuse = _fuse(ax, _FUSE_X[f"fuse_{pool}"], level, f"fuse:{pool}")
        _arrow(ax, nodes[pool], nodes[skip], _SCORES[1], f"skip:{pool}")
        _arrow(ax, nodes[skip], fuse, _SCORES[1], f"skip:{skip}")
        _upsampling(ax, model, upsampling, current, fuse)
        current = fuse
    _upsampling(ax, model, f"upscore{variant[:-1]}", current, nodes["output"])

    ax.set_title(title, loc="left", fontsize=10, weight="bold")


def _upsampling(ax: Axes, model: keras.Model, name: str, start: Any, end: Any) -> None:
    """An upsampling arrow, solid if the layer learns, dashed if it stays bilinear, labelled with its factor."""
    layer = _layer(model, name)
    factor = int(layer.strides[0])
    _arrow(ax, start, end, _UPSAMPLING, f"upsampling:{name}", dashed=not layer.trainable, width=1.5)
    (x0, y0), (x1, y1) = _centre(start), _centre(end)
    ax.text(
        (x0 + x1) / 2 + 0.12,
        (y0 + y1) / 2,
        f"\u00d7{factor}",
        ha="left",
        va="center",
        fontsize=8,
        color=_UPSAMPLING,
        weight="bold",
        zorder=4,
    )


def plot_fcn(networks: Any) -> Figure:
    """Draws FCN-32s, FCN-16s and FCN-8s from the models: encoder, score layers, skips and upsamplings.

    One panel per model, on a grid of scales (1 for the image, 1/2 after ``pool1``, ..., 1/32 after
    ``pool5``). Blue boxes are the encoder's poolings with their output shapes; purple ``fc6`` and ``fc7``
    are VGG's fully connected layers as convolutions (kernel size shown); orange boxes are 1x1 convolutions
    to class scores (``score_fr`` and the skip scores ``score_pool4``, ``score_pool3``), orange arrows the
    skips, circles the additions ``fuse_pool4``, ``fuse_pool3``; green arrows the upsamplings, labelled with
    their factor, solid when the layer learns (the 2x ones) and dashed when it stays bilinear (the final
    one). Everything is read from the models: names, shapes, factors and which layers train.

    Each drawn element carries a matplotlib ``gid`` naming it (``"layer:pool4"``, ``"skip:pool4"``,
    ``"upsampling:upscore2"``, ``"fuse:pool3"``, ``"encoder:pool1"``, ...), so tests and readers can find
    it.

    Args:
        networks: a model built by ``models.fcn``, a list of them (titled ``FCN-32s`` etc.), or a dict
            title -> model.

    Returns:
        The matplotlib ``Figure``, one row per model.

    Example:

    >>> nets = {v: models.fcn(8, variant=v, width=0.25, convs_per_block=1) for v in ("32s", "16s", "8s")}
    >>> fig = plot_fcn(list(nets.values()))
    >>> len(fig.axes)
    3
    """
    panels = _networks(networks)
    rows = len(panels)
    fig, axes = plt.subplots(rows, 1, figsize=(8.2, 2.45 * rows + 0.45), squeeze=False, layout="constrained")
    for ax, (title, model) in zip(axes[:, 0], panels.items(), strict=True):
        _draw(ax, title, model)
        ax.set_xlim(-0.62, 11.95)
        ax.set_ylim(-5.5, 0.5)
        ax.set_yticks(range(0, -6, -1), ["1", "1/2", "1/4", "1/8", "1/16", "1/32"], fontsize=7.5)
        ax.set_ylabel("scale", fontsize=8)
        ax.set_xticks([])
        ax.grid(axis="y", color="0.9", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)
        ax.spines["left"].set_color("0.7")
    handles = [
        Patch(facecolor=_ENCODER[0], edgecolor=_ENCODER[1], label="encoder (conv blocks, max pooling)"),
        Patch(facecolor=_FULLY_CONNECTED[0], edgecolor=_FULLY_CONNECTED[1], label="fc6, fc7 as convolutions"),
        Patch(facecolor=_SCORES[0], edgecolor=_SCORES[1], label="1\u00d71 class scores, skips"),
        Line2D([], [], color=_UPSAMPLING, linewidth=1.5, label="upsampling, learned"),
        Line2D([], [], color=_UPSAMPLING, linewidth=1.5, linestyle=_DASHED, label="upsampling, fixed bilinear"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=8)
    return _finish(fig)

"""Models: the patch classifier and its fully convolutional twin, FCN, SegNet and the dilated network.

Every builder takes ``(num_classes, input_shape=(height, width, 3), width=1.0, ...)`` and returns an
uncompiled functional ``keras.Model`` whose output is a per-pixel softmax ``(n, height, width,
num_classes)`` (``(n, num_classes)`` for the patch classifier). The softmax is computed in float32
even under a ``mixed_float16`` policy: a float16 softmax saturates, and the log in the loss
underflows. ``width`` scales every hidden channel count (rounded, at least 1), so one definition
serves a CPU run at 64x96 with ``width=0.25`` and a CamVid-sized GPU run at ``width=1.0``.

The channel counts at ``width=1.0`` are VGG16's halved (32-64-128-256-256 instead of
64-128-256-512-512) so that the models train on a CPU, and the networks use batch normalisation
(``batch_norm=True``) because here they learn from scratch, without ImageNet weights.

Layers have names the chapters refer to: ``block3_conv2``, ``pool4``, ``fc6``, ``score_pool4``,
``upscore2``, ``unpool3``, ``ctx_conv5``, ``softmax``.

References:
    - Long, Shelhamer & Darrell (2015), *Fully Convolutional Networks for Semantic Segmentation*, CVPR.
    - Badrinarayanan, Kendall & Cipolla (2017), *SegNet: A Deep Convolutional Encoder-Decoder
      Architecture for Image Segmentation*, IEEE TPAMI 39(12).
    - Yu & Koltun (2016), *Multi-Scale Context Aggregation by Dilated Convolutions*, ICLR.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import Any

import keras
import numpy as np
from keras import layers, ops

from segcourse import _validate
from segcourse.layers import (
    BatchNormalization,
    BilinearInitializer,
    IdentityInitializer,
    MaxPoolingWithIndices2D,
    MaxUnpooling2D,
    ZeroUnpooling2D,
)

__all__ = [
    "CONTEXT_LAYERS",
    "FCN_VARIANTS",
    "UNPOOLING_MODES",
    "CONTEXT_MODULES",
    "VGG_FILTERS",
    "VGG_CONVS",
    "FC_FILTERS",
    "DilatedMaxPooling2D",
    "patch_classifier",
    "sliding_window_predict",
    "convolutionalize",
    "fcn",
    "segnet",
    "article_segnet",
    "dilated_net",
]

#: Channels of the five VGG-like blocks at ``width=1.0``: VGG16's 64-128-256-512-512, halved.
VGG_FILTERS: tuple[int, ...] = (32, 64, 128, 256, 256)
#: Convolutions per block, as in VGG16.
VGG_CONVS: tuple[int, ...] = (2, 2, 3, 3, 3)
#: Channels of fc6 and fc7 at ``width=1.0`` (4096 in VGG16).
FC_FILTERS = 512

FCN_VARIANTS: tuple[str, ...] = ("32s", "16s", "8s")
UNPOOLING_MODES: tuple[str, ...] = ("indices", "upsampling", "zeros")
CONTEXT_MODULES: tuple[str | None, ...] = (None, "basic")

#: The basic context module of Yu & Koltun (2016), Table 1, as ``(kernel, stride, dilation)``:
#: seven 3x3 convolutions with dilations 1, 1, 2, 4, 8, 16, 1, then a 1x1 convolution.
#: Their receptive fields are 3, 5, 9, 17, 33, 65, 67, 67 (``segcourse.reference.receptive_field``).
CONTEXT_LAYERS: tuple[tuple[int, int, int], ...] = (
    (3, 1, 1),
    (3, 1, 1),
    (3, 1, 2),
    (3, 1, 4),
    (3, 1, 8),
    (3, 1, 16),
    (3, 1, 1),
    (1, 1, 1),
)


# ----------------------------------------------------------------------------------------------
# Argument checks
# ----------------------------------------------------------------------------------------------


def _check_num_classes(num_classes: Any) -> int:
    return _validate.check_positive_int(num_classes, "num_classes", minimum=2)


def _check_width(width: Any) -> float:
    if isinstance(width, bool) or not isinstance(width, Real) or not math.isfinite(width) or width <= 0:
        raise ValueError(
            f"`width` must be a finite number > 0 (the factor on every channel count; 1.0 is the "
            f"default size); got {width!r}."
        )
    return float(width)


def _check_fraction(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value < 1:
        raise ValueError(f"`{name}` must be a number in [0, 1); got {value!r}.")
    return float(value)


def _check_odd_kernel(value: Any, name: str) -> int:
    size = _validate.check_positive_int(value, name)
    if size % 2 == 0:
        raise ValueError(f"`{name}` must be an odd integer >= 1 (so the kernel has a centre); got {size}.")
    return size


def _check_input_shape(input_shape: Any, multiple: int, reason: str) -> tuple[int, int, int]:
    """Checks ``(height, width, 3)`` with height and width positive multiples of ``multiple``.

    ``reason`` says why the sizes must be multiples (e.g. "FCN's output stride is 32").
    """
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = ()
    if len(shape) != 3 or shape[2] != 3:
        raise ValueError(
            f"`input_shape` must be (height, width, 3): RGB images, channels last; got {input_shape!r}."
        )
    for axis, size in zip(("height", "width"), shape[:2], strict=True):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"`input_shape` {axis} must be a positive integer; got {size!r}.")
        if size % multiple:
            lower, upper = size // multiple * multiple, (size // multiple + 1) * multiple
            fix = f"crop to {lower} or pad to {upper}" if lower else f"pad to {upper}"
            raise ValueError(
                f"`input_shape` {axis} must be divisible by {multiple} ({reason}); got {size}: {fix}."
            )
    return int(shape[0]), int(shape[1]), 3


def _check_convs_per_block(value: Any, depth: int) -> tuple[int, ...]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        counts = tuple(value)
        if len(counts) != depth:
            raise ValueError(
                f"`convs_per_block` must be an integer >= 1 or a sequence of {depth} of them (one per block); "
                f"got {value!r}."
            )
    else:
        counts = (value,) * depth
    return tuple(_validate.check_positive_int(c, "convs_per_block") for c in counts)


def _scaled(channels: int, width: float) -> int:
    """``channels * width``, rounded, and at least 1."""
    return max(1, int(round(channels * width)))


# ----------------------------------------------------------------------------------------------
# Shared building blocks
# ----------------------------------------------------------------------------------------------


def _conv_bn_relu(
    x: Any,
    filters: int,
    name: str,
    *,
    kernel_size: int = 3,
    dilation_rate: int = 1,
    padding: str = "same",
    batch_norm: bool = True,
    relu: bool = True,
    use_bias: bool | None = None,
    keras_batch_norm: bool = False,
) -> Any:
    """Conv2D, then BatchNormalization (``name_bn``), then ReLU (``name_relu``).

    The convolution has no bias when batch normalisation follows: BN's offset would cancel it.
    The BN momentum is 0.9 rather than Keras's 0.99 so that the moving statistics used at inference
    settle within the few hundred steps of a CPU run. The BN layer is
    ``segcourse.layers.BatchNormalization``, Keras's layer trained with TensorFlow's fused kernel (a
    SegNet training step is about 12% faster on a CPU), or Keras's own with ``keras_batch_norm=True``.
    """
    x = layers.Conv2D(
        filters,
        kernel_size,
        padding=padding,
        dilation_rate=dilation_rate,
        use_bias=(not batch_norm) if use_bias is None else use_bias,
        name=name,
    )(x)
    if batch_norm:
        norm = layers.BatchNormalization if keras_batch_norm else BatchNormalization
        x = norm(momentum=0.9, name=f"{name}_bn")(x)
    if relu:
        x = layers.ReLU(name=f"{name}_relu")(x)
    return x


def _conv_block(x: Any, filters: int, num_convs: int, prefix: str, **kwargs: Any) -> Any:
    """``num_convs`` conv-BN-ReLU units named ``{prefix}_conv1``, ``{prefix}_conv2``, ..."""
    for index in range(1, num_convs + 1):
        x = _conv_bn_relu(x, filters, f"{prefix}_conv{index}", **kwargs)
    return x


def _vgg_encoder(
    x: Any,
    width: float,
    batch_norm: bool,
    convs: Sequence[int] = VGG_CONVS,
    num_pools: int = 5,
    dilations: Sequence[int] = (1, 1, 1, 1, 1),
) -> tuple[Any, dict[str, Any]]:
    """The five VGG-like blocks; the first ``num_pools`` end with 2x2 max pooling ``pool{i}``.

    Returns the last output and the pooling outputs by name (FCN taps pool3 and pool4).
    """
    pools = {}
    for index, (filters, count, dilation) in enumerate(zip(VGG_FILTERS, convs, dilations, strict=True), 1):
        x = _conv_block(
            x, _scaled(filters, width), count, f"block{index}", dilation_rate=dilation, batch_norm=batch_norm
        )
        if index <= num_pools:
            x = layers.MaxPooling2D(2, name=f"pool{index}")(x)
            pools[f"pool{index}"] = x
    return x, pools


def _fully_connected_as_conv(
    x: Any, width: float, kernel_size: int, dilation: int, dropout: float, batch_norm: bool
) -> Any:
    """fc6 (``kernel_size`` x ``kernel_size``) and fc7 (1x1) as convolutions, each with dropout."""
    filters = _scaled(FC_FILTERS, width)
    for name, size, rate in (("fc6", kernel_size, dilation), ("fc7", 1, 1)):
        x = _conv_bn_relu(x, filters, name, kernel_size=size, dilation_rate=rate, batch_norm=batch_norm)
        if dropout:
            x = layers.Dropout(dropout, name=f"drop{name[2:]}")(x)
    return x


def _bilinear_upsampling(x: Any, channels: int, factor: int, name: str, trainable: bool = True) -> Any:
    """A ``Conv2DTranspose`` by ``factor`` initialised to bilinear interpolation (FCN).

    Kernel ``2 * factor`` with stride ``factor`` and ``padding="same"`` gives exactly
    ``factor`` times the input size, aligned on pixel centres, so no cropping is needed.
    """
    return layers.Conv2DTranspose(
        channels,
        2 * factor,
        strides=factor,
        padding="same",
        use_bias=False,
        kernel_initializer=BilinearInitializer(),
        trainable=trainable,
        name=name,
    )(x)


def _softmax(x: Any) -> Any:
    # float32 even under mixed_float16: a float16 softmax saturates and the loss's log underflows.
    return layers.Activation("softmax", dtype="float32", name="softmax")(x)


def _image_input(shape: tuple[int | None, int | None, int]) -> Any:
    return keras.Input(shape=shape, name="image")


# ----------------------------------------------------------------------------------------------
# Chapter 1 and 2: the patch classifier, the sliding window and the fully convolutional twin
# ----------------------------------------------------------------------------------------------


def _min_patch_size(num_blocks: int) -> int:
    """The smallest odd patch that leaves a 1x1 feature map after ``num_blocks`` conv+pool blocks."""
    size = 1
    for _ in range(num_blocks):
        size = 2 * size + 2  # undo a 2x2 pooling (floor), then a 3x3 'valid' convolution
    return size + 1 - size % 2


def patch_classifier(
    num_classes: int,
    patch_size: int = 35,
    width: float = 1.0,
    *,
    num_blocks: int = 2,
    fc_units: int = 128,
) -> keras.Model:
    """A small CNN that labels the centre pixel of a square patch (the sliding-window baseline).

    ``num_blocks`` blocks of a 3x3 ``'valid'`` convolution with ReLU (``block{i}_conv1``) and 2x2
    max pooling (``pool{i}``), then ``flatten``, a fully connected ``fc6`` with ReLU and a fully
    connected ``score`` layer with a float32 ``softmax``. Each block maps a feature map of size
    ``s`` to ``floor((s - 2) / 2)``: the default 35x35 patch gives 33, 16, 14, 7, so ``fc6`` sees
    a 7x7 map, as VGG's fc6 does. ``convolutionalize`` turns the model into a fully convolutional
    network with the same weights.

    Args:
        num_classes: number of classes, >= 2.
        patch_size: odd side of the square patch, large enough to leave at least a 1x1 map
            after the blocks (11 for two blocks).
        width: factor on the channel counts (32, 64, ... and ``fc_units``).
        num_blocks: number of conv+pool blocks.
        fc_units: units of ``fc6`` at ``width=1.0``.

    Input shape:
        ``(batch, patch_size, patch_size, 3)``.

    Output shape:
        ``(batch, num_classes)``: class probabilities of the centre pixel, float32.

    Example:

    >>> model = patch_classifier(8, patch_size=35)
    >>> model.output_shape
    (None, 8)
    """
    num_classes = _check_num_classes(num_classes)
    width = _check_width(width)
    num_blocks = _validate.check_positive_int(num_blocks, "num_blocks")
    fc_units = _validate.check_positive_int(fc_units, "fc_units")
    patch_size = _check_odd_kernel(patch_size, "patch_size")
    if patch_size < _min_patch_size(num_blocks):
        raise ValueError(
            f"`patch_size` must be at least {_min_patch_size(num_blocks)} for {num_blocks} blocks of "
            f"3x3 'valid' convolution and 2x2 pooling; got {patch_size}."
        )

    inputs = keras.Input(shape=(patch_size, patch_size, 3), name="patch")
    x = inputs
    for index in range(1, num_blocks + 1):
        filters = _scaled(32 * 2 ** (index - 1), width)
        x = _conv_bn_relu(x, filters, f"block{index}_conv1", padding="valid", batch_norm=False)
        x = layers.MaxPooling2D(2, name=f"pool{index}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(_scaled(fc_units, width), activation="relu", name="fc6")(x)
    x = layers.Dense(num_classes, name="score")(x)
    return keras.Model(inputs, _softmax(x), name="patch_classifier")


def _patch_size_of(model: keras.Model) -> tuple[int, int]:
    """The (odd) patch height and width a patch classifier takes, from its input shape."""
    shape = getattr(model, "input_shape", None)
    if not (isinstance(shape, tuple) and len(shape) == 4 and shape[3] == 3):
        raise ValueError(f"`model` must take patches of shape (batch, ph, pw, 3); got input shape {shape}.")
    ph, pw = shape[1], shape[2]
    if not (isinstance(ph, int) and isinstance(pw, int) and ph % 2 == 1 and pw % 2 == 1):
        raise ValueError(f"`model` must take patches of a fixed odd size; got input shape {shape}.")
    return ph, pw


def sliding_window_predict(model: keras.Model, images: Any, batch_size: int = 2048) -> np.ndarray:
    """Applies a patch classifier at every pixel: the slow sliding-window baseline.

    Every image is padded with zeros by ``patch_size // 2`` on each side (zeros, rather than a
    reflection, because that is what a convolution's ``'same'`` padding does, what
    ``convolutionalize`` reproduces with a ``ZeroPadding2D`` layer, and it works for images of any
    size). Then the patch centred on each pixel is classified, ``batch_size`` patches at a time.
    The patches are read from a strided NumPy view of the padded images and copied one batch at a
    time, so memory stays at ``batch_size`` patches whatever the number of images.

    Overlapping patches share most of their pixels, yet every patch is convolved from scratch:
    that repeated work is what makes this slow, and what ``convolutionalize`` removes.

    Args:
        model: a patch classifier: input ``(batch, ph, pw, 3)`` with odd ``ph`` and ``pw``,
            output ``(batch, num_classes)``.
        images: float array ``(n, height, width, 3)``.
        batch_size: number of patches classified per call.

    Returns:
        Float32 array ``(n, height, width, num_classes)``: the model's output for the patch
        centred on each pixel.

    Example:

    >>> model = patch_classifier(8, patch_size=35)
    >>> scores = sliding_window_predict(model, np.zeros((1, 16, 24, 3), "float32"))
    >>> scores.shape
    (1, 16, 24, 8)
    """
    ph, pw = _patch_size_of(model)
    batch_size = _validate.check_positive_int(batch_size, "batch_size")
    array = _validate.as_array(images, "images")
    _validate.check_rank(array, "images", (4,), "(n, height, width, 3)")
    if array.shape[3] != 3:
        raise ValueError(f"`images` must have 3 channels last; got shape {array.shape}.")
    n, height, width, _ = array.shape
    padded = np.pad(
        array.astype(np.float32, copy=False),
        ((0, 0), (ph // 2, ph // 2), (pw // 2, pw // 2), (0, 0)),
    )
    # A view (no copy) of every window: (n, height, width, 3, ph, pw).
    windows = np.lib.stride_tricks.sliding_window_view(padded, (ph, pw), axis=(1, 2))
    total = n * height * width
    scores = None
    for start in range(0, total, batch_size):
        image, row, col = np.unravel_index(np.arange(start, min(start + batch_size, total)), (n, height, width))
        patches = np.ascontiguousarray(windows[image, row, col].transpose(0, 2, 3, 1))
        batch_scores = np.asarray(model.predict_on_batch(patches), dtype=np.float32)
        if scores is None:
            scores = np.empty((total, batch_scores.shape[-1]), dtype=np.float32)
        scores[start : start + len(patches)] = batch_scores
    if scores is None:  # no pixels at all
        scores = np.empty((0, model.output_shape[-1]), dtype=np.float32)
    return scores.reshape(n, height, width, -1)


def _pair(value: Any) -> tuple[int, int]:
    return (int(value), int(value)) if isinstance(value, (int, np.integer)) else (int(value[0]), int(value[1]))


@keras.saving.register_keras_serializable(package="segcourse")
class DilatedMaxPooling2D(layers.Layer):
    """Max pooling with stride 1 over a dilated window: the dense twin of a strided max pooling.

    ``output[i, j] = max over a < ph, b < pw of input[i + a * dh, j + b * dw]``, with ``'valid'``
    padding, so ``output_size = input_size - (pool_size - 1) * dilation_rate``.

    When ``convolutionalize`` removes the stride ``s`` of a pooling layer, the windows of every later
    pooling layer must be spread out by ``s`` (and by the strides before it) to keep combining the
    same pixels: this layer is such a pooling. ``keras.layers.MaxPooling2D`` has no dilation.

    Args:
        pool_size: int or pair of ints, the window size.
        dilation_rate: int or pair of ints, the spacing between the window's taps.

    Input shape:
        ``(batch, height, width, channels)``.

    Output shape:
        ``(batch, height - (ph - 1) * dh, width - (pw - 1) * dw, channels)``.

    Example:

    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> DilatedMaxPooling2D(2, dilation_rate=2)(x).shape
    (1, 2, 2, 1)
    """

    def __init__(
        self, pool_size: int | tuple[int, int] = 2, dilation_rate: int | tuple[int, int] = 1, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.pool_size = _pair(pool_size)
        self.dilation_rate = _pair(dilation_rate)

    def call(self, inputs: Any) -> Any:
        (ph, pw), (dh, dw) = self.pool_size, self.dilation_rate
        span_h, span_w = (ph - 1) * dh, (pw - 1) * dw
        result = None
        # One shifted slice per window tap; the running maximum of the slices is the pooling.
        for a in range(ph):
            for b in range(pw):
                stop_h = a * dh - span_h or None  # 0 would mean "empty": use None for "to the end"
                stop_w = b * dw - span_w or None
                tap = inputs[:, a * dh : stop_h, b * dw : stop_w, :]
                result = tap if result is None else ops.maximum(result, tap)
        return result

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        n, h, w, c = input_shape
        (ph, pw), (dh, dw) = self.pool_size, self.dilation_rate
        return (
            n,
            None if h is None else h - (ph - 1) * dh,
            None if w is None else w - (pw - 1) * dw,
            c,
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "pool_size": self.pool_size, "dilation_rate": self.dilation_rate}


def _layer_chain(model: keras.Model) -> list[layers.Layer]:
    """The model's layers in order, after checking that each feeds the next (no branches)."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError("`model` must have one input and one output to be convolutionalized.")
    chain = [layer for layer in model.layers if not isinstance(layer, layers.InputLayer)]
    previous = model.inputs[0]
    for layer in chain:
        if layer.input is not previous:
            raise ValueError(
                f"`model` must be a chain of layers, each feeding the next; layer {layer.name!r} does not "
                "take the previous layer's output."
            )
        previous = layer.output
    return chain


#: Layers that act on each pixel (or each vector) alone: convolutionalize copies them as they are.
_PIXELWISE_LAYERS = (
    layers.Activation,
    layers.ReLU,
    layers.LeakyReLU,
    layers.Softmax,
    layers.Dropout,
    layers.BatchNormalization,
)


def _clone(layer: layers.Layer) -> layers.Layer:
    return type(layer).from_config(layer.get_config())


def _dense_as_conv(
    layer: layers.Dense, kernel_shape: tuple[int, int], dilation: tuple[int, int]
) -> tuple[layers.Conv2D, list[np.ndarray]]:
    """A Conv2D equal to ``layer`` on every ``kernel_shape`` window, and the weights to give it.

    Flatten orders the features (row, column, channel), so the Dense kernel reshapes directly.
    """
    kernel, *bias = layer.get_weights()
    units = kernel.shape[1]
    conv = layers.Conv2D(
        units,
        kernel_shape,
        dilation_rate=dilation,
        activation=layer.activation,
        use_bias=layer.use_bias,
        dtype=layer.dtype_policy,
        name=layer.name,
    )
    return conv, [kernel.reshape(*kernel_shape, -1, units), *bias]


def _check_valid_padding(layer: layers.Layer) -> None:
    # 'same' padding would pad each patch at its own border, which a whole-image convolution cannot mimic.
    if layer.padding != "valid" or getattr(layer, "data_format", "channels_last") != "channels_last":
        raise ValueError(
            f"convolutionalize needs 'valid' padding and channels-last data in layer {layer.name!r}; "
            f"got padding={layer.padding!r}."
        )


def convolutionalize(model: keras.Model, dense: bool = True) -> keras.Model:
    """Turns a patch classifier into a fully convolutional network with the same weights.

    Each ``Dense`` layer after ``Flatten`` becomes a ``Conv2D`` whose kernel covers the whole feature
    map it saw (a 7x7 map gives a 7x7 convolution, not a 1x1); later ``Dense`` layers become 1x1
    convolutions. The input is padded with zeros by ``patch_size // 2`` (layer ``pad``), as
    ``sliding_window_predict`` pads, so the score map has the size of the image.

    With ``dense=False`` the strides stay: the output is the coarse map that a strided network
    gives, one score vector every ``S`` pixels, ``S`` being the product of the strides (the output
    stride; 4 for the default patch classifier). Its size is ``ceil(height / S)``, and
    ``coarse[:, i, j] == sliding_window_predict(...)[:, S * i, S * j]``.

    With ``dense=True`` (the default) the output has a score vector at every pixel, equal to
    ``sliding_window_predict`` everywhere, by the "a trous" (dilation) form of shift-and-stitch
    (Long et al., 2015, Section 3.2; Yu & Koltun, 2016): every stride is replaced by 1 and every
    later layer's taps are spread out by the product of the strides removed before it, convolutions
    by their ``dilation_rate`` and pooling by ``DilatedMaxPooling2D``. The network then computes
    each overlapping patch's features once, and shares them, at full resolution.

    Args:
        model: a chain of layers taking ``(batch, ph, pw, 3)`` patches of odd size, such as
            ``patch_classifier``: ``Conv2D`` and ``MaxPooling2D`` with ``'valid'`` padding,
            ``Flatten``, ``Dense``, and pixel-wise layers (activations, dropout, batch
            normalisation). Others raise a ``ValueError``.
        dense: ``True`` for the full-resolution map, ``False`` for the coarse, strided one.

    Input shape:
        ``(batch, height, width, 3)`` with any height and width.

    Output shape:
        ``(batch, height, width, num_classes)`` if ``dense``, else
        ``(batch, ceil(height / S), ceil(width / S), num_classes)``.

    Example:

    >>> patches = patch_classifier(8, patch_size=35)
    >>> fcn_twin = convolutionalize(patches)
    >>> fcn_twin.predict(np.zeros((1, 64, 96, 3), "float32"), verbose=0).shape
    (1, 64, 96, 8)
    """
    if not isinstance(dense, bool):
        raise ValueError(f"`dense` must be True or False; got {dense!r}.")
    ph, pw = _patch_size_of(model)
    steps = []  # (replacement layer, its weights)
    removed = (1, 1)  # product of the strides met so far: the dilation that later layers need
    span = (1, 1)  # rows and columns of the patch that one output depends on
    flat_map = None  # the (height, width) the last Flatten saw, for the Dense that follows it
    for layer in _layer_chain(model):
        if isinstance(layer, layers.Flatten):
            flat_map = tuple(layer.input.shape[1:3])
            continue
        if flat_map and isinstance(layer, layers.BatchNormalization):
            raise ValueError(
                f"convolutionalize cannot convert layer {layer.name!r}: batch normalisation between Flatten "
                "and Dense normalises each (row, column, channel) feature, which no convolution layer does."
            )
        new, weights, kernel, rate, strides = _convert(layer, dense, removed, flat_map)
        if isinstance(layer, layers.Dense):
            flat_map = None  # dropout or an activation may come between Flatten and Dense; Dense uses it
        span = tuple(s + (k - 1) * r * d for s, k, r, d in zip(span, kernel, rate, removed, strict=True))
        removed = (removed[0] * strides[0], removed[1] * strides[1])
        steps.append((new, weights))

    # Pad like sliding_window_predict, less the rows and columns at the bottom and right of each patch
    # that no output depends on (a pooling with stride drops the last ones when the size is odd):
    # otherwise the output would be larger than the image.
    bottom, right = ph // 2 - (ph - span[0]), pw // 2 - (pw - span[1])
    if min(bottom, right) < 0:
        raise ValueError(
            f"`model` ignores more of its patch than half of it; cannot convolutionalize {model.name!r}."
        )
    inputs = _image_input((None, None, 3))
    x = layers.ZeroPadding2D(((ph // 2, bottom), (pw // 2, right)), name="pad")(inputs)
    for new, weights in steps:
        x = new(x)
        new.set_weights(weights)
    suffix = "dense" if dense else "coarse"
    return keras.Model(inputs, x, name=f"{model.name}_convolutional_{suffix}")


def _convert(
    layer: layers.Layer, dense: bool, removed: tuple[int, int], flat_map: tuple[int, int] | None
) -> tuple[layers.Layer, list[np.ndarray], tuple[int, int], tuple[int, int], tuple[int, int]]:
    """The fully convolutional replacement of one layer of a patch classifier.

    Returns the replacement, its weights, and the original layer's window (kernel or pool size),
    dilation and strides, from which ``convolutionalize`` tracks the receptive field and the
    dilation of the layers that follow (``removed``, the product of the strides before this layer).
    """
    one = (1, 1)
    if isinstance(layer, layers.Dense):
        kernel = flat_map or one  # after Flatten: a kernel over the whole map; later: 1x1
        new, weights = _dense_as_conv(layer, kernel, removed if dense and flat_map else one)
        return new, weights, kernel, one, one
    if type(layer) is layers.Conv2D:
        _check_valid_padding(layer)
        config = layer.get_config()
        kernel, rate, strides = (_pair(config[k]) for k in ("kernel_size", "dilation_rate", "strides"))
        if dense:
            config.update(strides=1, dilation_rate=(rate[0] * removed[0], rate[1] * removed[1]))
        return layers.Conv2D.from_config(config), layer.get_weights(), kernel, rate, strides
    if type(layer) is layers.MaxPooling2D:
        _check_valid_padding(layer)
        kernel, strides = _pair(layer.pool_size), _pair(layer.strides)
        new = (
            DilatedMaxPooling2D(kernel, dilation_rate=removed, dtype=layer.dtype_policy, name=layer.name)
            if dense
            else _clone(layer)
        )
        return new, [], kernel, one, strides
    if isinstance(layer, _PIXELWISE_LAYERS):
        return _clone(layer), layer.get_weights(), one, one, one
    raise ValueError(
        f"convolutionalize cannot convert layer {layer.name!r} of type {type(layer).__name__}; "
        "accepted: Conv2D, MaxPooling2D, Flatten, Dense and pixel-wise layers "
        f"({', '.join(t.__name__ for t in _PIXELWISE_LAYERS)})."
    )


# ----------------------------------------------------------------------------------------------
# Chapter 2: FCN
# ----------------------------------------------------------------------------------------------


def fcn(
    num_classes: int,
    input_shape: tuple[int, int, int] = (64, 96, 3),
    width: float = 1.0,
    variant: str = "8s",
    *,
    convs_per_block: int | Sequence[int] = VGG_CONVS,
    fc6_kernel: int = 3,
    dropout: float = 0.5,
    batch_norm: bool = True,
) -> keras.Model:
    """The fully convolutional network FCN-32s, FCN-16s or FCN-8s (Long et al., 2015).

    A VGG-like encoder of five blocks of 3x3 convolutions, each ending in 2x2 max pooling
    (``pool1`` ... ``pool5``: the output stride is 32), then VGG's fully connected layers as
    convolutions (``fc6``, ``fc7``, with dropout) and a 1x1 convolution to class scores
    (``score_fr``). The scores are upsampled back to the input size:

    - ``"32s"``: by 32 in one step (``upscore32``);
    - ``"16s"``: by 2 (``upscore2``), plus 1x1 scores of pool4 (``score_pool4``), then by 16
      (``upscore16``);
    - ``"8s"``: as 16s, then by 2 again (``upscore_pool4``), plus scores of pool3
      (``score_pool3``), then by 8 (``upscore8``).

    The skip scores start at zero (so a 16s net starts as its 32s net, as Long et al. initialise
    them), and the upsampling layers are ``Conv2DTranspose`` initialised to bilinear
    interpolation; the 2x ones learn, the final one stays fixed, as in the paper. Because the input
    size is a multiple of 32, every skip lines up exactly and no cropping is needed (the original
    pads the input by 100 pixels and crops instead).

    ``fc6`` is a 7x7 convolution in VGG16, where pool5 is 7x7 for a 224x224 input. Here pool5 is
    only 2x3 for a 64x96 input, so ``fc6_kernel`` defaults to 3, which already covers that whole
    map; use 7 for CamVid-sized inputs (pool5 is 11x15 at 352x480) to match VGG.

    Unlike VGG, each convolution is followed by batch normalisation (``batch_norm=True``): these
    networks learn from scratch, not from ImageNet weights, and train much faster with it.

    Args:
        num_classes: number of classes, >= 2.
        input_shape: ``(height, width, 3)``, height and width divisible by 32 (CamVid's 360x480
            is not: crop to 352x480 or pad to 384x480).
        width: factor on the channel counts (32-64-128-256-256, fc 512, at 1.0).
        variant: ``"32s"``, ``"16s"`` or ``"8s"``.
        convs_per_block: convolutions in each of the five blocks, an integer or five of them
            (VGG16: 2, 2, 3, 3, 3; 1 gives a lighter network that trains faster on a CPU).
        fc6_kernel: odd kernel size of ``fc6``.
        dropout: dropout rate after fc6 and fc7 (0 for none).
        batch_norm: batch normalisation after every encoder, fc6 and fc7 convolution.

    Input shape:
        ``(batch, height, width, 3)``.

    Output shape:
        ``(batch, height, width, num_classes)``, float32 per-pixel probabilities.

    Example:

    >>> model = fcn(8, input_shape=(64, 96, 3), variant="8s")
    >>> model.output_shape
    (None, 64, 96, 8)
    """
    num_classes = _check_num_classes(num_classes)
    width = _check_width(width)
    variant = _validate.check_choice(variant, "variant", FCN_VARIANTS)
    convs = _check_convs_per_block(convs_per_block, len(VGG_FILTERS))
    fc6_kernel = _check_odd_kernel(fc6_kernel, "fc6_kernel")
    dropout = _check_fraction(dropout, "dropout")
    shape = _check_input_shape(input_shape, 32, "FCN's output stride is 32")

    inputs = _image_input(shape)
    x, pools = _vgg_encoder(inputs, width, batch_norm, convs)
    x = _fully_connected_as_conv(x, width, fc6_kernel, 1, dropout, batch_norm)
    x = layers.Conv2D(num_classes, 1, name="score_fr")(x)
    if variant == "32s":
        x = _bilinear_upsampling(x, num_classes, 32, "upscore32", trainable=False)
    else:
        x = _bilinear_upsampling(x, num_classes, 2, "upscore2")
        x = layers.Add(name="fuse_pool4")([x, _skip_score(pools["pool4"], num_classes, "score_pool4")])
        if variant == "16s":
            x = _bilinear_upsampling(x, num_classes, 16, "upscore16", trainable=False)
        else:
            x = _bilinear_upsampling(x, num_classes, 2, "upscore_pool4")
            x = layers.Add(name="fuse_pool3")([x, _skip_score(pools["pool3"], num_classes, "score_pool3")])
            x = _bilinear_upsampling(x, num_classes, 8, "upscore8", trainable=False)
    return keras.Model(inputs, _softmax(x), name=f"fcn{variant}")


def _skip_score(x: Any, num_classes: int, name: str) -> Any:
    """1x1 class scores of an earlier pooling layer, initialised to zero (Long et al., 2015)."""
    return layers.Conv2D(num_classes, 1, kernel_initializer="zeros", bias_initializer="zeros", name=name)(x)


# ----------------------------------------------------------------------------------------------
# Chapters 3 and 5: SegNet and the original article's listing
# ----------------------------------------------------------------------------------------------


def _unpool(x: Any, unpooling: str, indices: Any, name: str) -> Any:
    if unpooling == "indices":
        return MaxUnpooling2D(2, name=name)([x, indices])
    if unpooling == "zeros":
        return ZeroUnpooling2D(2, name=name)(x)
    return layers.UpSampling2D(2, name=name)(x)


def segnet(
    num_classes: int,
    input_shape: tuple[int, int, int] = (64, 96, 3),
    width: float = 1.0,
    depth: int = 4,
    unpooling: str = "indices",
    convs_per_block: int | Sequence[int] = 2,
) -> keras.Model:
    """SegNet: an encoder whose max-pooling indices the decoder uses to unpool (Badrinarayanan et al., 2017).

    The encoder has ``depth`` blocks of 3x3 conv-BN-ReLU units (``block{i}_conv{j}``) with
    32, 64, 128, 256, 256, ... channels at ``width=1.0``, each ending in 2x2 max pooling
    (``pool{i}``) that, for ``unpooling="indices"``, also returns where each maximum was. The
    decoder mirrors it: each block unpools (``unpool{i}``) and applies as many conv-BN-ReLU
    units (``decoder{i}_conv{j}``), the last of which narrows to the channels of the encoder
    block below. A 1x1 convolution (``score``) and a float32 softmax classify every pixel.

    ``unpooling`` chooses how the decoder upsamples:

    - ``"indices"``: ``MaxUnpooling2D`` puts each value back where the encoder's maximum was
      (SegNet proper). Only the indices are kept from the encoder, not the feature maps as in
      U-Net or FCN's skips: that is why SegNet needs little memory at inference.
    - ``"upsampling"``: ``UpSampling2D`` copies each value into its 2x2 window: the original
      article's listing, corrected (3x3 convolutions with stride 1, ``'same'`` padding,
      channels-last, ReLU in the decoder). See ``article_segnet`` for the listing itself.
    - ``"zeros"``: ``ZeroUnpooling2D`` puts each value in the window's top-left corner.

    The output stride of the encoder is ``2 ** depth``, so the input height and width must be
    divisible by ``2 ** depth``; otherwise a ``ValueError`` is raised.

    Args:
        num_classes: number of classes, >= 2.
        input_shape: ``(height, width, 3)``, height and width divisible by ``2 ** depth``
            (CamVid's 360x480 is not, for depth 4: crop to 352x480).
        width: factor on the channel counts.
        depth: number of encoder (and decoder) blocks; 5 in SegNet, 4 in SegNet-Basic.
        unpooling: ``"indices"``, ``"upsampling"`` or ``"zeros"``.
        convs_per_block: convolutions per encoder block (the decoder mirrors them), an integer
            or one per block (SegNet: 2, 2, 3, 3, 3).

    Input shape:
        ``(batch, height, width, 3)``.

    Output shape:
        ``(batch, height, width, num_classes)``, float32 per-pixel probabilities.

    Example:

    >>> model = segnet(8, input_shape=(64, 96, 3), depth=4, unpooling="indices")
    >>> model.get_layer("unpool4").output.shape
    (None, 8, 12, 256)
    """
    num_classes = _check_num_classes(num_classes)
    width = _check_width(width)
    depth = _validate.check_positive_int(depth, "depth")
    unpooling = _validate.check_choice(unpooling, "unpooling", UNPOOLING_MODES)
    convs = _check_convs_per_block(convs_per_block, depth)
    shape = _check_input_shape(input_shape, 2**depth, f"SegNet pools {depth} times by 2")
    filters = [_scaled(min(32 * 2**i, 256), width) for i in range(depth)]

    inputs = _image_input(shape)
    x = inputs
    switches = []
    for i in range(depth):
        x = _conv_block(x, filters[i], convs[i], f"block{i + 1}")
        if unpooling == "indices":
            x, indices = MaxPoolingWithIndices2D(2, name=f"pool{i + 1}")(x)
            switches.append(indices)
        else:
            x = layers.MaxPooling2D(2, name=f"pool{i + 1}")(x)
            switches.append(None)
    for i in reversed(range(depth)):
        x = _unpool(x, unpooling, switches[i], f"unpool{i + 1}")
        x = _conv_block(x, filters[i], convs[i] - 1, f"decoder{i + 1}")
        x = _conv_bn_relu(x, filters[max(i - 1, 0)], f"decoder{i + 1}_conv{convs[i]}")
    x = layers.Conv2D(num_classes, 1, name="score")(x)
    return keras.Model(inputs, _softmax(x), name=f"segnet_{unpooling}")


def article_segnet(
    num_classes: int, input_shape: tuple[int, int, int] = (360, 480, 3), width: float = 1.0
) -> keras.Model:
    """The original article's SegNet listing, ported to Keras 3 with only the changes it needs to run.

    Encoder: three blocks of zero padding by 1, a 3x3 ``'valid'`` convolution, batch
    normalisation, ReLU and 2x2 max pooling (64, 128, 256 channels), and a fourth without pooling
    (512). Decoder: zero padding, convolution and batch normalisation, with **no ReLU**, and
    ``UpSampling2D`` after the first three (512, 256, 128 channels, then 64); then a 1x1
    convolution to ``num_classes`` and a softmax. The output stride of the encoder is 8, so the
    height and width must be divisible by 8 (CamVid's 360x480 is).

    What was changed from the listing, and why:

    - ``Conv2D(64, kernel, kernel, border_mode='valid')`` is Keras 1 (``nb_row, nb_col``). Ported
      literally to Keras 3 the third positional argument is the *stride* (3), which would shrink
      each map threefold, and ``border_mode`` is an error. Here: ``Conv2D(64, 3, strides=1,
      padding="valid")``, after the listing's ``ZeroPadding2D(1)``.
    - ``input_shape=(3, h, w)`` is channels-first; TensorFlow's CPU convolutions and the rest of
      the course are channels-last: ``(h, w, 3)``, and a ``keras.Input`` instead of
      ``Layer(input_shape=...)``.
    - The ``Reshape((nClasses, h * w))`` and ``Permute((2, 1))`` before the softmax existed to put
      the classes last for a channels-first output; channels-last already has them last, so the
      softmax is applied directly per pixel and the output keeps its ``(h, w)`` layout, like every
      model of the course.
    - The softmax is computed in float32, for mixed precision.
    - ``compile(optimizer=tf.keras.optimizers.Adam)`` passed the class, not an instance; the model
      is returned uncompiled, so compile it with ``keras.optimizers.Adam(...)``.

    Kept as in the listing, because chapter 5 measures them: no ReLU in the decoder,
    ``UpSampling2D`` instead of index unpooling, one convolution per block, a bias in every
    convolution even before batch normalisation, and Keras's own ``BatchNormalization`` (the other
    models use ``segcourse.layers.BatchNormalization``, the same layer trained with a fused kernel).
    ``segnet(..., unpooling="upsampling")`` is the corrected version.

    Args:
        num_classes: number of classes, >= 2.
        input_shape: ``(height, width, 3)``, height and width divisible by 8.
        width: factor on the channel counts (1.0 is the listing's).

    Input shape:
        ``(batch, height, width, 3)``.

    Output shape:
        ``(batch, height, width, num_classes)``, float32 per-pixel probabilities.

    Example:

    >>> model = article_segnet(12)
    >>> model.output_shape
    (None, 360, 480, 12)
    """
    num_classes = _check_num_classes(num_classes)
    width = _check_width(width)
    shape = _check_input_shape(input_shape, 8, "the listing pools 3 times by 2")

    def padded_conv(x: Any, filters: int, name: str, relu: bool) -> Any:
        x = layers.ZeroPadding2D(1, name=f"{name}_pad")(x)
        return _conv_bn_relu(
            x, _scaled(filters, width), name, padding="valid", relu=relu, use_bias=True, keras_batch_norm=True
        )

    inputs = _image_input(shape)
    x = inputs
    for index, filters in enumerate((64, 128, 256), start=1):
        x = padded_conv(x, filters, f"block{index}_conv1", relu=True)
        x = layers.MaxPooling2D(2, name=f"pool{index}")(x)
    x = padded_conv(x, 512, "block4_conv1", relu=True)
    for index, filters in zip((4, 3, 2, 1), (512, 256, 128, 64), strict=True):
        x = padded_conv(x, filters, f"decoder{index}_conv1", relu=False)
        if index > 1:
            x = layers.UpSampling2D(2, name=f"upsample{index - 1}")(x)
    x = layers.Conv2D(num_classes, 1, padding="valid", name="score")(x)
    return keras.Model(inputs, _softmax(x), name="article_segnet")


# ----------------------------------------------------------------------------------------------
# Chapter 6: dilated convolutions
# ----------------------------------------------------------------------------------------------


def _basic_context_module(x: Any, channels: int) -> Any:
    """Yu & Koltun's basic context module: ``CONTEXT_LAYERS``, identity-initialised, ReLU but last."""
    for index, (kernel, _, dilation) in enumerate(CONTEXT_LAYERS, start=1):
        x = layers.Conv2D(
            channels,
            kernel,
            padding="same",
            dilation_rate=dilation,
            kernel_initializer=IdentityInitializer(),
            bias_initializer="zeros",
            activation=None if index == len(CONTEXT_LAYERS) else "relu",
            name=f"ctx_conv{index}",
        )(x)
    return x


def dilated_net(
    num_classes: int,
    input_shape: tuple[int, int, int] = (64, 96, 3),
    width: float = 1.0,
    context: str | None = None,
    *,
    convs_per_block: int | Sequence[int] = VGG_CONVS,
    fc6_kernel: int = 3,
    dropout: float = 0.5,
    batch_norm: bool = True,
) -> keras.Model:
    """Yu & Koltun's dilated front end, with an optional context module (Yu & Koltun, 2016).

    The front end is the VGG-like encoder of ``fcn`` with the last two poolings removed, so the
    output stride is 8, not 32. To keep the receptive field those poolings gave, the layers after
    them are dilated: block 5 (after the removed pool4) by 2 and ``fc6`` (after the removed pool5)
    by 4. A 1x1 convolution (``final``) gives ``num_classes`` score maps at 1/8 resolution.

    With ``context="basic"``, the basic context module follows (``ctx_conv1`` ... ``ctx_conv8``,
    see ``CONTEXT_LAYERS``): seven 3x3 convolutions with dilations 1, 1, 2, 4, 8, 16, 1 and a
    1x1 convolution, each with ``num_classes`` channels and a ReLU except the last. Its receptive
    field grows exponentially, to 67x67 score pixels, with no loss of resolution. Its kernels are
    identity-initialised (``IdentityInitializer``), so the module starts by passing the front end's
    scores through (after the first ReLU) and learns only what context adds.

    Finally the scores are upsampled by 8 with bilinear interpolation (``upsample8``, fixed, as
    in the paper) and a float32 softmax gives the output. ``fc6`` is a 3x3 convolution here,
    instead of VGG's 7x7, for the same reason as in ``fcn``.

    Args:
        num_classes: number of classes, >= 2.
        input_shape: ``(height, width, 3)``, height and width divisible by 8 (CamVid's 360x480 is).
        width: factor on the channel counts.
        context: ``None`` for the front end alone, or ``"basic"``.
        convs_per_block: convolutions in each of the five blocks, as in ``fcn``.
        fc6_kernel: odd kernel size of ``fc6``.
        dropout: dropout rate after fc6 and fc7 (0 for none).
        batch_norm: batch normalisation after every front-end convolution.

    Input shape:
        ``(batch, height, width, 3)``.

    Output shape:
        ``(batch, height, width, num_classes)``, float32 per-pixel probabilities.

    Example:

    >>> model = dilated_net(8, input_shape=(64, 96, 3), context="basic")
    >>> model.get_layer("final").output.shape
    (None, 8, 12, 8)
    """
    num_classes = _check_num_classes(num_classes)
    width = _check_width(width)
    context = _validate.check_choice(context, "context", CONTEXT_MODULES)
    convs = _check_convs_per_block(convs_per_block, len(VGG_FILTERS))
    fc6_kernel = _check_odd_kernel(fc6_kernel, "fc6_kernel")
    dropout = _check_fraction(dropout, "dropout")
    shape = _check_input_shape(input_shape, 8, "the front end's output stride is 8")

    inputs = _image_input(shape)
    x, _ = _vgg_encoder(inputs, width, batch_norm, convs, num_pools=3, dilations=(1, 1, 1, 1, 2))
    x = _fully_connected_as_conv(x, width, fc6_kernel, 4, dropout, batch_norm)
    x = layers.Conv2D(num_classes, 1, name="final")(x)
    if context == "basic":
        x = _basic_context_module(x, num_classes)
    # Upsampled in float32: the scores go to a float32 softmax anyway, and under mixed_float16 the XLA
    # gradient of a float16 bilinear resize comes out float32, which XLA then rejects (TensorFlow 2.21).
    x = layers.UpSampling2D(8, interpolation="bilinear", dtype="float32", name="upsample8")(x)
    name = "dilated_net" if context is None else f"dilated_net_{context}"
    return keras.Model(inputs, _softmax(x), name=name)

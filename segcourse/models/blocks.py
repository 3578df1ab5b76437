"""The building blocks the segmentation models share: VGG-like blocks, fc layers as convolutions, checks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import Any

import keras
import numpy as np
from keras import layers

from segcourse import _validate
from segcourse.layers import BatchNormalization, BilinearInitializer

#: Channels of the five VGG-like blocks at ``width=1.0``: VGG16's 64-128-256-512-512, halved.
VGG_FILTERS: tuple[int, ...] = (32, 64, 128, 256, 256)
#: Convolutions per block, as in VGG16.
VGG_CONVS: tuple[int, ...] = (2, 2, 3, 3, 3)
#: Channels of fc6 and fc7 at ``width=1.0`` (4096 in VGG16).
FC_FILTERS = 512


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

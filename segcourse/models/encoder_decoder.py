"""Chapters 3 and 5: SegNet (Badrinarayanan et al., 2017) and the original article's SegNet listing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from segcourse import _validate
from segcourse.layers import MaxPoolingWithIndices2D, MaxUnpooling2D, ZeroUnpooling2D
from segcourse.models.blocks import (
    _check_convs_per_block,
    _check_input_shape,
    _check_num_classes,
    _check_width,
    _conv_block,
    _conv_bn_relu,
    _image_input,
    _scaled,
    _softmax,
)

UNPOOLING_MODES: tuple[str, ...] = ("indices", "upsampling", "zeros")


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

"""Chapter 6: the dilated front end and the context module (Yu & Koltun, 2016)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from segcourse import _validate
from segcourse.layers import IdentityInitializer
from segcourse.models.blocks import (
    VGG_CONVS,
    VGG_FILTERS,
    _check_convs_per_block,
    _check_fraction,
    _check_input_shape,
    _check_num_classes,
    _check_odd_kernel,
    _check_width,
    _fully_connected_as_conv,
    _image_input,
    _softmax,
    _vgg_encoder,
)

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

"""Chapter 2: the fully convolutional network, FCN-32s, FCN-16s and FCN-8s (Long et al., 2015)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from segcourse import _validate
from segcourse.models.blocks import (
    VGG_CONVS,
    VGG_FILTERS,
    _bilinear_upsampling,
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

FCN_VARIANTS: tuple[str, ...] = ("32s", "16s", "8s")


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

    The skip scores start at zero, as Long et al. initialise them, so that a skip does not change the
    predictions at first (the paper starts FCN-16s from a trained FCN-32s, and FCN-8s from a trained
    FCN-16s, Section 4.2; built here, each variant starts from scratch). The upsampling layers are
    ``Conv2DTranspose`` initialised to bilinear interpolation; the 2x ones learn, the final one stays
    fixed, as in the paper. Because the input
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

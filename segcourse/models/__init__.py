"""Models: the patch classifier and its fully convolutional twin, FCN, SegNet and the dilated network.

One module per idea; every name is also available here, as ``segcourse.models.X``:

- ``blocks``: the building blocks the networks share (VGG-like blocks, fc layers as convolutions, checks).
- ``patch``: ``patch_classifier``, ``sliding_window_predict``, and ``convolutionalize`` (with
  ``DilatedMaxPooling2D``), chapters 1 and 2.
- ``fully_convolutional``: ``fcn``, FCN-32s/16s/8s (Long et al., 2015), chapter 2.
- ``encoder_decoder``: ``segnet`` and ``article_segnet`` (Badrinarayanan et al., 2017), chapters 3 and 5.
- ``dilated``: ``dilated_net``, the dilated front end and context module (Yu & Koltun, 2016), chapter 6.

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

from segcourse.models.blocks import FC_FILTERS, VGG_CONVS, VGG_FILTERS
from segcourse.models.dilated import CONTEXT_LAYERS, CONTEXT_MODULES, dilated_net
from segcourse.models.encoder_decoder import UNPOOLING_MODES, article_segnet, segnet
from segcourse.models.fully_convolutional import FCN_VARIANTS, fcn
from segcourse.models.patch import (
    DilatedMaxPooling2D,
    convolutionalize,
    patch_classifier,
    sliding_window_predict,
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

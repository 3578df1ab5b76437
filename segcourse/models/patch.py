"""Chapters 1 and 2: the patch classifier, the sliding window, and its fully convolutional twin."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import layers, ops

from segcourse import _validate
from segcourse.models.blocks import (
    _check_num_classes,
    _check_odd_kernel,
    _check_width,
    _conv_bn_relu,
    _image_input,
    _scaled,
    _softmax,
)


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

"""Plain NumPy versions of the operations the course builds on, written to be read.

Convolution, transposed and dilated convolution, max pooling with indices, three kinds of unpooling,
and the output-size and receptive-field formulas. They are slow (Python loops over output pixels) and
meant for small arrays: the chapters use them to show what a Keras layer computes, and the tests check
the Keras layers against them.

Conventions, the same as Keras (channels-last, TensorFlow backend):

- an image ``x`` has shape ``(height, width, channels)``; a leading batch axis ``(n, h, w, c)`` is also
  accepted and each image is processed on its own;
- a convolution kernel has shape ``(kh, kw, c_in, c_out)``, like ``keras.layers.Conv2D``'s, and the
  convolution is a cross-correlation (the kernel is not flipped), as in every deep-learning library;
- a transposed-convolution kernel has shape ``(kh, kw, c_out, c_in)``, like
  ``keras.layers.Conv2DTranspose``'s: output channels come *before* input channels, because it is
  the kernel of the convolution whose gradient the transposed convolution computes;
- ``padding="same"`` pads like TensorFlow: when the total padding is odd, the extra row (column) goes
  at the bottom (right);
- pooling indices count positions inside each window in row-major order, as in
  :class:`segcourse.layers.MaxPoolingWithIndices2D`; ties go to the first position.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from segcourse._validate import as_array, check_positive_int

__all__ = [
    "effective_kernel_size",
    "conv_output_size",
    "transposed_conv_output_size",
    "receptive_field",
    "conv2d",
    "insert_zeros",
    "conv2d_transpose",
    "max_pool2d_with_indices",
    "max_unpool2d",
    "zero_unpool2d",
    "nearest_upsample2d",
]

Padding = str | int


# --- argument checks ----------------------------------------------------------------------------


def _check_padding(padding: Any, name: str = "padding") -> Padding:
    """``"valid"``, ``"same"`` (any case) or an integer >= 0 (the same padding on every side)."""
    if isinstance(padding, str) and padding.lower() in ("valid", "same"):
        return padding.lower()
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool) and padding >= 0:
        return int(padding)
    raise ValueError(f'`{name}` must be "valid", "same" or an integer >= 0; got {padding!r}.')


def _check_pair(value: Any, name: str) -> tuple[int, int]:
    """An integer >= 1 or a pair of them, as ``(rows, columns)``."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return check_positive_int(value[0], name), check_positive_int(value[1], name)
    size = check_positive_int(value, name)
    return size, size


def _check_image(x: Any, name: str = "x") -> np.ndarray:
    array = as_array(x, name)
    if array.ndim not in (3, 4):
        raise ValueError(
            f"`{name}` must have shape (height, width, channels) or (n, height, width, channels); "
            f"got shape {tuple(array.shape)}."
        )
    return array


def _check_kernel(kernel: Any, channels: int, channel_axis: int, layout: str) -> np.ndarray:
    """Checks a rank-4 kernel whose axis ``channel_axis`` must match the image's ``channels``."""
    kernel = as_array(kernel, "kernel")
    if kernel.ndim != 4:
        raise ValueError(f"`kernel` must have shape {layout}; got shape {tuple(kernel.shape)}.")
    if kernel.shape[channel_axis] != channels:
        raise ValueError(
            f"`kernel` has {kernel.shape[channel_axis]} input channels (shape {tuple(kernel.shape)}, "
            f"layout {layout}) but `x` has {channels}."
        )
    return kernel


def _per_image(function: Callable[..., Any], x: np.ndarray, *args: Any) -> Any:
    """Applies ``function`` to one image, or to each image of a batch (rank 4) and stacks the results."""
    if x.ndim == 3:
        return function(x, *args)
    results = [function(image, *args) for image in x]
    if isinstance(results[0], tuple):
        return tuple(np.stack(parts) for parts in zip(*results, strict=True))
    return np.stack(results)


# --- size formulas ------------------------------------------------------------------------------


def effective_kernel_size(kernel: int, dilation: int = 1) -> int:
    """The span of a dilated kernel: ``kernel + (kernel - 1) * (dilation - 1)``.

    A 3-tap kernel with dilation 2 touches pixels 0, 2 and 4: it spans 5 pixels, with holes.
    """
    kernel = check_positive_int(kernel, "kernel")
    dilation = check_positive_int(dilation, "dilation")
    return kernel + (kernel - 1) * (dilation - 1)


def _same_padding(size: int, kernel_span: int, stride: int) -> tuple[int, int]:
    """TensorFlow's "same" padding ``(before, after)``: output ``ceil(size / stride)``, extra after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel_span - size, 0)
    return total // 2, total - total // 2


def conv_output_size(
    size: int, kernel: int, stride: int = 1, padding: Padding = "valid", dilation: int = 1
) -> int:
    """Output size of a convolution along one axis, as ``keras.layers.Conv2D`` computes it.

    With ``k = effective_kernel_size(kernel, dilation)``:

    - ``"valid"``: ``floor((size - k) / stride) + 1`` (needs ``size >= k``);
    - ``"same"``: ``ceil(size / stride)``, whatever the kernel;
    - an integer ``p`` (``p`` zeros on both sides): ``floor((size + 2 p - k) / stride) + 1``.
    """
    size = check_positive_int(size, "size")
    stride = check_positive_int(stride, "stride")
    padding = _check_padding(padding)
    span = effective_kernel_size(kernel, dilation)
    if padding == "same":
        return -(-size // stride)
    padded = size + (0 if padding == "valid" else 2 * padding)
    if padded < span:
        raise ValueError(
            f"`size` {size} (padded to {padded}) is smaller than the kernel's span {span} "
            f"(kernel {kernel}, dilation {dilation}): the output would be empty."
        )
    return (padded - span) // stride + 1


def transposed_conv_output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: Padding = "valid",
    output_padding: int | None = None,
    dilation: int = 1,
) -> int:
    """Output size of a transposed convolution along one axis, as ``keras.layers.Conv2DTranspose``.

    With ``k = effective_kernel_size(kernel, dilation)`` and ``s = stride``:

    - ``"valid"``: ``(size - 1) * s + k + output_padding``; if ``output_padding`` is None, Keras
      uses ``max(k, s) - k``, so the output is ``(size - 1) * s + max(k, s)``;
    - ``"same"``: ``size * s`` if ``output_padding`` is None, else
      ``(size - 1) * s + k % 2 + output_padding`` (note: not the same as None with any
      ``output_padding`` when ``k`` is even and ``s > 1``);
    - an integer ``p`` (the transpose of a convolution padded by ``p`` on both sides, as in
      PyTorch; Keras has no such option): ``(size - 1) * s + k - 2 p + output_padding``, with
      None meaning 0.

    ``output_padding`` must be smaller than the stride: it picks one of the ``s`` input sizes
    that a strided convolution maps to the same output size.
    """
    size = check_positive_int(size, "size")
    stride = check_positive_int(stride, "stride")
    padding = _check_padding(padding)
    span = effective_kernel_size(kernel, dilation)
    if output_padding is not None:
        output_padding = check_positive_int(output_padding, "output_padding", minimum=0)
        if output_padding >= stride:
            raise ValueError(
                f"`output_padding` must be smaller than `stride` ({stride}); got {output_padding}."
            )
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return (size - 1) * stride + span + extra
    if padding == "same":
        if output_padding is None:
            return size * stride
        return (size - 1) * stride + span % 2 + output_padding
    out = (size - 1) * stride + span - 2 * padding + (output_padding or 0)
    if out < 1:
        raise ValueError(f"`padding` {padding} crops the whole output (size {out}).")
    return out


def receptive_field(layers: Sequence[tuple[int, int, int]]) -> list[int]:
    """The receptive field (in input pixels, along one axis) after each layer of a stack.

    ``layers`` is a list of ``(kernel, stride, dilation)``. Each layer widens the field by
    ``(effective_kernel_size - 1)`` of its input's pixels, and one input pixel of layer ``l``
    is ``prod(strides before l)`` pixels of the image apart from the next:

        r_0 = 1,    r_l = r_{l-1} + (k_eff_l - 1) * s_1 * ... * s_{l-1}

    Yu & Koltun's context module, seven 3x3 layers with dilations 1, 1, 2, 4, 8, 16, 1 and a final
    1x1, gives ``[3, 5, 9, 17, 33, 65, 67, 67]``: exponential growth with no loss of resolution.
    """
    fields: list[int] = []
    field, jump = 1, 1
    for position, layer in enumerate(layers):
        if not isinstance(layer, (tuple, list)) or len(layer) != 3:
            raise ValueError(f"`layers[{position}]` must be a (kernel, stride, dilation) tuple; got {layer!r}.")
        kernel, stride, dilation = layer
        stride = check_positive_int(stride, f"layers[{position}] stride")
        field += (effective_kernel_size(kernel, dilation) - 1) * jump
        jump *= stride
        fields.append(field)
    return fields


# --- convolution ------------------------------------------------------------------------------


def _pad_spatial(x: np.ndarray, rows: tuple[int, int], cols: tuple[int, int]) -> np.ndarray:
    return np.pad(x, (rows, cols, (0, 0)))


def _conv2d_one(
    x: np.ndarray, kernel: np.ndarray, stride: int, padding: Padding, dilation: int, bias: Any
) -> np.ndarray:
    kh, kw = kernel.shape[:2]
    span_h, span_w = effective_kernel_size(kh, dilation), effective_kernel_size(kw, dilation)
    if padding == "same":
        x = _pad_spatial(
            x, _same_padding(x.shape[0], span_h, stride), _same_padding(x.shape[1], span_w, stride)
        )
    elif padding != "valid":
        x = _pad_spatial(x, (padding, padding), (padding, padding))
    out_h = conv_output_size(x.shape[0], kh, stride, "valid", dilation)
    out_w = conv_output_size(x.shape[1], kw, stride, "valid", dilation)
    y = np.zeros((out_h, out_w, kernel.shape[3]), dtype=np.result_type(x, kernel))
    for i in range(out_h):
        for j in range(out_w):
            # The taps the kernel touches: `dilation` pixels apart, starting `stride` pixels on.
            patch = x[
                i * stride : i * stride + span_h : dilation,
                j * stride : j * stride + span_w : dilation,
            ]
            # Multiply each tap by its weights and sum over taps and input channels.
            y[i, j] = np.tensordot(patch, kernel, axes=3)
    return y if bias is None else y + bias


def conv2d(
    x: Any,
    kernel: Any,
    stride: int = 1,
    padding: Padding = "valid",
    dilation: int = 1,
    bias: Any = None,
) -> np.ndarray:
    """2-D convolution (cross-correlation), channels-last, like ``keras.layers.Conv2D``.

    ``y[i, j, o] = sum over (u, v, c) of x_padded[i*stride + u*dilation, j*stride + v*dilation, c]
    * kernel[u, v, c, o]  (+ bias[o])``

    Args:
        x: ``(h, w, c_in)`` or ``(n, h, w, c_in)``.
        kernel: ``(kh, kw, c_in, c_out)``.
        stride: how far the window moves between output pixels.
        dilation: the spacing of the kernel taps (1: adjacent). Not a stride: the output keeps
            the input's resolution when ``stride == 1``.
        padding: ``"valid"`` (none), ``"same"`` (TensorFlow's: output ``ceil(h / stride)``, any
            odd extra row/column at the bottom/right) or an integer (zeros on every side).
        bias: ``(c_out,)`` or None.

    Returns:
        ``(out_h, out_w, c_out)`` (with the batch axis if ``x`` had one), sizes given by
        :func:`conv_output_size`.
    """
    x = _check_image(x)
    kernel = _check_kernel(kernel, x.shape[-1], 2, "(kh, kw, c_in, c_out)")
    stride = check_positive_int(stride, "stride")
    dilation = check_positive_int(dilation, "dilation")
    padding = _check_padding(padding)
    if bias is not None:
        bias = as_array(bias, "bias")
        if bias.shape != (kernel.shape[3],):
            raise ValueError(
                f"`bias` must have shape ({kernel.shape[3]},), one value per output channel; "
                f"got {tuple(bias.shape)}."
            )
    for axis in (0, 1):
        # Raises a ValueError naming the sizes if the (padded) input is smaller than the kernel.
        conv_output_size(x.shape[-3 + axis], kernel.shape[axis], stride, padding, dilation)
    return _per_image(_conv2d_one, x, kernel, stride, padding, dilation, bias)


def insert_zeros(x: Any, stride: int) -> np.ndarray:
    """Puts ``stride - 1`` zeros between neighbouring pixels, along height and width.

    ``(h, w, c) -> ((h - 1) * stride + 1, (w - 1) * stride + 1, c)``. This is the first step of a
    transposed convolution: the input is spread out to the spacing a stride-1 convolution needs
    to undo the strided convolution's shape. (It is also what a dilated kernel looks like.)
    """
    x = _check_image(x)
    stride = check_positive_int(stride, "stride")
    h, w = x.shape[-3:-1]
    spread = np.zeros((*x.shape[:-3], (h - 1) * stride + 1, (w - 1) * stride + 1, x.shape[-1]), x.dtype)
    spread[..., ::stride, ::stride, :] = x
    return spread


def _transposed_padding(
    size: int, span: int, stride: int, padding: Padding, output_padding: int | None
) -> tuple[int, int, int]:
    """Zeros to add before and after the zero-inserted input, and the output size.

    The full transposed convolution (every position a kernel copy touches) has
    ``(size - 1) * stride + span`` pixels. Padding the zero-inserted input by ``span - 1`` on both
    sides and convolving gives exactly that; the padding mode then crops ``crop`` pixels at the
    start (and any surplus at the end), or adds zeros at the end to reach the output size.
    """
    out = transposed_conv_output_size(size, span, stride, padding, output_padding)
    if padding == "valid":
        crop = 0
    elif padding == "same":
        # The forward "same" convolution of an `out`-pixel input padded `crop` pixels at the top.
        crop = max((size - 1) * stride + span - out, 0) // 2
    else:
        crop = padding
    before = span - 1 - crop
    after = out + span - 1 - before - ((size - 1) * stride + 1)
    return before, after, out


def _conv2d_transpose_one(
    x: np.ndarray, kernel: np.ndarray, stride: int, padding: Padding, output_padding: Any, dilation: int
) -> np.ndarray:
    kh, kw = kernel.shape[:2]
    span_h, span_w = effective_kernel_size(kh, dilation), effective_kernel_size(kw, dilation)
    top, bottom, _ = _transposed_padding(x.shape[0], span_h, stride, padding, output_padding[0])
    left, right, _ = _transposed_padding(x.shape[1], span_w, stride, padding, output_padding[1])
    # 1. Spread the input out: stride - 1 zeros between pixels.
    spread = insert_zeros(x, stride)
    # 2. Pad it (a negative amount crops: "same" never needs it, an integer padding can).
    spread = np.pad(spread, ((max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0)), (0, 0)))
    spread = spread[
        max(-top, 0) : spread.shape[0] - max(-bottom, 0), max(-left, 0) : spread.shape[1] - max(-right, 0)
    ]
    # 3. A stride-1 convolution with the kernel flipped in space and its channel axes swapped,
    #    (kh, kw, c_out, c_in) -> (kh, kw, c_in, c_out): each input pixel stamps a copy of the
    #    kernel on the output, which, read from the output's side, is the kernel upside down.
    flipped = np.flip(kernel, axis=(0, 1)).transpose(0, 1, 3, 2)
    return _conv2d_one(spread, flipped, 1, "valid", dilation, None)


def conv2d_transpose(
    x: Any,
    kernel: Any,
    stride: int = 1,
    padding: Padding = "valid",
    output_padding: int | tuple[int, int] | None = None,
    dilation: int = 1,
    bias: Any = None,
) -> np.ndarray:
    """Transposed convolution, like ``keras.layers.Conv2DTranspose``, in three visible steps.

    1. :func:`insert_zeros`: ``stride - 1`` zeros between input pixels;
    2. zero padding: ``span - 1`` on each side (``span`` = effective kernel size), minus what
       ``padding`` crops, plus ``output_padding`` rows/columns at the bottom/right;
    3. a stride-1 :func:`conv2d` with the kernel flipped in space (and its channel axes swapped).

    The result equals scattering a copy of the kernel, scaled by each input pixel, at
    ``stride``-spaced positions, and it is the gradient (the transpose) of :func:`conv2d` with the
    same kernel, stride and padding, which is where the name comes from.

    Args:
        x: ``(h, w, c_in)`` or ``(n, h, w, c_in)``.
        kernel: ``(kh, kw, c_out, c_in)``, Keras ``Conv2DTranspose``'s layout.
        stride: the upsampling factor.
        padding: ``"valid"``, ``"same"`` (Keras's meaning: output ``h * stride``) or an integer
            ``p`` (crop ``p`` from each side, as in PyTorch).
        output_padding: int or pair, each smaller than ``stride``; None for Keras's default.
        dilation: spacing of the kernel taps (Keras allows > 1 only with ``stride == 1``).
        bias: ``(c_out,)`` or None.

    Returns:
        ``(out_h, out_w, c_out)``, sizes given by :func:`transposed_conv_output_size`.
    """
    x = _check_image(x)
    kernel = _check_kernel(kernel, x.shape[-1], 3, "(kh, kw, c_out, c_in)")
    stride = check_positive_int(stride, "stride")
    dilation = check_positive_int(dilation, "dilation")
    padding = _check_padding(padding)
    if output_padding is None or isinstance(output_padding, (int, np.integer)):
        output_padding = (output_padding, output_padding)
    if len(output_padding) != 2:
        raise ValueError(f"`output_padding` must be None, an integer or a pair; got {output_padding!r}.")
    for axis in (0, 1):
        # Checks output_padding < stride and a non-empty output, with messages naming them.
        transposed_conv_output_size(
            x.shape[-3 + axis], kernel.shape[axis], stride, padding, output_padding[axis], dilation
        )
        span = effective_kernel_size(kernel.shape[axis], dilation)
        if padding == "same" and output_padding[axis] == 0 and span % 2 == 0:
            # Keras's formula then gives (h - 1) * stride rows, but a "same" convolution maps
            # those back to h - 1 rows, not h: there is no transpose to compute (TensorFlow fails).
            raise ValueError(
                '`output_padding` 0 with padding="same" and an even kernel span '
                f"({span}) has no matching convolution; use None or 1 to {stride - 1}."
            )
    y = _per_image(_conv2d_transpose_one, x, kernel, stride, padding, output_padding, dilation)
    if bias is not None:
        bias = as_array(bias, "bias")
        if bias.shape != (kernel.shape[2],):
            raise ValueError(
                f"`bias` must have shape ({kernel.shape[2]},), one value per output channel; "
                f"got {tuple(bias.shape)}."
            )
        y = y + bias
    return y


# --- pooling and unpooling ------------------------------------------------------------------------


def _max_pool_one(x: np.ndarray, pool: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    ph, pw = pool
    out_h, out_w = x.shape[0] // ph, x.shape[1] // pw  # trailing rows/columns are dropped
    pooled = np.zeros((out_h, out_w, x.shape[2]), x.dtype)
    indices = np.zeros((out_h, out_w, x.shape[2]), np.int32)
    for i in range(out_h):
        for j in range(out_w):
            window = x[i * ph : (i + 1) * ph, j * pw : (j + 1) * pw]  # (ph, pw, c)
            # Row-major position inside the window; np.argmax returns the first of tied maxima.
            position = np.argmax(window.reshape(ph * pw, -1), axis=0)
            indices[i, j] = position
            pooled[i, j] = window.reshape(ph * pw, -1)[position, np.arange(x.shape[2])]
    return pooled, indices


def max_pool2d_with_indices(x: Any, pool_size: int | tuple[int, int] = 2) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping max pooling that also returns where each maximum was.

    Returns ``(pooled, indices)``, both ``(h // ph, w // pw, c)``: ``indices`` (int32) is the
    row-major position of the maximum inside its ``ph x pw`` window (``0 1 / 2 3`` for 2x2), the
    first one if several values tie. Trailing rows and columns that fill no window are dropped,
    as with ``keras.layers.MaxPooling2D(padding="valid")``.
    """
    x = _check_image(x)
    pool = _check_pair(pool_size, "pool_size")
    if x.shape[-3] < pool[0] or x.shape[-2] < pool[1]:
        raise ValueError(f"`x` of spatial size {tuple(x.shape[-3:-1])} is smaller than `pool_size` {pool}.")
    return _per_image(_max_pool_one, x, pool)


def _check_output_size(output_size: Any, size: tuple[int, int], pool: tuple[int, int]) -> tuple[int, int]:
    """The default ``h * ph`` by ``w * pw``, or a given size that adds < one window of rows/columns."""
    full = (size[0] * pool[0], size[1] * pool[1])
    if output_size is None:
        return full
    target = _check_pair(output_size, "output_size")
    if not all(0 <= t - f < p for t, f, p in zip(target, full, pool, strict=True)):
        raise ValueError(
            f"`output_size` {target} must be between {full} and "
            f"{(full[0] + pool[0] - 1, full[1] + pool[1] - 1)}: the unpooled size plus the rows "
            "and columns that pooling dropped."
        )
    return target


def _unpool(
    values: np.ndarray, pool: tuple[int, int], output_size: Any, place: Callable[..., None]
) -> np.ndarray:
    """Shared loop of the unpoolings: ``place(window, i, j)`` fills the output window of value (i, j)."""
    out_h, out_w = _check_output_size(output_size, values.shape[:2], pool)
    ph, pw = pool
    y = np.zeros((out_h, out_w, values.shape[2]), values.dtype)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            place(y[i * ph : (i + 1) * ph, j * pw : (j + 1) * pw], i, j)
    return y


def max_unpool2d(
    values: Any,
    indices: Any,
    pool_size: int | tuple[int, int] = 2,
    output_size: int | tuple[int, int] | None = None,
) -> np.ndarray:
    """Index ("switch") unpooling: each value goes back to where its maximum was; zeros elsewhere.

    ``values`` and ``indices`` are what :func:`max_pool2d_with_indices` returned. The output is
    ``(h * ph, w * pw, c)``, or ``output_size`` (the pooling input's height and width) with zero
    rows/columns at the bottom/right for the ones pooling dropped.
    """
    values = _check_image(values, "values")
    indices = as_array(indices, "indices")
    pool = _check_pair(pool_size, "pool_size")
    if indices.shape != values.shape:
        raise ValueError(
            f"`indices` must have the shape of `values` {tuple(values.shape)}; got {tuple(indices.shape)}."
        )
    if not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(f"`indices` must be integers; got dtype {indices.dtype}.")
    if indices.size and (indices.min() < 0 or indices.max() >= pool[0] * pool[1]):
        raise ValueError(
            f"`indices` must lie in [0, {pool[0] * pool[1]}) for `pool_size` {pool}; "
            f"got values in [{indices.min()}, {indices.max()}]."
        )

    def one(v: np.ndarray, idx: np.ndarray) -> np.ndarray:
        def place(window: np.ndarray, i: int, j: int) -> None:
            for channel in range(v.shape[2]):
                row, col = divmod(int(idx[i, j, channel]), pool[1])  # row-major position
                window[row, col, channel] = v[i, j, channel]

        return _unpool(v, pool, output_size, place)

    if values.ndim == 3:
        return one(values, indices)
    return np.stack([one(v, idx) for v, idx in zip(values, indices, strict=True)])


def zero_unpool2d(
    values: Any, pool_size: int | tuple[int, int] = 2, output_size: int | tuple[int, int] | None = None
) -> np.ndarray:
    """Fixed-corner unpooling: each value at the top-left of its window, zeros elsewhere."""
    values = _check_image(values, "values")
    pool = _check_pair(pool_size, "pool_size")

    def one(v: np.ndarray) -> np.ndarray:
        def place(window: np.ndarray, i: int, j: int) -> None:
            window[0, 0] = v[i, j]

        return _unpool(v, pool, output_size, place)

    return _per_image(one, values)


def nearest_upsample2d(
    values: Any, pool_size: int | tuple[int, int] = 2, output_size: int | tuple[int, int] | None = None
) -> np.ndarray:
    """Nearest-neighbour upsampling (``keras.layers.UpSampling2D``): each value fills its window.

    With ``output_size``, the extra rows and columns at the bottom and right are zeros, as for the
    two unpoolings, so the three can be compared pixel for pixel.
    """
    values = _check_image(values, "values")
    pool = _check_pair(pool_size, "pool_size")

    def one(v: np.ndarray) -> np.ndarray:
        def place(window: np.ndarray, i: int, j: int) -> None:
            window[...] = v[i, j]

        return _unpool(v, pool, output_size, place)

    return _per_image(one, values)

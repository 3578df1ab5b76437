"""Layers for encoder-decoder segmentation: max pooling that remembers where the maxima were,
unpooling that puts values back there (SegNet), fixed-corner unpooling, and two initialisers:
bilinear upsampling for ``Conv2DTranspose`` (FCN) and identity for ``Conv2D`` (Yu & Koltun's context module).

Everything is written with the public Keras 3 API (``keras.layers.Layer``, ``keras.ops``), with no
TensorFlow-specific calls, so the layers run under XLA (``jit_compile=True``) and on any Keras backend. The one
exception is ``BatchNormalization``, Keras's own layer, which uses TensorFlow's fused kernel when it trains on
the TensorFlow backend (and Keras's code everywhere else).
All layers are channels-last, like the rest of the course.

**Index convention.** ``MaxPoolingWithIndices2D`` returns, for every output value, the position of the
window's maximum *inside its own window*, counted in row-major order: for a 2x2 window the positions are
``0 1 / 2 3``. (``tf.nn.max_pool_with_argmax`` instead returns a flat index into the whole input; a local
index is smaller, needs no batch or channel bookkeeping, and is all that unpooling needs.) When a window holds
several equal maxima, the first in row-major order is chosen.

**Odd sizes.** Pooling is ``padding="valid"``: trailing rows or columns that do not fill a whole window are
dropped, as ``keras.layers.MaxPooling2D`` does. The unpooling layers then give back ``h * ph`` rows; pass
them the pooling layer's input as an optional third (or second) input, and they pad the missing rows and
columns with zeros, at the bottom and right, so the output has the same size as that input.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import keras
import numpy as np
from keras import ops

__all__ = [
    "BatchNormalization",
    "MaxPoolingWithIndices2D",
    "MaxUnpooling2D",
    "ZeroUnpooling2D",
    "BilinearInitializer",
    "IdentityInitializer",
]


def _pair(value: Any, name: str) -> tuple[int, int]:
    """Normalises an int or a pair of ints >= 1 to a tuple, or raises a ``ValueError`` naming ``name``."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or any(
        isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1 for v in pair
    ):
        raise ValueError(f"`{name}` must be an integer >= 1 or a pair of them; got {value!r}.")
    return int(pair[0]), int(pair[1])


def _check_rank4(shape: Any, name: str, layer: str) -> None:
    if len(shape) != 4:
        raise ValueError(
            f"{layer} expects `{name}` of shape (batch, height, width, channels); got shape {tuple(shape)}."
        )


def _check_window_fits(shape: Any, pool_size: tuple[int, int], layer: str) -> None:
    """Raises a ``ValueError`` when a known height or width is smaller than the pooling window."""
    size = tuple(shape)[1:3]
    if any(n is not None and n < p for n, p in zip(size, pool_size, strict=True)):
        raise ValueError(
            f"{layer}: the input's height and width {size} are smaller than `pool_size` {pool_size}: "
            "no window fits, so there is nothing to pool."
        )


def _known_values(x: Any) -> np.ndarray | None:
    """The values of ``x`` when they exist now (eager execution, NumPy input), or None while a graph is traced.

    Lets a layer check its inputs' values where they can be known without adding work to a compiled graph.
    """
    if keras.backend.is_keras_tensor(x):
        return None
    try:
        return ops.convert_to_numpy(x)
    except (NotImplementedError, TypeError):  # a symbolic tensor (TensorFlow graph, JAX tracer)
        return None


def _dims(x: Any) -> list[Any]:
    """The shape of ``x`` with static sizes as ints and unknown sizes as scalar tensors."""
    static = tuple(x.shape)
    dynamic = ops.shape(x)
    return [s if s is not None else d for s, d in zip(static, dynamic, strict=True)]


def _pad_to_like(outputs: Any, like: Any, pool_size: tuple[int, int], layer: str) -> Any:
    """Pads ``outputs`` with zeros at the bottom and right to the height and width of ``like``.

    Used for odd sizes: pooling dropped fewer than a window's worth of rows and columns, so the
    difference must lie in ``[0, pool_size)``. Checked here when the sizes are known statically.
    """
    out_h, out_w = _dims(outputs)[1:3]
    like_h, like_w = _dims(like)[1:3]
    for axis, out, target, p in (
        ("height", out_h, like_h, pool_size[0]),
        ("width", out_w, like_w, pool_size[1]),
    ):
        if isinstance(out, int) and isinstance(target, int) and not 0 <= target - out < p:
            raise ValueError(
                f"{layer}: the reference input's {axis} ({target}) must be the unpooled {axis} ({out}) "
                f"plus 0 to {p - 1} rows or columns that pooling dropped."
            )
    extra_h, extra_w = like_h - out_h, like_w - out_w
    if isinstance(extra_h, int) and isinstance(extra_w, int) and extra_h == extra_w == 0:
        return outputs
    return ops.pad(outputs, [[0, 0], [0, extra_h], [0, extra_w], [0, 0]])


def _unpooled_shape(shape: tuple, pool_size: tuple[int, int]) -> tuple:
    n, h, w, c = shape
    return (
        n,
        None if h is None else h * pool_size[0],
        None if w is None else w * pool_size[1],
        c,
    )


def _split_reference(inputs: Any, count: int, layer: str) -> tuple[list[Any], Any]:
    """Splits ``inputs`` into the ``count`` required tensors and an optional reference tensor."""
    items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if len(items) not in (count, count + 1):
        expected = " or ".join([f"{count} tensors", f"{count + 1} (with the reference tensor to pad to)"])
        raise ValueError(f"{layer} expects {expected}; got {len(items)}.")
    return items[:count], (items[count] if len(items) > count else None)


def _argmax_positions(x: Any, pooled: Any, pool_size: tuple[int, int]) -> tuple[Any, Any]:
    """The position of each window's first maximum, counted row-major within the window, and the maxima.

    ``x`` (whole windows only) is viewed as ``(n, out_h, ph, out_w, pw, c)`` and compared with the maxima
    ``pooled``, broadcast over each window: one boolean per input value, a quarter of the input's bytes for
    float32. The comparison is unstacked into one ``(n, out_h, out_w, c)`` mask per window position, and
    the masks are read from the last position to the first, so that the first position holding the
    maximum wins. Unstacking avoids the 6-D transpose that gathering each window on one axis would need
    (the slowest step without XLA); unstacking booleans rather than values keeps the working memory small.

    Returns ``(indices, pooled)``, indices int32. A window of -inf values gets index 0 and the maximum
    -inf. TensorFlow's max pooling kernel (outside XLA) returns the lowest finite float for such a window,
    which equals none of its values: that window is corrected, on the pooled size, only when the pooled map
    may hold such a value, which its minimum tells (a conditional: the usual case costs one minimum).
    """
    ph, pw = pool_size
    last = ph * pw - 1
    _, out_h, out_w, c = _dims(pooled)
    windows = ops.reshape(x, (-1, out_h, ph, out_w, pw, c))
    is_max = ops.equal(windows, ops.reshape(pooled, (-1, out_h, 1, out_w, 1, c)))
    masks = [mask for row in ops.unstack(is_max, axis=2) for mask in ops.unstack(row, axis=3)]

    def first_maxima() -> tuple[Any, Any]:
        indices = ops.full_like(pooled, last, dtype="int32")
        for position in reversed(range(last)):
            indices = ops.where(masks[position], ops.cast(position, "int32"), indices)
        return indices, pooled

    def with_unmatched_windows() -> tuple[Any, Any]:
        indices, _ = first_maxima()
        # Still at the last position although the last value is not the maximum: no value matched.
        unmatched = ops.logical_and(ops.equal(indices, last), ops.logical_not(masks[last]))
        return (
            ops.where(unmatched, ops.zeros((), "int32"), indices),
            ops.where(unmatched, ops.cast(-np.inf, pooled.dtype), pooled),
        )

    # Such a window has the lowest float of its dtype as its maximum, or -inf; float16's lowest, -65504, is at
    # or above that for every float dtype, so a pooled map with no value at or below it needs no correction.
    suspect = ops.less_equal(ops.min(pooled), ops.cast(float(np.finfo(np.float16).min), pooled.dtype))
    return ops.cond(suspect, with_unmatched_windows, first_maxima)


def _unpool(values: Any, indices: Any, pool_size: tuple[int, int]) -> Any:
    """Puts each value at the position its index names inside its ``ph x pw`` window, zeros elsewhere.

    Forward, one ``where`` writes the output directly: each value, viewed as ``(n, h, 1, w, 1, c)``, is
    kept where its index equals the window position ``(1, 1, ph, 1, pw, 1)``, which broadcasts to
    ``(n, h, ph, w, pw, c)``, already the memory layout of ``(n, h * ph, w * pw, c)``. The gradient of each
    value is the upstream gradient at its position, picked out of its window; written by hand because the
    automatic one would sum over the two window axes of the 6-D layout, several times slower on a CPU.
    """
    ph, pw = pool_size
    _, h, w, c = _dims(values)
    indices = ops.cast(indices, "int32")
    positions = ops.reshape(ops.arange(ph * pw, dtype="int32"), (1, 1, ph, 1, pw, 1))
    chosen = ops.equal(ops.reshape(indices, (-1, h, 1, w, 1, c)), positions)

    @ops.custom_gradient
    def unpool(values: Any) -> tuple[Any, Any]:
        def gradient(*args: Any, upstream: Any = None) -> Any:
            upstream = args[0] if upstream is None else upstream
            # (n, h, ph, w, pw, c) -> (n, h, w, ph * pw, c): each window's positions on one axis.
            windows = ops.transpose(ops.reshape(upstream, (-1, h, ph, w, pw, c)), (0, 1, 3, 2, 4, 5))
            windows = ops.reshape(windows, (-1, h, w, ph * pw, c))
            picked = ops.one_hot(indices, ph * pw, axis=3, dtype=upstream.dtype)
            return ops.sum(windows * picked, axis=3)

        spread = ops.where(chosen, ops.reshape(values, (-1, h, 1, w, 1, c)), ops.zeros((), values.dtype))
        return ops.reshape(spread, (-1, h * ph, w * pw, c)), gradient

    return unpool(values)


def _pooled_with_gradient_at(x: Any, pooled: Any, indices: Any, pool_size: tuple[int, int]) -> Any:
    """``pooled``, the max pooling of ``x`` computed without a gradient, given max pooling's gradient.

    The upstream gradient goes to the positions of ``x`` that ``indices`` name. It is written by hand,
    as the upstream gradient unpooled with the indices, so that it always agrees with
    them (ties included) and stays fast under XLA, whose own max pooling gradient (``select_and_scatter``)
    is several times slower on a CPU; and so that the maxima, already computed to find the indices, are
    not computed a second time.
    """

    @ops.custom_gradient
    def max_pool(x: Any) -> tuple[Any, Any]:
        def gradient(*args: Any, upstream: Any = None) -> Any:
            upstream = args[0] if upstream is None else upstream
            return _unpool(upstream, indices, pool_size)

        return ops.cast(pooled, x.dtype), gradient

    return max_pool(x)


@functools.lru_cache(maxsize=1)
def _default_batch_normalization_config() -> dict[str, Any]:
    """The configuration of a `keras.layers.BatchNormalization()` with every option at its default."""
    return keras.layers.BatchNormalization().get_config()


@keras.saving.register_keras_serializable(package="segcourse")
class BatchNormalization(keras.layers.BatchNormalization):
    """`keras.layers.BatchNormalization`, trained with TensorFlow's fused kernel: the same layer, faster.

    Keras 3 computes batch normalisation in training from separate operations (the batch moments, then
    the normalisation, and their gradients), each a pass over the whole feature map; TensorFlow's fused
    kernel (`FusedBatchNormV3` and its gradient, what `tf.keras` used by default before Keras 3) does it in
    a few passes. On a CPU that makes a full-resolution batch normalisation about four times faster, and a
    SegNet training step about 12% faster. The result is the same up to float32 rounding: same weights,
    same moving statistics (updated with the biased batch variance, as Keras does), same configuration.

    The fused kernel is used when training on the TensorFlow backend with channels-last 4D inputs and
    options the kernel implements; everything else (inference, other backends and ranks, masks, and any
    option that changes the computation, such as synchronised statistics, or renormalisation where the
    installed Keras has it) is Keras's own code. The options are read from the layer's configuration, not
    from attributes of one Keras version: an option this class does not know about falls back to Keras
    unless it has Keras's default value.

    Args:
        **kwargs: those of `keras.layers.BatchNormalization`.

    Example:

    >>> bn = BatchNormalization(momentum=0.9)
    >>> y = bn(np.random.rand(2, 8, 8, 4).astype("float32"), training=True)
    """

    #: Configuration keys whose values the fused path honours (it reads axis, momentum, epsilon, center and
    #: scale) or that do not change a training step's computation (initial values, penalties, constraints
    #: applied by the optimiser, naming and dtype). Every other key must keep Keras's default.
    FUSED_OPTIONS = frozenset(
        {
            "name", "trainable", "dtype", "axis", "momentum", "epsilon", "center", "scale",
            "beta_initializer", "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
            "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint",
        }
    )  # fmt: skip

    def _options_allow_fusing(self) -> bool:
        """Whether every option outside FUSED_OPTIONS has the value a default Keras layer has (cached)."""
        if getattr(self, "_fusable_options", None) is None:
            defaults = _default_batch_normalization_config()
            self._fusable_options = all(
                value == defaults.get(key, object())
                for key, value in self.get_config().items()
                if key not in self.FUSED_OPTIONS
            )
        return self._fusable_options

    def _fused(self, inputs: Any, training: bool | None, mask: Any) -> bool:
        """Whether this call can use the fused kernel."""
        return (
            keras.backend.backend() == "tensorflow"
            and bool(training)
            and self.trainable
            and mask is None
            and self.center
            and self.scale
            and len(inputs.shape) == 4
            and self.axis in (3, -1)
            and self._options_allow_fusing()
        )

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        if not self._fused(inputs, training, mask):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

        # In float32 even under mixed precision, as Keras computes batch normalisation.
        x = ops.cast(inputs, "float32")
        outputs, mean, variance, *_ = tf.raw_ops.FusedBatchNormV3(
            x=x,
            scale=ops.cast(self.gamma, "float32"),
            offset=ops.cast(self.beta, "float32"),
            mean=tf.zeros((0,), "float32"),
            variance=tf.zeros((0,), "float32"),
            epsilon=self.epsilon,
            data_format="NHWC",
            is_training=True,
        )
        # The kernel returns the unbiased variance (divided by N - 1); Keras's moving variance averages the
        # biased one (divided by N), which the normalisation itself uses.
        count = ops.cast(ops.size(x) // ops.shape(x)[-1], "float32")
        variance = variance * (count - 1.0) / count
        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(
            self.moving_variance * self.momentum + variance * (1.0 - self.momentum)
        )
        return ops.cast(outputs, self.compute_dtype)


@keras.saving.register_keras_serializable(package="segcourse")
class MaxPoolingWithIndices2D(keras.layers.Layer):
    """Max pooling that also returns where each maximum was, for unpooling (SegNet).

    Splits the input into non-overlapping windows of `pool_size` (the stride equals the pool size),
    and returns for every window and channel both the maximum and its position inside the window,
    counted in row-major order: for a 2x2 window the positions are::

        0 1
        2 3

    When several values in a window tie for the maximum, the first in row-major order is chosen.
    The gradient of `pooled` flows to that one position only, the one the indices name, as with
    `MaxPooling2D` (which also picks the first maximum). A window whose values are all -inf pools to
    -inf with index 0, with and without XLA, like `segcourse.reference.max_pool2d_with_indices`.

    The output has the size of `padding="valid"` pooling:
    `output_shape = math.floor(input_shape / pool_size)`;
    trailing rows or columns that do not fill a window are dropped (give the pooling input to
    `MaxUnpooling2D` as a reference to pad them back with zeros). An input smaller than the window
    raises a `ValueError` (when its size is known, that is, anywhere but in a graph traced for
    unknown sizes).

    Args:
        pool_size: int or tuple of 2 integers `(ph, pw)`, the window size and the stride.

    Input shape:
        4D tensor with shape `(batch_size, height, width, channels)`.

    Output shape:
        A tuple `(pooled, indices)` of two 4D tensors with shape
        `(batch_size, height // ph, width // pw, channels)`:
        `pooled` in the input's (compute) dtype, `indices` int32 in `[0, ph * pw)`.

    Example:

    >>> x = np.array([[1., 2., 5., 3.],
    ...               [4., 0., 6., 6.]]).reshape(1, 2, 4, 1)
    >>> pooled, indices = MaxPoolingWithIndices2D(2)(x)
    >>> pooled[0, :, :, 0]      # [[4., 6.]]
    >>> indices[0, :, :, 0]     # [[2, 2]]: bottom left; the tied 6s give the first one
    """

    def __init__(self, pool_size: int | tuple[int, int] = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pool_size = _pair(pool_size, "pool_size")

    def call(self, inputs: Any) -> tuple[Any, Any]:
        _check_rank4(inputs.shape, "inputs", type(self).__name__)
        _check_window_fits(inputs.shape, self.pool_size, type(self).__name__)
        ph, pw = self.pool_size
        _, h, w, _ = _dims(inputs)
        out_h, out_w = h // ph, w // pw
        x = inputs
        if not (isinstance(h, int) and isinstance(w, int) and h % ph == 0 and w % pw == 0):
            x = x[:, : out_h * ph, : out_w * pw, :]  # "valid": drop rows/columns that fill no window
        # The maxima and where they are, from the values alone: no gradient flows through the indices.
        fixed = ops.stop_gradient(x)
        maxima = ops.max_pool(fixed, self.pool_size, strides=self.pool_size, padding="valid")
        indices, maxima = _argmax_positions(fixed, maxima, self.pool_size)
        # The maxima, whose gradient goes to the position that the indices name, even when values tie.
        return _pooled_with_gradient_at(x, maxima, indices, self.pool_size), indices

    def compute_output_shape(self, input_shape: tuple) -> tuple[tuple, tuple]:
        _check_rank4(input_shape, "inputs", type(self).__name__)
        _check_window_fits(input_shape, self.pool_size, type(self).__name__)
        n, h, w, c = input_shape
        ph, pw = self.pool_size
        shape = (n, None if h is None else h // ph, None if w is None else w // pw, c)
        return shape, shape

    def compute_output_spec(self, inputs: Any) -> tuple[Any, Any]:
        # The default spec would give both outputs the layer's float dtype; the indices are int32.
        shape, _ = self.compute_output_shape(tuple(inputs.shape))
        return (
            keras.KerasTensor(shape, dtype=self.compute_dtype),
            keras.KerasTensor(shape, dtype="int32"),
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "pool_size": self.pool_size}


@keras.saving.register_keras_serializable(package="segcourse")
class MaxUnpooling2D(keras.layers.Layer):
    """Index ("switch") unpooling: puts each value back where the maximum it came from was (SegNet).

    The inverse of `MaxPoolingWithIndices2D` up to the values that pooling dropped: every value is
    written at the position that its index names inside its `ph x pw` output window (row-major), and
    the rest of the window is zero. Built from a comparison, a `where` and a reshape (no scatter), so it
    is fast, compiles with XLA, and is differentiable with respect to the values.

    The output size is `output_shape = input_shape * pool_size`, or the size of the optional
    reference tensor (typically the pooling layer's input), reached by padding zeros at the bottom
    and right: that undoes the rows and columns that pooling dropped from an odd-sized input.

    An index outside `[0, ph * pw)` raises a `ValueError` where the indices' values are known, in
    eager execution. Inside a compiled function (`model.fit`, `model.predict`, `tf.function`) they
    are not checked, to keep the layer as fast as it is, and such a value is written nowhere: its
    window stays zero.

    Args:
        pool_size: int or tuple of 2 integers `(ph, pw)`; must match the pooling layer's.

    Input shape:
        A list `[values, indices]` or `[values, indices, reference]`: `values` a 4D tensor
        `(batch_size, height, width, channels)`, `indices` an integer tensor of the same shape
        with values in `[0, ph * pw)`, `reference` any 4D tensor whose height and width the output
        should have (between `height * ph` and `height * ph + ph - 1`, likewise for width).

    Output shape:
        4D tensor with shape `(batch_size, height * ph, width * pw, channels)`, or the
        reference's height and width; in the dtype of `values`.

    Example:

    >>> x = np.random.rand(1, 4, 4, 3).astype("float32")
    >>> pooled, indices = MaxPoolingWithIndices2D(2)(x)
    >>> unpooled = MaxUnpooling2D(2)([pooled, indices])  # shape (1, 4, 4, 3)
    >>> # Each window of `unpooled` holds the window's maximum of `x` in place, zeros elsewhere.
    """

    def __init__(self, pool_size: int | tuple[int, int] = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pool_size = _pair(pool_size, "pool_size")

    def call(self, inputs: Any) -> Any:
        name = type(self).__name__
        (values, indices), like = _split_reference(inputs, 2, name)
        _check_rank4(values.shape, "values", name)
        if tuple(indices.shape) != tuple(values.shape) and None not in (*indices.shape, *values.shape):
            raise ValueError(
                f"{name}: `indices` must have the shape of `values`; "
                f"got {tuple(indices.shape)} and {tuple(values.shape)}."
            )
        known = _known_values(indices)  # checked in eager execution only: no extra work in a graph
        positions = self.pool_size[0] * self.pool_size[1]
        if known is not None and known.size and (known.min() < 0 or known.max() >= positions):
            raise ValueError(
                f"{name}: `indices` must lie in [0, {positions}) for `pool_size` {self.pool_size}; "
                f"got values from {known.min()} to {known.max()}."
            )
        outputs = _unpool(values, indices, self.pool_size)
        return outputs if like is None else _pad_to_like(outputs, like, self.pool_size, name)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        (values_shape, _), like_shape = _split_reference(input_shape, 2, type(self).__name__)
        shape = _unpooled_shape(tuple(values_shape), self.pool_size)
        if like_shape is not None:
            shape = (shape[0], like_shape[1], like_shape[2], shape[3])
        return shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "pool_size": self.pool_size}


@keras.saving.register_keras_serializable(package="segcourse")
class ZeroUnpooling2D(keras.layers.Layer):
    """Fixed-corner unpooling: each value goes to the top-left corner of its window, zeros elsewhere.

    The simplest unpooling, without pooling indices (the one the original article draws). Compare
    `MaxUnpooling2D`, which puts the value back where the maximum was, and `UpSampling2D`, which
    copies it to the whole window.

    The output size is `output_shape = input_shape * pool_size`, or the size of the optional
    reference tensor, reached by padding zeros at the bottom and right.

    Args:
        pool_size: int or tuple of 2 integers `(ph, pw)`, the upsampling factors.

    Input shape:
        A 4D tensor `values` with shape `(batch_size, height, width, channels)`, or a list
        `[values, reference]` where `reference` is any 4D tensor whose height and width the
        output should have.

    Output shape:
        4D tensor with shape `(batch_size, height * ph, width * pw, channels)`, or the
        reference's height and width.

    Example:

    >>> x = np.array([[1., 2.]]).reshape(1, 1, 2, 1)
    >>> ZeroUnpooling2D(2)(x)[0, :, :, 0]   # [[1., 0., 2., 0.], [0., 0., 0., 0.]]
    """

    def __init__(self, pool_size: int | tuple[int, int] = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pool_size = _pair(pool_size, "pool_size")

    def call(self, inputs: Any) -> Any:
        name = type(self).__name__
        (values,), like = _split_reference(inputs, 1, name)
        _check_rank4(values.shape, "values", name)
        ph, pw = self.pool_size
        _, h, w, c = _dims(values)
        # (n, h, 1, w, 1, c), padded with zeros after each value to (n, h, ph, w, pw, c).
        x = ops.reshape(values, (-1, h, 1, w, 1, c))
        x = ops.pad(x, [[0, 0], [0, 0], [0, ph - 1], [0, 0], [0, pw - 1], [0, 0]])
        outputs = ops.reshape(x, (-1, h * ph, w * pw, c))
        return outputs if like is None else _pad_to_like(outputs, like, self.pool_size, name)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        nested = isinstance(input_shape, (list, tuple)) and isinstance(input_shape[0], (list, tuple))
        (values_shape,), like_shape = _split_reference(
            input_shape if nested else [input_shape], 1, type(self).__name__
        )
        shape = _unpooled_shape(tuple(values_shape), self.pool_size)
        if like_shape is not None:
            shape = (shape[0], like_shape[1], like_shape[2], shape[3])
        return shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "pool_size": self.pool_size}


def bilinear_kernel_1d(size: int) -> np.ndarray:
    """The 1-D bilinear upsampling filter of length ``size`` used by FCN (Long et al., 2015).

    A triangle ("tent") that peaks at the centre of the kernel and falls to zero one stride away:
    for ``size = 2 * stride - stride % 2`` it gives the stride-``stride`` bilinear interpolation
    weights, e.g. ``[0.25, 0.75, 0.75, 0.25]`` for size 4 (stride 2), ``[1/3, 2/3, 1, 2/3, 1/3]`` for 5.
    """
    factor = (size + 1) // 2  # the stride this size is meant for
    centre = factor - 1 if size % 2 == 1 else factor - 0.5
    taps = np.arange(size)
    return 1.0 - np.abs(taps - centre) / factor


@keras.saving.register_keras_serializable(package="segcourse")
class BilinearInitializer(keras.initializers.Initializer):
    """Initialises a `Conv2DTranspose` kernel to bilinear upsampling, channel by channel (FCN).

    The kernel (Keras shape `(kh, kw, filters, input_channels)`) maps input channel `i` to
    output channel `i` with the outer product of two 1-D tent filters (`bilinear_kernel_1d`);
    every other channel pair gets zeros. A `Conv2DTranspose(c, 2 * s - s % 2, strides=s,
    padding="same")` with this kernel computes bilinear interpolation by the factor `s` (with
    half-pixel centres, like `keras.ops.image.resize(..., interpolation="bilinear")`), exactly
    except in the outermost output rows and columns, where the resize clamps to the edge and the
    transposed convolution sees zeros. Long et al. (2015) initialise FCN's upsampling this way,
    and learn from there (or freeze it).

    If `filters` and `input_channels` differ, the first `min(filters, input_channels)` channels
    are mapped one to one and the rest of the kernel is zero.

    Example:

    >>> up = keras.layers.Conv2DTranspose(
    ...     8, 4, strides=2, padding="same", use_bias=False,
    ...     kernel_initializer=BilinearInitializer())
    """

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> Any:
        if len(shape) != 4:
            raise ValueError(
                "BilinearInitializer expects a Conv2DTranspose kernel shape "
                f"(kh, kw, filters, input_channels); got {tuple(shape)}."
            )
        kh, kw, filters, channels = (int(s) for s in shape)
        spatial = np.outer(bilinear_kernel_1d(kh), bilinear_kernel_1d(kw))
        kernel = np.zeros((kh, kw, filters, channels), dtype="float64")
        for i in range(min(filters, channels)):
            kernel[:, :, i, i] = spatial
        return ops.convert_to_tensor(kernel, dtype=dtype or keras.config.floatx())

    def get_config(self) -> dict[str, Any]:
        return {}


@keras.saving.register_keras_serializable(package="segcourse")
class IdentityInitializer(keras.initializers.Initializer):
    """Initialises a `Conv2D` kernel so that the layer passes its input through (Yu & Koltun, 2016).

    With `c_in == c_out`, the tap that lines up with the output pixel under `padding="same"`
    (row `(kh - 1) // 2`, column `(kw - 1) // 2`: the centre for odd sizes) maps channel `a` to
    channel `a` with weight 1, and every other weight is zero, so a dilated context module starts
    as the identity and training only has to learn the changes. Use odd kernel sizes with
    `dilation_rate > 1`: a dilated even kernel has no tap at the output pixel's position, so no
    kernel makes it an identity.

    For `c_in != c_out` it uses Yu & Koltun's generalisation: with `groups = G` (their number of
    classes `C`), input channel `a` and output channel `b` are linked, with weight `G / c_out`,
    when `floor(a * G / c_in) == floor(b * G / c_out)`. Both channel counts are then split into
    `G` equal blocks and block `g` of the input is spread evenly over block `g` of the output; a
    layer that widens and one that narrows back compose to the identity. `groups` defaults to
    `gcd(c_in, c_out)`, which gives the plain identity when the counts are equal.

    Args:
        groups: the number of channel blocks `G` (Yu & Koltun's `C`), or `None` for
            `gcd(c_in, c_out)`. It should divide both channel counts, or the blocks are uneven.
        stddev: standard deviation of the Gaussian noise added to every weight not set by the
            rule (Yu & Koltun's epsilon; 0 for none). Noise breaks the symmetry between
            output channels that the rule would make identical.
        seed: seed of that noise.

    Example:

    >>> context = keras.layers.Conv2D(
    ...     16, 3, dilation_rate=4, padding="same",
    ...     kernel_initializer=IdentityInitializer())
    """

    def __init__(self, groups: int | None = None, stddev: float = 0.0, seed: int | None = None) -> None:
        if groups is not None and (
            isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1
        ):
            raise ValueError(f"`groups` must be None or an integer >= 1; got {groups!r}.")
        if stddev < 0:
            raise ValueError(f"`stddev` must be >= 0; got {stddev!r}.")
        self.groups = None if groups is None else int(groups)
        self.stddev = float(stddev)
        self.seed = seed

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> Any:
        if len(shape) != 4:
            raise ValueError(
                "IdentityInitializer expects a Conv2D kernel shape "
                f"(kh, kw, in_channels, out_channels); got {tuple(shape)}."
            )
        kh, kw, c_in, c_out = (int(s) for s in shape)
        groups = self.groups or math.gcd(c_in, c_out)
        # Block of each channel: a * G // c_in, b * G // c_out (integer floor of a * G / c_in).
        links = (np.arange(c_in)[:, None] * groups // c_in) == (np.arange(c_out)[None, :] * groups // c_out)
        kernel = np.zeros((kh, kw, c_in, c_out), dtype="float64")
        kernel[(kh - 1) // 2, (kw - 1) // 2] = links * (groups / c_out)
        dtype = dtype or keras.config.floatx()
        kernel = ops.convert_to_tensor(kernel, dtype=dtype)
        if self.stddev > 0:
            noise = keras.random.normal(shape, stddev=self.stddev, dtype=dtype, seed=self.seed)
            kernel = ops.where(kernel != 0, kernel, noise)
        return kernel

    def get_config(self) -> dict[str, Any]:
        return {"groups": self.groups, "stddev": self.stddev, "seed": self.seed}

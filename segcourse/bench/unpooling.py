"""Chapter 3's claim: keeping the pooling indices is cheap, and ``segcourse``'s unpooling is fast.

The baseline is the scatter-based unpooling of public Keras/TensorFlow SegNet ports: pool with
``tf.nn.max_pool_with_argmax``, whose indices are flattened over the whole tensor, and write every pooled
value at its index into a zero tensor with ``tf.scatter_nd``. It is written here for the comparison only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from segcourse.bench.plan import Plan
from segcourse.bench.timing import best_times


def scatter_pool_unpool(x: Any) -> Any:
    """2x2 max pooling, then unpooling, the way public SegNet ports do it (a baseline).

    ``tf.nn.max_pool_with_argmax`` returns, with each maximum, its flat index into the whole input
    (``include_batch_in_index=True``: over batch, rows, columns and channels); ``tf.scatter_nd`` writes the
    pooled values at those indices into a zero tensor of the input's size.
    """
    import tensorflow as tf

    pooled, argmax = tf.nn.max_pool_with_argmax(
        x, ksize=2, strides=2, padding="VALID", include_batch_in_index=True
    )
    flat_size = tf.cast(tf.reshape(tf.size(x), (1,)), tf.int64)
    flat = tf.scatter_nd(tf.reshape(argmax, (-1, 1)), tf.reshape(pooled, (-1,)), flat_size)
    return tf.reshape(flat, tf.shape(x))


def segcourse_pool_unpool() -> Callable[[Any], Any]:
    """2x2 ``MaxPoolingWithIndices2D`` then ``MaxUnpooling2D``: what ``models.segnet`` does at each level."""
    from segcourse.layers import MaxPoolingWithIndices2D, MaxUnpooling2D

    pool, unpool = MaxPoolingWithIndices2D(2), MaxUnpooling2D(2)

    def pool_unpool(x: Any) -> Any:
        pooled, indices = pool(x)
        return unpool([pooled, indices])

    return pool_unpool


def forward_backward(pool_unpool: Callable[[Any], Any], jit_compile: bool = False) -> Callable[..., Any]:
    """A compiled step: the unpooled maps and the gradient of ``sum(unpooled * upstream)`` for the input."""
    import tensorflow as tf

    def step(x: Any, upstream: Any) -> tuple[Any, Any]:
        with tf.GradientTape() as tape:
            tape.watch(x)
            unpooled = pool_unpool(x)
        return unpooled, tape.gradient(unpooled, x, output_gradients=upstream)

    return tf.function(step, jit_compile=jit_compile)


def _xla_attempt(step: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    """Runs an XLA-compiled step; returns its result, or None and the error when XLA refuses it.

    The error is its type and the first line of its message, without the generated graph's name and
    attributes (``__inference_step_123[...]``), which change from run to run.
    """
    try:
        return step(*args), None
    except Exception as error:  # noqa: BLE001 - whatever XLA raises is the measurement
        message = str(error).strip().splitlines()[0]
        message = re.sub(r"graph \S+\[[^\]]*\]", "graph", message)
        return None, f"{type(error).__name__}: {message[:300]}"


def unpooling(plan: Plan, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Times pooling plus unpooling, forward and backward: ``segcourse``'s layers against the scatter baseline.

    Both run as TensorFlow graphs (``tf.function``); ``segcourse``'s also under XLA. The scatter baseline is
    tried under XLA too, and the error is recorded: ``MaxPoolWithArgmax`` has no XLA kernel.

    Returns the speed-up without XLA (scatter time over ``segcourse`` time, both as graphs), the speed-up
    with ``segcourse``'s layers compiled by XLA, whether every result is identical (unpooled maps and
    input gradients), and what happened under XLA.
    """
    import tensorflow as tf

    shape = plan.unpool_shape
    log(f"unpooling: pooling + unpooling + gradient of a {shape} float32 batch")
    generator = tf.random.Generator.from_seed(1)
    x, upstream = generator.normal(shape), generator.normal(shape)
    ours = segcourse_pool_unpool()
    steps = {"segcourse": forward_backward(ours), "scatter": forward_backward(scatter_pool_unpool)}
    outputs = {name: step(x, upstream) for name, step in steps.items()}
    # XLA: attempted for both; a refusal is recorded, not raised.
    errors = {}
    for name, pool_unpool in (("segcourse", ours), ("scatter", scatter_pool_unpool)):
        step = forward_backward(pool_unpool, jit_compile=True)
        result, errors[name] = _xla_attempt(step, x, upstream)
        if result is not None:
            steps[f"{name}_xla"], outputs[f"{name}_xla"] = step, result

    reference = [t.numpy() for t in outputs["scatter"]]
    equal = all(
        np.array_equal(mine.numpy(), theirs)
        for result in outputs.values()
        for mine, theirs in zip(result, reference, strict=True)
    )
    # A tf.function call on the CPU returns when its work is done: no conversion to NumPy is timed.
    cpu: dict[str, float] = {}
    seconds = best_times(
        {name: lambda step=step: step(x, upstream) for name, step in steps.items()}, plan.rounds, cpu
    )
    ours_xla = seconds.get("segcourse_xla")
    return {
        "speedup": seconds["scatter"] / seconds["segcourse"],
        "speedup_xla": None if ours_xla is None else seconds["scatter"] / ours_xla,
        "equal": bool(equal),
        # The course's claim: segcourse's layers compile under XLA, the scatter-based ones do not.
        "xla": errors["segcourse"] is None and errors["scatter"] is not None,
        "segcourse_xla_error": errors["segcourse"],
        "scatter_xla_error": errors["scatter"],
        "cpu_speedup": cpu["scatter"] / cpu["segcourse"],
        "seconds": seconds,
        "cpu_seconds": cpu,
        "shape": list(shape),
    }

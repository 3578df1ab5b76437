"""Timing side by side, the machine's matrix-multiply rate, model FLOPs, and a description of the machine."""

from __future__ import annotations

import datetime
import os
import platform
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np


def best_times(
    contestants: Mapping[str, Callable[[], Any]], rounds: int, cpu_seconds: dict[str, float] | None = None
) -> dict[str, float]:
    """Runs every contestant once per round, in turn, and returns each one's shortest time in seconds.

    Taking turns exposes every contestant to the same changes of machine load, so their ratio holds even
    on a busy machine; the shortest of several runs is the least disturbed one.

    Args:
        contestants: name -> a function to time (its result is ignored; it must finish its work).
        rounds: number of runs of each contestant, >= 1.
        cpu_seconds: if given, filled with each contestant's shortest processor time (all threads of
            this process): the work done, which the machine's load hardly changes, where the elapsed time
            also depends on how many cores the contestant gets and keeps busy.

    Returns:
        name -> shortest elapsed (wall-clock) time in seconds.
    """
    times: dict[str, list[float]] = {name: [] for name in contestants}
    cpu_times: dict[str, list[float]] = {name: [] for name in contestants}
    for _ in range(rounds):
        for name, function in contestants.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            function()
            times[name].append(time.perf_counter() - start)
            cpu_times[name].append(time.process_time() - start_cpu)
    if cpu_seconds is not None:
        cpu_seconds.update({name: min(runs) for name, runs in cpu_times.items()})
    return {name: min(runs) for name, runs in times.items()}


def matmul_contestant(size: int) -> tuple[Callable[[], Any], float]:
    """A large float32 ``tf.matmul`` to time with the other contestants, and the FLOPs it performs.

    Its rate is the machine's practical peak for dense float32 arithmetic, the yardstick of how well a
    training step uses the processor. The product is summed inside the graph so that no large copy to
    NumPy is timed with it.
    """
    import tensorflow as tf

    generator = tf.random.Generator.from_seed(0)
    a = generator.normal((size, size))
    b = generator.normal((size, size))
    product = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))
    product()  # trace
    return (lambda: product().numpy()), 2.0 * size**3


def forward_multiply_adds(model: Any) -> int:
    """Multiply-adds of one forward pass of one image: every convolution and fully connected layer.

    A convolution computes ``kh * kw * c_in * c_out`` products at every output pixel (dilation changes
    where the taps are, not how many); a transposed convolution stamps its kernel at every input pixel;
    a fully connected layer multiplies its kernel once per input vector. Element-wise layers (batch
    normalisation, activations, pooling) are not counted: they cost memory traffic, not arithmetic.
    The model must have a fixed input size.
    """
    import keras

    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2DTranspose):
            total += int(np.prod(layer.input.shape[1:3])) * int(np.prod(layer.kernel.shape))
        elif isinstance(layer, keras.layers.Conv2D):
            total += int(np.prod(layer.output.shape[1:3])) * int(np.prod(layer.kernel.shape))
        elif isinstance(layer, keras.layers.Dense):
            vectors = int(np.prod(layer.input.shape[1:-1]))  # 1 after Flatten
            total += vectors * int(np.prod(layer.kernel.shape))
    return total


def training_flops(model: Any) -> float:
    """FLOPs of one training step per image: the forward pass's multiply-adds, 2 FLOPs each, times 3.

    The backward pass computes, for every layer, the gradient of its input and of its weights, each about
    as costly as the forward pass: about three forward passes in all.
    """
    return 3.0 * 2.0 * forward_multiply_adds(model)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_total_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def load_average() -> list[float]:
    """The 1-, 5- and 15-minute load averages (0 where the platform has none)."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return [0.0, 0.0, 0.0]


def machine() -> dict[str, Any]:
    """What the figures were measured on: processor, cores, memory, software versions, threads, load."""
    import keras
    import tensorflow as tf

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_bytes": _memory_total_bytes(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "gpus": len(tf.config.list_physical_devices("GPU")),
        # 0 means TensorFlow's default: one thread per core.
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on for x86 CPUs)"),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "load_average_start": load_average(),
    }

"""Chapter 5's claim: SegNet needs little memory at inference because it keeps indices, not feature maps.

Two SegNets with the same layers and weights are compared: ``models.segnet`` (the decoder unpools with the
encoder's pooling indices) and a variant whose decoder keeps the encoder's feature maps instead, as FCN and
U-Net decoders do: it upsamples and adds the feature map of the matching encoder block (an FCN-style skip).
What each keeps is computed from the layer shapes; the peak memory of one inference is measured in a fresh
process per variant (``python -m segcourse.bench.memory VARIANT ...``): the peak of TensorFlow's CPU
allocator during a prediction, after a warm-up.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from segcourse.bench.plan import Plan

VARIANTS = ("indices", "feature_maps")
NUM_CLASSES = 12


def segnet_keeping_feature_maps(model: Any) -> Any:
    """The same network as a ``models.segnet`` with indices, whose decoder keeps feature maps instead.

    Every layer of ``model`` is reused (same weights) except the pooling and unpooling: each
    ``MaxPoolingWithIndices2D`` becomes a plain ``MaxPooling2D``, and each ``MaxUnpooling2D`` an
    ``UpSampling2D`` followed by the addition of the encoder's feature map from before that pooling, which
    the decoder therefore keeps until it gets there.
    """
    import keras

    from segcourse.layers import MaxPoolingWithIndices2D, MaxUnpooling2D

    inputs = keras.Input(model.inputs[0].shape[1:], name="image")
    new = {id(model.inputs[0]): inputs}
    kept = {}  # level -> the encoder's feature map before pooling, in the new model
    for layer in model.layers[1:]:
        sources = layer.input if isinstance(layer.input, (list, tuple)) else [layer.input]
        args = [new[id(tensor)] for tensor in sources]
        level = layer.name.removeprefix("pool").removeprefix("unpool")
        if isinstance(layer, MaxPoolingWithIndices2D):
            kept[level] = args[0]
            pooled = keras.layers.MaxPooling2D(layer.pool_size, name=layer.name)(args[0])
            new[id(layer.output[0])] = pooled
            new[id(layer.output[1])] = None  # no indices in this variant
            continue
        if isinstance(layer, MaxUnpooling2D):
            upsampled = keras.layers.UpSampling2D(layer.pool_size, name=f"upsample{level}")(args[0])
            output = keras.layers.Add(name=f"skip{level}")([upsampled, kept[level]])
        else:
            output = layer(args[0] if len(args) == 1 else args)
        new[id(layer.output)] = output
    return keras.Model(inputs, new[id(model.outputs[0])], name="segnet_feature_maps")


def build(variant: str, size: tuple[int, int], width: float) -> Any:
    """SegNet (depth 4, two convolutions per block) with indices, or the variant keeping feature maps."""
    from segcourse import models

    model = models.segnet(NUM_CLASSES, (*size, 3), width=width, depth=4)
    return model if variant == "indices" else segnet_keeping_feature_maps(model)


def computed(model: Any, batch: int = 1) -> dict[str, Any]:
    """Bytes that each decoder keeps from the encoder, per pooling layer of a SegNet with indices.

    A decoder with skips keeps the float32 feature map that enters each pooling; SegNet keeps the int32
    indices that ``MaxPoolingWithIndices2D`` returns, one per pooled value, a quarter of the map's values
    for 2x2 pooling. ``log2(ph * pw)`` bits per pooled value would be enough: 2 bits for 2x2 windows, as in
    the SegNet paper.
    """
    from segcourse.layers import MaxPoolingWithIndices2D

    layers = []
    for layer in model.layers:
        if not isinstance(layer, MaxPoolingWithIndices2D):
            continue
        _, h, w, c = layer.input.shape
        ph, pw = layer.pool_size
        pooled_values = batch * (h // ph) * (w // pw) * c
        layers.append(
            {
                "layer": layer.name,
                "feature_map_shape": [h, w, c],
                "feature_map_bytes": batch * h * w * c * 4,
                "indices_bytes": pooled_values * 4,
                "indices_bytes_2bit": math.ceil(pooled_values * math.log2(ph * pw) / 8),
            }
        )
    totals = {
        key: sum(layer[key] for layer in layers)
        for key in ("feature_map_bytes", "indices_bytes", "indices_bytes_2bit")
    }
    return {"layers": layers, **totals, "ratio": totals["feature_map_bytes"] / totals["indices_bytes"]}


def _status_bytes(field: str) -> int:
    """A ``/proc/self/status`` memory field (``VmRSS``, ``VmHWM``) in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise OSError(f"no {field} in /proc/self/status")


def measure_in_this_process(variant: str, size: tuple[int, int], width: float, batch: int) -> dict[str, int]:
    """Peak memory of one SegNet inference, measured in this process (call it in a fresh one).

    TensorFlow must have been started with ``TF_CPU_ALLOCATOR_USE_BFC=true`` so that its CPU allocator
    keeps statistics. A warm-up prediction traces the graph; the allocator's peak is then reset, and its
    peak during a second prediction is the memory that the inference's tensors need at their busiest
    moment (TensorFlow frees each tensor after its last use). The process's peak resident set size
    (``VmHWM``, which also counts TensorFlow itself, the weights and the traced graph) is reported too, before
    and after the measured prediction: when the two are equal, the process reached its peak while building
    and tracing the model, and the inference itself fit in memory the process already held.
    """
    import numpy as np
    import tensorflow as tf

    from segcourse import runtime

    runtime.quiet_tensorflow()
    model = build(variant, size, width)
    images = np.random.default_rng(0).random((batch, *size, 3), dtype=np.float32)
    model.predict_on_batch(images)
    tf.config.experimental.reset_memory_stats("CPU:0")
    before = _status_bytes("VmHWM")
    model.predict_on_batch(images)
    return {
        "peak_tensor_bytes": int(tf.config.experimental.get_memory_info("CPU:0")["peak"]),
        "process_peak_bytes": _status_bytes("VmHWM"),
        "process_peak_before_inference_bytes": before,
    }


def measure(variant: str, size: tuple[int, int], width: float, batch: int) -> dict[str, int]:
    """Runs ``measure_in_this_process`` in a fresh Python process and returns what it measured."""
    command = [
        sys.executable,
        "-m",
        "segcourse.bench.memory",
        variant,
        str(size[0]),
        str(size[1]),
        str(width),
        str(batch),
    ]
    # TensorFlow's BFC allocator on the CPU keeps the statistics (peak bytes) that the child reads.
    environment = {**os.environ, "TF_CPU_ALLOCATOR_USE_BFC": "true", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def memory(plan: Plan, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Computed and measured memory of SegNet inference, with indices and keeping feature maps.

    Each variant is measured ``plan.memory_repeats`` times, alternating, each in a fresh process: TensorFlow
    runs independent operations in parallel, so how many tensors are alive at once, and the peak, can
    change from one run to the next. ``measured_peak_bytes`` is each variant's median allocator peak,
    ``measured_peak_range_bytes`` its smallest and largest, and ``process_peak_bytes`` the median of the
    processes' own peaks (``VmHWM``).
    """
    size, width, batch = plan.memory_size, plan.memory_width, 1
    log(f"memory: SegNet inference at {size[0]}x{size[1]}, batch {batch}, width {width}: indices or maps, "
        f"{plan.memory_repeats} fresh processes each")
    model = build("indices", size, width)
    runs: dict[str, list[dict[str, int]]] = {variant: [] for variant in VARIANTS}
    for _ in range(plan.memory_repeats):
        for variant in VARIANTS:
            runs[variant].append(measure(variant, size, width, batch))

    def median(variant: str, key: str) -> int:
        return int(np.median([run[key] for run in runs[variant]]))

    peaks = {variant: median(variant, "peak_tensor_bytes") for variant in VARIANTS}
    return {
        "size": list(size),
        "batch": batch,
        "model": f"segnet(width={width}, depth=4, convs_per_block=2)",
        "computed": computed(model, batch),
        "measured": runs,
        "measured_peak_bytes": peaks,
        "measured_peak_range_bytes": {
            variant: [min(run["peak_tensor_bytes"] for run in runs[variant]),
                      max(run["peak_tensor_bytes"] for run in runs[variant])]
            for variant in VARIANTS
        },
        "measured_saving_bytes": peaks["feature_maps"] - peaks["indices"],
        "process_peak_bytes": {variant: median(variant, "process_peak_bytes") for variant in VARIANTS},
        "process_peak_before_inference_bytes": {
            variant: median(variant, "process_peak_before_inference_bytes") for variant in VARIANTS
        },
    }


def main(argv: list[str]) -> int:
    """``python -m segcourse.bench.memory VARIANT HEIGHT WIDTH WIDTH_FACTOR BATCH``: prints one JSON line."""
    variant, height, width, factor, batch = argv
    if variant not in VARIANTS:
        raise SystemExit(f"variant must be one of {VARIANTS}; got {variant!r}")
    result = measure_in_this_process(variant, (int(height), int(width)), float(factor), int(batch))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

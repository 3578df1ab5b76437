"""Chapter 2's claim: the convolutionalised classifier gives the sliding window's scores, many times faster."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from segcourse.bench.plan import Plan
from segcourse.bench.timing import best_times, forward_multiply_adds

#: Chapter 1's classifier: 35x35 patches, two conv+pool blocks, fc6 on a 7x7 map.
PATCH_SIZE = 35


def _fixed_size(model: Any, height: int, width: int) -> Any:
    """A copy of ``model`` built for one input size, so that every layer knows its output size."""
    import keras

    copy = keras.models.clone_model(model, input_tensors=keras.Input((height, width, 3)))
    copy.set_weights(model.get_weights())
    return copy


def dense_vs_sliding(plan: Plan, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Times the sliding window and the convolutionalised classifier on one image, with the same weights.

    Returns the speed-up (sliding-window time over dense time), the largest absolute difference of their
    scores, both times, and the work each does: multiply-adds per pixel, whose ratio is what sharing the
    computation saves in arithmetic (``fc6``, different for every pixel, is not shared and caps it).
    """
    import keras

    from segcourse import data, models

    keras.utils.set_random_seed(0)
    height, width = plan.image
    classifier = models.patch_classifier(data.NUM_CLASSES, patch_size=PATCH_SIZE, width=plan.patch_width)
    twin = models.convolutionalize(classifier)
    # A street scene (float32 in [0, 1]); scenes are at least 64x64, so the quick run crops one.
    images, _ = data.synthetic_scenes(1, height=max(height, 64), width=max(width, 64), seed=0)
    image = np.ascontiguousarray(images[:, :height, :width])

    log(f"dense_vs_sliding: {height}x{width} image, patch classifier width {plan.patch_width}")
    # Warm-ups: trace the sliding window's full and partial batches and the twin's graph for this shape.
    models.sliding_window_predict(classifier, image[:, : min(height, 48), : min(width, 64)])
    twin.predict_on_batch(image)
    results: dict[str, np.ndarray] = {}

    def sliding() -> None:
        results["sliding"] = models.sliding_window_predict(classifier, image)

    def dense() -> None:
        results["dense"] = np.asarray(twin.predict_on_batch(image))

    cpu: dict[str, float] = {}
    seconds = best_times({"sliding": sliding, "dense": dense}, plan.rounds, cpu)
    difference = float(np.abs(results["sliding"] - results["dense"]).max())

    per_patch = forward_multiply_adds(classifier)
    per_pixel = forward_multiply_adds(_fixed_size(twin, height, width)) / (height * width)
    fc6 = int(np.prod(twin.get_layer("fc6").kernel.shape))
    return {
        "speedup": seconds["sliding"] / seconds["dense"],
        "max_abs_diff": difference,
        "sliding_seconds": seconds["sliding"],
        "dense_seconds": seconds["dense"],
        "cpu_speedup": cpu["sliding"] / cpu["dense"],
        "cpu_seconds": cpu,
        "image": [height, width],
        "model": f"patch_classifier(patch_size={PATCH_SIZE}, width={plan.patch_width})",
        "sliding_multiply_adds_per_pixel": per_patch,
        "dense_multiply_adds_per_pixel": per_pixel,
        "fc6_multiply_adds_per_pixel": fc6,
        "work_ratio": per_patch / per_pixel,
    }

"""Chapter 5's models in training: SegNet against the original article's listing, at equal channel widths.

``models.article_segnet`` is the listing ported to Keras 3 with only what it needs to run; it is compiled as
the article compiles it (categorical cross-entropy on one-hot labels, Adam, accuracy; everything else Keras's
defaults, so no XLA on a CPU). ``models.segnet`` gets the listing's channels (64-128-256-512, one
convolution per block) and is compiled as the chapters compile it (``runtime.compile_model``). Each is also
compiled with XLA (``jit_compile=True``). The step's FLOPs, counted from the layer shapes, divided by its
time, compared with a large matrix product's FLOP/s measured in the same rounds, give the fraction of the
machine's practical peak that the training step reaches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from segcourse.bench.plan import Plan
from segcourse.bench.timing import best_times, matmul_contestant, training_flops

#: CamVid's classes (11, plus void in the listing's nClasses).
NUM_CLASSES = 12


def build(name: str, size: tuple[int, int], width: float) -> tuple[Any, bool]:
    """One contestant: ``"segnet"`` or ``"article"``, with ``"_xla"`` for XLA; returns it compiled.

    Also returns whether it trains on one-hot labels (the article's loss) rather than integer labels.
    """
    import keras

    from segcourse import models, runtime

    shape = (*size, 3)
    xla = name.endswith("_xla")
    if name.startswith("article"):
        model = models.article_segnet(NUM_CLASSES, shape, width=width)
        # The listing's compile call, with an Adam instance instead of the class.
        model.compile(
            loss="categorical_crossentropy",
            optimizer=keras.optimizers.Adam(),
            metrics=["accuracy"],
            **({"jit_compile": True} if xla else {}),
        )
        return model, True
    # The listing's channels: segnet's base channels are 32-64-128-256, so width doubles them.
    model = models.segnet(NUM_CLASSES, shape, width=2 * width, depth=4, convs_per_block=1)
    runtime.compile_model(model, NUM_CLASSES, jit_compile=True if xla else "auto")
    return model, False


def _batch(size: tuple[int, int], batch: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random images, integer labels and the same labels one-hot (speed does not depend on the values)."""
    rng = np.random.default_rng(0)
    images = rng.random((batch, *size, 3), dtype=np.float32)
    labels = rng.integers(0, NUM_CLASSES, (batch, *size)).astype("int32")
    return images, labels, np.eye(NUM_CLASSES, dtype="float32")[labels]


CONTESTANTS = ("segnet", "segnet_xla", "article", "article_xla")


def training(plan: Plan, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Training throughput of SegNet and the article's listing, with and without XLA, at each plan size.

    Returns the images per second of every contestant at every size, the FLOPs of a training step per
    image, the matrix-product FLOP/s measured in the same rounds, and the headline figures at the CamVid
    size: ``images_per_second`` (SegNet as the course compiles it), ``speedup_vs_article`` (that over the
    listing as the article compiles it), ``speedup_vs_article_xla`` (both with XLA) and ``matmul_fraction``
    (SegNet's FLOP/s over the matrix product's).
    """
    import keras

    matmul, matmul_flops = matmul_contestant(plan.matmul_size)
    matmul_seconds = []
    per_size: dict[str, dict[str, Any]] = {}
    for size_name, size in plan.train_sizes.items():
        batch = plan.train_batch[size_name]
        log(f"training: {size_name} {size[0]}x{size[1]}, batch {batch}, SegNet and the article's listing")
        keras.utils.set_random_seed(0)
        images, labels, one_hot = _batch(size, batch)
        steps, flops = {}, {}
        for name in CONTESTANTS:
            model, wants_one_hot = build(name, size, plan.train_width)
            targets = one_hot if wants_one_hot else labels
            for _ in range(plan.warmup_steps):
                model.train_on_batch(images, targets)
            steps[name] = lambda model=model, x=images, y=targets: model.train_on_batch(x, y)
            flops[name.removesuffix("_xla")] = training_flops(model)
        cpu: dict[str, float] = {}
        seconds = best_times({**steps, "matmul": matmul}, plan.rounds, cpu)
        matmul_seconds.append(seconds.pop("matmul"))
        cpu.pop("matmul")
        per_size[size_name] = {
            "size": list(size),
            "batch": batch,
            "images_per_second": {name: batch / s for name, s in seconds.items()},
            "cpu_seconds_per_image": {name: s / batch for name, s in cpu.items()},
            "training_flops_per_image": flops,
        }

    matmul_rate = matmul_flops / min(matmul_seconds)
    for result in per_size.values():
        rates = result["images_per_second"]
        result["speedup_vs_article"] = rates["segnet"] / rates["article"]
        result["speedup_vs_article_xla"] = rates["segnet_xla"] / rates["article_xla"]
        work = result["cpu_seconds_per_image"]
        result["cpu_speedup_vs_article"] = work["article"] / work["segnet"]
        result["flop_rate"] = {
            name: rate * result["training_flops_per_image"][name.removesuffix("_xla")]
            for name, rate in rates.items()
        }
        result["matmul_fraction"] = {name: rate / matmul_rate for name, rate in result["flop_rate"].items()}
    headline = per_size["camvid"]
    return {
        "speedup_vs_article": headline["speedup_vs_article"],
        "speedup_vs_article_xla": headline["speedup_vs_article_xla"],
        "cpu_speedup_vs_article": headline["cpu_speedup_vs_article"],
        "matmul_fraction": headline["matmul_fraction"]["segnet"],
        "images_per_second": headline["images_per_second"]["segnet"],
        "images_per_second_by_size": {name: result["images_per_second"] for name, result in per_size.items()},
        "matmul_flops_per_second": matmul_rate,
        "matmul_size": plan.matmul_size,
        "sizes": per_size,
    }

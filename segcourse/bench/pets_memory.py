"""Chapter 7's Oxford-IIIT Pet recipe: the host memory (RAM) its data path needs, uint8 against float32.

Free Colab runtimes have about 12.7 GiB of RAM. The recipe loads three splits with ``data.load_oxford_pets``
(``train[:90%]``, ``train[90%:]``, ``test``), and for each of its three networks builds the training and
validation data sets with ``data.make_dataset`` and scores the test split with ``metrics.evaluate``. This
section runs that data path in a fresh Python process per measurement, on fake examples in the format
``tensorflow-datasets`` yields (uint8 photographs of varying sizes and 1-2-3 trimaps), through the real
loader (a stand-in ``tensorflow_datasets`` module serves the examples), and reads the process's peak
resident set size (``VmHWM``). The networks are replaced by a one-layer model: their weights and
activations live on the GPU in the recipe, and are not what this measures.

A full split cannot be measured on every machine, so each measurement loads a fraction (``scale``) of the
full splits (3,680 training and 3,669 test images), and a straight line through the peaks at several
fractions is extrapolated to the full splits; the residuals of the fit are recorded with it. The line holds
once every buffer of fixed size is full: ``median_frequency_weights`` counts 256 images at a time and
``metrics.evaluate`` predicts about four million pixels at a time, so the smallest fraction should give each
split more images than that.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from segcourse.bench.plan import Plan

#: The Oxford-IIIT Pet splits that ``tensorflow-datasets`` serves (``oxford_iiit_pet``).
FULL_SPLITS = {"train": 3680, "test": 3669}
#: The recipe's three loads: name in the recipe -> the TFDS split it asks for.
RECIPE_SPLITS = {"train": "train[:90%]", "val": "train[90%:]", "test": "test"}
#: The recipe trains this many networks, each with its own data sets and evaluation.
NETWORKS = 3
DTYPES = ("uint8", "float32")


def _status_bytes(field: str) -> int:
    """A ``/proc/self/status`` memory field (``VmRSS``, ``VmHWM``) in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise OSError(f"no {field} in /proc/self/status")


def split_range(split: str, counts: dict[str, int]) -> range:
    """The example numbers a TFDS split string selects: ``"test"``, ``"train[:90%]"``, ``"train[90%:]"``.

    Percent boundaries are rounded to the nearest example, as ``tensorflow-datasets`` does.

    >>> split_range("train[90%:]", {"train": 100, "test": 50})
    range(90, 100)
    """
    match = re.fullmatch(r"(\w+)(?:\[(\d*)%?:(\d*)%?\])?", split)
    if match is None or match.group(1) not in counts:
        raise ValueError(
            f"`split` must be one of {sorted(counts)}, optionally sliced in percent; got {split!r}."
        )
    total = counts[match.group(1)]
    start, stop = match.group(2) or "0", match.group(3) or "100"
    return range(round(total * int(start) / 100), round(total * int(stop) / 100))


def fake_examples(numbers: range, seed: int = 0) -> Iterator[dict[str, np.ndarray]]:
    """Examples shaped like ``tfds.as_numpy(tfds.load("oxford_iiit_pet"))``'s, one at a time.

    Each is a uint8 ``(h, w, 3)`` photograph of random pixels, 300 to 500 pixels a side like the data set's,
    with a uint8 ``(h, w, 1)`` trimap (1 pet, 2 background, 3 border). The content does not change the memory.
    """
    for number in numbers:
        rng = np.random.default_rng((seed, number))
        h, w = (int(v) for v in rng.integers(300, 501, size=2))
        mask = np.full((h, w, 1), 2, np.uint8)
        mask[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4] = 3
        mask[h // 4 + h // 16 : 3 * h // 4 - h // 16, w // 4 + w // 16 : 3 * w // 4 - w // 16] = 1
        yield {"image": rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "segmentation_mask": mask}


def fake_tfds(counts: dict[str, int]) -> types.ModuleType:
    """A stand-in ``tensorflow_datasets`` module whose ``load`` streams ``fake_examples``."""
    module = types.ModuleType("tensorflow_datasets")

    def load(name: str, split: str, **kwargs: Any) -> Iterator[dict[str, np.ndarray]]:
        if name != "oxford_iiit_pet":
            raise ValueError(f"the stand-in serves oxford_iiit_pet only; got {name!r}")
        offset = 0 if split.startswith("train") else 1_000_000  # test examples differ from training ones
        numbers = split_range(split, counts)
        return fake_examples(range(offset + numbers.start, offset + numbers.stop))

    module.load = load
    module.as_numpy = lambda dataset: dataset
    return module


def measure_in_this_process(dtype: str, scale: float, size: tuple[int, int], batch: int) -> dict[str, Any]:
    """Runs the recipe's data path on ``scale`` times the full splits; returns the peak RSS at each stage.

    Call it in a fresh process: the peak resident set size (``VmHWM``) is the process's since it started.
    """
    import keras

    from segcourse import data, metrics, runtime

    runtime.quiet_tensorflow()
    counts = {name: max(1, round(scale * count)) for name, count in FULL_SPLITS.items()}
    sys.modules["tensorflow_datasets"] = fake_tfds(counts)
    stages = {"start": _status_bytes("VmHWM")}
    splits = {
        name: data.load_oxford_pets(split, size=size, dtype=dtype) for name, split in RECIPE_SPLITS.items()
    }
    stages["loaded"] = _status_bytes("VmHWM")
    classes = len(data.PETS_CLASS_NAMES)
    tolerance = round(0.0075 * float(np.hypot(*size)))

    def train_one(network: int) -> None:
        """The recipe's train_on_real_data, without the network: its data sets are freed when it returns."""
        weights = data.median_frequency_weights(splits["train"][1], classes)
        train = data.make_dataset(*splits["train"], batch_size=batch, augment=True, class_weights=weights)
        val = data.make_dataset(*splits["val"], batch_size=batch, shuffle=False)
        for _ in train:  # one epoch: the shuffle buffer holds every training example once it is full
            pass
        for _ in val:
            pass
        stages[f"datasets {network}"] = _status_bytes("VmHWM")

    for network in range(1, NETWORKS + 1):
        train_one(network)
        model = keras.Sequential([keras.Input((*size, 3)), keras.layers.Conv2D(classes, 1)])
        metrics.evaluate(model, *splits["test"], batch_size=batch, class_names=data.PETS_CLASS_NAMES,
                         tolerance=tolerance)
        stages[f"evaluated {network}"] = _status_bytes("VmHWM")
    images = {name: len(split[0]) for name, split in splits.items()}
    array_bytes = sum(split[0].nbytes + split[1].nbytes for split in splits.values())
    peak = _status_bytes("VmHWM")
    return {"peak_bytes": peak, "stages": stages, "images": images, "array_bytes": array_bytes}


def measure(dtype: str, scale: float, size: tuple[int, int], batch: int) -> dict[str, Any]:
    """Runs ``measure_in_this_process`` in a fresh Python process and returns what it measured."""
    command = [sys.executable, "-m", "segcourse.bench.pets_memory", dtype, str(scale), str(size[0]),
               str(size[1]), str(batch)]
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[2:])} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def fit_line(scales: list[float], peaks: list[float]) -> dict[str, Any]:
    """Least-squares line ``peak = base + slope * scale``, its value at scale 1 and its largest residual.

    >>> fit_line([0.1, 0.2, 0.3], [2.0, 3.0, 4.0])["full"]
    11.0
    """
    slope, base = np.polyfit(np.asarray(scales, float), np.asarray(peaks, float), 1)
    residuals = np.asarray(peaks, float) - (base + slope * np.asarray(scales, float))
    return {
        "base_bytes": float(base),
        "bytes_per_full_split": float(slope),
        "full": float(round(base + slope, 6)),
        "largest_residual_bytes": float(np.abs(residuals).max()),
    }


def pets_memory(plan: Plan, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Peak host memory of the Pets recipe's data path, measured at a few fractions of the splits.

    Returns, per image dtype, the peak RSS of each measurement and the line through them, extrapolated to
    the full splits; for the dtypes of ``plan.pets_measure_full`` the full splits are also measured, and that
    measurement is the ``full_bytes`` figure (``full_from``: ``"measured"`` or ``"line"``). ``ratio`` is
    float32's full figure over uint8's.
    """
    size, batch = plan.pets_size, plan.pets_batch
    log(f"pets_memory: the Pets recipe's data path at {size[0]}x{size[1]}, scales {list(plan.pets_scales)}, "
        f"full splits for {list(plan.pets_measure_full)}")
    results: dict[str, Any] = {}
    for dtype in DTYPES:
        runs = [measure(dtype, scale, size, batch) for scale in plan.pets_scales]
        line = fit_line(list(plan.pets_scales), [run["peak_bytes"] for run in runs])
        entry = {"runs": [{"scale": s, **run} for s, run in zip(plan.pets_scales, runs, strict=True)],
                 "fit": line, "full_bytes": line["full"], "full_from": "line"}
        if dtype in plan.pets_measure_full:
            entry["full_run"] = measure(dtype, 1.0, size, batch)
            entry["full_bytes"], entry["full_from"] = entry["full_run"]["peak_bytes"], "measured"
        results[dtype] = entry
    return {
        "size": list(size),
        "batch": batch,
        "full_splits": dict(FULL_SPLITS),
        "networks": NETWORKS,
        "scales": list(plan.pets_scales),
        "by_dtype": results,
        "full_bytes": {dtype: results[dtype]["full_bytes"] for dtype in DTYPES},
        "full_from": {dtype: results[dtype]["full_from"] for dtype in DTYPES},
        "ratio": results["float32"]["full_bytes"] / results["uint8"]["full_bytes"],
    }


def main(argv: list[str]) -> int:
    """``python -m segcourse.bench.pets_memory DTYPE SCALE HEIGHT WIDTH BATCH``: prints one JSON line."""
    dtype, scale, height, width, batch = argv
    if dtype not in DTYPES:
        raise SystemExit(f"dtype must be one of {DTYPES}; got {dtype!r}")
    print(json.dumps(measure_in_this_process(dtype, float(scale), (int(height), int(width)), int(batch))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

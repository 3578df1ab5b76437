"""Chapter 7's recipe for real data runs, on the CPU, on tiny fake CamVid and Oxford-IIIT Pet data.

The chapter's cells only train where CamVid is on disk or ``TRAIN_ON_PETS`` is set, so nbval never runs them.
This test executes the cells of the chapter's section "The recipe for real data on a GPU", as written in
``book/07_putting_it_together.md``, with a fake CamVid folder, a stand-in ``tensorflow_datasets``, one epoch
and smaller networks: the code a reader runs on a GPU is the code tested here, on the CPU.
"""

from __future__ import annotations

import sys

import jupytext
import keras
import numpy as np
import pytest
from test_data import write_camvid

from segcourse import models
from segcourse.bench.pets_memory import fake_tfds
from segcourse.book import find_root

CHAPTER = find_root() / "book" / "07_putting_it_together.md"

#: The chapter's networks at an eighth of their width: the same builders, faster on a CPU.
LIGHT = {
    "FCN-8s": lambda k, shape: models.fcn(k, shape, width=0.125, variant="8s", fc6_kernel=7),
    "SegNet": lambda k, shape: models.segnet(k, shape, width=0.125, depth=5, convs_per_block=(2, 2, 3, 3, 3)),
    "dilated + context": lambda k, shape: models.dilated_net(k, shape, width=0.125, context="basic"),
}


@pytest.fixture(autouse=True)
def float32_policy():
    yield
    keras.mixed_precision.set_global_policy("float32")


def _cells() -> tuple[str, str, list[str]]:
    """The chapter's imports cell, its activation_memory cells and the code cells of the recipe section."""
    cells = jupytext.read(CHAPTER).cells
    code = [cell.source for cell in cells if cell.cell_type == "code"]
    start = next(i for i, c in enumerate(cells) if "## The recipe for real data on a GPU" in c.source)
    end = next(i for i, c in enumerate(cells) if c.source.startswith("## Exercises"))
    recipe = [cell.source for cell in cells[start:end] if cell.cell_type == "code"]
    imports = next(source for source in code if source.startswith("import math"))
    memory = "\n".join(  # nbytes and last_reads, then activation_memory
        source for source in code if "def last_reads" in source or "def activation_memory" in source
    )
    return imports, memory, recipe


def _edit(source: str, old: str, new: str) -> str:
    """``source`` with ``old`` replaced, checking that the chapter still says ``old`` (once)."""
    assert source.count(old) == 1, f"the chapter no longer holds {old!r}"
    return source.replace(old, new)


def test_the_recipe_trains_and_scores_every_network_on_fake_camvid_and_pets(tmp_path, monkeypatch, capsys):
    for split in ("train", "val", "test"):
        write_camvid(tmp_path / "CamVid", split, count=2, size=(40, 70))  # crops to 32x64
    monkeypatch.setenv("CAMVID_ROOT", str(tmp_path / "CamVid"))
    monkeypatch.chdir(tmp_path)  # the recipe writes best.weights.h5 here
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", fake_tfds({"train": 10, "test": 4}))

    imports, memory, recipe = _cells()
    namespace: dict = {}
    exec(imports, namespace)
    exec(memory, namespace)
    namespace.update(CAMVID_SIZE=(352, 480), MiB=2**20)  # from the chapter's memory section
    for source in recipe:
        source = source.replace("CAMVID_EPOCHS = 100", "CAMVID_EPOCHS = 1")
        if "TRAIN_ON_PETS = False" in source:
            source = _edit(source, "TRAIN_ON_PETS = False", "TRAIN_ON_PETS = True")
            source = _edit(source, "(256, 256), 30", "(32, 32), 1")
        exec(source, namespace)
        if "FULL_SIZE" in namespace and namespace["FULL_SIZE"] is not LIGHT:
            assert list(namespace["FULL_SIZE"]) == list(LIGHT)
            namespace["FULL_SIZE"] = LIGHT
    output = capsys.readouterr().out

    assert "did not run" not in output
    # CamVid: cropped to multiples of 32, kept as bytes; Pets: the recipe's three splits, as bytes.
    camvid_images, camvid_labels = namespace["camvid"]["train"]
    assert camvid_images.shape == (2, 32, 64, 3) and camvid_images.dtype == np.uint8
    assert camvid_labels.shape == (2, 32, 64)
    pets = namespace["pets"]
    assert [len(pets[split][0]) for split in ("train", "val", "test")] == [9, 1, 4]
    assert all(pets[split][0].dtype == np.uint8 for split in pets)
    for name in LIGHT:
        # Each network trained with the batch the recipe computes for this machine's precision, and scored.
        precision, batch = namespace["recipe_batch"](LIGHT[name], 12, (32, 64, 3))
        assert precision == "float32" and f"{name}: float32, batch {batch}" in output
        assert output.count(f"{name}: test mean IoU") == 2  # CamVid, then Pets
    assert "peak GPU memory" not in output  # no GPU here: nothing to read


def test_the_batch_is_half_the_gpu_over_the_memory_per_image() -> None:
    imports, memory, recipe = _cells()
    namespace: dict = {}
    exec(imports, namespace)
    exec(memory, namespace)
    exec(next(source for source in recipe if "def batch_for" in source), namespace)
    namespace["GPU_MEMORY"] = 15 * 2**30  # the chapter's: a Colab T4
    batch_for = namespace["batch_for"]
    assert batch_for(568 * 2**20) == 12  # 7.5 GiB / 568 MiB = 13.5: rounded down to a multiple of 4
    assert batch_for(100 * 2**20) == 32  # the cap
    assert batch_for(5 * 2**30) == 1  # less than 4 fit: one image at a time

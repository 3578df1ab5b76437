"""``segcourse bench``: the quick run produces every figure with its type, and every equality holds.

No timing is asserted: benchmarks report ratios, they are not timed tests. The quick run (small sizes) is
run once for the module, through the command line, with every output file.
"""

from __future__ import annotations

import json
import re
from numbers import Real
from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest
import tensorflow as tf

from segcourse import bench, cli, models
from segcourse.bench import book_times, memory, pets_memory, report, timing, unpooling
from segcourse.book import chapter_sources, find_root


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    folder = tmp_path_factory.mktemp("bench")
    argv = ["bench", "--quick", "--json", str(folder / "bench.json"), "--markdown", str(folder / "table.md"),
            "--plot", str(folder / "bench.png")]
    assert cli.main(argv) == 0
    return json.loads((folder / "bench.json").read_text()), folder


def _number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and np.isfinite(value)


def test_every_figure_is_produced_with_its_type(quick) -> None:
    results, _ = quick
    assert results["plan"] == "quick"
    for section, key in [
        ("dense_vs_sliding", "speedup"),
        ("dense_vs_sliding", "max_abs_diff"),
        ("unpooling", "speedup"),
        ("unpooling", "speedup_xla"),
        ("training", "speedup_vs_article"),
        ("training", "speedup_vs_article_xla"),
        ("training", "matmul_fraction"),
        ("training", "images_per_second"),
        ("training", "matmul_flops_per_second"),
        ("book", "total_seconds"),
    ]:
        assert _number(results[section][key]), (section, key, results[section][key])
    for section, key in [("unpooling", "equal"), ("unpooling", "xla"), ("book", "all_measured")]:
        assert isinstance(results[section][key], bool), (section, key)
    assert isinstance(results["memory"], dict) and isinstance(results["machine"], dict)


def test_the_dense_twin_gives_the_sliding_windows_scores(quick) -> None:
    result = quick[0]["dense_vs_sliding"]
    assert result["max_abs_diff"] <= 1e-4
    assert result["speedup"] > 0 and result["work_ratio"] > 1
    # fc6 is the one layer whose work is not shared: part of the twin's per-pixel work, not more.
    assert 0 < result["fc6_multiply_adds_per_pixel"] < result["dense_multiply_adds_per_pixel"]


def test_unpooling_agrees_with_the_scatter_baseline_which_xla_refuses(quick) -> None:
    result = quick[0]["unpooling"]
    assert result["equal"] is True
    assert result["xla"] is True
    assert result["segcourse_xla_error"] is None
    # Measured, not assumed: the error TensorFlow raised, naming the op XLA cannot compile.
    assert result["scatter_xla_error"].startswith("InvalidArgumentError")
    assert "MaxPoolWithArgmax" in result["scatter_xla_error"]
    assert set(result["seconds"]) == {"segcourse", "segcourse_xla", "scatter"}


def test_training_measures_both_models_with_and_without_xla_at_both_sizes(quick) -> None:
    result = quick[0]["training"]
    assert set(result["images_per_second_by_size"]) == {"camvid", "chapter"}
    for rates in result["images_per_second_by_size"].values():
        assert set(rates) == {"segnet", "segnet_xla", "article", "article_xla"}
        assert all(_number(rate) and rate > 0 for rate in rates.values())
    camvid = result["sizes"]["camvid"]
    assert result["images_per_second"] == camvid["images_per_second"]["segnet"]
    # At equal channel widths SegNet's decoder convolves narrower maps: less arithmetic than the listing.
    flops = camvid["training_flops_per_image"]
    assert 0 < flops["segnet"] < flops["article"]


def test_book_times_cover_every_chapter(quick) -> None:
    result = quick[0]["book"]
    chapters = [p.stem for p in chapter_sources(find_root()) if p.with_suffix(".ipynb").exists()]
    assert list(result["chapters"]) == chapters
    assert all(s is None or _number(s) for s in result["chapters"].values())
    measured = [s for s in result["chapters"].values() if s is not None]
    assert result["total_seconds"] == pytest.approx(sum(measured))
    assert result["all_measured"] == (len(measured) == len(chapters))


def test_memory_computed_and_measured(quick) -> None:
    result = quick[0]["memory"]
    computed = result["computed"]
    assert [layer["layer"] for layer in computed["layers"]] == ["pool1", "pool2", "pool3", "pool4"]
    # 2x2 pooling: a float32 map holds 4 values per int32 index.
    assert computed["feature_map_bytes"] == 4 * computed["indices_bytes"]
    assert computed["indices_bytes"] == 16 * computed["indices_bytes_2bit"]
    for variant in memory.VARIANTS:
        assert result["measured_peak_bytes"][variant] > 0
        low, high = result["measured_peak_range_bytes"][variant]
        assert low <= result["measured_peak_bytes"][variant] <= high
        assert len(result["measured"][variant]) == bench.QUICK.memory_repeats
        # The process's peak includes TensorFlow itself: far above the inference's tensors.
        assert result["process_peak_bytes"][variant] > result["measured_peak_bytes"][variant]
        assert result["process_peak_before_inference_bytes"][variant] <= result["process_peak_bytes"][variant]


def test_pets_memory_runs_the_recipes_data_path_at_every_scale(quick) -> None:
    result = quick[0]["pets_memory"]
    assert set(result["by_dtype"]) == {"uint8", "float32"}
    for dtype, measured in result["by_dtype"].items():
        runs = measured["runs"]
        assert [run["scale"] for run in runs] == list(bench.QUICK.pets_scales)
        for run in runs:
            images = run["images"]
            # The recipe's three loads: 90% and 10% of the training split, and the test split.
            train = round(run["scale"] * pets_memory.FULL_SPLITS["train"])
            assert images["train"] + images["val"] == train and images["train"] == round(0.9 * train)
            assert images["test"] == round(run["scale"] * pets_memory.FULL_SPLITS["test"])
            pixels = sum(images.values()) * np.prod(result["size"])
            image_bytes = 1 if dtype == "uint8" else 4
            assert run["array_bytes"] == pixels * (3 * image_bytes + 1)  # images and uint8 labels
            stages = list(run["stages"].values())  # the process's peak after each stage: never lower
            assert stages == sorted(stages) and run["peak_bytes"] >= stages[-1]
            assert list(run["stages"])[-1] == f"evaluated {pets_memory.NETWORKS}"
        if dtype in bench.QUICK.pets_measure_full:  # the full splits measured: that is the figure
            full = measured["full_run"]
            assert full["images"] == {"train": 3312, "val": 368, "test": 3669}
            assert measured["full_from"] == "measured" and measured["full_bytes"] == full["peak_bytes"]
        else:
            assert measured["full_from"] == "line" and measured["full_bytes"] == measured["fit"]["full"]
    assert result["ratio"] == pytest.approx(result["full_bytes"]["float32"] / result["full_bytes"]["uint8"])


def test_report_files_are_written(quick) -> None:
    results, folder = quick
    table = (folder / "table.md").read_text()
    assert "| Figure | Measured | Target | Met |" in table and results["machine"]["cpu"] in table
    assert (folder / "bench.png").stat().st_size > 10_000
    assert cli.main(["bench", "--from-json", str(folder / "bench.json")]) == 0


def test_the_dense_target_is_the_arithmetic_saving_measured_beside_it() -> None:
    section = {"speedup": 20.0, "work_ratio": 18.08, "cpu_speedup": 19.0, "max_abs_diff": 1e-7}
    rows = {row["figure"]: row for row in report.headline({"dense_vs_sliding": section})}
    speedup = rows["convolutionalised classifier vs sliding window: speed-up"]
    assert speedup["target"] == "≥ 18.1x (arithmetic saving)" and speedup["met"] is True
    section["speedup"] = 17.0
    rows = {row["figure"]: row for row in report.headline({"dense_vs_sliding": section})}
    assert rows["convolutionalised classifier vs sliding window: speed-up"]["met"] is False
    assert "100" not in " ".join(row["target"] for row in rows.values())


def test_a_figure_an_older_run_did_not_record_is_left_out() -> None:
    rows = report.headline({"memory": {"computed": {"feature_map_bytes": 4e6, "indices_bytes": 1e6}}})
    assert [row["figure"] for row in rows] == ["SegNet decoder keeps (computed): feature maps / indices"]


def test_merge_keeps_the_earlier_runs_other_sections_and_says_so(quick) -> None:
    results, _ = quick
    newer = {key: value for key, value in results.items() if key not in ("book", "training")}
    older = dict(results, machine=dict(results["machine"], date="2026-01-01T00:00:00+00:00"))
    merged = bench.merge(newer, older)
    assert merged["book"] is results["book"] and merged["training"] is results["training"]
    assert merged["earlier_run"]["sections"] == ["training", "book"]
    table = report.markdown(merged)
    assert f"**Earlier run**: training, book come from the {results['plan']} run of 2026-01-01" in table
    assert "Earlier run" not in report.markdown(results)
    with pytest.raises(ValueError, match="same plan"):
        bench.merge(newer, dict(older, plan="full" if results["plan"] == "quick" else "quick"))


def test_pets_split_strings_select_what_tfds_selects() -> None:
    counts = {"train": 3680, "test": 3669}
    assert pets_memory.split_range("test", counts) == range(3669)
    assert pets_memory.split_range("train[:90%]", counts) == range(3312)
    assert pets_memory.split_range("train[90%:]", counts) == range(3312, 3680)
    with pytest.raises(ValueError, match="`split`"):
        pets_memory.split_range("validation", counts)


def test_fake_pets_examples_have_the_tfds_format() -> None:
    from segcourse import data

    examples = list(pets_memory.fake_examples(range(3)))
    assert len(examples) == 3
    for example in examples:
        image, mask = example["image"], example["segmentation_mask"]
        assert image.dtype == mask.dtype == np.uint8 and image.ndim == 3 and mask.shape == (*image.shape[:2], 1)
        assert 300 <= min(image.shape[:2]) and max(image.shape[:2]) <= 500
        assert set(np.unique(mask)) == {1, 2, 3}
    images, labels = data._pets_to_arrays(iter(examples), (32, 32), "uint8")
    assert images.shape == (3, 32, 32, 3) and set(np.unique(labels)) == {0, 1, 2}
    # The same numbers give the same examples (each is seeded by its number).
    again = next(pets_memory.fake_examples(range(1)))
    np.testing.assert_array_equal(again["image"], examples[0]["image"])


def test_pets_memory_takes_the_measured_full_splits_over_the_line(monkeypatch) -> None:
    calls = []

    def fake_measure(dtype, scale, size, batch):
        calls.append((dtype, scale))
        peak = (1.0 + 10.0 * scale) * 2**30 * (1 if dtype == "uint8" else 4)  # exactly on a line
        return {"peak_bytes": peak, "stages": {}, "images": {}, "array_bytes": 0}

    monkeypatch.setattr(pets_memory, "measure", fake_measure)
    result = pets_memory.pets_memory(bench.FULL, log=lambda line: None)
    assert calls == [("uint8", s) for s in bench.FULL.pets_scales] + [("uint8", 1.0)] + [
        ("float32", s) for s in bench.FULL.pets_scales
    ]
    assert result["full_from"] == {"uint8": "measured", "float32": "line"}
    assert result["full_bytes"]["uint8"] == 11 * 2**30
    assert result["full_bytes"]["float32"] == pytest.approx(44 * 2**30)
    assert result["ratio"] == pytest.approx(4.0)
    row = next(row for row in report.headline({"pets_memory": result}))
    assert row["value"] == "11.0 GiB / 44.0 GiB" and row["met"] is True  # uint8 within 12.7 GiB


def test_fit_line_extrapolates_to_the_full_splits() -> None:
    line = pets_memory.fit_line([0.05, 0.1, 0.2], [1.0e9, 1.5e9, 2.5e9])
    assert line["base_bytes"] == pytest.approx(0.5e9) and line["bytes_per_full_split"] == pytest.approx(10e9)
    assert line["full"] == pytest.approx(10.5e9) and line["largest_residual_bytes"] == pytest.approx(0, abs=1)


def test_unknown_section_is_refused(capsys) -> None:
    assert cli.main(["bench", "--only", "speed"]) == 2
    assert "unknown section" in capsys.readouterr().err


# --- the parts, on small inputs -------------------------------------------------------------------------


def test_best_times_keeps_the_shortest_run() -> None:
    calls = []
    seconds = timing.best_times({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, rounds=3)
    assert calls == ["a", "b"] * 3  # in turn
    assert set(seconds) == {"a", "b"} and all(s >= 0 for s in seconds.values())


def test_multiply_adds_are_counted_from_layer_shapes() -> None:
    inputs = keras.Input((8, 10, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", dilation_rate=2)(inputs)
    x = keras.layers.Conv2DTranspose(2, 4, strides=2, padding="same")(x)
    x = keras.layers.Dense(5)(keras.layers.Flatten()(x))
    model = keras.Model(inputs, x)
    expected = 8 * 10 * 3 * 3 * 3 * 4 + 8 * 10 * 4 * 4 * 4 * 2 + 16 * 20 * 2 * 5
    assert timing.forward_multiply_adds(model) == expected
    assert timing.training_flops(model) == 6 * expected


def test_scatter_baseline_matches_segcourse_forward_and_backward() -> None:
    x = tf.random.stateless_normal((2, 6, 8, 3), seed=(1, 2))
    upstream = tf.random.stateless_normal((2, 6, 8, 3), seed=(3, 4))
    ours = unpooling.forward_backward(unpooling.segcourse_pool_unpool())(x, upstream)
    theirs = unpooling.forward_backward(unpooling.scatter_pool_unpool)(x, upstream)
    for mine, other in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(mine.numpy(), other.numpy())


def test_feature_map_variant_shares_the_layers_and_keeps_the_maps() -> None:
    model = models.segnet(3, (32, 32, 3), width=0.125, depth=2)
    variant = memory.segnet_keeping_feature_maps(model)
    assert model.count_params() == variant.count_params()  # same convolutions, no new weights
    assert [layer.name for layer in variant.layers if isinstance(layer, keras.layers.Add)] == ["skip2", "skip1"]
    assert variant.output_shape == model.output_shape


def _notebook_with_times(path: Path, start: str, end: str) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("1"), nbformat.v4.new_markdown_cell("x"),
                      nbformat.v4.new_code_cell("2")]
    notebook.cells[0].metadata["execution"] = {"iopub.execute_input": start, "shell.execute_reply": start}
    notebook.cells[2].metadata["execution"] = {"iopub.execute_input": end, "shell.execute_reply": end}
    nbformat.write(notebook, path)


def test_quick_book_times_prefer_nbval_then_stored_timestamps(tmp_path) -> None:
    (tmp_path / "book").mkdir()
    (tmp_path / "_config.yml").write_text("title: t\n")
    for name in ("00_a", "01_b", "02_c"):
        (tmp_path / "book" / f"{name}.md").write_text("# x\n")
    book = tmp_path / "book"
    _notebook_with_times(book / "00_a.ipynb", "2026-01-01T10:00:00.000Z", "2026-01-01T10:01:30.500Z")
    _notebook_with_times(book / "01_b.ipynb", "2026-01-01T10:00:00Z", "2026-01-01T10:00:10Z")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("3")]), book / "02_c.ipynb")
    (tmp_path / "_build").mkdir()
    (tmp_path / book_times.RECORDED_TIMES).write_text(json.dumps({"01_b": 42.0}))

    result = book_times.book_times(bench.QUICK, log=lambda line: None, root=tmp_path)
    assert result["chapters"] == {"00_a": 90.5, "01_b": 42.0, "02_c": None}
    assert result["source"] == {"00_a": "stored", "01_b": "nbval"}
    assert result["total_seconds"] == pytest.approx(132.5) and result["all_measured"] is False


def test_chapter_7_quotes_the_recorded_pets_memory() -> None:
    """The host memory chapter 7 states for its Pets recipe is the one the recorded run measured."""
    results = bench.read_json(find_root() / "book" / "performance" / "bench.json")
    chapter = (find_root() / "book" / "07_putting_it_together.md").read_text(encoding="utf-8")
    chapter = " ".join(chapter.split())  # the prose wraps lines anywhere
    if "pets_memory" not in results:  # the recorded run has no Pets figures: the chapter quotes none
        assert "peaks at" not in chapter and "does not include that measurement yet" in chapter
        return
    full = results["pets_memory"]["full_bytes"]
    assert results["pets_memory"]["full_from"] == {"uint8": "measured", "float32": "line"}
    assert f"peaks at {full['uint8'] / 2**30:.1f} GiB of host memory with the images as bytes" in chapter
    assert f"would need about {full['float32'] / 2**30:.1f} GiB with float32" in chapter


def test_the_appendix_shows_the_recorded_run() -> None:
    """book/performance/table.md is what `segcourse bench` writes for book/performance/bench.json."""
    from segcourse.bench import report

    folder = find_root() / "book" / "performance"
    results = bench.read_json(folder / "bench.json")
    assert results["plan"] == "full"  # the appendix records a full run, not a quick one
    assert (folder / "table.md").read_text(encoding="utf-8") == report.markdown(results)
    assert (folder / "bench.png").stat().st_size > 10_000
    page = (find_root() / "book" / "appendix_performance.md").read_text(encoding="utf-8")
    assert "performance/table.md" in page and "performance/bench.png" in page
    # every paragraph written from the recorded run, none left as a placeholder
    assert not re.search(r"\b[A-Z0-9]+(?:_[A-Z0-9]+)*_(?:PARAGRAPH|SENTENCE)\b", page)

"""The benchmark's figures as a terminal table, a MyST include for the Performance appendix, and a plot."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any


@dataclasses.dataclass(frozen=True)
class Target:
    """One headline figure: where it is in the results, how to show it, and the target it must meet.

    ``target`` is the target as shown, or a function of the section's results that writes it (a target
    measured in the same run, such as the arithmetic saving); ``met`` takes the figure and the section's
    results, or is None for a figure reported without a target.
    """

    section: str
    key: str
    label: str
    show: Callable[[Any], str]
    target: str | Callable[[dict[str, Any]], str]
    met: Callable[[Any, dict[str, Any]], bool] | None


def _times(value: float) -> str:
    return f"{value:.1f}x"


def _percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def _yes(value: Any) -> str:
    return "yes" if value else "no"


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s ({seconds / 60:.1f} min)"


def _megabytes(count: float) -> str:
    return f"{count / 1e6:.1f} MB"


def _gibibytes(count: float) -> str:
    return f"{count / 2**30:.1f} GiB"


#: Free Colab runtimes show 12.7 GB of RAM (GiB, 2**30 bytes): chapter 7's Pets recipe must fit in it.
COLAB_RAM_BYTES = 12.7 * 2**30


def _ranges(v: dict[str, list[int]]) -> str:
    pairs = (v["feature_maps"], v["indices"])
    return " / ".join(f"{_megabytes(low)}-{_megabytes(high)}" for low, high in pairs)


TARGETS: tuple[Target, ...] = (
    Target(
        "dense_vs_sliding",
        "speedup",
        "convolutionalised classifier vs sliding window: speed-up",
        _times,
        lambda r: f"≥ {r['work_ratio']:.1f}x (arithmetic saving)",
        lambda v, r: v >= r["work_ratio"],
    ),
    Target("dense_vs_sliding", "cpu_speedup", "the same, in processor time (all threads)", _times, "", None),
    Target(
        "dense_vs_sliding",
        "work_ratio",
        "arithmetic saving: multiply-adds per pixel, sliding / dense",
        _times,
        "",
        None,
    ),
    Target(
        "dense_vs_sliding",
        "max_abs_diff",
        "convolutionalised classifier vs sliding window: max absolute difference",
        lambda v: f"{v:.1e}",
        "≤ 1e-4",
        lambda v, r: v <= 1e-4,
    ),
    Target(
        "unpooling",
        "speedup",
        "pooling + unpooling vs scatter-based, forward + backward: speed-up",
        _times,
        "≥ 2x",
        lambda v, r: v >= 2,
    ),
    Target("unpooling", "cpu_speedup", "the same, in processor time (all threads)", _times, "", None),
    Target(
        "unpooling",
        "equal",
        "pooling + unpooling vs scatter-based: identical results",
        _yes,
        "yes",
        lambda v, r: bool(v),
    ),
    Target(
        "unpooling",
        "xla",
        "segcourse's compiles with XLA, the scatter-based does not",
        _yes,
        "yes",
        lambda v, r: bool(v),
    ),
    Target(
        "unpooling",
        "speedup_xla",
        "pooling + unpooling with XLA vs scatter-based: speed-up",
        lambda v: "n/a" if v is None else _times(v),
        "",
        None,
    ),
    Target(
        "training",
        "speedup_vs_article",
        "SegNet vs the article's listing (Keras defaults): training speed-up",
        _times,
        "≥ 2x",
        lambda v, r: v >= 2,
    ),
    Target("training", "cpu_speedup_vs_article", "the same, in processor time (all threads)", _times, "", None),
    Target(
        "training", "speedup_vs_article_xla", "SegNet vs the article's listing, both with XLA", _times, "", None
    ),
    Target(
        "training",
        "matmul_fraction",
        "SegNet's training step: fraction of the matmul FLOP/s",
        _percent,
        "≥ 30%",
        lambda v, r: v >= 0.3,
    ),
    Target(
        "book",
        "total_seconds",
        "the whole book: execution time",
        _minutes,
        "≤ 600 s",
        lambda v, r: v <= 600,
    ),
    Target(
        "memory",
        "computed",
        "SegNet decoder keeps (computed): feature maps / indices",
        lambda v: f"{_megabytes(v['feature_map_bytes'])} / {_megabytes(v['indices_bytes'])}",
        "",
        None,
    ),
    Target(
        "memory",
        "measured_peak_bytes",
        "SegNet inference, allocator peak (median): feature maps / indices",
        lambda v: f"{_megabytes(v['feature_maps'])} / {_megabytes(v['indices'])}",
        "",
        None,
    ),
    Target(
        "memory",
        "measured_peak_range_bytes",
        "the same, smallest-largest of the runs",
        _ranges,
        "",
        None,
    ),
    Target(
        "memory",
        "process_peak_bytes",
        "SegNet inference, process peak (VmHWM, median): feature maps / indices",
        lambda v: f"{_megabytes(v['feature_maps'])} / {_megabytes(v['indices'])}",
        "",
        None,
    ),
    Target(
        "pets_memory",
        "full_bytes",
        "chapter 7's Pets data path, host memory at the full splits: uint8 / float32",
        lambda v: f"{_gibibytes(v['uint8'])} / {_gibibytes(v['float32'])}",
        f"uint8 ≤ {COLAB_RAM_BYTES / 2**30:.1f} GiB",
        lambda v, r: v["uint8"] <= COLAB_RAM_BYTES,
    ),
)


def headline(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per headline figure present in ``results``: label, shown value, target, met (None: no target)."""
    rows = []
    for target in TARGETS:
        if target.section not in results:
            continue
        section = results[target.section]
        if target.key not in section:
            continue  # a figure that this (older) run did not record
        value = section[target.key]
        met = None if target.met is None else bool(target.met(value, section))
        if target.section == "book" and not results["book"]["all_measured"]:
            met = None  # a partial sum says nothing about the whole book
        rows.append(
            {
                "section": target.section,
                "figure": target.label,
                "value": target.show(value),
                "target": target.target if isinstance(target.target, str) else target.target(section),
                "met": met,
            }
        )
    return rows


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "NOT met", None: ""}[met]


def text_table(results: dict[str, Any]) -> str:
    """The headline figures as a plain-text table for the terminal, with the plan and the load."""
    rows = [(row["figure"], row["value"], row["target"], _verdict(row["met"])) for row in headline(results)]
    header = ("figure", "measured", "target", "")
    widths = [max(len(str(cells[i])) for cells in [header, *rows]) for i in range(4)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
        for cells in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    machine = results["machine"]
    lines.append("")
    lines.append(
        f"{results['plan']} run on {machine['cpu']}, {machine['cores']} cores, TensorFlow "
        f"{machine['tensorflow']}; load average {machine['load_average_start'][0]} at the start, "
        f"{machine.get('load_average_end', ['?'])[0]} at the end"
    )
    return "\n".join(lines)


def _markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines + [""]


def _training_rows(results: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name, result in results["training"]["sizes"].items():
        for contestant, rate in result["images_per_second"].items():
            flops = result["training_flops_per_image"][contestant.removesuffix("_xla")]
            rows.append(
                [
                    f"{name} {result['size'][0]}x{result['size'][1]}, batch {result['batch']}",
                    contestant,
                    f"{rate:.2f}",
                    f"{flops / 1e9:.1f}",
                    _percent(result["matmul_fraction"][contestant]),
                ]
            )
    return rows


def markdown(results: dict[str, Any], command: str = "make bench") -> str:
    """The figures as MyST Markdown, for ``{include}`` in the Performance appendix (generated: do not edit)."""
    machine = results["machine"]
    lines = [f"<!-- Generated by `{command}` (segcourse.bench.report.markdown): do not edit. -->", ""]
    lines += _markdown_table(
        ["Figure", "Measured", "Target", "Met"],
        [[row["figure"], row["value"], row["target"], _verdict(row["met"])] for row in headline(results)],
    )
    if "training" in results:
        lines += [
            "**Training throughput** (images per second; FLOPs of a training step per image, counted from",
            "the layer shapes; fraction of the matrix product's "
            f"{results['training']['matmul_flops_per_second'] / 1e9:.0f} GFLOP/s measured in the same run):",
            "",
        ]
        lines += _markdown_table(
            ["Size", "Model", "Images/s", "GFLOP/image", "Of matmul"], _training_rows(results)
        )
    if "book" in results:
        book = results["book"]
        rows = [
            [name, "not measured" if s is None else f"{s:.0f}", book["source"].get(name, "")]
            for name, s in book["chapters"].items()
        ]
        lines += ["**Book execution** (seconds per chapter notebook):", ""]
        lines += _markdown_table(
            ["Chapter", "Seconds", "How"], rows + [["whole book", f"{book['total_seconds']:.0f}", ""]]
        )
    if "memory" in results:
        memory = results["memory"]
        lines += [
            f"**What the decoder keeps** ({memory['model']}, {memory['size'][0]}x{memory['size'][1]}, "
            f"batch {memory['batch']}, computed):",
            "",
        ]
        rows = [
            [
                layer["layer"],
                "x".join(map(str, layer["feature_map_shape"])),
                _megabytes(layer["feature_map_bytes"]),
                _megabytes(layer["indices_bytes"]),
                _megabytes(layer["indices_bytes_2bit"]),
            ]
            for layer in memory["computed"]["layers"]
        ]
        rows.append(
            [
                "total",
                "",
                _megabytes(memory["computed"]["feature_map_bytes"]),
                _megabytes(memory["computed"]["indices_bytes"]),
                _megabytes(memory["computed"]["indices_bytes_2bit"]),
            ]
        )
        lines += _markdown_table(
            ["Pooling", "Map (h x w x c)", "Feature map", "Indices (int32)", "Indices (2 bits)"], rows
        )
    if "pets_memory" in results:
        pets = results["pets_memory"]
        lines += [
            "**Host memory of chapter 7's Pets recipe** (its data path at "
            f"{pets['size'][0]}x{pets['size'][1]}, "
            f"batch {pets['batch']}, {pets['networks']} networks; peak resident set size of a fresh process "
            "per run, and the least-squares line through the runs at the full splits, "
            f"{pets['full_splits']['train']:,} training and {pets['full_splits']['test']:,} test images):",
            "",
        ]
        rows = []
        for dtype, result in pets["by_dtype"].items():
            for run in result["runs"]:
                counts = " / ".join(str(run["images"][split]) for split in ("train", "val", "test"))
                rows.append([dtype, f"{run['scale']:g}", counts, _megabytes(run["array_bytes"]),
                             _gibibytes(run["peak_bytes"])])
            fit = result["fit"]
            residual = _megabytes(fit["largest_residual_bytes"])
            rows.append([dtype, "1 (line)", "full splits", "",
                         f"{_gibibytes(fit['full'])} (largest residual {residual})"])
            if "full_run" in result:
                run = result["full_run"]
                counts = " / ".join(str(run["images"][split]) for split in ("train", "val", "test"))
                rows.append([dtype, "1 (measured)", counts, _megabytes(run["array_bytes"]),
                             _gibibytes(run["peak_bytes"])])
        lines += _markdown_table(["Images", "Scale", "Train / val / test", "Arrays", "Peak RSS"], rows)
    by_section = machine.get("load_average_by_section", {})
    loads = "; ".join(f"{name} {values[0]}" for name, values in by_section.items())
    lines += [
        "**Machine**: " + f"{machine['cpu']}, {machine['cores']} cores, "
        f"{(machine['memory_bytes'] or 0) / 2**30:.0f} GiB; {machine['platform']}; Python {machine['python']}, "
        f"TensorFlow {machine['tensorflow']}, Keras {machine['keras']}, NumPy {machine['numpy']}; "
        f"oneDNN {machine['onednn']}; {machine['gpus']} GPU. Run ({results['plan']}) on {machine['date']}, "
        f"load average {machine['load_average_start'][0]} at the start and "
        f"{machine.get('load_average_end', ['?'])[0]} at the end"
        + (f" (1-minute load at the start of each section: {loads})." if loads else "."),
        "",
    ]
    if "earlier_run" in results:
        earlier = results["earlier_run"]["machine"]
        sections = ", ".join(results["earlier_run"]["sections"])
        lines += [
            f"**Earlier run**: {sections} come from the {results['plan']} run of {earlier['date']} on "
            f"{earlier['cpu']}, {earlier['cores']} cores, TensorFlow "
            f"{earlier['tensorflow']}, Keras {earlier['keras']}, load average "
            f"{earlier['load_average_start'][0]} at the start and "
            f"{earlier.get('load_average_end', ['?'])[0]} at the end; the other sections from the run above.",
            "",
        ]
    return "\n".join(lines)


def plot(results: dict[str, Any], path: str | Path) -> Path:
    """Draws the figures (speed-ups against targets, training throughput, book times, memory) to a PNG."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    # One column, sized for the width of a book page.
    figure, axes = plt.subplots(4, 1, figsize=(8, 14), gridspec_kw={"height_ratios": [1.1, 1, 1, 1]})
    _plot_speedups(axes[0], results)
    _plot_training(axes[1], results)
    _plot_book(axes[2], results)
    _plot_memory(axes[3], results)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def _plot_speedups(ax: Any, results: dict[str, Any]) -> None:
    bars = []  # (label, value, target or None)
    if "dense_vs_sliding" in results:
        dense = results["dense_vs_sliding"]
        bars.append(("dense twin vs sliding window", dense["speedup"], dense["work_ratio"]))
    if "unpooling" in results:
        bars.append(("unpooling vs scatter", results["unpooling"]["speedup"], 2))
        if results["unpooling"]["speedup_xla"] is not None:
            bars.append(("unpooling with XLA vs scatter", results["unpooling"]["speedup_xla"], None))
    if "training" in results:
        bars.append(("SegNet vs article, training", results["training"]["speedup_vs_article"], 2))
        bars.append(("SegNet vs article, both with XLA", results["training"]["speedup_vs_article_xla"], None))
    if not bars:
        ax.set_axis_off()
        return
    labels, values, targets = zip(*bars, strict=True)
    positions = list(range(len(bars)))
    colours = [
        "tab:gray" if t is None else "tab:green" if v >= t else "tab:red"
        for v, t in zip(values, targets, strict=True)
    ]
    ax.barh(positions, values, color=colours)
    marked = [(t, p) for t, p in zip(targets, positions, strict=True) if t is not None]
    ax.scatter(
        *zip(*marked, strict=True), marker="|", s=500, linewidths=2, color="black", label="target", zorder=3
    )
    for position, value in zip(positions, values, strict=True):
        ax.annotate(f"{value:.1f}x", (value, position), xytext=(4, 0), textcoords="offset points", va="center")
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(right=max(values) * 3)
    ax.set_xlabel("times faster (log scale); green: target met, red: not met, grey: no target")
    ax.set_title("Speed-ups measured side by side")
    ax.legend(loc="lower right")


def _plot_training(ax: Any, results: dict[str, Any]) -> None:
    if "training" not in results:
        ax.set_axis_off()
        return
    camvid = results["training"]["sizes"]["camvid"]
    names = list(camvid["images_per_second"])
    rates = [camvid["images_per_second"][name] for name in names]
    ax.bar(names, rates, color=["tab:blue" if n.startswith("segnet") else "tab:gray" for n in names])
    for index, name in enumerate(names):
        ax.annotate(
            f"{_percent(camvid['matmul_fraction'][name])} of matmul",
            (index, rates[index]),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
        )
    ax.set_ylabel("training images per second")
    ax.set_ylim(top=max(rates) * 1.15)  # room for the labels above the bars
    ax.set_title(f"Training at {camvid['size'][0]}x{camvid['size'][1]}, batch {camvid['batch']} (equal widths)")


def _plot_book(ax: Any, results: dict[str, Any]) -> None:
    if "book" not in results or not results["book"]["chapters"]:
        ax.set_axis_off()
        return
    book = results["book"]
    names = list(book["chapters"])
    seconds = [book["chapters"][name] or 0.0 for name in names]
    ax.barh(names, seconds, color="tab:purple")
    ax.invert_yaxis()
    ax.set_xlabel("seconds")
    ax.set_title(
        f"Book execution: {book['total_seconds']:.0f} s in all (target ≤ {book['budget_seconds']:.0f} s)"
    )


def _plot_memory(ax: Any, results: dict[str, Any]) -> None:
    if "memory" not in results:
        ax.set_axis_off()
        return
    memory = results["memory"]
    layers = memory["computed"]["layers"]
    names = [layer["layer"] for layer in layers]
    positions = range(len(layers))
    width = 0.4
    ax.bar(
        [p - width / 2 for p in positions],
        [layer["feature_map_bytes"] / 1e6 for layer in layers],
        width,
        label="feature map kept (float32)",
    )
    ax.bar(
        [p + width / 2 for p in positions],
        [layer["indices_bytes"] / 1e6 for layer in layers],
        width,
        label="indices kept (int32)",
    )
    ax.set_xticks(list(positions), names)
    ax.set_ylabel("MB")
    peaks = memory["measured_peak_bytes"]
    ax.set_title(
        f"What the decoder keeps (computed)\npeak of one inference (measured): "
        f"maps {_megabytes(peaks['feature_maps'])}, indices {_megabytes(peaks['indices'])}"
    )
    ax.legend()

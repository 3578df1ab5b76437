"""``segcourse bench``: the course's measured claims, measured side by side in one run on one machine.

Six sections, each a function of a ``Plan`` (``FULL`` or ``QUICK``) returning a JSON-ready mapping:

- ``dense_vs_sliding``: the convolutionalised classifier against the sliding window (chapters 1-2);
- ``unpooling``: ``segcourse``'s pooling with indices and unpooling against scatter-based ones (chapter 3);
- ``training``: SegNet against the original article's listing, with and without XLA (chapter 5);
- ``book``: the execution time of every chapter notebook and of the whole book;
- ``memory``: SegNet inference keeping indices against keeping feature maps (chapter 5);
- ``pets_memory``: the host memory of chapter 7's Oxford-IIIT Pet recipe, uint8 against float32 images.

Benchmarks are not timed tests: they report ratios of contestants that took turns on the same machine in
the same run (``timing.best_times``), so a busy machine slows both sides of a ratio alike.

>>> results = run(QUICK)                   # doctest: +SKIP
>>> results["dense_vs_sliding"]["speedup"]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from segcourse.bench.plan import FULL, QUICK, Plan

SECTIONS: tuple[str, ...] = ("dense_vs_sliding", "unpooling", "training", "book", "memory", "pets_memory")


def _section(name: str) -> Callable[[Plan, Callable[[str], None]], dict[str, Any]]:
    """The function that measures one section (imported on demand: each pulls in TensorFlow)."""
    if name == "dense_vs_sliding":
        from segcourse.bench.dense import dense_vs_sliding as measure
    elif name == "unpooling":
        from segcourse.bench.unpooling import unpooling as measure
    elif name == "training":
        from segcourse.bench.training import training as measure
    elif name == "book":
        from segcourse.bench.book_times import book_times as measure
    elif name == "memory":
        from segcourse.bench.memory import memory as measure
    elif name == "pets_memory":
        from segcourse.bench.pets_memory import pets_memory as measure
    else:
        raise ValueError(f"unknown section {name!r}; choose from {', '.join(SECTIONS)}")
    return measure


def run(
    plan: Plan = FULL, sections: Sequence[str] = SECTIONS, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Measures the given sections with ``plan`` and returns every figure, with the machine.

    Args:
        plan: ``FULL`` (the figures of the Performance appendix; tens of minutes on 2 cores) or ``QUICK``
            (small sizes, under two minutes: every figure is produced, the timings mean little).
        sections: which of ``SECTIONS`` to measure, in that order.
        log: where progress lines go.

    Returns:
        ``{"plan": ..., "machine": ..., section: {...}, ...}``, ready for ``json.dump``.
    """
    import segcourse
    from segcourse import runtime
    from segcourse.bench.timing import load_average, machine

    unknown = [name for name in sections if name not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    runtime.setup(seed=0, precision="float32", verbose=False)
    results: dict[str, Any] = {
        "plan": plan.name,
        "segcourse": segcourse.__version__,
        "machine": machine(),
    }
    results["machine"]["load_average_by_section"] = {}
    for name in SECTIONS:
        if name in sections:
            results["machine"]["load_average_by_section"][name] = load_average()
            start = time.perf_counter()
            results[name] = _section(name)(plan, log)
            log(f"{name}: measured in {time.perf_counter() - start:.0f} s")
    results["machine"]["load_average_end"] = load_average()
    return results


def merge(newer: dict[str, Any], older: dict[str, Any]) -> dict[str, Any]:
    """The figures of ``newer`` completed with the sections that only ``older`` measured.

    Used when a few sections are measured again (``segcourse bench --only ...``) and the others are kept
    from an earlier full run. The result keeps ``newer``'s plan and machine, and records the earlier run
    under ``"earlier_run"`` (its machine, date and load, and which sections come from it), so that the
    report says which figures were measured when.

    Args:
        newer: the results of the later, partial run.
        older: the results of an earlier run, whose other sections are kept.

    Returns:
        A new mapping, ready for ``write_json``.

    Raises:
        ValueError: the two runs used different plans (a quick run's figures cannot complete a full one's).

    Example:
        >>> merge({"plan": "full", "machine": {}, "memory": {}},
        ...       {"plan": "full", "machine": {"date": "d"}, "book": {}})["earlier_run"]["sections"]
        ['book']
    """
    if newer.get("plan") != older.get("plan"):
        raise ValueError(f"merge: newer is a {newer.get('plan')!r} run and older a {older.get('plan')!r} run; "
                         "expected two runs of the same plan")
    kept = [name for name in SECTIONS if name in older and name not in newer]
    merged = dict(newer)
    for name in kept:
        merged[name] = older[name]
    if kept:
        merged["earlier_run"] = {"sections": kept, "machine": older["machine"]}
    return merged


def write_json(results: dict[str, Any], path: str | Path) -> Path:
    """Writes ``results`` as indented JSON (creating the folder) and returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


def read_json(path: str | Path) -> dict[str, Any]:
    """The results that ``write_json`` wrote."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


__all__ = ["FULL", "QUICK", "SECTIONS", "Plan", "merge", "read_json", "run", "write_json"]

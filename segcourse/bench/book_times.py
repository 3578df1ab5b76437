"""How long the book takes to execute, chapter by chapter.

The full benchmark executes every chapter notebook (``segcourse.book.chapter_sources``, so new chapters
are picked up) on a copy of ``book/`` in a temporary folder, so the stored outputs are untouched. The quick
benchmark executes nothing: it reads the times recorded by the last ``make nbval`` run
(``_build/notebook_times.json``, written by ``tests/colab/colab_nbval.py``), or else the cell timestamps
that Jupyter stores in each notebook when it executes it (``make notebooks``), and marks a chapter with
neither as not measured.
"""

from __future__ import annotations

import datetime
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from segcourse.bench.plan import Plan

#: Written by the nbval plugin (tests/colab/colab_nbval.py): notebook stem -> seconds.
RECORDED_TIMES = Path("_build") / "notebook_times.json"
#: The book must execute in this many seconds on the 2-core machine (the course's target).
BOOK_BUDGET_SECONDS = 600.0


def stored_seconds(notebook_path: Path) -> float | None:
    """Seconds from the first cell's start to the last cell's reply, from the notebook's own metadata.

    Jupyter (nbclient) stores ``iopub.execute_input`` and ``shell.execute_reply`` timestamps in each code
    cell's ``execution`` metadata; None when the notebook has none (never executed by Jupyter, or stripped).
    """
    import nbformat

    notebook = nbformat.read(notebook_path, as_version=4)
    stamps = [cell.metadata.get("execution", {}) for cell in notebook.cells if cell.cell_type == "code"]
    try:
        start = datetime.datetime.fromisoformat(stamps[0]["iopub.execute_input"].replace("Z", "+00:00"))
        end = datetime.datetime.fromisoformat(stamps[-1]["shell.execute_reply"].replace("Z", "+00:00"))
    except (IndexError, KeyError, ValueError):
        return None
    return (end - start).total_seconds()


def recorded_seconds(root: Path) -> dict[str, float]:
    """The per-notebook times of the last nbval run, or an empty mapping when there are none."""
    path = root / RECORDED_TIMES
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in recorded.items() if isinstance(v, (int, float))}


def execute_copies(notebooks: list[Path], log: Callable[[str], None]) -> tuple[dict[str, float | None], dict]:
    """Executes copies of ``notebooks`` (their whole folder is copied, for files they read); times each."""
    from segcourse import book

    seconds: dict[str, float | None] = {}
    errors: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="segcourse-bench-") as folder:
        copy = Path(folder) / "book"
        shutil.copytree(notebooks[0].parent, copy)
        for notebook in notebooks:
            try:
                seconds.update(book.execute([copy / notebook.name]))
            except Exception as error:  # noqa: BLE001 - a failing chapter is reported, the others still run
                seconds[notebook.stem] = None
                errors[notebook.stem] = f"{type(error).__name__}: {str(error).strip().splitlines()[-1][:200]}"
                log(f"book: {notebook.name} failed: {errors[notebook.stem]}")
    return seconds, errors


def book_times(plan: Plan, log: Callable[[str], None] = print, root: Path | None = None) -> dict[str, Any]:
    """The execution time of every chapter notebook and of the whole book.

    Returns ``chapters`` (notebook stem -> seconds, None when not measured), ``total_seconds`` (their sum,
    over the measured chapters), ``source`` per chapter (``"executed"``, ``"nbval"`` or ``"stored"``),
    and whether every chapter was measured.
    """
    from segcourse.book import chapter_sources, find_root

    root = find_root() if root is None else root
    notebooks = [path.with_suffix(".ipynb") for path in chapter_sources(root)]
    notebooks = [path for path in notebooks if path.exists()]
    errors: dict[str, str] = {}
    if plan.execute_book:
        log(f"book: executing {len(notebooks)} chapter notebooks on copies")
        chapters, errors = execute_copies(notebooks, log) if notebooks else ({}, {})
        sources = {name: "executed" for name, value in chapters.items() if value is not None}
    else:
        recorded = recorded_seconds(root)
        chapters, sources = {}, {}
        for notebook in notebooks:
            if notebook.stem in recorded:
                chapters[notebook.stem], sources[notebook.stem] = recorded[notebook.stem], "nbval"
            else:
                chapters[notebook.stem] = stored_seconds(notebook)
                if chapters[notebook.stem] is not None:
                    sources[notebook.stem] = "stored"
    measured = [seconds for seconds in chapters.values() if seconds is not None]
    total = sum(measured)
    return {
        "total_seconds": total,
        "chapters": chapters,
        "source": sources,
        "all_measured": len(measured) == len(chapters),
        "errors": errors,
        "budget_seconds": BOOK_BUDGET_SECONDS,
    }

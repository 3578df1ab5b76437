"""Grading handed-in notebooks: execute each one, collect its check results, write one row per exercise.

``segcourse grade SUBMISSION... --out grades.csv [--timeout SECONDS]`` executes every submission from the
first cell to the last in a fresh kernel, in a temporary copy of its folder (so it can read the files beside
it and cannot change them), with every stored output cleared first (a stale "PASSED" counts for nothing).
A cell that raises does not stop the notebook (the checks after it still run); a cell that runs too long,
or a notebook that runs longer than ``--timeout`` seconds in total, is stopped there.

The expected exercises of a submission are the checks registered for its chapter (``segcourse.check``),
and the chapter is read from the notebook's metadata (the student edition records it), else from the
exercise labels in its text, else from its file name (``NN_...``). A check that did not run fails with the
reason; a check record of an exercise that the grader does not know is still reported.

Columns of the CSV, one row per submission and exercise:

- ``submission``: the path as given;
- ``exercise``: the exercise label (empty when no exercise could be told: unreadable, unknown chapter);
- ``passed``: ``true`` or ``false``;
- ``cases``: cases passed out of cases run, e.g. ``9/9`` (empty when the check did not run);
- ``message``: the check's verdict, or why it did not run;
- ``status``: what happened to the notebook as a whole (``STATUSES``);
- ``detail``: the notebook-level detail (which cell raised or timed out, why it could not be read).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import nbformat

from segcourse.check import REGISTRY, exercises_of_chapter, records_from_outputs

#: Notebook-level outcomes, the ``status`` column.
STATUSES = {
    "ok": "executed to the end, no cell raised",
    "raised": "executed to the end; at least one cell raised (its checks after it still ran)",
    "timeout": "stopped: a cell, or the whole notebook, ran longer than allowed",
    "kernel-died": "stopped: the kernel died (a crash, os._exit, running out of memory)",
    "invalid-json": "not run: the file is not valid JSON (a corrupt or truncated notebook)",
    "not-a-notebook": "not run: the file is not a Jupyter notebook",
    "missing": "not run: no such file",
    "failed": "not run: the notebook could not be executed (the detail says why)",
}

COLUMNS = ("submission", "exercise", "passed", "cases", "message", "status", "detail")

# Files not copied with a submission's folder: other notebooks (classmates' submissions), caches, and
# anything huge (an instructor grading from a downloads folder).
_NOT_COPIED = (".ipynb", ".ipynb_checkpoints", "__pycache__", ".git")
_LARGEST_COPIED_FILE = 200 * 2**20


@dataclasses.dataclass(frozen=True)
class Row:
    """One row of the grade sheet: a submission's result on one exercise (see the module docstring)."""

    submission: str
    exercise: str
    passed: bool
    cases: str
    message: str
    status: str
    detail: str

    def as_csv(self) -> dict[str, str]:
        return {**dataclasses.asdict(self), "passed": "true" if self.passed else "false"}


@dataclasses.dataclass
class Outcome:
    """What running one submission gave: its status, its chapter, its check records, and the notebook."""

    status: str
    detail: str = ""
    chapter: str | None = None
    records: list[dict] = dataclasses.field(default_factory=list)
    notebook: nbformat.NotebookNode | None = None


# --------------------------------------------------------------------------------------------------
# Reading a submission


def read_submission(path: Path) -> tuple[nbformat.NotebookNode | None, str, str]:
    """Reads a handed-in file: ``(notebook or None, status, detail)``; never raises for a bad file."""
    if not path.is_file():
        return None, "missing", f"{path} does not exist or is not a file"
    try:
        text = path.read_bytes().decode("utf-8")
        content = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        # A corrupt .ipynb is "invalid JSON"; any other file (a .py, a picture) is not a notebook at all.
        if path.suffix == ".ipynb":
            return None, "invalid-json", f"not valid JSON: {error}"
        return None, "not-a-notebook", f"a {path.suffix or 'extensionless'} file, not a notebook (.ipynb)"
    if not (isinstance(content, dict) and isinstance(content.get("cells"), list) and "nbformat" in content):
        return None, "not-a-notebook", "valid JSON, but not a Jupyter notebook (no cells, no nbformat)"
    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat's many ways to reject a malformed notebook
        return None, "not-a-notebook", f"not a readable notebook: {type(error).__name__}: {error}"
    return notebook, "ok", ""


def chapter_of(notebook: nbformat.NotebookNode | None, path: Path) -> str | None:
    """The chapter number (``"00"``) of a submission, or ``None`` when it cannot be told.

    Tried in turn: ``metadata.segcourse.chapter`` (written by the student edition), the exercise labels
    in the notebook's text (matched against the registered checks), the file name (``00_...``).
    """
    if notebook is not None:
        declared = str(notebook.metadata.get("segcourse", {}).get("chapter", ""))
        if re.match(r"\d\d", declared):
            return declared[:2]
        text = "\n".join(cell.source for cell in notebook.cells)
        chapters = [REGISTRY[label].chapter for label in re.findall(r"ex-[\w-]+", text) if label in REGISTRY]
        if chapters:
            return max(set(chapters), key=chapters.count)
    match = re.search(r"(?<!\d)(\d\d)_[A-Za-z]", path.name)  # also "alice-00_introduction (1).ipynb"
    return match.group(1) if match else None


# --------------------------------------------------------------------------------------------------
# Executing a submission


def _copy_folder(source: Path, target: Path) -> None:
    """Copies the files beside a submission (not other notebooks, not huge files) for it to read."""

    def ignore(folder: str, names: list[str]) -> list[str]:
        skipped = []
        for name in names:
            path = Path(folder) / name
            if name.endswith(_NOT_COPIED) or (path.is_file() and path.stat().st_size > _LARGEST_COPIED_FILE):
                skipped.append(name)
        return skipped

    try:
        shutil.copytree(source, target, ignore=ignore, symlinks=True, dirs_exist_ok=True)
    except (shutil.Error, OSError):
        pass  # unreadable files stay behind; the notebook runs with what could be copied


def _cell_errors(notebook: nbformat.NotebookNode) -> list[str]:
    """``"cell N: Name: value"`` for each code cell whose outputs hold an error (N counts from 1)."""
    errors = []
    for index, cell in enumerate(notebook.cells, start=1):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error":
                errors.append(f"cell {index}: {output.get('ename', 'Error')}: {output.get('evalue', '')}"[:200])
    return errors


def execute_submission(
    notebook: nbformat.NotebookNode, folder: Path, timeout: float, cell_timeout: float | None = None
) -> tuple[str, str]:
    """Executes ``notebook`` in place, in a temporary copy of ``folder``; returns ``(status, detail)``.

    Stored outputs are cleared first. A cell that raises does not stop the run. A cell stops the run when it
    outlasts ``cell_timeout`` or the rest of the ``timeout`` for the whole notebook (the kernel is then
    killed); the cells already run keep their outputs.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    cell_timeout = min(cell_timeout or timeout, timeout)
    deadline = time.monotonic() + timeout
    current = {"index": None}

    def time_left(cell: nbformat.NotebookNode) -> float:
        # nbclient asks before each cell: the total budget shrinks as the notebook runs, and a cell that
        # starts after the deadline times out at once (0 would mean "no limit" to nbclient).
        return max(0.01, min(cell_timeout, deadline - time.monotonic()))

    def on_cell_start(cell: nbformat.NotebookNode, cell_index: int) -> None:
        current["index"] = cell_index + 1

    # ignore_cleanup_errors: a submission may leave files behind that cannot be removed (read-only ones).
    with tempfile.TemporaryDirectory(prefix="segcourse-grade-", ignore_cleanup_errors=True) as scratch:
        workdir = Path(scratch) / "work"
        _copy_folder(folder, workdir)
        workdir.mkdir(exist_ok=True)
        client = NotebookClient(
            notebook,
            kernel_name="python3",  # the grader's own environment, whatever kernel the student used
            timeout=timeout,  # for the kernel's start-up messages; cells use time_left
            timeout_func=time_left,
            startup_timeout=min(60.0, timeout),
            allow_errors=True,
            interrupt_on_timeout=False,
            shutdown_kernel="immediate",  # a kernel stuck in a loop will not shut down politely
            record_timing=False,
            on_cell_start=on_cell_start,
            resources={"metadata": {"path": str(workdir)}},
        )
        try:
            # The kernel's own stderr (start-up warnings) is noise here; what the cells print is kept.
            client.execute(stderr=subprocess.DEVNULL)
        except CellTimeoutError:
            limit = "the notebook's total time" if time.monotonic() >= deadline - 1 else "the per-cell limit"
            limits = f"{timeout:g} s in total, {cell_timeout:g} s per cell"
            return "timeout", f"cell {current['index']} ran past {limit} ({limits})"
        except DeadKernelError as error:
            return "kernel-died", f"the kernel died in cell {current['index']}: {error}"[:300]
        except Exception as error:  # a kernel that cannot start, a broken kernelspec, ...
            return "failed", f"{type(error).__name__}: {error}"[:300]
    errors = _cell_errors(notebook)
    if errors:
        more = f"; and {len(errors) - 5} more" if len(errors) > 5 else ""
        return "raised", "; ".join(errors[:5]) + more
    return "ok", ""


def run_submission(path: Path, timeout: float, cell_timeout: float | None = None) -> Outcome:
    """Reads, identifies and executes one submission; never raises for anything in the submission."""
    notebook, status, detail = read_submission(path)
    if notebook is None:
        return Outcome(status, detail, chapter=chapter_of(None, path))
    chapter = chapter_of(notebook, path)
    status, detail = execute_submission(notebook, path.resolve().parent, timeout, cell_timeout)
    records = [record for cell in notebook.cells if cell.cell_type == "code"
               for record in records_from_outputs(cell.get("outputs", []))]
    return Outcome(status, detail, chapter, records, notebook)


# --------------------------------------------------------------------------------------------------
# Rows


def _why_not_run(outcome: Outcome, exercise: str) -> str:
    """The message of an exercise whose check left no record."""
    if outcome.notebook is None:
        return f"not graded: the notebook could not be read ({outcome.status})"
    if outcome.status in ("timeout", "kernel-died", "failed"):
        return f"check not run: the notebook stopped before it ({outcome.status})"
    registration = REGISTRY.get(exercise)
    if registration is not None:
        call = f"check.{registration.name}("
        for index, cell in enumerate(outcome.notebook.cells, start=1):
            if cell.cell_type == "code" and call in cell.source:
                errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
                if errors:
                    error = f"{errors[0].get('ename')}: {errors[0].get('evalue')}"
                    return f"check not run: its cell {index} raised {error}"
                return f"check not run: cell {index} calls {call}...) but does not show its result (last line?)"
    return "not attempted: the check cell is missing"


def rows_for(submission: str, outcome: Outcome) -> list[Row]:
    """The grade rows of one submission: the chapter's registered exercises, then any other check run."""
    latest = {record["exercise"]: record for record in outcome.records}  # a check run twice: the last counts
    exercises = exercises_of_chapter(outcome.chapter) if outcome.chapter else []
    exercises += [label for label in latest if label not in exercises]
    if not exercises:
        if outcome.notebook is None:
            reason = f"not graded: the file could not be read ({outcome.status})"
        else:
            reason = "no exercise with a check found" + ("" if outcome.chapter else " (unknown chapter)")
        return [Row(submission, "", False, "", reason, outcome.status, outcome.detail)]
    rows = []
    for exercise in exercises:
        record = latest.get(exercise)
        if record is None:
            rows.append(Row(submission, exercise, False, "", _why_not_run(outcome, exercise),
                            outcome.status, outcome.detail))
        else:
            rows.append(Row(submission, exercise, bool(record.get("ok")),
                            f"{record.get('passed', '?')}/{record.get('total', '?')}",
                            str(record.get("message", "")), outcome.status, outcome.detail))
    return rows


def grade(
    paths: Iterable[Path | str],
    timeout: float = 900,
    cell_timeout: float | None = None,
    executed_dir: Path | str | None = None,
    log=None,
) -> list[Row]:
    """Grades handed-in notebooks, one after the other.

    Args:
        paths: the submissions (``.ipynb`` files; anything else is reported as such).
        timeout: seconds allowed for each notebook as a whole (kernel start-up included).
        cell_timeout: seconds allowed for any one cell (default: ``timeout``).
        executed_dir: if given, the executed notebooks are written there, to read what went wrong.
        log: a callable that receives one progress line per submission (e.g. ``print``), or ``None``.

    Returns:
        The rows of the grade sheet (see the module docstring), submissions in the given order.
    """
    rows = []
    for number, given in enumerate(paths, start=1):
        path = Path(given)
        start = time.perf_counter()
        outcome = run_submission(path, timeout, cell_timeout)
        rows += rows_for(str(given), outcome)
        if executed_dir is not None and outcome.notebook is not None:
            Path(executed_dir).mkdir(parents=True, exist_ok=True)
            nbformat.write(outcome.notebook, Path(executed_dir) / f"{number:03d}_{path.name}")
        if log is not None:
            log(f"graded {given}: {outcome.status} ({time.perf_counter() - start:.1f} s)")
    return rows


def write_csv(rows: Sequence[Row], path: Path | str) -> None:
    """Writes the grade sheet as CSV (``COLUMNS``), creating its folder if needed."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(row.as_csv() for row in rows)


def summary(rows: Sequence[Row]) -> str:
    """A table with one line per submission: exercises passed out of graded, and the notebook's status."""
    submissions: dict[str, list[Row]] = {}
    for row in rows:
        submissions.setdefault(row.submission, []).append(row)
    width = max([len("submission"), *(len(name) for name in submissions)])
    lines = [f"{'submission':<{width}}  passed  status"]
    for name, group in submissions.items():
        graded = [row for row in group if row.exercise]
        score = f"{sum(row.passed for row in graded)}/{len(graded)}"
        status = group[0].status + (f": {group[0].detail}" if group[0].detail else "")
        lines.append(f"{name:<{width}}  {score:>6}  {status[:100]}")
    return "\n".join(lines)


__all__ = [
    "COLUMNS",
    "STATUSES",
    "Outcome",
    "Row",
    "chapter_of",
    "execute_submission",
    "grade",
    "read_submission",
    "rows_for",
    "run_submission",
    "summary",
    "write_csv",
]

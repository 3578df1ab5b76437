"""Grading handed-in notebooks: the grader runs every registered check of the chapter itself, in a sandbox.

``segcourse grade SUBMISSION... --out grades.csv`` grades each submission as follows.

1. It reads the notebook and its chapter (``metadata.segcourse.chapter``, written by the student edition, else
   the exercise labels in its text, else the file name ``NN_...``; ``--chapter`` overrides all three). The
   chapter's registered checks are the exercises to grade, whatever the notebook's check cells say.
2. It runs the student's cells in a fresh Jupyter kernel inside a sandbox (``segcourse.sandbox``): bubblewrap
   (no network, no file of the instructor's, limits on memory, processes, CPU time and files), or resource
   limits alone, loudly, where bubblewrap does not work. Stored outputs count for nothing. A cell that raises
   does not stop the notebook; one that runs too long stops it.
3. After the student's cells, it runs one cell of its own per exercise (``segcourse.grade.verdict``): the
   inputs of the check's visible cases and of hidden cases drawn from ``--hidden-seed``, and a per-run token.
   While that cell runs, the ``segcourse`` functions that the exercise asks the student to write raise
   instead of answering. The answers come back as data, and the grader compares them here, with the check's
   own comparison: records that the student's code displays, and anything it changed in ``segcourse.check``,
   play no part.
4. Which cells run (``--mode``): ``auto`` (the default) first runs only the cells the student's functions
   depend on (``segcourse.grade.notebook.fast_cells``: no training, where the analysis is sound), and runs
   the whole notebook when that is not sound or the fast run fails in a way missing state explains; ``full``
   runs the whole notebook (and, if it stops before the grader's cells, the fast path for the checks);
   ``fast`` never runs the whole notebook when the fast path is sound.

An exercise scores its points (``Registration.points``, or ``--points FILE``) when every visible and hidden case
passes, and nothing otherwise. ``segcourse.grade.report`` writes the grade sheet, an LMS's CSV, Gradescope's
``results.json``, GitHub Classroom's result, and one Markdown feedback file per submission.
"""

from __future__ import annotations

import dataclasses
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import nbformat

from segcourse.check import REGISTRY, Case, exercises_of_chapter
from segcourse.grade.kernel import STATUSES, Run, execute
from segcourse.grade.notebook import chapter_of, code_cells, fast_cells, function_name, read_submission
from segcourse.grade.report import (
    COLUMNS,
    Row,
    classroom_results,
    exercise_table,
    feedback_markdown,
    gradescope_results,
    load_points,
    rows,
    summary,
    write_csv,
    write_feedback,
    write_json,
    write_lms_csv,
)
from segcourse.grade.verdict import Task, Verdict, record_of, task_cell, verdict_of
from segcourse.sandbox import Sandbox, find_sandbox

MODES = ("auto", "full", "fast")
# Errors of a check that state missing from a fast run explains: the whole notebook then runs.
_MISSING_STATE = re.compile(
    r": raised (NameError|UnboundLocalError|AttributeError|ImportError|ModuleNotFoundError|FileNotFoundError|"
    r"KeyError)\b"
)


@dataclasses.dataclass(frozen=True)
class Settings:
    """How to grade.

    Args:
        timeout: seconds for a submission's cells in total (kernel start-up included), for each run of them.
        cell_timeout: seconds for any one of its cells (default: ``timeout``).
        case_timeout: seconds for one call of the student's function by the grader.
        hidden_seed: the seed the hidden cases are drawn from (the same cases for every submission).
        mode: ``"auto"``, ``"full"`` or ``"fast"`` (see the module docstring).
        chapter: grade every submission as this chapter (``"00"``), whatever it says.
        points: points per exercise label, overriding the registry's.
        threads: threads each kernel's TensorFlow and NumPy operations may use.
    """

    timeout: float = 900
    cell_timeout: float | None = None
    case_timeout: float = 60
    hidden_seed: int = 0
    mode: str = "auto"
    chapter: str | None = None
    points: Mapping[str, float] = dataclasses.field(default_factory=dict)
    threads: int = 1

    def __post_init__(self) -> None:
        for name in ("timeout", "case_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"`{name}` must be a positive number of seconds; got {getattr(self, name)!r}.")
        if self.cell_timeout is not None and not self.cell_timeout > 0:
            raise ValueError(f"`cell_timeout` must be a positive number of seconds; got {self.cell_timeout!r}.")
        if self.mode not in MODES:
            raise ValueError(f"`mode` must be one of {', '.join(MODES)}; got {self.mode!r}.")
        if self.chapter is not None and not re.fullmatch(r"\d\d", str(self.chapter)):
            raise ValueError(f"`chapter` must be two digits, e.g. '00'; got {self.chapter!r}.")
        if self.chapter is not None and not exercises_of_chapter(self.chapter):
            raise ValueError(f"`chapter` {self.chapter} has no exercise with a check.")
        unknown = sorted(set(self.points) - set(REGISTRY))
        if unknown:
            raise ValueError(f"`points` names exercises that have no check: {', '.join(unknown)}.")


@dataclasses.dataclass
class Submission:
    """The grade of one handed-in file.

    Args:
        path: the path as given.
        chapter: its chapter (``"00"``), or ``None`` when it cannot be told.
        status: what happened to the cells the grader ran (``STATUSES``).
        detail: which cell raised or ran too long, or why nothing ran.
        verdicts: one per exercise with a check in the chapter.
        run: which cells ran: ``"fast: 3 of 25 code cells"``, ``"full: 25 code cells"``, and why it changed.
        stopped: what the sandbox stopped, one line each.
        seconds: the wall time of its grading.
        notebook: the last executed notebook (the cells run, then the grader's cells), if any ran.
    """

    path: str
    chapter: str | None
    status: str
    detail: str = ""
    verdicts: list[Verdict] = dataclasses.field(default_factory=list)
    run: str = "not run"
    stopped: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    notebook: nbformat.NotebookNode | None = None

    @property
    def score(self) -> float:
        return sum(v.score for v in self.verdicts)

    @property
    def max_score(self) -> float:
        return sum(v.max_score for v in self.verdicts)


def draw_cases(labels: Iterable[str], seed: int) -> dict[str, tuple[tuple[Case, ...], tuple[Case, ...]]]:
    """``{label: (visible cases, hidden cases)}``: drawn once, the same for every submission."""
    return {
        label: (tuple(REGISTRY[label].cases()), tuple(REGISTRY[label].hidden_cases(seed))) for label in labels
    }


def _needs_whole_notebook(run: Run, verdicts: dict[str, Verdict], tasks: Sequence[Task]) -> str:
    """Why a fast run's grades cannot stand (empty when they can)."""
    if run.status != "ok":
        return f"the fast run {run.status}: {run.detail}"[:200]
    for task in tasks:
        found = verdicts.get(task.exercise)
        if found is None:
            return f"{task.exercise} was not graded"
        if found.message.startswith("not attempted"):
            return f"{task.exercise}: {found.message}"
        failures = (
            *(found.visible.failures if found.visible else ()),
            *(found.hidden.failures if found.hidden else ()),
        )
        if any(_MISSING_STATE.search(failure) for failure in failures):
            return f"{task.exercise} failed with an error that missing state may explain"
    return ""


def grade_submission(
    path: Path | str,
    settings: Settings,
    sandbox: Sandbox,
    cases: Mapping[str, tuple[tuple[Case, ...], tuple[Case, ...]]] | None = None,
) -> Submission:
    """Grades one handed-in file; never raises for anything in the file.

    Args:
        path: the submission.
        settings: how to grade.
        sandbox: where its kernels run.
        cases: the cases of each exercise (``draw_cases``); drawn here when not given.
    """
    started = time.monotonic()
    path = Path(path)
    notebook, status, detail = read_submission(path)
    chapter = settings.chapter or chapter_of(notebook, path)
    labels = exercises_of_chapter(chapter) if chapter else []
    points = {label: float(settings.points.get(label, REGISTRY[label].points)) for label in labels}
    if notebook is None:
        verdicts = [
            Verdict.ungraded(label, points[label], f"not graded: the file could not be read ({status})")
            for label in labels
        ]
        return Submission(str(path), chapter, status, detail, verdicts, seconds=time.monotonic() - started)
    if not labels:
        why = "no exercise with a check in this chapter" if chapter else "unknown chapter: use --chapter"
        return Submission(str(path), chapter, "ok", why, seconds=time.monotonic() - started)
    cases = cases if cases is not None else draw_cases(labels, settings.hidden_seed)
    tasks = [
        Task(
            REGISTRY[label],
            function_name(notebook, REGISTRY[label]),
            *cases[label],
            case_seconds=settings.case_timeout,
        )
        for label in labels
    ]
    all_cells = code_cells(notebook)
    plan = fast_cells(notebook, sorted({task.function for task in tasks}))
    fast = [("fast", list(plan.cells))] if plan.cells is not None else []
    full = [("full", all_cells)]
    strategies = {"auto": fast + full, "full": full + fast, "fast": fast or full}[settings.mode]

    verdicts: dict[str, Verdict] = {}
    provisional: dict[str, Verdict] = {}
    runs: list[tuple[str, Run, str]] = []  # (kind, run, how it went)
    for number, (kind, cells) in enumerate(strategies):
        pending = [task for task in tasks if task.exercise not in verdicts]
        if not pending:
            break
        run = execute(
            notebook,
            path.resolve().parent,
            cells,
            [(task_cell(t), t.seconds) for t in pending],
            sandbox,
            settings.timeout,
            settings.cell_timeout,
            settings.threads,
        )
        got = _verdicts_of(run, pending, points)
        described = f"{kind}: {len(cells)} of {len(all_cells)} code cells"
        if kind == "fast" and settings.mode == "auto" and number + 1 < len(strategies):
            why = _needs_whole_notebook(run, got, pending)
            if why:  # the whole notebook runs next; these grades stand only for what it cannot grade
                provisional.update(got)
                runs.append((kind, run, f"{described}, not kept: {why}"))
                continue
        verdicts.update(got)
        stopped = f" (stopped: {run.status})" if len(verdicts) < len(tasks) else ""
        runs.append((kind, run, described + stopped))
    # The status is the whole notebook's when it ran; else the fast run's.
    counted = next((run for kind, run, _ in runs if kind == "full"), runs[-1][1])
    submission = Submission(
        str(path), chapter, counted.status, counted.detail, run="; ".join(h for *_, h in runs)
    )
    if plan.cells is None and settings.mode != "full":
        submission.run += f" (no fast path: {plan.reason})"
    submission.stopped = [line for _, run, _ in runs for line in run.stopped]
    for task in tasks:
        if task.exercise not in verdicts:
            verdicts[task.exercise] = provisional.get(task.exercise) or Verdict.ungraded(
                task.exercise,
                points[task.exercise],
                f"not graded: the notebook stopped before the grader's checks ran ({counted.status})",
            )
    submission.verdicts = [verdicts[task.exercise] for task in tasks]
    submission.notebook = runs[-1][1].notebook
    submission.seconds = time.monotonic() - started
    return submission


def _verdicts_of(run: Run, tasks: Sequence[Task], points: Mapping[str, float]) -> dict[str, Verdict]:
    """The verdicts of the exercises whose grader cell ran (or ran out of time) in ``run``."""
    got = {}
    for index, task in enumerate(tasks):
        record = record_of(run.grader_outputs[index], task)
        if record is not None:
            got[task.exercise] = verdict_of(task, record, points[task.exercise])
        elif run.grader_timeout == index:
            got[task.exercise] = Verdict.ungraded(
                task.exercise,
                points[task.exercise],
                f"not graded: the check did not finish within {task.seconds:g} s",
            )
    return got


def grade(
    paths: Iterable[Path | str],
    settings: Settings | None = None,
    sandbox: Sandbox | None = None,
    jobs: int = 1,
    executed_dir: Path | str | None = None,
    log: Callable[[str], None] | None = None,
) -> list[Submission]:
    """Grades handed-in notebooks, ``jobs`` at a time (each in its own sandboxed kernel).

    Args:
        paths: the submissions (``.ipynb`` files; anything else is reported as such).
        settings: how to grade (default ``Settings()``).
        sandbox: where the kernels run (default: ``find_sandbox("auto")`` with default limits).
        jobs: how many submissions are graded at once.
        executed_dir: if given, the executed notebooks are written there, to read what went wrong.
        log: a callable that receives one progress line per graded submission (e.g. ``print``), or ``None``.

    Returns:
        One ``Submission`` per path, in the given order.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"`jobs` must be a positive integer; got {jobs!r}.")
    settings = settings or Settings(threads=max(1, (os.cpu_count() or 1) // jobs))
    sandbox = sandbox or find_sandbox("auto")
    paths = [Path(p) for p in paths]
    chapters = {settings.chapter or chapter_of(read_submission(p)[0], p) for p in paths}
    labels = [label for chapter in sorted(c for c in chapters if c) for label in exercises_of_chapter(chapter)]
    cases = draw_cases(labels, settings.hidden_seed)
    results: dict[int, Submission] = {}
    lock, started = threading.Lock(), time.monotonic()

    def one(number: int, path: Path) -> Submission:
        submission = grade_submission(path, settings, sandbox, cases)
        if executed_dir is not None and submission.notebook is not None:
            Path(executed_dir).mkdir(parents=True, exist_ok=True)
            nbformat.write(submission.notebook, Path(executed_dir) / f"{number:03d}_{path.name}")
        return submission

    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="segcourse-grade") as pool:
        futures = {pool.submit(one, number, path): number for number, path in enumerate(paths, start=1)}
        for future in as_completed(futures):
            submission = future.result()
            with lock:
                results[futures[future]] = submission
                if log is not None:
                    log(_progress(submission, len(results), len(paths), time.monotonic() - started))
    return [results[number] for number in range(1, len(paths) + 1)]


def _progress(submission: Submission, done: int, total: int, elapsed: float) -> str:
    left = elapsed / done * (total - done)
    return (
        f"[{done}/{total}] {submission.path}: {submission.score:g}/{submission.max_score:g} points, "
        f"{submission.status}, {submission.run} ({submission.seconds:.1f} s); {elapsed:.0f} s elapsed, "
        f"about {left:.0f} s left"
    )


__all__ = [
    "COLUMNS",
    "MODES",
    "STATUSES",
    "Row",
    "Settings",
    "Submission",
    "Verdict",
    "chapter_of",
    "classroom_results",
    "draw_cases",
    "exercise_table",
    "feedback_markdown",
    "grade",
    "grade_submission",
    "gradescope_results",
    "load_points",
    "read_submission",
    "rows",
    "summary",
    "write_csv",
    "write_feedback",
    "write_json",
    "write_lms_csv",
]

"""What the grader writes: the grade sheet, an LMS's CSV, Gradescope's and GitHub Classroom's results, feedback.

Columns of the grade sheet (``write_csv``), one row per submission and exercise:

- ``submission``: the path as given;
- ``exercise``: the exercise label (empty when no exercise could be told: unreadable file, unknown chapter);
- ``passed``: ``true`` when every visible and hidden case passed, else ``false``;
- ``score``, ``max_score``: the points earned (all or nothing) and the exercise's points;
- ``cases``, ``hidden``: visible and hidden cases passed out of those run, e.g. ``9/9`` (empty when the
  check did not run);
- ``message``: the verdict, with the first failing case, or why the check did not run;
- ``status``: what happened to the notebook's cells that ran (``segcourse.grade.STATUSES``);
- ``run``: which cells ran (the fast path, the whole notebook, and why);
- ``sandbox``: what the sandbox stopped (memory, processes, network, files, CPU time), ``; ``-separated;
- ``detail``: which cell raised or ran too long, or why the file could not be read.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from segcourse.check import REGISTRY

if TYPE_CHECKING:
    from segcourse.grade import Submission

COLUMNS = (
    "submission",
    "exercise",
    "passed",
    "score",
    "max_score",
    "cases",
    "hidden",
    "message",
    "status",
    "run",
    "sandbox",
    "detail",
)


@dataclasses.dataclass(frozen=True)
class Row:
    """One row of the grade sheet: a submission's result on one exercise (see the module docstring)."""

    submission: str
    exercise: str
    passed: bool
    score: float
    max_score: float
    cases: str
    hidden: str
    message: str
    status: str
    run: str
    sandbox: str
    detail: str

    def as_csv(self) -> dict[str, str]:
        return {
            **dataclasses.asdict(self),
            "passed": "true" if self.passed else "false",
            "score": f"{self.score:g}",
            "max_score": f"{self.max_score:g}",
        }


def _count(result) -> str:
    return f"{result.passed}/{result.total}" if result is not None else ""


def rows(submissions: Sequence[Submission]) -> list[Row]:
    """The grade sheet's rows: one per submission and exercise (one per submission without exercises)."""
    found = []
    for s in submissions:
        common = {"status": s.status, "run": s.run, "sandbox": "; ".join(s.stopped), "detail": s.detail}
        if not s.verdicts:
            reason = s.detail or "no exercise with a check"
            found.append(Row(s.path, "", False, 0.0, 0.0, "", "", reason, **common))
        for v in s.verdicts:
            found.append(
                Row(
                    s.path,
                    v.exercise,
                    v.passed,
                    v.score,
                    v.max_score,
                    _count(v.visible),
                    _count(v.hidden),
                    v.message,
                    **common,
                )
            )
    return found


def write_csv(submissions: Sequence[Submission], path: Path | str) -> Path:
    """Writes the grade sheet (``COLUMNS``), creating its folder if needed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(row.as_csv() for row in rows(submissions))
    return path


def student_names(paths: Sequence[str]) -> list[str]:
    """A short name per submission: the file name without ``.ipynb`` when those differ, else the path from
    the folder the submissions share (``alice/00_introduction``, ``bob/00_introduction``)."""
    stems = [Path(p).with_suffix("").name for p in paths]
    if len(set(stems)) == len(stems):
        return stems
    parts = [Path(p).resolve().with_suffix("").parts for p in paths]
    shared = 0
    while all(len(q) > shared + 1 and q[shared] == parts[0][shared] for q in parts):
        shared += 1
    return ["/".join(q[shared:]) for q in parts]


def write_lms_csv(submissions: Sequence[Submission], path: Path | str) -> Path:
    """Writes one row per student and one column per exercise (points earned), then the total and the maximum.

    The ``student`` column is the submission's file name without ``.ipynb`` (or its path below the folder the
    submissions share, when file names repeat): map it to your LMS's student identifier on import.
    """
    labels = list(dict.fromkeys(v.exercise for s in submissions for v in s.verdicts))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["student", *labels, "total", "max_total"])
        for name, s in zip(student_names([s.path for s in submissions]), submissions, strict=True):
            earned = {v.exercise: f"{v.score:g}" for v in s.verdicts}
            writer.writerow(
                [name, *(earned.get(label, "") for label in labels), f"{s.score:g}", f"{s.max_score:g}"]
            )
    return path


def _overview(s: Submission) -> str:
    text = f"{s.score:g}/{s.max_score:g} points. Notebook: {s.status}"
    text += f" ({s.detail})" if s.detail else ""
    text += f". Cells run: {s.run}."
    if s.stopped:
        text += " Stopped by the sandbox: " + "; ".join(s.stopped) + "."
    return text


def gradescope_results(s: Submission) -> dict:
    """Gradescope's autograder ``results.json`` for one submission: a test per exercise, with its points."""
    tests = [
        {
            "name": v.exercise,
            "score": v.score,
            "max_score": v.max_score,
            "status": "passed" if v.passed else "failed",
            "output": v.message,
        }
        for v in s.verdicts
    ]
    return {"score": s.score, "execution_time": round(s.seconds, 1), "output": _overview(s), "tests": tests}


def classroom_results(submissions: Sequence[Submission]) -> dict:
    """GitHub Classroom's runner result (what ``autograding-grading-reporter`` reads, base64-encoded)."""
    several = len(submissions) > 1
    tests = []
    for s in submissions:
        for v in s.verdicts:
            registration = REGISTRY.get(v.exercise)
            tests.append(
                {
                    "name": f"{Path(s.path).name}: {v.exercise}" if several else v.exercise,
                    "status": "pass" if v.passed else "fail",
                    "score": v.score,
                    "message": v.message,
                    "test_code": f"check.{registration.name}(...)" if registration else "",
                    "filename": s.path,
                    "line_no": 0,
                    "execution_time": f"{s.seconds:.1f}s",
                }
            )
    max_score = sum(s.max_score for s in submissions)
    passed = all(t["status"] == "pass" for t in tests) and bool(tests)
    return {"version": 1, "status": "pass" if passed else "fail", "max_score": max_score, "tests": tests}


def feedback_markdown(s: Submission) -> str:
    """The feedback to return to the student: each exercise's verdict and first failing case, in Markdown."""
    lines = [
        f"# Feedback on {Path(s.path).name}",
        "",
        f"**{s.score:g} of {s.max_score:g} points** (chapter {s.chapter or '?'}). An exercise scores its "
        "points "
        "when your function passes every case, the visible ones and hidden ones drawn at grading time.",
        "",
        "| exercise | points | verdict |",
        "| --- | --- | --- |",
    ]
    for v in s.verdicts:
        verdict = "passed" if v.passed else ("not graded" if v.visible is None else "not yet")
        lines.append(f"| `{v.exercise}` | {v.score:g} / {v.max_score:g} | {verdict} |")
    for v in s.verdicts:
        lines += ["", f"## `{v.exercise}`", "", _escape(v.message)]
        if v.first_failure and not v.passed:
            lines += ["", "First failing case:", "", "```text", v.first_failure, "```"]
        if v.borrowed:
            lines += [
                "",
                f"Your function called {', '.join(f'`{n}`' for n in v.borrowed)}, which this exercise "
                "asks you to write yourself: it is not available while the grader runs the checks.",
            ]
    lines += ["", "## Your notebook", "", _escape(_overview(s))]
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return re.sub(r"([\\`*_<>|])", r"\\\1", text)


def write_feedback(submissions: Sequence[Submission], folder: Path | str) -> list[Path]:
    """Writes ``feedback_markdown`` of each submission into ``folder``, as ``<student name>.md``."""
    folder = Path(folder)
    written = []
    for name, s in zip(student_names([s.path for s in submissions]), submissions, strict=True):
        path = folder / f"{name.replace('/', '__')}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(feedback_markdown(s), encoding="utf-8")
        written.append(path)
    return written


def write_json(content: dict, path: Path | str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    return path


def load_points(path: Path | str) -> dict[str, float]:
    """Reads the points per exercise from a TOML file of ``"label" = points`` lines.

    Example (``points.toml``)::

        "ex-intro-metrics-from-matrix" = 3
        "ex-sw-sliding-window" = 5

    Raises:
        ValueError: a file that is not TOML, an exercise without a check, points that are not a number >= 0.
    """
    try:
        content = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f'{path}: not a TOML file of `"label" = points` lines: {error}') from None
    points = {}
    for label, value in content.items():
        if label not in REGISTRY:
            raise ValueError(
                f"{path}: {label!r} is not an exercise with a check (see the Instructor guide's list)."
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"{path}: the points of {label} must be a number >= 0; got {value!r}.")
        points[label] = float(value)
    return points


def summary(submissions: Sequence[Submission]) -> str:
    """A table with one line per submission: points, exercises passed, and the notebook's status."""
    width = max([len("submission"), *(len(s.path) for s in submissions)])
    lines = [f"{'submission':<{width}}  {'points':>9}  passed  status"]
    for s in submissions:
        passed = f"{sum(v.passed for v in s.verdicts)}/{len(s.verdicts)}"
        status = s.status + (f": {s.detail}" if s.detail else "")
        lines.append(f"{s.path:<{width}}  {f'{s.score:g}/{s.max_score:g}':>9}  {passed:>6}  {status[:100]}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# The list of exercises, for the Instructor guide


def exercise_kinds(root: Path) -> list[tuple[str, str, str]]:
    """``(chapter, label, kind)`` of every exercise of the book, in order; kind: ``function``, ``by hand``
    (a label ending in ``-by-hand``) or ``experiment``."""
    from segcourse import book

    found = []
    for source in book.chapter_sources(root):
        for label in re.findall(r"^:label: (ex-[\w-]+)", source.read_text(encoding="utf-8"), re.M):
            kind = (
                "function" if label in REGISTRY else ("by hand" if label.endswith("-by-hand") else "experiment")
            )
            found.append((source.stem, label, kind))
    return found


def exercise_table(root: Path) -> str:
    """The Markdown table of the exercises, chapter by chapter, with their checks and points (generated)."""
    lines = [
        "| chapter | exercise | kind | check | points | unavailable while graded |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for chapter, label, kind in exercise_kinds(root):
        registration = REGISTRY.get(label)
        if registration is None:
            lines.append(f"| {chapter} | `{label}` | {kind} | | | |")
            continue
        blocked = ", ".join(f"`{name.removeprefix('segcourse.')}`" for name in registration.asks_for)
        lines.append(
            f"| {chapter} | `{label}` | {kind}: `{registration.function}` | "
            f"`check.{registration.name}` | {registration.points:g} | {blocked} |"
        )
    return "\n".join(lines) + "\n"


__all__ = [
    "COLUMNS",
    "Row",
    "classroom_results",
    "exercise_kinds",
    "exercise_table",
    "feedback_markdown",
    "gradescope_results",
    "load_points",
    "rows",
    "student_names",
    "summary",
    "write_csv",
    "write_feedback",
    "write_json",
    "write_lms_csv",
]

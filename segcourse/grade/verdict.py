"""The grader's side of a check: the cell it sends into a student's kernel, and the verdict on what came back.

For each exercise of a submission's chapter the grader draws the cases (the visible ones and the hidden ones
of ``--hidden-seed``), sends their *inputs* into the student's kernel in a cell of its own (``task_cell``:
``segcourse/grade/runner.py`` with the inputs and a per-run token), and reads back the answers from that
cell's output only. The expected values never enter the kernel; the comparison (``verdict_of``) runs here, with
the check's own comparison, on answers decoded as plain data.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import math
import pickle
import secrets
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from segcourse.check import Answer, Case, Registration, Result, judge
from segcourse.grade.runner import GRADER_MIME

_RUNNER_SOURCE = (Path(__file__).with_name("runner.py")).read_text(encoding="utf-8")


@dataclasses.dataclass(frozen=True)
class Task:
    """One exercise to grade in one submission: the cases, the student's function's name, the token."""

    registration: Registration
    function: str
    visible: tuple[Case, ...]
    hidden: tuple[Case, ...]
    token: str = dataclasses.field(default_factory=lambda: secrets.token_hex(16))
    case_seconds: float = 60.0

    @property
    def exercise(self) -> str:
        return self.registration.exercise

    @property
    def seconds(self) -> float:
        """Time for the whole cell: every case, plus importing what the blocked functions need."""
        return self.case_seconds * (len(self.visible) + len(self.hidden)) + 120


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj: Any) -> tuple | None:
        rebuild = getattr(obj, "__segcourse_rebuild__", None) if callable(obj) else None
        return ("rebuild", *rebuild) if rebuild else None


def encode_payload(task: Task) -> str:
    """The task as the runner reads it: compressed pickle (data, and case arguments to rebuild), base64."""
    cases = [(case.args, case.kwargs) for case in (*task.visible, *task.hidden)]
    content = {
        "token": task.token,
        "exercise": task.exercise,
        "function": task.function,
        "asks_for": list(task.registration.asks_for),
        "cases": cases,
        "seconds": task.case_seconds,
    }
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=4).dump(content)
    return base64.b64encode(zlib.compress(buffer.getvalue(), 6)).decode("ascii")


def task_cell(task: Task) -> str:
    """The source of the cell that runs ``task`` in the student's kernel."""
    return (
        f"# Added by segcourse grade: runs the cases of {task.exercise} (the grader compares the answers).\n"
        "def __segcourse_grade(source, payload):\n"
        "    namespace = {'__name__': 'segcourse_grader'}\n"
        "    exec(compile(source, '<segcourse grader>', 'exec'), namespace)\n"
        "    namespace['run'](payload, globals())\n"
        f"__segcourse_grade({_RUNNER_SOURCE!r}, {encode_payload(task)!r})\n"
        "del __segcourse_grade\n"
    )


def record_of(outputs: Sequence[dict], task: Task) -> dict | None:
    """The record the grader's cell displayed for ``task``: only one that carries the task's token."""
    for output in outputs:
        record = output.get("data", {}).get(GRADER_MIME)
        if (
            isinstance(record, dict)
            and record.get("token") == task.token
            and record.get("exercise") == task.exercise
        ):
            return record
    return None


# --------------------------------------------------------------------------------------------------
# Decoding answers: plain data only


class Unsupported:
    """An answer of a type the grader does not take (an object of the student's): never equal to anything."""

    def __init__(self, kind: str, text: str) -> None:
        self.kind, self.text = kind, text

    def __repr__(self) -> str:
        return f"<a {self.kind}: {self.text}>"


def decode(value: Any, depth: int = 0) -> Any:
    """The inverse of ``runner.encode``; anything malformed becomes an ``Unsupported``."""
    if depth > 25:
        return Unsupported("nested value", "too deep")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if not isinstance(value, dict):
        return Unsupported(type(value).__name__, "malformed answer")
    kind = value.get("$")
    try:
        if kind in ("tuple", "list"):
            items = [decode(item, depth + 1) for item in value["items"]]
            return tuple(items) if kind == "tuple" else items
        if kind == "dict":
            return {_hashable(decode(k, depth + 1)): decode(v, depth + 1) for k, v in value["items"]}
        if kind == "float":
            return (
                float(value["repr"]) if value["repr"] in ("nan", "inf", "-inf") else Unsupported("float", "?")
            )
        if kind == "ndarray":
            dtype = np.dtype(value["dtype"])
            if dtype.kind not in "biufcUS":
                return Unsupported(f"array of {dtype}", "not plain data")
            shape = tuple(int(n) for n in value["shape"])
            data = base64.b64decode(value["data"])
            if math.prod(shape) * dtype.itemsize != len(data):
                return Unsupported("array", "its data does not match its shape")
            return np.frombuffer(data, dtype=dtype).reshape(shape).copy()
        if kind == "unsupported":
            return Unsupported(str(value.get("type", "?"))[:80], str(value.get("repr", ""))[:200])
    except (KeyError, TypeError, ValueError):
        pass
    return Unsupported("value", "malformed answer")


def _hashable(key: Any) -> Any:
    try:
        hash(key)
        return key
    except TypeError:
        return repr(key)


def answer_of(encoded: Any) -> Answer:
    """One case's ``Answer`` from the runner's record."""
    if not isinstance(encoded, dict):
        return Answer(error="no answer (malformed record)")
    if encoded.get("not_implemented"):
        return Answer(
            error="not implemented yet (the function raises NotImplementedError)", not_implemented=True
        )
    if "blocked" in encoded:
        names = ", ".join(str(name) for name in encoded["blocked"])
        return Answer(error=f"calls {names}, which the exercise asks you to write: not available while grading")
    if "error" in encoded:
        return Answer(error=str(encoded["error"])[:2000])
    if "value" in encoded:
        return Answer(decode(encoded["value"]))
    return Answer(error="no answer (malformed record)")


# --------------------------------------------------------------------------------------------------
# Verdicts


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The grade of one exercise of one submission.

    Args:
        exercise: the exercise label.
        max_score: its points.
        score: the points earned: all of them when every visible and hidden case passed, else none.
        passed: every visible and hidden case passed.
        visible: the visible cases' ``Result`` (``None`` when the check did not run).
        hidden: the hidden cases' ``Result`` (``None`` when the check did not run).
        message: one line: the counts and the first failure, or why the check did not run.
        borrowed: the ``segcourse`` functions the answer called that the exercise asks the student to write.
    """

    exercise: str
    max_score: float
    score: float
    passed: bool
    visible: Result | None
    hidden: Result | None
    message: str
    borrowed: tuple[str, ...] = ()

    @classmethod
    def ungraded(cls, exercise: str, points: float, message: str) -> Verdict:
        """The verdict of an exercise whose check did not run (or found no function): no points, and why."""
        return cls(exercise, points, 0.0, False, None, None, message)

    @property
    def first_failure(self) -> str:
        failures = (
            *(self.visible.failures if self.visible else ()),
            *(self.hidden.failures if self.hidden else ()),
        )
        return failures[0] if failures else ""


def verdict_of(task: Task, record: dict | None, points: float, why_not_run: str = "") -> Verdict:
    """Judges the answers of ``record`` against the task's cases (or says why there are none)."""
    exercise = task.exercise
    if record is None:
        return Verdict.ungraded(exercise, points, why_not_run or "not graded: the check did not run")
    if "missing" in record:
        return Verdict.ungraded(exercise, points, f"not attempted: {record['missing']}")
    answers = [answer_of(encoded) for encoded in record.get("answers", [])]
    count = len(task.visible)
    if len(answers) != count + len(task.hidden):
        return Verdict.ungraded(exercise, points, "not graded: the grader's cell gave an incomplete record")
    compare = task.registration.compare
    visible = judge(exercise, task.function, task.visible, answers[:count], compare)
    hidden = judge(exercise, task.function, task.hidden, answers[count:], compare, hidden=True)
    borrowed = tuple(
        sorted(
            {
                name
                for encoded in record["answers"]
                if isinstance(encoded, dict)
                for name in encoded.get("blocked", ())
            }
        )
    )
    ok = visible.ok and (hidden.ok or not task.hidden)
    counts = f"{visible.passed} of {visible.total} cases"
    if task.hidden:
        counts += f" and {hidden.passed} of {hidden.total} hidden cases"
    if ok:
        message = (
            f"all {visible.total} cases" + (f" and {hidden.total} hidden cases" * bool(task.hidden)) + " passed"
        )
    else:
        failure = (*visible.failures, *hidden.failures)[:1]
        message = f"{counts} passed. " + " ".join(failure)
    return Verdict(exercise, points, points if ok else 0.0, ok, visible, hidden, message, borrowed)


__all__ = [
    "GRADER_MIME",
    "Task",
    "Unsupported",
    "Verdict",
    "answer_of",
    "decode",
    "encode_payload",
    "record_of",
    "task_cell",
    "verdict_of",
]

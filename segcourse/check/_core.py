"""The machinery of the exercise checks: run a student's function on cases, report, record.

A check calls the student's function on several cases (edge cases included), compares each answer with the
reference, prints a short verdict, and records a machine-readable result that ``segcourse grade`` collects
from the executed notebook. It never raises: a wrong type, a wrong shape or an exception inside the
student's function is a failed case with a message. It never shows the reference code, only, for a failed
case, the input, the expected and the actual value.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

#: MIME type of the record a check displays in a notebook; ``segcourse grade`` reads it back.
RESULT_MIMETYPE = "application/vnd.segcourse.check+json"


@dataclasses.dataclass(frozen=True)
class Case:
    """One call of the student's function: its arguments and the expected answer.

    Args:
        args: positional arguments.
        expected: the reference answer.
        kwargs: keyword arguments.
        note: what the case tests (shown on failure), e.g. ``"stride larger than the kernel"``.
    """

    args: tuple
    expected: Any
    kwargs: dict = dataclasses.field(default_factory=dict)
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Result:
    """The outcome of one check: which exercise, how many cases passed, the messages of the failures."""

    exercise: str
    passed: int
    total: int
    failures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.total > 0 and self.passed == self.total

    @property
    def message(self) -> str:
        if self.ok:
            return f"{self.exercise}: all {self.total} cases passed."
        return f"{self.exercise}: {self.passed} of {self.total} cases passed. " + " ".join(self.failures[:1])

    def to_json(self) -> dict:
        return {"exercise": self.exercise, "ok": self.ok, "passed": self.passed, "total": self.total,
                "message": self.message}

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/plain": self.report(), RESULT_MIMETYPE: self.to_json()}

    def report(self) -> str:
        """The verdict as printed: a summary line, then each failure."""
        mark = "PASSED" if self.ok else "NOT YET"
        lines = [f"[{mark}] {self.exercise}: {self.passed}/{self.total} cases passed"]
        lines += [f"  - {failure}" for failure in self.failures[:5]]
        if len(self.failures) > 5:
            lines.append(f"  ... and {len(self.failures) - 5} more failing cases")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.report()


def _short(value: Any, limit: int = 300) -> str:
    """A compact printable form of a value (arrays with their shape)."""
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=4, suppress=True, threshold=50):
            text = f"array(shape={value.shape}, dtype={value.dtype}) {value}"
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(case: Case) -> str:
    parts = [_short(a, 120) for a in case.args] + [f"{k}={_short(v, 120)}" for k, v in case.kwargs.items()]
    call = f"({', '.join(parts)})"
    return f"{call} [{case.note}]" if case.note else call


def close(actual: Any, expected: Any, atol: float = 1e-6) -> bool:
    """Default comparison: equal shapes and values within ``atol`` (numbers, arrays, tuples of them)."""
    if isinstance(expected, (tuple, list)) and not isinstance(expected, np.ndarray):
        return (isinstance(actual, (tuple, list)) and len(actual) == len(expected)
                and all(close(a, e, atol) for a, e in zip(actual, expected, strict=True)))
    try:
        actual_array = np.asarray(actual, dtype=float)
        expected_array = np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return bool(actual == expected)
    return actual_array.shape == expected_array.shape and bool(
        np.allclose(actual_array, expected_array, atol=atol, rtol=0, equal_nan=True)
    )


def run_cases(
    exercise: str,
    function: Callable[..., Any],
    cases: Sequence[Case],
    compare: Callable[[Any, Any], bool] = close,
) -> Result:
    """Calls ``function`` on every case and returns the ``Result`` (which displays itself in a notebook).

    Never raises for the student's mistakes: a function that is not callable, raises, or returns a wrong
    value fails its cases with a message naming the input, the expected and the actual value.
    """
    if not callable(function):
        failure = f"expected a function, got {type(function).__name__}: {_short(function, 80)}"
        return Result(exercise, 0, len(cases), (failure,))
    failures = []
    for case in cases:
        try:
            actual = function(*case.args, **case.kwargs)
        except NotImplementedError:
            failures.append(f"{_describe(case)}: not implemented yet (the function raises NotImplementedError)")
            continue
        except Exception as error:  # the student's bug: report it, don't stop the notebook
            failures.append(f"{_describe(case)}: raised {type(error).__name__}: {error}")
            continue
        try:
            same = compare(actual, case.expected)
        except Exception:  # a comparison that cannot even be made is a wrong answer
            same = False
        if not same:
            failures.append(f"{_describe(case)}: expected {_short(case.expected)}, got {_short(actual)}")
    return Result(exercise, len(cases) - len(failures), len(cases), tuple(failures))


def records_from_outputs(outputs: Sequence[dict]) -> list[dict]:
    """The check records among a notebook cell's outputs (as stored in an .ipynb)."""
    records = []
    for output in outputs:
        data = output.get("data", {})
        if RESULT_MIMETYPE in data:
            record = data[RESULT_MIMETYPE]
            records.append(json.loads(record) if isinstance(record, str) else record)
    return records

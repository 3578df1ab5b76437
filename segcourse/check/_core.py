"""The machinery of the exercise checks: run a student's function on cases, report, record, register.

A check calls the student's function on several cases (edge cases included), compares each answer with the
reference, prints a short verdict, and records a machine-readable result that ``segcourse grade`` collects
from the executed notebook. It never raises: a wrong type, a wrong shape or an exception inside the
student's function is a failed case with a message. It never shows the reference code, only, for a failed
case, the input, the expected and the actual value.

A check function is registered for one exercise label with ``@register("ex-...")``; the registry tells
``segcourse grade`` which exercises a chapter has (the chapter is read from the module name, ``chNN``).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

#: MIME type of the record a check displays in a notebook; ``segcourse grade`` reads it back.
RESULT_MIMETYPE = "application/vnd.segcourse.check+json"

# Failures printed in full by a verdict; more would bury the first one, usually the most telling.
_SHOWN_FAILURES = 3


@dataclasses.dataclass(frozen=True)
class Case:
    """One call of the student's function: its arguments and the expected answer.

    Args:
        args: positional arguments.
        expected: the reference answer.
        kwargs: keyword arguments.
        note: what the case tests (listed when it passes, shown when it fails),
            e.g. ``"stride larger than the kernel"``.
    """

    args: tuple
    expected: Any
    kwargs: dict = dataclasses.field(default_factory=dict)
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Result:
    """The outcome of one check: which exercise, how many cases passed, the messages of the failures.

    In a notebook it displays itself as a short text verdict, together with a record of MIME type
    ``RESULT_MIMETYPE`` that ``segcourse grade`` collects.

    Args:
        exercise: the exercise label, e.g. ``"ex-intro-metrics-from-matrix"``.
        passed: number of cases passed.
        total: number of cases.
        failures: one message per failed case (input, expected and actual value).
        passed_cases: the notes of the cases that passed, listed in the verdict.
    """

    exercise: str
    passed: int
    total: int
    failures: tuple[str, ...]
    passed_cases: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.total > 0 and self.passed == self.total

    @property
    def message(self) -> str:
        """The verdict in one line, the count and the first failure (what a grade sheet shows)."""
        if self.ok:
            return f"{self.exercise}: all {self.total} cases passed."
        return f"{self.exercise}: {self.passed} of {self.total} cases passed. " + " ".join(self.failures[:1])

    def to_json(self) -> dict:
        return {"exercise": self.exercise, "ok": self.ok, "passed": self.passed, "total": self.total,
                "message": self.message}

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/plain": self.report(), RESULT_MIMETYPE: self.to_json()}

    def report(self) -> str:
        """The verdict as printed: a summary line, the cases that passed, then each failure."""
        mark = "PASSED" if self.ok else "NOT YET"
        lines = [f"[{mark}] {self.exercise}: {self.passed}/{self.total} cases passed"]
        if self.passed_cases and not self.ok:
            lines.append("  passed: " + "; ".join(self.passed_cases))
        lines += [f"  - {failure}" for failure in self.failures[:_SHOWN_FAILURES]]
        if len(self.failures) > _SHOWN_FAILURES:
            lines.append(f"  ... and {len(self.failures) - _SHOWN_FAILURES} more failing cases")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.report()


# --------------------------------------------------------------------------------------------------
# Registry: which check belongs to which exercise and chapter


@dataclasses.dataclass(frozen=True)
class Registration:
    """A registered check.

    Args:
        exercise: the exercise label the check tests (the ``:label:`` of the ``{exercise}`` directive).
        name: the check function's name, as a chapter calls it: ``check.<name>(student_function)``.
        chapter: the chapter number, ``"00"`` for a check defined in ``segcourse/check/ch00.py``;
            ``None`` for a check defined elsewhere.
    """

    exercise: str
    name: str
    chapter: str | None


#: Every registered check, by exercise label, in the order the chapter modules define them.
REGISTRY: dict[str, Registration] = {}


def _chapter_of_module(module_name: str) -> str | None:
    """``"00"`` for ``segcourse.check.ch00``; ``None`` for a module that is not a chapter's."""
    match = re.fullmatch(r"(?:.*\.)?ch(\d\d)", module_name)
    return match.group(1) if match else None


def register(exercise: str) -> Callable[[Callable[..., Result]], Callable[..., Result]]:
    """Decorator: registers a check function as the check of ``exercise``.

    The decorated function is also made safe to call any way at all: if the check itself fails (called
    without the student's function, say), it returns a failed ``Result`` saying so instead of raising.

    Args:
        exercise: the exercise label, as in the chapter's ``{exercise}`` directive.

    Example:

    >>> @register("ex-demo-square")
    ... def square(function):
    ...     return run_cases("ex-demo-square", function, [Case((3,), 9)])
    >>> square(lambda x: x * x).ok
    True
    """

    def decorate(check_function: Callable[..., Result]) -> Callable[..., Result]:
        registration = Registration(
            exercise, check_function.__name__, _chapter_of_module(check_function.__module__)
        )
        previous = REGISTRY.get(exercise)
        if previous is not None and previous != registration:
            raise ValueError(f"Two checks are registered for {exercise!r}: {previous} and {registration}.")

        @functools.wraps(check_function)
        def safe_check(*args: Any, **kwargs: Any) -> Result:
            try:
                return check_function(*args, **kwargs)
            except Exception as error:  # e.g. check.x() without an argument: report it, don't stop the notebook
                return Result(exercise, 0, 0, (f"the check could not run: {type(error).__name__}: {error}",))

        safe_check.exercise = exercise
        REGISTRY[exercise] = registration
        return safe_check

    return decorate


def exercises_of_chapter(chapter: str) -> list[str]:
    """The labels of the exercises that have a registered check in ``chapter`` (e.g. ``"00"``)."""
    return [label for label, registration in REGISTRY.items() if registration.chapter == chapter]


# --------------------------------------------------------------------------------------------------
# Reporting values


def _short(value: Any, limit: int = 300) -> str:
    """A compact printable form of a value: arrays with their shape, NumPy scalars as plain numbers."""
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=4, suppress=True, threshold=50):
            text = f"array(shape={value.shape}, dtype={value.dtype}) {value}"
    elif isinstance(value, (tuple, list)):
        inner = ", ".join(_short(item, limit) for item in value)
        text = f"({inner}{',' if len(value) == 1 else ''})" if isinstance(value, tuple) else f"[{inner}]"
    elif isinstance(value, (float, np.floating)):
        text = f"{float(value):.6g}"  # np.float64(0.8) would print as 'np.float64(0.8)' under NumPy 2
    elif isinstance(value, np.generic):
        text = repr(value.item())
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(case: Case, name: str) -> str:
    """The call of a case as the student would write it, with the case's note."""
    parts = [_short(a, 120) for a in case.args] + [f"{k}={_short(v, 120)}" for k, v in case.kwargs.items()]
    call = f"{name}({', '.join(parts)})"
    return f"{call} [{case.note}]" if case.note else call


def _hint(actual: Any, expected: Any) -> str:
    """A hint for the mistakes that the values alone explain badly (a missing return, a wrong count)."""
    if actual is None and expected is not None:
        return " (did you forget to `return` the result?)"
    if isinstance(expected, (tuple, list)):
        if isinstance(actual, (str, bytes, dict)):
            return f" (expected a tuple of {len(expected)} values, got a {type(actual).__name__})"
        try:
            count = len(actual)
        except TypeError:
            return f" (expected a tuple of {len(expected)} values, got a {type(actual).__name__})"
        if count != len(expected):
            return f" (expected {len(expected)} values, got {count})"
    return ""


def close(actual: Any, expected: Any, atol: float = 1e-6) -> bool:
    """Default comparison: equal shapes and values within ``atol`` (numbers, arrays, tuples of them).

    An expected tuple or list also accepts a 1-D array of the same length (``np.array([a, b, c])`` is as
    good an answer as ``(a, b, c)``). Never raises: values that cannot be compared are not close.
    """
    try:
        if isinstance(expected, (tuple, list)):
            if isinstance(actual, np.ndarray) and actual.ndim == 1:
                actual = list(actual)
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
    except Exception:  # a comparison that cannot even be made is a wrong answer
        return False


def run_cases(
    exercise: str,
    function: Callable[..., Any],
    cases: Sequence[Case],
    compare: Callable[[Any, Any], bool] = close,
) -> Result:
    """Calls ``function`` on every case and returns the ``Result`` (which displays itself in a notebook).

    Never raises for the student's mistakes: a function that is not callable, raises, or returns a wrong
    value fails its cases with a message naming the input, the expected and the actual value. Each call
    gets its own copy of the arguments, so a function that modifies its input cannot spoil later cases.

    Args:
        exercise: the exercise label.
        function: the student's function.
        cases: the cases to run.
        compare: ``compare(actual, expected) -> bool``; default ``close``.
    """
    if not callable(function):
        failure = f"expected a function, got {type(function).__name__}: {_short(function, 80)}"
        return Result(exercise, 0, len(cases), (failure,))
    name = getattr(function, "__name__", "function")
    failures, passed, not_implemented = [], [], 0
    for number, case in enumerate(cases, start=1):
        call = _describe(case, name)
        try:
            actual = function(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
        except NotImplementedError:
            not_implemented += 1
            failures.append(f"{call}: not implemented yet (the function raises NotImplementedError)")
            continue
        except Exception as error:  # the student's bug: report it, don't stop the notebook
            failures.append(f"{call}: raised {type(error).__name__}: {error}")
            continue
        try:
            same = bool(compare(actual, case.expected))
        except Exception:  # a comparison that cannot even be made is a wrong answer
            same = False
        if same:
            passed.append(case.note or f"case {number}")
        else:
            failures.append(
                f"{call}: expected {_short(case.expected)}, got {_short(actual)}{_hint(actual, case.expected)}"
            )
    if cases and not_implemented == len(cases):  # the untouched stub: one line says it all
        failures = [f"{name} is not implemented yet: replace `raise NotImplementedError(...)` with your code."]
    return Result(exercise, len(passed), len(cases), tuple(failures), tuple(passed))


def records_from_outputs(outputs: Sequence[dict]) -> list[dict]:
    """The check records among a notebook cell's outputs (as stored in an .ipynb)."""
    records = []
    for output in outputs:
        data = output.get("data", {})
        if RESULT_MIMETYPE in data:
            record = data[RESULT_MIMETYPE]
            try:
                record = json.loads(record) if isinstance(record, str) else record
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and isinstance(record.get("exercise"), str):
                records.append(record)
    return records

"""The machinery of the exercise checks: run a student's function on cases, report, record, register.

A check calls the student's function on several cases (edge cases included), compares each answer with the
reference, and prints a short verdict with a machine-readable record beside it (for tools: ``segcourse
grade`` ignores what a notebook displays and runs the checks itself). It never raises: a wrong type, a wrong
shape or an exception inside the student's function is a failed case with a message. It never shows the
reference code, only, for a failed case, the input, the expected and the actual value.

A check is registered for one exercise label with ``@register("ex-...", cases=..., hidden=...)``: the
registration holds everything ``segcourse grade`` needs to run the check itself, without the student's check
cell: the cases (and how to draw hidden ones), the comparison, the name of the student's function, the
``segcourse`` functions that the exercise asks the student to write (unavailable while the grader runs the
check) and the points. The chapter is read from the module name, ``chNN``.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import re
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

#: MIME type of the record a check displays in a notebook. ``segcourse grade`` ignores such records (a student
#: can display one); it runs the registered checks itself.
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
    ``RESULT_MIMETYPE`` (for tools: the grader runs the checks itself and ignores displayed records).

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
    """A registered check: what the notebook calls, and what the grader needs to run the check itself.

    Args:
        exercise: the exercise label the check tests (the ``:label:`` of the ``{exercise}`` directive).
        name: the check function's name, as a chapter calls it: ``check.<name>(student_function)``.
        chapter: the chapter number, ``"00"`` for a check defined in ``segcourse/check/ch00.py``;
            ``None`` for a check defined elsewhere.
        function: the name of the function the exercise asks the student to write (the grader looks it up
            in the student's notebook when the check cell does not name it).
        asks_for: the dotted names of the ``segcourse`` functions (or classes) that compute what the
            exercise asks for, e.g. ``"segcourse.metrics.scores_from_confusion"``: while the grader runs the
            check, calling them fails, so that an answer that borrows them does not score.
        points: the exercise's default points (an instructor may override them when grading).
        cases: ``cases() -> [Case, ...]``, the cases a student sees.
        hidden: ``hidden(rng) -> [Case, ...]``, cases drawn at random from a NumPy generator, that only the
            grader runs.
        compare: ``compare(actual, expected) -> bool``.
    """

    exercise: str
    name: str
    chapter: str | None
    function: str = ""
    asks_for: tuple[str, ...] = ()
    points: float = 1.0
    cases: Callable[[], Sequence[Case]] = dataclasses.field(default=tuple, compare=False, repr=False)
    hidden: Callable[[np.random.Generator], Sequence[Case]] = dataclasses.field(
        default=lambda rng: (), compare=False, repr=False
    )
    compare: Callable[[Any, Any], bool] = dataclasses.field(default=None, compare=False, repr=False)

    def hidden_cases(self, seed: int) -> list[Case]:
        """The hidden cases drawn from ``seed``: the same for every submission graded with that seed.

        Each exercise draws from its own stream (the seed and the label), so the hidden cases of an exercise do
        not depend on which other exercises are graded.
        """
        rng = np.random.default_rng([int(seed), zlib.crc32(self.exercise.encode())])
        return list(self.hidden(rng))


#: Every registered check, by exercise label, in the order the chapter modules define them.
REGISTRY: dict[str, Registration] = {}


def _chapter_of_module(module_name: str) -> str | None:
    """``"00"`` for ``segcourse.check.ch00``; ``None`` for a module that is not a chapter's."""
    match = re.fullmatch(r"(?:.*\.)?ch(\d\d)", module_name)
    return match.group(1) if match else None


def register(
    exercise: str,
    *,
    cases: Callable[[], Sequence[Case]],
    hidden: Callable[[np.random.Generator], Sequence[Case]],
    compare: Callable[[Any, Any], bool] | None = None,
    asks_for: Sequence[str] = (),
    points: float = 1,
    function: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Result]]:
    """Decorator: registers a check of ``exercise``; the decorated function's docstring is its documentation.

    The check runs ``cases()`` on the student's function and compares each answer with ``compare``; the
    decorated function's body is not run (it holds the docstring students read). The check is safe to call
    any way at all: called without the student's function, say, it returns a failed ``Result`` saying so.

    Args:
        exercise: the exercise label, as in the chapter's ``{exercise}`` directive.
        cases: ``cases() -> [Case, ...]``, the cases the student sees (and the grader runs too).
        hidden: ``hidden(rng) -> [Case, ...]``, cases drawn from a ``numpy.random.Generator`` that only the
            grader runs (``segcourse grade --hidden-seed``), so that an answer hard-coding the visible cases
            fails.
        compare: ``compare(actual, expected) -> bool``; default ``close``.
        asks_for: dotted names of the ``segcourse`` functions that compute the answer (see ``Registration``).
        points: the exercise's default points.
        function: the name of the student's function; default: the check's own name.

    Example:

    >>> @register("ex-demo-square", cases=lambda: [Case((3,), 9)],
    ...           hidden=lambda rng: [Case((int(n),), int(n) ** 2) for n in rng.integers(-9, 9, 3)])
    ... def square(function):
    ...     "Checks square(x) -> x * x (the body is not run)."
    >>> square(lambda x: x * x).ok
    True
    >>> del REGISTRY["ex-demo-square"]
    """
    if not callable(cases) or not callable(hidden):
        raise TypeError(f"register({exercise!r}): `cases` and `hidden` must be functions that return cases.")
    compare = compare or close

    def decorate(check_function: Callable[..., Any]) -> Callable[..., Result]:
        name = check_function.__name__
        registration = Registration(
            exercise, name, _chapter_of_module(check_function.__module__), function or name,
            tuple(asks_for), float(points), cases, hidden, compare,
        )
        previous = REGISTRY.get(exercise)
        if previous is not None and previous != registration:
            raise ValueError(f"Two checks are registered for {exercise!r}: {previous} and {registration}.")

        def run(function: Callable[..., Any]) -> Result:
            return run_cases(exercise, function, list(cases()), compare)

        @functools.wraps(check_function)
        def safe_check(*args: Any, **kwargs: Any) -> Result:
            try:
                return run(*args, **kwargs)
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


@dataclasses.dataclass(frozen=True)
class Answer:
    """What one call of the student's function gave: a value, or why there is none.

    Args:
        value: the returned value.
        error: why there is no value, as a verdict shows it (``"raised ValueError: ..."``); empty when the
            function returned.
        not_implemented: the function raised ``NotImplementedError`` (the untouched stub).
    """

    value: Any = None
    error: str = ""
    not_implemented: bool = False


def call_case(function: Callable[..., Any], case: Case) -> Answer:
    """Calls ``function`` on a copy of the case's arguments (so that it cannot spoil them for later cases)."""
    try:
        return Answer(function(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs)))
    except NotImplementedError:
        return Answer(error="not implemented yet (the function raises NotImplementedError)",
                      not_implemented=True)
    except Exception as error:  # the student's bug: report it, don't stop the notebook
        return Answer(error=f"raised {type(error).__name__}: {error}")


def judge(
    exercise: str,
    name: str,
    cases: Sequence[Case],
    answers: Sequence[Answer],
    compare: Callable[[Any, Any], bool] = close,
    hidden: bool = False,
) -> Result:
    """Compares the answers to the cases with ``compare``: the ``Result`` of a check.

    Args:
        exercise: the exercise label.
        name: the student's function's name, used to write each failing call.
        cases: the cases.
        answers: one ``Answer`` per case.
        compare: ``compare(actual, expected) -> bool``; a comparison that raises is a wrong answer.
        hidden: the cases are hidden ones: a failure names the case by its number and note, not its input.
    """
    failures, passed, not_implemented = [], [], 0
    for number, (case, answer) in enumerate(zip(cases, answers, strict=True), start=1):
        if hidden:
            call = f"hidden case {number}" + (f" [{case.note}]" if case.note else "")
        else:
            call = _describe(case, name)
        if answer.error:
            not_implemented += answer.not_implemented
            failures.append(f"{call}: {answer.error}")
            continue
        try:
            same = bool(compare(answer.value, case.expected))
        except Exception:  # a comparison that cannot even be made is a wrong answer
            same = False
        if same:
            passed.append(case.note or f"case {number}")
        else:
            failures.append(f"{call}: expected {_short(case.expected)}, got {_short(answer.value)}"
                            f"{_hint(answer.value, case.expected)}")
    if cases and not_implemented == len(cases):  # the untouched stub: one line says it all
        failures = [f"{name} is not implemented yet: replace `raise NotImplementedError(...)` with your code."]
    return Result(exercise, len(passed), len(cases), tuple(failures), tuple(passed))


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
    return judge(exercise, name, cases, [call_case(function, case) for case in cases], compare)


def run_hidden_cases(exercise: str, function: Callable[..., Any], seed: int = 0) -> Result:
    """Runs the hidden cases of ``exercise`` (drawn from ``seed``) on ``function`` here, as the grader does.

    For authors of a check: a right answer must pass them, and an answer that hard-codes the visible cases must
    not. (The grader runs the same cases inside the student's kernel.)

    Example:

    >>> from segcourse import check, metrics
    >>> def right(C):
    ...     scores = metrics.scores_from_confusion(C)
    ...     return scores["pixel_accuracy"], scores["class_accuracy"], scores["mean_iou"]
    >>> check.run_hidden_cases("ex-intro-metrics-from-matrix", right, seed=1).ok
    True
    """
    registration = REGISTRY[exercise]
    cases = registration.hidden_cases(seed)
    name = getattr(function, "__name__", "function")
    answers = [call_case(function, case) for case in cases]
    return judge(exercise, name, cases, answers, registration.compare, hidden=True)


def rebuildable(factory: Callable[..., Any], *args: Any) -> Any:
    """``factory(*args)``, marked so that the grader can rebuild it inside a student's kernel.

    A case argument that cannot be sent to a kernel as data (a function around a Keras model, say) is
    made by a module-level ``factory`` of a ``segcourse`` module from plain arguments; the grader sends the
    factory's name and arguments instead, and the kernel calls it again.

    Example:

    >>> from segcourse.check import ch01
    >>> classify = rebuildable(ch01._classify_function, 11)  # doctest: +SKIP
    >>> classify.__segcourse_rebuild__  # doctest: +SKIP
    ('segcourse.check.ch01', '_classify_function', (11,))
    """
    made = factory(*args)
    made.__segcourse_rebuild__ = (factory.__module__, factory.__qualname__, args)
    return made


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

"""The exercise checks (segcourse.check): right, wrong and crashing student functions, records, registry."""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest

from segcourse import book, check, metrics
from segcourse.check import _core

ROOT = Path(__file__).resolve().parents[1]


def right(C):
    """A correct answer, written independently of the chapter's solution."""
    C = np.asarray(C, dtype=float)
    rows, columns = C.sum(axis=1), C.sum(axis=0)
    recall = [C[k, k] / rows[k] for k in range(len(C)) if rows[k] > 0]
    ious = [C[k, k] / (rows[k] + columns[k] - C[k, k]) for k in range(len(C)) if rows[k] + columns[k] > 0]
    return np.trace(C) / C.sum(), float(np.mean(recall)), float(np.mean(ious))


def forgets_empty_classes(C):
    """The classic mistake: averages over every class, so an empty class gives nan."""
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.diag(C) / (C.sum(axis=0) + C.sum(axis=1) - np.diag(C))
        return np.trace(C) / C.sum(), np.mean(np.diag(C) / C.sum(axis=1)), np.mean(iou)


# --------------------------------------------------------------------------------------------------
# Right, wrong, crashing


def test_right_function_passes_every_case():
    result = check.metrics_from_confusion(right)
    assert result.ok and result.passed == result.total >= 8
    assert result.failures == ()
    assert result.report().startswith(f"[PASSED] ex-intro-metrics-from-matrix: {result.total}/{result.total}")


def test_an_array_or_a_list_of_the_three_values_is_accepted():
    assert check.metrics_from_confusion(lambda C: np.array(right(C))).ok
    assert check.metrics_from_confusion(lambda C: list(right(C))).ok


def test_wrong_values_fail_on_the_edge_cases_and_say_input_expected_actual():
    result = check.metrics_from_confusion(forgets_empty_classes)
    assert not result.ok and 0 < result.passed < result.total
    report = result.report()
    assert report.startswith("[NOT YET]")
    assert "passed: the chapter's worked example" in report  # what passed is listed
    failure = next(f for f in result.failures if "class 2 absent from truth and prediction" in f)
    assert "forgets_empty_classes(array(shape=(3, 3)" in failure  # the input
    assert "[[4 1 0] [2 3 0] [0 0 0]]" in failure
    assert "expected (0.7, 0.7, 0.535714), got (0.7, nan, nan)" in failure  # expected and actual
    assert result.message.startswith("ex-intro-metrics-from-matrix: ") and "\n" not in result.message


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (lambda C: None, "did you forget to `return`"),
        (lambda C: "0.8, 0.8, 0.66", "expected a tuple of 3 values, got a str"),
        (lambda C: {"pixel": 0.8}, "expected a tuple of 3 values, got a dict"),
        (lambda C: 0.8, "expected a tuple of 3 values, got a float"),
    ],
    ids=["None", "str", "dict", "float"],
)
def test_wrong_types_fail_with_a_hint(answer, hint):
    result = check.metrics_from_confusion(answer)
    assert result.passed == 0 and not result.ok
    assert hint in result.failures[0]


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (lambda C: right(C)[:2], "expected 3 values, got 2"),
        (lambda C: (*right(C), 0.0), "expected 3 values, got 4"),
        (lambda C: np.array([right(C)] * 2), "expected 3 values, got 2"),
        (lambda C: tuple(np.full(2, v) for v in right(C)), "got (array(shape=(2,)"),
    ],
    ids=["two-values", "four-values", "2d-array", "arrays-for-numbers"],
)
def test_wrong_shapes_fail(answer, hint):
    result = check.metrics_from_confusion(answer)
    assert result.passed == 0
    assert hint in result.failures[0]


def test_a_crashing_function_is_a_failure_with_its_error_not_an_exception():
    def crashes(C):
        raise ValueError("matrix must be square")

    result = check.metrics_from_confusion(crashes)
    assert result.passed == 0
    assert all("raised ValueError: matrix must be square" in failure for failure in result.failures)
    assert "Traceback" not in result.report()


def test_a_function_that_fails_on_some_inputs_only():
    def crashes_on_empty_classes(C):
        if (np.asarray(C).sum(axis=1) == 0).any():
            raise ZeroDivisionError("division by zero")
        return right(C)

    result = check.metrics_from_confusion(crashes_on_empty_classes)
    assert 0 < result.passed < result.total
    assert all("raised ZeroDivisionError" in failure for failure in result.failures)


def test_the_untouched_stub_says_not_implemented_in_one_line():
    def metrics_from_confusion(C):
        raise NotImplementedError("your code here")

    result = check.metrics_from_confusion(metrics_from_confusion)
    assert result.passed == 0 and len(result.failures) == 1
    assert "metrics_from_confusion is not implemented yet" in result.failures[0]


@pytest.mark.parametrize("not_a_function", [None, 3, "metrics_from_confusion", np.eye(3)])
def test_a_non_callable_is_a_failure(not_a_function):
    result = check.metrics_from_confusion(not_a_function)
    assert not result.ok and result.passed == 0
    assert result.failures[0].startswith(f"expected a function, got {type(not_a_function).__name__}")


def test_a_wrong_call_of_the_check_itself_does_not_raise():
    result = check.metrics_from_confusion()
    assert not result.ok
    assert "the check could not run: TypeError" in result.failures[0]
    assert not check.metrics_from_confusion(right, "extra argument").ok


def test_a_function_that_modifies_its_input_cannot_spoil_the_cases():
    def right_then_scribbles(C):
        answer = right(C)
        C[...] = 0  # modifies the caller's array
        return answer

    assert check.metrics_from_confusion(right_then_scribbles).ok
    assert check.metrics_from_confusion(right).ok


def test_expected_values_come_from_segcourse_metrics():
    from segcourse.check import ch00

    for case in ch00._confusion_cases():
        scores = metrics.scores_from_confusion(case.args[0])
        assert case.expected == (scores["pixel_accuracy"], scores["class_accuracy"], scores["mean_iou"])
        assert case.note


def test_the_verdict_never_shows_the_solution():
    source = (ROOT / "book" / "00_introduction.md").read_text(encoding="utf-8")
    solution = re.search(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source, re.S).group(1)
    lines = [line.strip() for line in solution.splitlines() if len(line.strip()) > 12]
    for answer in (right, forgets_empty_classes, lambda C: None, lambda C: 1 / 0):
        result = check.metrics_from_confusion(answer)
        text = result.report() + result.message + json.dumps(result.to_json())
        assert "def " not in text
        assert not [line for line in lines if line in text]


# --------------------------------------------------------------------------------------------------
# Result, records, comparison


def test_result_displays_text_and_a_record_that_the_grader_reads():
    result = check.metrics_from_confusion(forgets_empty_classes)
    bundle = result._repr_mimebundle_()
    assert bundle["text/plain"] == result.report() == repr(result)
    record = bundle[check.RESULT_MIMETYPE]
    assert record == {"exercise": "ex-intro-metrics-from-matrix", "ok": False, "passed": result.passed,
                      "total": result.total, "message": result.message}
    output = nbformat.v4.new_output("execute_result", data=bundle)
    stored = nbformat.v4.new_output("display_data", data={check.RESULT_MIMETYPE: json.dumps(record)})
    assert check.records_from_outputs([output, stored]) == [record, record]


def test_malformed_records_are_ignored():
    outputs = [
        {"output_type": "display_data", "data": {check.RESULT_MIMETYPE: "{not json"}},
        {"output_type": "display_data", "data": {check.RESULT_MIMETYPE: {"ok": True}}},  # no exercise
        {"output_type": "stream", "name": "stdout", "text": "PASSED"},
    ]
    assert check.records_from_outputs(outputs) == []


def test_a_result_without_cases_is_not_ok():
    assert not check.Result("ex-x", 0, 0, ()).ok


@pytest.mark.parametrize(
    ("actual", "expected", "same"),
    [
        ((1.0, 2.0), (1.0, 2.0 + 1e-9), True),
        (np.array([1.0, 2.0]), (1.0, 2.0), True),
        ((1.0, float("nan")), (1.0, float("nan")), True),
        ((1.0, 2.0), (1.0, 2.1), False),
        (np.ones((2, 2)), np.ones((2, 2)), True),
        (np.ones((2, 2)), np.ones((2, 3)), False),
        ("abc", (1, 2, 3), False),
        (object(), 1.0, False),
    ],
)
def test_close(actual, expected, same):
    assert check.close(actual, expected) is same


def test_run_cases_with_a_custom_comparison():
    cases = [check.Case((3,), 9, note="a square"), check.Case((-2,), 4)]
    result = check.run_cases("ex-demo", lambda x: x * x, cases, compare=lambda a, e: a == e)
    assert result.ok and result.passed_cases == ("a square", "case 2")
    assert check.run_cases("ex-demo", abs, cases, compare=lambda a, e: 1 / 0).passed == 0


# --------------------------------------------------------------------------------------------------
# Registry: one module per chapter, found automatically


def test_every_registered_check_is_exported_and_belongs_to_a_chapter():
    chapters = {source.stem[:2]: source for source in book.chapter_sources(ROOT)}
    assert check.REGISTRY, "no check registered"
    for label, registration in check.REGISTRY.items():
        function = getattr(check, registration.name)
        assert registration.name in check.__all__
        assert function.exercise == label
        assert registration.chapter in chapters, f"{label}: no chapter {registration.chapter}"
        assert check.exercises_of_chapter(registration.chapter).count(label) == 1
        # The check labels itself with its exercise, even for a function that does nothing right.
        assert function(lambda *args: None).exercise == label


def test_every_check_is_used_by_its_chapter_and_passes_there():
    """The chapter names the exercise, calls the check, and its stored outputs show the check PASSED."""
    chapters = {source.stem[:2]: source for source in book.chapter_sources(ROOT)}
    for label, registration in check.REGISTRY.items():
        source = chapters[registration.chapter]
        text = source.read_text(encoding="utf-8")
        assert f":label: {label}" in text, f"{source.name} has no exercise {label}"
        assert f"check.{registration.name}(" in text, f"{source.name} never calls check.{registration.name}"
        notebook = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
        records = [r for cell in notebook.cells if cell.cell_type == "code"
                   for r in check.records_from_outputs(cell.get("outputs", []))]
        assert {"exercise": label, "ok": True} in [{k: r[k] for k in ("exercise", "ok")} for r in records], (
            f"{source.with_suffix('.ipynb').name}: no PASSED record of {label} (run `make notebooks`)"
        )


def no_cases():
    return []


def no_hidden_cases(rng):
    return []


def test_registering_two_checks_for_one_exercise_fails():
    @check.register("ex-test-duplicate", cases=no_cases, hidden=no_hidden_cases)
    def first(function):
        """A check without cases."""

    try:
        with pytest.raises(ValueError, match="Two checks"):
            @check.register("ex-test-duplicate", cases=no_cases, hidden=no_hidden_cases)
            def second(function):
                """Another check of the same exercise."""
        assert check.REGISTRY["ex-test-duplicate"].chapter is None  # not defined in a chNN module
        assert not first(lambda: None).ok  # no cases: never ok
    finally:
        check.REGISTRY.pop("ex-test-duplicate")


def test_register_needs_cases_and_hidden_cases():
    with pytest.raises(TypeError, match="`cases` and `hidden` must be functions"):
        check.register("ex-test-bad", cases=[check.Case((1,), 1)], hidden=no_hidden_cases)
    assert "ex-test-bad" not in check.REGISTRY


def test_the_body_of_a_registered_check_is_not_run():
    @check.register("ex-test-square", cases=lambda: [check.Case((3,), 9, note="three")], hidden=no_hidden_cases)
    def square(function):
        """Checks square(x)."""
        raise AssertionError("the body of a check is its documentation")

    try:
        assert square(lambda x: x * x).ok and square.__doc__ == "Checks square(x)."
        assert square(lambda x: x + x).failures == ("<lambda>(3) [three]: expected 9, got 6",)
    finally:
        check.REGISTRY.pop("ex-test-square")


def test_a_new_chapter_module_is_found_without_changing_the_package(tmp_path, monkeypatch):
    (tmp_path / "ch99.py").write_text(textwrap.dedent('''
        from segcourse.check._core import Case, register

        __all__ = ["double"]


        @register("ex-test-double", cases=lambda: [Case((2,), 4)], hidden=lambda rng: [Case((3,), 6)])
        def double(function):
            """Checks double(x)."""
    '''))
    monkeypatch.setattr(check, "__path__", [*check.__path__, str(tmp_path)])
    try:
        exported = check._import_chapter_modules()  # what `import segcourse.check` runs
        assert "double" in exported and "metrics_from_confusion" in exported
        assert check.double(lambda x: 2 * x).ok
        expected = _core.Registration("ex-test-double", "double", "99", function="double")
        assert check.REGISTRY["ex-test-double"] == expected
        assert check.exercises_of_chapter("99") == ["ex-test-double"]
    finally:
        check.REGISTRY.pop("ex-test-double", None)
        sys.modules.pop("segcourse.check.ch99", None)
        for name in ("double", "ch99"):
            check.__dict__.pop(name, None)
    assert check.metrics_from_confusion(right).ok


# --------------------------------------------------------------------------------------------------
# What the grader needs from every registration: hidden cases, the functions to block, points


def key(value):
    """A comparable key of case inputs: functions by name (each case builds its own), arrays in full."""
    if callable(value):
        return getattr(value, "__name__", "function")
    if isinstance(value, (tuple, list)):
        return tuple(key(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((name, key(item)) for name, item in value.items()))
    return np.array2string(np.asarray(value), threshold=10**9) if isinstance(value, np.ndarray) else repr(value)


def hard_coded(registration):
    """An answer that knows the visible cases by heart (a lookup of their inputs) and nothing else."""
    known = {key((case.args, case.kwargs)): case.expected for case in registration.cases()}

    def answer(*args, **kwargs):
        return known.get(key((args, kwargs)))

    return answer


@pytest.mark.parametrize("label", list(check.REGISTRY))
def test_hidden_cases_are_drawn_from_the_seed_and_beat_hard_coded_answers(label):
    registration = check.REGISTRY[label]
    first, again, other = (registration.hidden_cases(seed) for seed in (0, 0, 1))
    assert len(first) >= 3 and all(case.note for case in first)
    assert key([c.args for c in first]) == key([c.args for c in again]), "not reproducible from the seed"
    assert key([c.args for c in first]) != key([c.args for c in other]), "the same cases for another seed"
    answer = hard_coded(registration)
    assert check.run_cases(label, answer, list(registration.cases()), registration.compare).ok
    hidden = check.run_hidden_cases(label, answer, seed=0)
    assert hidden.passed < hidden.total, "an answer that only knows the visible cases passes the hidden ones"
    assert all(failure.startswith("hidden case ") for failure in hidden.failures)


@pytest.mark.parametrize("label", list(check.REGISTRY))
def test_what_an_exercise_asks_for_names_plain_segcourse_functions(label):
    """The grader blocks these while it runs the check: each must exist, and be a function it can block."""
    import importlib
    import types

    registration = check.REGISTRY[label]
    assert registration.points > 0 and registration.function.isidentifier()
    for dotted in registration.asks_for:
        module_name, _, name = dotted.rpartition(".")
        assert module_name.startswith("segcourse"), dotted
        target = getattr(importlib.import_module(module_name), name)
        assert isinstance(target, types.FunctionType) and target.__closure__ is None, dotted


def test_the_expected_values_of_the_hidden_cases_come_from_segcourse():
    """For the introduction: the hidden matrices' expected scores are segcourse.metrics' own."""
    for case in check.REGISTRY["ex-intro-metrics-from-matrix"].hidden_cases(3):
        scores = metrics.scores_from_confusion(case.args[0])
        assert case.expected == (scores["pixel_accuracy"], scores["class_accuracy"], scores["mean_iou"])
    assert check.run_hidden_cases("ex-intro-metrics-from-matrix", right, seed=3).ok
    assert not check.run_hidden_cases("ex-intro-metrics-from-matrix", forgets_empty_classes, seed=3).ok

"""Grading (segcourse.grade, `segcourse grade`): the grader's own checks, forgeries, the sandbox, the fast path.

The notebooks are tiny ones the tests write (only the introduction's solution is a real chapter). Most import
NumPy alone, so that their kernels start in seconds; those that import segcourse (TensorFlow) are the ones
whose attack needs it.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from segcourse import book, check, cli, grade, sandbox
from segcourse.check import ch00
from segcourse.grade import notebook as grade_notebook
from segcourse.grade import report, runner, verdict

ROOT = Path(__file__).resolve().parents[1]
LABEL = "ex-intro-metrics-from-matrix"


def code(source: str, outputs: list | None = None) -> nbformat.NotebookNode:
    return new_code_cell(textwrap.dedent(source).strip(), outputs=outputs or [])


IMPORTS = code("import numpy as np")
RIGHT = code('''
    def metrics_from_confusion(C):
        """(pixel accuracy, class accuracy, mean IoU), written without segcourse."""
        C = np.asarray(C, dtype=float)
        truth, predicted, hits = C.sum(axis=1), C.sum(axis=0), np.diag(C)
        union, present = truth + predicted - hits, truth > 0
        pixel, recall = hits.sum() / C.sum(), np.mean(hits[present] / truth[present])
        return pixel, recall, np.mean(hits[union > 0] / union[union > 0])
''')
STUB = code("""
    def metrics_from_confusion(C):
        raise NotImplementedError("your code here")
""")


def notebook(*cells: nbformat.NotebookNode, chapter: str | None = "00_introduction") -> nbformat.NotebookNode:
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    if chapter:
        metadata["segcourse"] = {"chapter": chapter}
    return new_notebook(cells=list(cells), metadata=metadata)


def write(path: Path, nb: nbformat.NotebookNode) -> Path:
    nbformat.write(nb, path)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def small_sandbox() -> sandbox.Sandbox:
    """The sandbox of these tests: bubblewrap (which `make test` installs), small limits."""
    return sandbox.find_sandbox("bwrap", sandbox.Limits(memory_mb=1536, processes=64, cpu_seconds=120))


# --------------------------------------------------------------------------------------------------
# Reading and identifying submissions (no kernel)


@pytest.mark.parametrize(
    ("name", "content", "status"),
    [
        ("corrupt.ipynb", b'{"cells": [{"cell_type": "code", "sou', "invalid-json"),
        ("picture.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not-a-notebook"),
        ("answer.py", b"print('my answers')\n", "not-a-notebook"),
        ("data.ipynb", b'{"cells": "none"}', "not-a-notebook"),
        ("list.ipynb", b"[1, 2, 3]", "not-a-notebook"),
        ("spam.ipynb", b'{"cells": [{"cell_type": "spam"}], "nbformat": 4, "metadata": {}}', "not-a-notebook"),
    ],
)
def test_unreadable_submissions(tmp_path, name, content, status):
    path = tmp_path / name
    path.write_bytes(content)
    notebook_, found, detail = grade.read_submission(path)
    assert notebook_ is None and found == status and detail


def test_missing_submission(tmp_path):
    assert grade.read_submission(tmp_path / "nothing.ipynb")[1] == "missing"
    assert grade.read_submission(tmp_path)[1] == "missing"  # a folder is not a submission


def test_chapter_from_metadata_labels_or_file_name(tmp_path):
    path = tmp_path / "submission.ipynb"
    assert grade.chapter_of(notebook(chapter="00_introduction"), path) == "00"
    assert grade.chapter_of(notebook(new_markdown_cell(f":label: {LABEL}"), chapter=None), path) == "00"
    assert grade.chapter_of(notebook(chapter=None), tmp_path / "alice-00_introduction (1).ipynb") == "00"
    assert grade.chapter_of(None, tmp_path / "00_introduction.ipynb") == "00"
    assert grade.chapter_of(notebook(chapter=None), path) is None


def test_the_student_function_is_the_one_its_check_cell_names():
    registration = check.REGISTRY[LABEL]
    assert grade_notebook.function_name(notebook(), registration) == "metrics_from_confusion"
    renamed = notebook(code("check.metrics_from_confusion(my_metrics)"))
    assert grade_notebook.function_name(renamed, registration) == "my_metrics"


# --------------------------------------------------------------------------------------------------
# The fast path: which cells a checked function depends on


def fast(*sources: str, functions=("f",)) -> tuple[int, ...] | str:
    plan = grade_notebook.fast_cells(notebook(*(code(s) for s in sources)), functions)
    return plan.cells if plan.cells is not None else plan.reason


def test_the_fast_path_analyses_notebooks_in_several_threads_at_once():
    # `segcourse grade --jobs N` analyses N notebooks at once. Under Python 3.11, ast.parse in two threads at
    # once can raise "SystemError: AST constructor recursion depth mismatch" (python/cpython#106905) when a
    # thread switch happens while a tree is built, e.g. in a finalizer the garbage collector runs: CI failed
    # on it once. Frequent collections of garbage with finalizers and fast thread switches provoke it (without
    # segcourse's lock this failed 3 runs out of 3 on Python 3.11.7, each in under 7 s).
    import gc
    import sys
    import time
    from concurrent.futures import ThreadPoolExecutor

    class Garbage:
        def __init__(self) -> None:
            self.cycle = self

        def __del__(self) -> None:
            time.sleep(0)  # lets another thread run

    ifs = "".join(f"{'    ' * (depth + 1)}if x > {depth}:\n" for depth in range(20))
    nested = "def f(x):\n" + ifs + "    " * 21 + "return np.abs(x)\n"
    sources = ("import numpy as np", nested * 5, "check.f(f)")
    expected = fast(*sources)

    def analyse(_: int):
        for _ in range(20):
            Garbage()
        return fast(*sources)

    interval, threshold = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(1e-6)
    gc.set_threshold(50, 1, 1)
    try:
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(analyse, range(400)))
    finally:
        sys.setswitchinterval(interval)
        gc.set_threshold(*threshold)
    assert expected == (0, 1) and results == [expected] * 400


def test_the_fast_path_runs_the_definitions_a_function_reads_and_skips_training():
    cells = [
        "import numpy as np\nimport time",  # 0: read by f
        "SCALE = 2.0",  # 1: read by f
        "time.sleep(60)\nmodel = 'trained'",  # 2: training, f never reads it
        "def helper(x):\n    return SCALE * x",  # 3
        "def f(x):\n    y = np.asarray(x)  # y is local\n    return helper(y)",  # 4
        "print(f(3), model)",  # 5: only uses f
        "check.f(f)",  # 6: a check cell
    ]
    assert fast(*cells) == (0, 1, 3, 4)


def test_the_fast_path_follows_changes_made_after_a_definition():
    assert fast("TABLE = [1, 2]", "def f():\n    return TABLE", "TABLE[0] = 5", "x = 1") == (0, 1, 2)
    assert fast("cache = []", "def f():\n    return cache", "cache.append(3)") == (0, 1, 2)
    assert fast("cache = []", "def f():\n    return cache", "fill(cache)", "def fill(c):\n    c.append(1)") == (
        0,
        1,
        2,
        3,
    )
    assert fast("cache = []", "def f():\n    return cache", "alias = cache", "alias.append(1)") == (0, 1, 2, 3)
    assert fast("def f():\n    return 1", "f.calls = 0") == (0, 1)
    assert fast("def f():\n    return 1", "def f():\n    return 2", "f(0)") == (0, 1)


def test_the_fast_path_ignores_harmless_magics_and_broken_cells():
    assert fast(
        "%matplotlib inline\nimport numpy as np", "def f():\n    return np.pi", "this is not python"
    ) == (0, 1)


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("exec('f = lambda: 1')", "`exec`"),
        ("globals()['f'] = len", "`globals`"),
        ("from math import *", "import *"),
        ("def g():\n    global f\n    f = len", "`global` statement"),
        ("%%time\nx = 1", "magic or shell command"),
        ("!touch file.txt", "magic or shell command"),
        ("x = get_ipython().run_cell('f = 1')", "`get_ipython`"),
    ],
)
def test_the_fast_path_is_not_used_where_names_cannot_be_followed(source, reason):
    found = fast("def f():\n    return 1", source)
    assert isinstance(found, str) and "cell 2 uses" in found and reason in found


# --------------------------------------------------------------------------------------------------
# What travels between the grader and the kernel (no kernel)


def test_answers_travel_as_data_and_keep_what_a_comparison_needs():
    values = [
        (1, 2.5, np.float32(0.25), np.int64(7), True, None, "road", float("nan"), float("-inf")),
        [np.arange(6, dtype=np.int32).reshape(2, 3), np.array(["a", "bb"]), {"k": (1, [2])}],
    ]
    decoded = verdict.decode(json.loads(json.dumps(runner.encode(values))))
    assert isinstance(decoded, list) and isinstance(decoded[0], tuple) and isinstance(decoded[1], list)
    assert decoded[0][:7] == (1, 2.5, 0.25, 7, True, None, "road") and type(decoded[0][3]) is int
    assert np.isnan(decoded[0][7]) and decoded[0][8] == float("-inf")
    array = decoded[1][0]
    assert array.dtype == np.int32 and array.shape == (2, 3) and array.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert decoded[1][1].tolist() == ["a", "bb"] and decoded[1][2] == {"k": (1, [2])}


def test_objects_of_the_student_never_reach_the_comparison():
    class Liar:
        def __eq__(self, other):
            return True

        __hash__ = None

    encoded = json.loads(json.dumps(runner.encode([Liar(), np.array([Liar()], dtype=object)])))
    decoded = verdict.decode(encoded)
    assert all(isinstance(item, verdict.Unsupported) for item in decoded)
    assert not check.close(decoded[0], 1.0) and decoded[0] != 1.0
    malformed = [
        {"$": "ndarray", "dtype": "|O", "shape": [1], "data": ""},
        {"$": "ndarray", "dtype": "<f8", "shape": [9], "data": "AAAA"},
        {"$": "tuple"},
        [1, 2],
    ]
    assert all(isinstance(verdict.decode(m), verdict.Unsupported) for m in malformed)


def task(label: str = LABEL, function: str = "metrics_from_confusion") -> verdict.Task:
    cases = grade.draw_cases([label], seed=5)[label]
    return verdict.Task(check.REGISTRY[label], function, *cases, case_seconds=5)


def test_the_payload_rebuilds_case_arguments_that_are_not_data():
    sent = task("ex-sw-sliding-window", "sliding_window")
    received = runner.load_payload(verdict.encode_payload(sent))
    assert received["token"] == sent.token and received["asks_for"] == list(sent.registration.asks_for)
    classify, image, patch_size = received["cases"][0][0]
    expected_classify, expected_image, _ = sent.visible[0].args
    assert classify is not expected_classify and classify.__name__ == expected_classify.__name__
    patches = np.random.default_rng(0).random((2, patch_size, patch_size, 3), dtype=np.float32)
    assert np.array_equal(classify(patches), expected_classify(patches)) and np.array_equal(
        image, expected_image
    )


@pytest.mark.parametrize("label", list(check.REGISTRY))
def test_every_check_can_send_its_cases_into_a_kernel(label):
    received = runner.load_payload(verdict.encode_payload(task(label, check.REGISTRY[label].function)))
    assert len(received["cases"]) == len(task(label).visible) + len(task(label).hidden) > 0


def record(sent: verdict.Task, answers: list, **extra) -> dict:
    return {"token": sent.token, "exercise": sent.exercise, "answers": answers, **extra}


def encoded_answers(sent: verdict.Task, function) -> list:
    return [{"value": runner.encode(function(*case.args))} for case in (*sent.visible, *sent.hidden)]


def test_verdicts_on_the_answers_that_come_back():
    sent = task()
    right = encoded_answers(sent, lambda C: ch00._scores(C))
    full = verdict.verdict_of(sent, record(sent, right), points=2)
    assert full.passed and full.score == 2 and full.message == "all 9 cases and 6 hidden cases passed"
    wrong = right[:9] + [{"value": runner.encode((0.0, 0.0, 0.0))}] * 6
    hidden_fail = verdict.verdict_of(sent, record(sent, wrong), points=2)
    assert not hidden_fail.passed and hidden_fail.score == 0 and hidden_fail.visible.ok
    assert hidden_fail.message.startswith(
        "9 of 9 cases and 0 of 6 hidden cases passed. hidden case 1 [a random"
    )
    blocked = [{"blocked": ["segcourse.metrics.scores_from_confusion"]}] * 15
    borrowed = verdict.verdict_of(sent, record(sent, blocked), points=2)
    assert borrowed.score == 0 and borrowed.borrowed == ("segcourse.metrics.scores_from_confusion",)
    assert "which the exercise asks you to write: not available while grading" in borrowed.message
    missing = verdict.verdict_of(sent, record(sent, [], missing="no `f` is defined in the notebook"), points=2)
    assert missing.message == "not attempted: no `f` is defined in the notebook"
    assert verdict.verdict_of(sent, record(sent, right[:3]), 2).message.startswith(
        "not graded: the grader's cell"
    )
    assert (
        verdict.verdict_of(sent, None, 2, "not graded: the kernel died").message
        == "not graded: the kernel died"
    )


def test_only_a_record_with_the_runs_token_counts():
    sent = task()
    forged = {"data": {verdict.GRADER_MIME: record(sent, [])}}
    forged["data"][verdict.GRADER_MIME]["token"] = "guessed"
    genuine = {"data": {verdict.GRADER_MIME: record(sent, [])}}
    assert verdict.record_of([forged], sent) is None
    assert verdict.record_of([forged, genuine], sent)["token"] == sent.token
    assert task().token != sent.token  # a new token for every task


def test_blocking_makes_every_reference_to_a_function_fail_until_undone(tmp_path, monkeypatch):
    from segcourse import metrics

    saved = metrics.scores_from_confusion  # a reference kept before the grader's cell
    module = tmp_path / "later_module.py"  # a module imported only while the case runs
    module.write_text("def answer(x):\n    return 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    called = []
    undo = runner.block(["segcourse.metrics.scores_from_confusion", "later_module.answer"], LABEL, called)
    try:
        with pytest.raises(
            runner.NotAvailableWhileGrading, match=f"not available while the grader checks {LABEL}"
        ):
            saved(np.eye(2))
        import later_module

        with pytest.raises(runner.NotAvailableWhileGrading):
            later_module.answer(1)
        assert called == ["segcourse.metrics.scores_from_confusion", "later_module.answer"]
    finally:
        runner.unblock(undo)
    assert saved(np.eye(2))["pixel_accuracy"] == 1.0 and later_module.answer(1) == 42


# --------------------------------------------------------------------------------------------------
# Reports (no kernel)


def submission(path: str, scores: list[float], status: str = "ok") -> grade.Submission:
    verdicts = [
        verdict.Verdict(
            f"ex-{i}",
            2.0,
            s,
            s > 0,
            check.Result("x", 3, 3, ()),
            check.Result("x", 2, 2, ()),
            "all passed" if s else "1 of 3 cases passed. f(1): expected 1, got 2",
        )
        for i, s in enumerate(scores)
    ]
    return grade.Submission(path, "00", status, "", verdicts, "fast: 2 of 9 code cells", seconds=3.0)


def test_the_lms_csv_has_one_row_per_student_and_a_column_per_exercise(tmp_path):
    submissions = [
        submission("a/alice/00_intro.ipynb", [2.0, 0.0]),
        submission("a/bob/00_intro.ipynb", [2.0, 2.0]),
    ]
    written = read_csv(report.write_lms_csv(submissions, tmp_path / "lms.csv"))
    assert written == [
        {"student": "alice/00_intro", "ex-0": "2", "ex-1": "0", "total": "2", "max_total": "4"},
        {"student": "bob/00_intro", "ex-0": "2", "ex-1": "2", "total": "4", "max_total": "4"},
    ]
    assert report.student_names(["x/alice.ipynb", "y/bob.ipynb"]) == ["alice", "bob"]


def test_gradescope_classroom_and_feedback_formats():
    alice = submission("alice.ipynb", [2.0, 0.0])
    results = report.gradescope_results(alice)
    assert results["score"] == 2.0 and [t["max_score"] for t in results["tests"]] == [2.0, 2.0]
    assert results["tests"][1] == {
        "name": "ex-1",
        "score": 0.0,
        "max_score": 2.0,
        "status": "failed",
        "output": "1 of 3 cases passed. f(1): expected 1, got 2",
    }
    classroom = report.classroom_results([alice])
    assert classroom["max_score"] == 4.0 and classroom["status"] == "fail"
    assert [(t["name"], t["status"], t["score"]) for t in classroom["tests"]] == [
        ("ex-0", "pass", 2.0),
        ("ex-1", "fail", 0.0),
    ]
    feedback = report.feedback_markdown(alice)
    assert "**2 of 4 points**" in feedback and "| `ex-1` | 0 / 2 | not yet |" in feedback
    assert "expected 1, got 2" in feedback and "Cells run: fast: 2 of 9 code cells" in feedback


def test_points_come_from_the_registry_or_a_file(tmp_path):
    points = tmp_path / "points.toml"
    points.write_text(f'"{LABEL}" = 3\n"ex-sw-sliding-window" = 2.5\n')
    assert report.load_points(points) == {LABEL: 3.0, "ex-sw-sliding-window": 2.5}
    for content, problem in [
        ('"ex-nonsense" = 1', "not an exercise with a check"),
        (f'"{LABEL}" = -1', "a number >= 0"),
        (f'"{LABEL}" = "three"', "a number >= 0"),
        ("not toml", "not a TOML file"),
    ]:
        points.write_text(content)
        with pytest.raises(ValueError, match=problem):
            report.load_points(points)
    assert all(registration.points > 0 for registration in check.REGISTRY.values())


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"timeout": 0}, "`timeout`"),
        ({"cell_timeout": -1}, "`cell_timeout`"),
        ({"mode": "quick"}, "`mode`"),
        ({"chapter": "0"}, "two digits"),
        ({"chapter": "42"}, "no exercise"),
        ({"points": {"ex-x": 1}}, "ex-x"),
        ({"case_timeout": 0}, "`case_timeout`"),
    ],
)
def test_settings_reject_bad_values(settings, problem):
    with pytest.raises(ValueError, match=problem):
        grade.Settings(**settings)


def test_the_command_rejects_bad_arguments(tmp_path, capsys):
    nb = str(write(tmp_path / "a.ipynb", notebook()))
    assert cli.main(["grade", nb, "--timeout", "0"]) == 2
    assert cli.main(["grade", nb, nb, "--gradescope", str(tmp_path / "r.json")]) == 2
    assert cli.main(["grade", nb, "--jobs", "0"]) == 2
    assert cli.main(["grade", nb, "--memory-mb", "0"]) == 2
    (tmp_path / "p.toml").write_text('"ex-nope" = 1')
    assert cli.main(["grade", nb, "--points", str(tmp_path / "p.toml")]) == 2
    errors = capsys.readouterr().err
    assert "timeout" in errors and "exactly one" in errors and "`jobs`" in errors and "ex-nope" in errors


# --------------------------------------------------------------------------------------------------
# Executing submissions: forgeries, attacks, the fast path


def hard_coded_answer() -> nbformat.NotebookNode:
    """An answer that returns the visible cases' expected values, copied from the check's source."""
    table = {repr(case.args[0].tolist()): case.expected for case in ch00._confusion_cases()}
    return code(f"""
        KNOWN = {table!r}

        def metrics_from_confusion(C):
            return KNOWN.get(repr(np.asarray(C).tolist()), (0.0, 0.0, 0.0))
    """)


def test_forgeries_fail_to_score_and_right_answers_score_full_marks(tmp_path, capsys):
    """Through the command line, two at a time, the whole notebook run: every forgery scores 0."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    passed = {"exercise": LABEL, "ok": True, "passed": 9, "total": 9, "message": "all passed"}
    stale = new_output("execute_result", data={"text/plain": "[PASSED]", check.RESULT_MIMETYPE: passed})
    display = code(f"""
        from IPython.display import display
        display({{"text/plain": "[PASSED]", "{check.RESULT_MIMETYPE}": {passed!r}}}, raw=True)
    """)
    patch = code("""
        import segcourse.check as check
        from segcourse.check import _core
        passed = _core.Result("ex-intro-metrics-from-matrix", 9, 9, ())
        check.metrics_from_confusion = lambda function: passed
        _core.judge = lambda *args, **kwargs: passed
        _core.close = lambda *args, **kwargs: True
        np.allclose = lambda *args, **kwargs: True
        check.metrics_from_confusion(metrics_from_confusion)
    """)
    borrowed = code("""
        from segcourse.metrics import scores_from_confusion as reference  # kept before the grader runs

        def metrics_from_confusion(C):
            scores = reference(C)
            return scores["pixel_accuracy"], scores["class_accuracy"], scores["mean_iou"]
    """)
    renamed = code(RIGHT.source.replace("def metrics_from_confusion", "def my_metrics"))
    notebooks = {
        "right": notebook(IMPORTS, RIGHT),  # no check cell at all: a deleted check cell does not matter
        "renamed": notebook(IMPORTS, renamed, code("check.metrics_from_confusion(my_metrics)")),
        "stub": notebook(IMPORTS, STUB, code("check.metrics_from_confusion(metrics_from_confusion)", [stale])),
        "display": notebook(IMPORTS, STUB, display),
        "patched": notebook(IMPORTS, STUB, patch),
        "hardcoded": notebook(IMPORTS, hard_coded_answer()),
        "borrowed": notebook(IMPORTS, borrowed),
    }
    paths = [str(write(folder / f"{name}.ipynb", nb)) for name, nb in notebooks.items()]
    points = tmp_path / "points.toml"
    points.write_text(f'"{LABEL}" = 3\n')
    out = tmp_path / "out"
    arguments = [
        "grade",
        *paths,
        "--out",
        str(out / "grades.csv"),
        "--lms",
        str(out / "lms.csv"),
        "--feedback",
        str(out / "feedback"),
        "--classroom",
        str(out / "classroom.json"),
        "--points",
        str(points),
        "--jobs",
        "2",
        "--mode",
        "full",
        "--hidden-seed",
        "7",
        "--timeout",
        "120",
        "--sandbox",
        "bwrap",
    ]
    assert cli.main(arguments) == 0
    printed = capsys.readouterr().out
    rows = {Path(row["submission"]).stem: row for row in read_csv(out / "grades.csv")}
    assert list(read_csv(out / "grades.csv")[0]) == list(grade.COLUMNS)

    for name in ("right", "renamed"):
        assert rows[name]["passed"] == "true" and rows[name]["score"] == "3" and rows[name]["max_score"] == "3"
        assert rows[name]["cases"] == "9/9" and rows[name]["hidden"] == "6/6", rows[name]
    assert rows["right"]["status"] == "ok" and rows["right"]["run"] == "full: 2 of 2 code cells"
    for name in ("stub", "display", "patched", "hardcoded", "borrowed"):
        assert rows[name]["passed"] == "false" and rows[name]["score"] == "0", rows[name]
    assert "not implemented yet" in rows["stub"]["message"] and rows["stub"]["cases"] == "0/9"
    assert (
        "not implemented yet" in rows["display"]["message"]
        and "not implemented yet" in rows["patched"]["message"]
    )
    assert rows["hardcoded"]["cases"] == "9/9" and rows["hardcoded"]["hidden"] == "0/6"
    assert "hidden case 1" in rows["hardcoded"]["message"]
    assert (
        "calls segcourse.metrics.scores_from_confusion, which the exercise asks you to write"
        in (rows["borrowed"]["message"])
    )

    lms = {row["student"]: row for row in read_csv(out / "lms.csv")}
    assert lms["right"] == {"student": "right", LABEL: "3", "total": "3", "max_total": "3"}
    assert lms["patched"][LABEL] == "0"
    feedback = (out / "feedback" / "borrowed.md").read_text()
    assert "**0 of 3 points**" in feedback and "`segcourse.metrics.scores_from_confusion`" in feedback
    classroom = json.loads((out / "classroom.json").read_text())
    assert classroom["max_score"] == 21 and sum(t["score"] for t in classroom["tests"]) == 6
    assert "hidden cases drawn from --hidden-seed 7" in printed and "[7/7]" in printed
    assert "sandbox: bubblewrap" in printed


@pytest.fixture
def instructor(tmp_path):
    """The instructor's side: a secret file, the submissions, a server listening on 127.0.0.1."""
    folder = tmp_path / "instructor"
    folder.mkdir()
    (folder / "secret.txt").write_text("the answers")
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted, done = [], threading.Event()

    def serve():
        while not done.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield folder, server.getsockname()[1], accepted
    done.set()
    thread.join(timeout=5)
    server.close()
    for connection in accepted:
        connection.close()


def test_the_sandbox_stops_five_attacks_and_grades_the_others(tmp_path, instructor, small_sandbox):
    folder, port, accepted = instructor
    attacks = {
        "reads": f"print(open({str(folder / 'secret.txt')!r}).read())",
        "writes": f"open({str(folder / 'scribble.txt')!r}, 'w').write('mess')",
        "socket": f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=5)",
        "forks": "import os\nwhile True:\n    os.fork()",
        "hogs": "hog = []\nwhile True:\n    hog.append(b'x' * 10**8)",
    }
    paths = [
        write(tmp_path / f"{name}.ipynb", notebook(IMPORTS, code(attack), RIGHT))
        for name, attack in attacks.items()
    ]
    paths.append(write(tmp_path / "honest.ipynb", notebook(IMPORTS, RIGHT)))
    settings = grade.Settings(mode="full", timeout=60, hidden_seed=1)
    graded = {Path(s.path).stem: s for s in grade.grade(paths, settings, small_sandbox, jobs=2)}

    assert graded["honest"].status == "ok" and graded["honest"].stopped == []
    for name in attacks:  # every attack is stopped and recorded; the student's function is still graded
        assert graded[name].status != "ok" and graded[name].stopped, (name, graded[name])
        assert [v.passed for v in graded[name].verdicts] == [True], (name, graded[name].verdicts)
    assert "FileNotFoundError" in graded["reads"].detail and graded["reads"].stopped[0].startswith(
        "files: cell 2"
    )
    assert not (folder / "scribble.txt").exists() and graded["writes"].stopped[0].startswith("files: cell 2")
    assert accepted == [] and graded["socket"].stopped[0].startswith("network: cell 2")
    for name in ("forks", "hogs"):  # the kernel is killed; the checks run in a new kernel, without that cell
        assert graded[name].status == "kernel-died", graded[name]
        assert graded[name].run == "full: 3 of 3 code cells (stopped: kernel-died); fast: 2 of 3 code cells"
    assert any(line.startswith(("memory limit", "processes")) for line in graded["forks"].stopped)
    assert graded["hogs"].stopped[0].startswith("memory limit") or "MemoryError" in graded["hogs"].stopped[0]


def test_the_fast_path_skips_training_and_falls_back_when_state_is_missing(tmp_path, small_sandbox):
    training = code("import time\ntime.sleep(20)\nmodel = 'trained'")
    reads_file = code(
        RIGHT.source.replace(
            "C = np.asarray(C, dtype=float)", "C = np.asarray(C, dtype=float) * float(open('one.txt').read())"
        )
    )
    paths = [
        write(tmp_path / "answers.ipynb", notebook(IMPORTS, training, RIGHT, code("print(model)"))),
        write(
            tmp_path / "file.ipynb", notebook(IMPORTS, code("open('one.txt', 'w').write('1.0')"), reads_file)
        ),
        write(tmp_path / "dynamic.ipynb", notebook(IMPORTS, code("exec('z = 1')"), RIGHT)),
    ]
    graded = grade.grade(paths, grade.Settings(timeout=120, hidden_seed=2), small_sandbox, jobs=2)
    assert [s.verdicts[0].passed for s in graded] == [True, True, True]
    assert graded[0].run == "fast: 2 of 4 code cells"
    assert [cell.source for cell in graded[0].notebook.cells][:2] == [IMPORTS.source, RIGHT.source]
    assert graded[1].run.startswith(
        "fast: 2 of 3 code cells, not kept: ex-intro-metrics-from-matrix failed with"
    )
    assert graded[1].run.endswith("; full: 3 of 3 code cells")
    assert graded[2].run == "full: 3 of 3 code cells (no fast path: cell 2 uses `exec`)"


def test_a_cell_that_runs_too_long_or_kills_the_kernel(tmp_path, small_sandbox):
    paths = [
        write(tmp_path / "sleepy.ipynb", notebook(IMPORTS, code("import time\ntime.sleep(60)"), RIGHT)),
        write(tmp_path / "crash.ipynb", notebook(IMPORTS, code("import os\nos._exit(1)"), RIGHT)),
        write(
            tmp_path / "slow_answer.ipynb",
            notebook(
                IMPORTS,
                code(
                    RIGHT.source.replace(
                        "C = np.asarray", "import time\n    time.sleep(60)\n    C = np.asarray"
                    )
                ),
            ),
        ),
    ]
    settings = grade.Settings(mode="full", timeout=60, cell_timeout=3, case_timeout=1)
    sleepy, crash, slow = grade.grade(paths, settings, small_sandbox, jobs=2)
    assert sleepy.status == "timeout" and "cell 2 ran past the per-cell limit" in sleepy.detail
    assert crash.status == "kernel-died" and "cell 2" in crash.detail
    assert sleepy.verdicts[0].passed and crash.verdicts[0].passed  # graded in a new kernel, without that cell
    assert not slow.verdicts[0].passed and "did not return within 1 s" in slow.verdicts[0].message


def test_the_introduction_solution_gets_full_marks():
    """The one real chapter graded end to end: the whole notebook, then the grader's checks."""
    [submission] = grade.grade(
        [ROOT / "book" / "00_introduction.ipynb"], grade.Settings(mode="full", timeout=600)
    )
    assert submission.status == "ok", submission.detail
    assert [v.exercise for v in submission.verdicts] == check.exercises_of_chapter("00")
    assert all(v.passed for v in submission.verdicts), [v.message for v in submission.verdicts]


# --------------------------------------------------------------------------------------------------
# GitHub Classroom: the workflow an instructor copies

WORKFLOW = ROOT / "segcourse" / "templates" / "classroom.yml"


def test_the_classroom_workflow_passes_actionlint():
    """jactionlint (the dev extra's actionlint, as `make lint` runs it), strict; one exception: the reporter
    action's tag, which could not be resolved to a commit offline (the workflow tells instructors to pin it)."""
    actionlint = Path(sys.executable).with_name("jactionlint")
    assert actionlint.exists(), "jactionlint is a dev dependency (pip install -e .[dev])"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    unpinned = r'"classroom-resources/autograding-grading-reporter@v1" must be pinned'
    command = [str(actionlint), "--no-color", "--strict-exit", "--ignore", unpinned, str(WORKFLOW)]
    linted = subprocess.run(command, capture_output=True, text=True, env=env)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_the_classroom_workflow_grades_the_repository_and_reports_the_points(tmp_path):
    """Runs the grading step of the workflow as GitHub Actions would, in a student's repository."""
    import yaml

    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    [job] = workflow["jobs"].values()
    steps = {step.get("id"): step for step in job["steps"]}
    assert re.fullmatch(r"segcourse==\d+\.\d+\.\d+", workflow["env"]["SEGCOURSE"])  # a release, not a branch
    reporter = job["steps"][-1]
    assert reporter["uses"].startswith("classroom-resources/autograding-grading-reporter@")
    runner_id = reporter["with"]["runners"]
    assert reporter["env"] == {f"{runner_id.upper()}_RESULTS": f"${{{{ steps.{runner_id}.outputs.result }}}}"}
    script = steps[runner_id]["run"]
    assert "${{" not in script  # nothing GitHub substitutes: the script below is what runs there

    repository = tmp_path / "student-repository"
    repository.mkdir()
    write(repository / "00_introduction.ipynb", notebook(IMPORTS, RIGHT))
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    env = {
        **os.environ,
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    ran = subprocess.run(
        ["bash", "-e", "-c", script], cwd=repository, env=env, capture_output=True, text=True, timeout=600
    )
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    [line] = output.read_text().splitlines()
    name, _, encoded = line.partition("=")
    result = json.loads(base64.b64decode(encoded))
    assert name == "result" and result["max_score"] == 1 and result["status"] == "pass"
    assert [(t["name"], t["status"], t["score"]) for t in result["tests"]] == [(LABEL, "pass", 1.0)]
    assert "**1 of 1 points**" in summary.read_text()
    assert (repository / "grades.csv").exists()


# --------------------------------------------------------------------------------------------------
# The Instructor guide


def test_the_instructor_guide_is_in_the_book_and_documents_the_grade_sheet():
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    appendices = next(part for part in toc["parts"] if part["caption"] == "Appendices")
    assert {"file": "book/appendix_instructor"} in appendices["chapters"]
    guide = (ROOT / "book" / "appendix_instructor.md").read_text(encoding="utf-8")
    for term in (
        "segcourse student",
        "make book-student",
        "segcourse grade",
        "--timeout",
        "--cell-timeout",
        "--jobs",
        "--hidden-seed",
        "--points",
        "--lms",
        "--gradescope",
        "--classroom",
        "--feedback",
        "--mode",
        "--sandbox",
        "### BEGIN SOLUTION",
        "segcourse/check/chNN.py",
        "bubblewrap",
    ):
        assert term in guide, term
    for term in (*grade.COLUMNS, *grade.STATUSES):
        assert f"| `{term}` |" in guide, f"the guide's tables do not explain `{term}`"


def test_the_guide_lists_every_exercise_as_the_chapters_and_the_registry_say():
    """The list is generated (`segcourse exercises --markdown book/instructor/exercises.md`): never stale."""
    listed = (ROOT / "book" / "instructor" / "exercises.md").read_text(encoding="utf-8")
    assert listed == report.exercise_table(ROOT)
    kinds = report.exercise_kinds(ROOT)
    assert {label for _, label, kind in kinds if kind == "function"} == set(check.REGISTRY)
    assert len(kinds) == len({label for _, label, _ in kinds}) and {k for *_, k in kinds} == {
        "function",
        "by hand",
        "experiment",
    }
    guide = (ROOT / "book" / "appendix_instructor.md").read_text(encoding="utf-8")
    assert "```{include} instructor/exercises.md" in guide
    assert len(book.chapter_sources(ROOT)) == len({chapter for chapter, *_ in kinds})

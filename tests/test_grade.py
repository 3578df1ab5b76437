"""Grading (segcourse.grade and `segcourse grade`): good, untouched, raising, endless and broken submissions."""

from __future__ import annotations

import csv
import json
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from segcourse import check, cli, grade, student

ROOT = Path(__file__).resolve().parents[1]
LABEL = "ex-intro-metrics-from-matrix"


def _code(source: str, outputs: list | None = None) -> nbformat.NotebookNode:
    return new_code_cell(textwrap.dedent(source).strip(), outputs=outputs or [])


IMPORTS = _code("import numpy as np\nfrom segcourse import check")
EXERCISE = new_markdown_cell(
    f"```{{exercise}}\n:label: {LABEL}\n\nWrite `metrics_from_confusion(C)`.\n```\n\n"
    f"```{{solution-start}} {LABEL}\n:class: dropdown\n```"
)
SOLUTION = _code('''
    def metrics_from_confusion(C):
        """(pixel accuracy, class accuracy, mean IoU)."""
        ### BEGIN SOLUTION
        from segcourse.metrics import scores_from_confusion

        scores = scores_from_confusion(C)
        return scores["pixel_accuracy"], scores["class_accuracy"], scores["mean_iou"]
        ### END SOLUTION
''')
SOLUTION_END = new_markdown_cell("```{solution-end}\n```")
CHECK = _code("check.metrics_from_confusion(metrics_from_confusion)")


def notebook(*cells: nbformat.NotebookNode, chapter: str | None = None) -> nbformat.NotebookNode:
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    if chapter:
        metadata["segcourse"] = {"chapter": chapter}
    return new_notebook(cells=list(cells), metadata=metadata)


def record(exercise: str, ok: bool) -> dict:
    return {"exercise": exercise, "ok": ok, "passed": int(ok), "total": 1, "message": f"{exercise}: {ok}"}


def write(path: Path, nb: nbformat.NotebookNode) -> Path:
    nbformat.write(nb, path)
    return path


def read_csv(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == list(grade.COLUMNS)
    return {(Path(row["submission"]).name, row["exercise"]): row for row in rows}


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
    assert grade.chapter_of(notebook(EXERCISE), path) == "00"  # the exercise label is a chapter 0 check's
    assert grade.chapter_of(notebook(), tmp_path / "alice-00_introduction (1).ipynb") == "00"
    assert grade.chapter_of(None, tmp_path / "00_introduction.ipynb") == "00"
    assert grade.chapter_of(notebook(), path) is None


def test_rows_of_check_records():
    outcome = grade.Outcome("ok", chapter="00", notebook=notebook(), records=[
        record(LABEL, False), record("ex-not-known-to-the-grader", True), record(LABEL, True),
    ])
    rows = grade.rows_for("alice.ipynb", outcome)
    assert [(row.exercise, row.passed) for row in rows] == [(LABEL, True), ("ex-not-known-to-the-grader", True)]
    assert rows[0].cases == "1/1" and rows[0].message == f"{LABEL}: True"  # a check run twice: the last


def test_rows_say_why_a_check_did_not_run():
    error = new_output("error", ename="NameError", evalue="name 'metrics_from_confusion' is not defined",
                       traceback=[])
    raised = notebook(IMPORTS, _code("check.metrics_from_confusion(metrics_from_confusion)", [error]))
    hidden = notebook(IMPORTS, _code("result = check.metrics_from_confusion(metrics_from_confusion)"))
    cases = {
        "check not run: its cell 2 raised NameError: name 'metrics_from_confusion'": grade.Outcome(
            "raised", chapter="00", notebook=raised),
        "check not run: cell 2 calls check.metrics_from_confusion(...) but does not show": grade.Outcome(
            "ok", chapter="00", notebook=hidden),
        "not attempted: the check cell is missing": grade.Outcome("ok", chapter="00", notebook=notebook()),
        "check not run: the notebook stopped before it (timeout)": grade.Outcome(
            "timeout", chapter="00", notebook=notebook()),
        "not graded: the notebook could not be read (invalid-json)": grade.Outcome(
            "invalid-json", chapter="00"),
    }
    for message, outcome in cases.items():
        [row] = grade.rows_for("s.ipynb", outcome)
        assert row.exercise == LABEL and not row.passed and row.cases == ""
        assert row.message.startswith(message), row.message


def test_summary_and_csv(tmp_path):
    rows = [
        grade.Row("a.ipynb", LABEL, True, "9/9", "all passed", "ok", ""),
        grade.Row("a.ipynb", "ex-other", False, "1/9", "1 of 9, a, b", "ok", ""),
        grade.Row("b.png", "", False, "", "not graded", "not-a-notebook", "a .png file"),
    ]
    table = grade.summary(rows).splitlines()
    assert table[1].split() == ["a.ipynb", "1/2", "ok"]
    assert table[2].split()[:3] == ["b.png", "0/0", "not-a-notebook:"]
    grade.write_csv(rows, tmp_path / "grades.csv")
    written = read_csv(tmp_path / "grades.csv")
    assert written["a.ipynb", LABEL]["passed"] == "true"
    assert written["a.ipynb", "ex-other"]["message"] == "1 of 9, a, b"
    assert written["b.png", ""]["status"] == "not-a-notebook"


# --------------------------------------------------------------------------------------------------
# Executing submissions


def test_grade_a_class(tmp_path, capsys):
    """Solution, untouched student edition, a raising notebook, an endless one, broken files: one call."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "data.txt").write_text("data beside the submissions")
    solution = notebook(IMPORTS, EXERCISE, SOLUTION, SOLUTION_END, CHECK)
    passed = {"text/plain": "[PASSED]", check.RESULT_MIMETYPE: record(LABEL, True)}
    stale = new_output("execute_result", data=passed)
    paths = [
        write(folder / "solution.ipynb", solution),
        write(folder / "student.ipynb", student.make_student_edition(solution, chapter="00_introduction")),
        write(folder / "raises.ipynb", notebook(
            IMPORTS,
            _code("1 / 0"),
            _code("print(open('data.txt').read())\nopen('scribble.txt', 'w').write('mess')"),
            EXERCISE, SOLUTION, SOLUTION_END, CHECK,
            _code("undefined_name"),
        )),
        write(folder / "forever.ipynb", notebook(
            _code(f"""
                from IPython.display import display
                bundle = {{"text/plain": "ok", "{check.RESULT_MIMETYPE}": {record("ex-unknown", True)}}}
                display(bundle, raw=True)
            """),
            _code("while True:\n    pass"),
            _code("check.metrics_from_confusion(metrics_from_confusion)", [stale]),  # a stale PASSED
            chapter="00_introduction",
        )),
        folder / "alice-00_introduction.ipynb",
        folder / "picture.png",
        folder / "answers.py",
    ]
    text = json.dumps(nbformat.writes(solution))
    paths[4].write_text(text[: len(text) // 2])
    paths[5].write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    paths[6].write_text("def metrics_from_confusion(C):\n    return 1, 1, 1\n")
    before = {path: path.read_bytes() for path in paths}

    out = tmp_path / "grades.csv"
    options = ["--out", str(out), "--timeout", "25", "--executed", str(tmp_path / "run")]
    assert cli.main(["grade", *map(str, paths), *options]) == 0
    rows = read_csv(out)
    printed = capsys.readouterr().out

    def row(name: str, exercise: str = LABEL) -> dict[str, str]:
        return rows[name, exercise]

    assert row("solution.ipynb")["passed"] == "true" and row("solution.ipynb")["status"] == "ok"
    assert row("solution.ipynb")["cases"] == "9/9"
    assert row("student.ipynb")["passed"] == "false" and row("student.ipynb")["status"] == "ok"
    assert "not implemented yet" in row("student.ipynb")["message"]
    # A raising cell does not stop the notebook: the check after it is graded; the notebook reads its
    # folder's files, in a copy.
    assert row("raises.ipynb")["passed"] == "true" and row("raises.ipynb")["status"] == "raised"
    assert "cell 2: ZeroDivisionError" in row("raises.ipynb")["detail"]
    assert "NameError: name 'undefined_name' is not defined" in row("raises.ipynb")["detail"]
    assert not (folder / "scribble.txt").exists()
    # The endless notebook is stopped; the stale PASSED stored in it does not count; the check record of
    # an exercise the grader does not know is still reported.
    assert row("forever.ipynb")["status"] == "timeout" and "cell 2" in row("forever.ipynb")["detail"]
    assert row("forever.ipynb")["passed"] == "false"
    assert row("forever.ipynb")["message"].startswith("check not run: the notebook stopped before it")
    assert row("forever.ipynb", "ex-unknown")["passed"] == "true"
    # Broken files are recorded, never fatal.
    assert row("alice-00_introduction.ipynb")["status"] == "invalid-json"
    assert row("picture.png", "")["status"] == "not-a-notebook"
    assert row("answers.py", "")["status"] == "not-a-notebook"
    assert len(rows) == 8

    assert all(path.read_bytes() == before[path] for path in paths), "a submission was modified"
    assert (tmp_path / "run" / "001_solution.ipynb").exists()
    scores = {Path(line.split()[0]).name: line.split()[1] for line in printed.splitlines()
              if line.startswith(str(folder)) and not line.startswith("graded")}
    assert scores["solution.ipynb"] == "1/1" and scores["student.ipynb"] == "0/1"
    assert scores["forever.ipynb"] == "1/2" and scores["picture.png"] == "0/0"
    assert f"wrote 8 rows to {out}" in printed


def test_a_cell_that_runs_too_long_or_kills_the_kernel(tmp_path):
    sleepy = write(tmp_path / "sleepy.ipynb", notebook(_code("import time\ntime.sleep(60)"), chapter="00_x"))
    crash = write(tmp_path / "crash.ipynb", notebook(_code("1 + 1"), _code("import os\nos._exit(1)")))
    [sleepy_row] = grade.grade([sleepy], timeout=60, cell_timeout=2)
    assert sleepy_row.status == "timeout" and "per-cell limit" in sleepy_row.detail
    [crash_row] = grade.grade([crash], timeout=60)
    assert crash_row.status == "kernel-died" and "cell 2" in crash_row.detail


def test_the_introduction_solution_gets_full_marks():
    rows = grade.grade([ROOT / "book" / "00_introduction.ipynb"], timeout=300)
    assert rows and {row.status for row in rows} == {"ok"}, rows[0].detail
    assert [row.exercise for row in rows] == check.exercises_of_chapter("00")
    assert all(row.passed for row in rows), [row.message for row in rows if not row.passed]


def test_command_rejects_a_non_positive_timeout(tmp_path):
    assert cli.main(["grade", str(tmp_path / "x.ipynb"), "--timeout", "0"]) == 2


def test_the_instructor_guide_is_in_the_book_and_documents_the_grade_sheet():
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    appendices = next(part for part in toc["parts"] if part["caption"] == "Appendices")
    assert {"file": "book/appendix_instructor"} in appendices["chapters"]
    guide = (ROOT / "book" / "appendix_instructor.md").read_text(encoding="utf-8")
    for term in ("segcourse student", "make book-student", "segcourse grade", "--timeout", "--cell-timeout",
                 "### BEGIN SOLUTION", "segcourse/check/chNN.py"):
        assert term in guide, term
    for term in (*grade.COLUMNS, *grade.STATUSES):
        assert f"| `{term}` |" in guide, f"the guide's tables do not explain `{term}`"

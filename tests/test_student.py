"""The student edition (segcourse.student): solutions removed, stubs left, checks kept; it runs."""

from __future__ import annotations

import copy
import html
import re
import subprocess
import textwrap
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from segcourse import book, check, cli, grade, release, student

ROOT = Path(__file__).resolve().parents[1]
CHAPTER_NOTEBOOKS = student.chapter_notebooks(ROOT)
STUDENT_HTML = ROOT / "_build" / "student" / "html"

KERNELSPEC = {"name": "python3", "display_name": "Python 3"}
RECORD = {"exercise": "ex-demo-double", "ok": True, "passed": 2, "total": 2, "message": "all 2 cases passed."}

DOUBLE_SOLUTION = '''
def double(x):
    """Twice x."""
    ### BEGIN SOLUTION
    doubled = x + x  # secret line one
    return doubled
    ### END SOLUTION


class Pair:
    def both(self, x):
        ### BEGIN SOLUTION
        return (double(x), double(x))  # secret line two
        ### END SOLUTION
'''

DOUBLE_STUB = '''
def double(x):
    """Twice x."""
    raise NotImplementedError("your code here")


class Pair:
    def both(self, x):
        raise NotImplementedError("your code here")
'''


def _md(text: str) -> nbformat.NotebookNode:
    return new_markdown_cell(textwrap.dedent(text).strip())


def _code(text: str, count: int, outputs: list | None = None) -> nbformat.NotebookNode:
    return new_code_cell(textwrap.dedent(text).strip(), execution_count=count, outputs=outputs or [])


def demo_chapter() -> nbformat.NotebookNode:
    """A small chapter in the course's conventions: an implement exercise and an experiment exercise."""
    result = new_output("execute_result", execution_count=2, data={"text/plain": "[1, 2, 3]"})
    verdict = new_output("execute_result", execution_count=5,
                         data={"text/plain": "[PASSED] ex-demo-double: 2/2", check.RESULT_MIMETYPE: RECORD})
    return new_notebook(cells=[
        _code("# Colab set-up: installs segcourse ...\nimport sys", 1),
        _md("# Demo\n\nSome prose."),
        _code("numbers = [1, 2, 3]\nnumbers", 2, [result]),
        _md("""
            ## Exercises

            ```{exercise}
            :label: ex-demo-double

            Write `double(x)`.
            ```

            ```{solution-start} ex-demo-double
            :class: dropdown
            ```

            The SECRET PROSE explains the answer.
        """),
        _code(DOUBLE_SOLUTION, 3),
        _code("print(double(21))  # secret demo", 4, [new_output("stream", name="stdout", text="42\n")]),
        _md("```{solution-end}\n```\n\nTest your function:"),
        _code("check.double(double)", 5, [verdict]),
        _md("""
            :::{exercise}
            :label: ex-demo-experiment

            Measure something.
            :::

            :::{solution-start} ex-demo-experiment
            :class: dropdown
            :::
        """),
        _code("experiment = sum(numbers) * 1000  # secret experiment", 6,
              [new_output("stream", name="stdout", text="6000\n")]),
        _md("It is 6000, SECRET CONCLUSION.\n\n:::{solution-end}\n:::"),
        _md("## References"),
    ], metadata={"jupytext": {"formats": "ipynb,md:myst"}, "kernelspec": KERNELSPEC})


def all_text(notebook: nbformat.NotebookNode) -> str:
    return "\n".join(cell.source for cell in notebook.cells)


def leaks(original: nbformat.NotebookNode, edition: nbformat.NotebookNode) -> list[str]:
    """Solution code of ``original`` found in any cell of ``edition``: whole texts and distinctive lines.

    A line is distinctive when it is long and occurs nowhere in ``original`` outside the solutions: a line
    such as ``keras.utils.set_random_seed(0)`` that the chapter itself also runs reveals nothing.
    """
    cells = [cell.source for cell in edition.cells]
    solutions = student.solution_code(original)
    outside = "\n".join(cell.source for cell in original.cells)
    for text in solutions:
        outside = outside.replace(text, "")
    found = []
    for text in solutions:
        lines = [line.strip() for line in text.splitlines() if len(line.strip()) > 15]
        lines = [line for line in lines if line not in outside]
        found += [piece for piece in [text, *lines] if any(piece in cell for cell in cells)]
    return found


# --------------------------------------------------------------------------------------------------
# Stubs


def test_stub_keeps_the_signature_and_the_indentation():
    assert student.stub_solution_code(DOUBLE_SOLUTION.strip()) == DOUBLE_STUB.strip()


@pytest.mark.parametrize(
    "source",
    ["### BEGIN SOLUTION\nx = 1", "x = 1\n### END SOLUTION", "### BEGIN SOLUTION\n### BEGIN SOLUTION\n"],
)
def test_unbalanced_markers_are_an_error(source):
    with pytest.raises(ValueError, match="SOLUTION"):
        student.stub_solution_code(source)


# --------------------------------------------------------------------------------------------------
# A synthetic chapter


def test_student_edition_of_a_demo_chapter():
    original = demo_chapter()
    before = copy.deepcopy(original)
    edition = student.make_student_edition(original, chapter="99_demo")
    assert original == before, "the original notebook must not change"
    text = all_text(edition)

    # Solutions gone: directives, prose, code cells without markers and their outputs.
    for gone in ("solution-start", "solution-end", "SECRET PROSE", "SECRET CONCLUSION", "secret",
                 "print(double(21))", "6000", "BEGIN SOLUTION", "END SOLUTION"):
        assert gone not in text and gone not in str(edition.cells), gone
    assert leaks(original, edition) == []

    # Kept: the Colab cell, the prose, the exercise statements, the stubs (in place), the check.
    sources = [cell.source for cell in edition.cells]
    assert sources[0].startswith("# Colab set-up")
    assert "```{exercise}\n:label: ex-demo-double\n\nWrite `double(x)`.\n```" in text
    assert ":::{exercise}\n:label: ex-demo-experiment" in text
    stub = edition.cells[4]
    assert stub.cell_type == "code" and stub.source.startswith('def double(x):\n    """Twice x."""\n')
    assert stub.source.count('raise NotImplementedError("your code here")') == 2
    assert "\n        raise NotImplementedError" in stub.source  # the method's indentation
    assert sources[5] == "Test your function:"
    assert sources[6] == "check.double(double)"
    assert [c.cell_type for c in edition.cells] == ["code", "markdown", "code", "markdown", "code", "markdown",
                                                    "code", "markdown", "markdown"]

    # Outputs: cleared for the stub and the check (it would show the reference's verdict), kept elsewhere.
    assert edition.cells[6].outputs == [] and edition.cells[6].execution_count is None
    assert edition.cells[4].outputs == []
    assert edition.cells[2].outputs[0]["data"]["text/plain"] == "[1, 2, 3]"

    assert edition.metadata["segcourse"] == {"edition": "student", "chapter": "99_demo"}
    assert "formats" not in edition.metadata["jupytext"]
    nbformat.validate(edition)


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        ([new_markdown_cell("```{solution-start} ex-a\n:class: dropdown\n```"), new_code_cell("x = 1")],
         "has no solution-end"),
        ([new_markdown_cell("```{solution-end}\n```")], "solution-end without a solution-start"),
        ([new_markdown_cell("```{solution-start} ex-a\n```\n```{solution-start} ex-b\n```")], "inside"),
        ([new_code_cell("### BEGIN SOLUTION\nx = 1")], "without ### END SOLUTION"),
    ],
)
def test_malformed_solutions_are_reported(cells, problem):
    with pytest.raises(ValueError, match=problem):
        student.make_student_edition(new_notebook(cells=cells))


# --------------------------------------------------------------------------------------------------
# The real chapters


@pytest.mark.parametrize("path", CHAPTER_NOTEBOOKS, ids=lambda p: p.stem)
def test_no_solution_code_left_in_any_chapter(path):
    original = nbformat.read(path, as_version=4)
    edition = student.make_student_edition(original, chapter=path.stem)
    assert leaks(original, edition) == []
    text = all_text(edition)
    assert "{solution-start}" not in text and "{solution-end}" not in text and "BEGIN SOLUTION" not in text
    # Every marked function is left as a stub, every check is kept, with its output cleared.
    marked = sum(student.has_solution_markers(cell.source) for cell in original.cells)
    assert text.count(student.STUB) >= marked
    checks = [cell.source for cell in original.cells if student.is_check_cell(cell)]
    kept = [cell for cell in edition.cells if student.is_check_cell(cell)]
    assert [cell.source for cell in kept] == checks
    assert all(cell.outputs == [] for cell in kept)
    # Exercises stay: every label of the original is still stated.
    labels = re.findall(r":label: (ex-[\w-]+)", all_text(original))
    assert labels and all(f":label: {label}" in text for label in labels)


def test_write_student_edition_and_the_command(tmp_path, capsys):
    assert cli.main(["student", str(tmp_path / "out")]) == 0
    written = sorted((tmp_path / "out").glob("*.ipynb"))
    assert [p.name for p in written] == [p.name for p in CHAPTER_NOTEBOOKS]
    output = capsys.readouterr()
    assert f"wrote {written[0]}" in output.out
    notebook = nbformat.read(written[0], as_version=4)
    assert notebook.metadata["segcourse"]["chapter"] == CHAPTER_NOTEBOOKS[0].stem
    # The release it was made from, in every notebook; a development version is handed out with a warning.
    version = release.read_version(ROOT)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    expected = {"version": str(version), "release": version.is_release, "ref": release.git_ref(version, "main")}
    for path in written:
        made_from = nbformat.read(path, as_version=4).metadata["segcourse"]["made_from"]
        assert made_from == {**expected, **({"commit": head} if head else {})}
    assert ("hand out from a release" in output.err) is not version.is_release


def test_release_record_of_a_release_outside_git(tmp_path):
    (tmp_path / "segcourse").mkdir()
    (tmp_path / "segcourse" / "__init__.py").write_text('__version__ = "1.2.3"\n')
    (tmp_path / "_config.yml").write_text((ROOT / "_config.yml").read_text())
    assert student.release_record(tmp_path) == {"version": "1.2.3", "release": True, "ref": "v1.2.3"}


def test_student_book_sources(tmp_path):
    out = student.write_student_book(tmp_path / "student-book", ROOT)
    config = yaml.safe_load((out / "_config.yml").read_text())
    assert config["title"].endswith("(student edition)")
    # Colab opens the student notebooks (segcourse.release points it there); Binder would open the solutions.
    assert config["launch_buttons"]["colab_url"] == book.read_config(ROOT)["launch_buttons"]["colab_url"]
    assert "binderhub_url" not in config["launch_buttons"]
    assert config["sphinx"]["config"]["segcourse_edition"] == "student"
    assert config["bibtex_bibfiles"] == book.read_config(ROOT)["bibtex_bibfiles"]
    assert (out / "_toc.yml").read_text() == (ROOT / "_toc.yml").read_text()
    assert not list((out / "book").glob("[0-9][0-9]_*.md")), "the chapter sources hold the solutions"
    for path in CHAPTER_NOTEBOOKS:
        edition = nbformat.read(out / "book" / path.name, as_version=4)
        assert edition.metadata["segcourse"]["edition"] == "student"
    assert (out / "book" / "intro.md").exists() and (out / "book" / "references.bib").exists()
    # The Instructor guide shows the GitHub Classroom workflow from the package: the copy needs it too.
    assert Path("segcourse/templates/classroom.yml") in student.included_files(ROOT)
    for path in student.included_files(ROOT):
        assert (out / path).read_bytes() == (ROOT / path).read_bytes()


def test_included_files_outside_the_book(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "a.yml").write_text("a: 1\n")
    (tmp_path / "book" / "part.md").write_text("in the book\n")
    (tmp_path / "book" / "page.md").write_text(
        "```{literalinclude} ../extra/a.yml\n:language: yaml\n```\n\n```{include} part.md\n```\n"
    )
    assert student.included_files(tmp_path) == [Path("extra/a.yml")]
    (tmp_path / "book" / "bad.md").write_text("```{include} ../../elsewhere.md\n```\n")
    with pytest.raises(ValueError, match="bad.md includes ../../elsewhere.md"):
        student.included_files(tmp_path)


def test_student_edition_of_the_introduction_runs_top_to_bottom(tmp_path):
    """Executes the real introduction's student edition, whole: no cell raises, the checks say "not yet"."""
    [path] = [p for p in student.write_student_edition(tmp_path, ROOT) if p.stem == "00_introduction"]
    [submission] = grade.grade([path], grade.Settings(mode="full", timeout=300))
    assert submission.status == "ok", submission.detail
    assert submission.run.startswith("full: ")
    assert [v.exercise for v in submission.verdicts] == check.exercises_of_chapter("00")
    for verdict in submission.verdicts:
        assert not verdict.passed and verdict.visible.passed == 0
        assert "not implemented yet" in verdict.message


@pytest.mark.book
@pytest.mark.skipif(not (STUDENT_HTML / "index.html").exists(), reason="run `make book-student` first")
@pytest.mark.parametrize("path", CHAPTER_NOTEBOOKS, ids=lambda p: p.stem)
def test_built_student_book_has_no_solutions(path):
    page = (STUDENT_HTML / "book" / f"{path.stem}.html").read_text(encoding="utf-8")
    assert "solution dropdown" not in page and "(student edition)" in page
    # Colab opens the student notebook (tests/test_site.py follows the link), never the chapter's own.
    colab = re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', page)
    assert colab and all(f"/blob/{release.STUDENT_BRANCH}/" in link for link in colab), colab
    assert "mybinder.org" not in page
    text = html.unescape(re.sub(r"<[^>]+>", "", page))  # code is highlighted token by token
    notebook = nbformat.read(path, as_version=4)
    # Line by line: a line a solution shares with the chapter's own code (e.g. `models.segnet(...)` built in
    # the text and again in an answer) is on the page legitimately; no other line of a solution may be.
    kept = {
        line.strip()
        for cell in student.make_student_edition(notebook).cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
    }
    shown = {line.strip() for line in text.splitlines()}
    for solution in student.solution_code(notebook):
        for line in (line.strip() for line in solution.splitlines()):
            assert len(line) <= 15 or line in kept or line not in shown, line


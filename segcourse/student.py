"""The student edition of the chapters: solutions removed, exercise stubs left, checks kept.

Conventions of a chapter's exercises (``book/NN_name.md``), which this module relies on:

- An exercise is an ``{exercise}`` directive with a ``:label:``, followed by a gated solution: a
  ``{solution-start} LABEL`` directive (``:class: dropdown``), the solution's cells (prose and code), and a
  ``{solution-end}`` directive. (The directives may share a markdown cell with the prose around them.)
- In an exercise that asks for a function, the solution code cell that defines it marks the answer inside
  the function body with the lines ``### BEGIN SOLUTION`` and ``### END SOLUTION``. That cell holds only the
  definition (its demonstration goes into another solution cell): the student edition keeps it, in place,
  with the marked lines replaced by ``raise NotImplementedError("your code here")``.
- Every other solution cell is removed, with its outputs, and so are the solution-start/end directives and
  the solution prose. Later cells must not use what a solution cell computed.
- The check is an ordinary code cell after ``{solution-end}`` whose last expression is the check call,
  ``check.<name>(<student function>)``. It is kept, with its output cleared (it would show the reference's
  verdict), and it reports "NOT YET" without stopping the notebook while the stub is unanswered.

Every other kept cell keeps its outputs. The student notebook records its chapter in its metadata
(``metadata.segcourse.chapter``), which ``segcourse grade`` reads, and the release of the course it was made
from (``metadata.segcourse.made_from``: version, whether it is a release, git ref and commit). Its first cell
installs that release in Colab: hand out from a release (``git checkout vX.Y.Z``), so that the notebooks and
the package they install stay the same all term.

Command line: ``segcourse student OUT_DIR`` writes the student edition of every chapter notebook;
``segcourse student --book OUT_DIR`` writes a copy of the book's sources with those notebooks, which
``make book-student`` builds into ``_build/student/html``.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import nbformat

from segcourse import book, release

BEGIN_MARKER = "### BEGIN SOLUTION"
END_MARKER = "### END SOLUTION"
STUB = 'raise NotImplementedError("your code here")'

# The opening line of a solution-start or solution-end directive, with backtick or colon fences.
_DIRECTIVE = re.compile(r"^\s*(?P<fence>`{3,}|:{3,})\{(?P<name>solution-start|solution-end)\}\s*(?P<label>\S*)")
# A check call such as `check.metrics_from_confusion(...)` or `segcourse.check.x(...)`.
_CHECK_CALL = re.compile(r"\bcheck\.[A-Za-z_]\w*\s*\(")


# --------------------------------------------------------------------------------------------------
# Code cells


def has_solution_markers(source: str) -> bool:
    """Whether a code cell marks an answer with ``### BEGIN SOLUTION`` / ``### END SOLUTION``."""
    return BEGIN_MARKER in source


def stub_solution_code(source: str) -> str:
    """Replaces each marked block, markers included, by ``raise NotImplementedError(...)``, same indentation.

    Example:

    >>> source = "def f(x):\\n    ### BEGIN SOLUTION\\n    return 2 * x\\n    ### END SOLUTION"
    >>> print(stub_solution_code(source))
    def f(x):
        raise NotImplementedError("your code here")
    """
    lines, inside = [], False
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped == BEGIN_MARKER:
            if inside:
                raise ValueError(f"line {number}: {BEGIN_MARKER} inside another marked block")
            inside = True
            lines.append(line[: len(line) - len(line.lstrip())] + STUB)
        elif stripped == END_MARKER:
            if not inside:
                raise ValueError(f"line {number}: {END_MARKER} without {BEGIN_MARKER}")
            inside = False
        elif not inside:
            lines.append(line)
    if inside:
        raise ValueError(f"{BEGIN_MARKER} without {END_MARKER}")
    return "\n".join(lines)


def marked_code(source: str) -> list[str]:
    """The texts between the markers of a code cell (dedented): the part of the answer the student writes."""
    blocks, current = [], None
    for line in source.splitlines():
        if line.strip() == BEGIN_MARKER:
            current = []
        elif line.strip() == END_MARKER and current is not None:
            blocks.append(textwrap.dedent("\n".join(current)).strip())
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def is_check_cell(cell: nbformat.NotebookNode) -> bool:
    """Whether a code cell calls a check (by its source, or by the check record among its outputs)."""
    from segcourse.check import RESULT_MIMETYPE

    if cell.cell_type != "code":
        return False
    shows_record = any(RESULT_MIMETYPE in output.get("data", {}) for output in cell.get("outputs", []))
    return shows_record or bool(_CHECK_CALL.search(cell.source))


def _clear_outputs(cell: nbformat.NotebookNode) -> None:
    cell.outputs = []
    cell.execution_count = None
    cell.metadata.pop("execution", None)  # timings of the reference run


# --------------------------------------------------------------------------------------------------
# Markdown cells


def _strip_solutions(source: str, open_label: str | None) -> tuple[str, str | None]:
    """Removes solution directives and the solution prose from a markdown cell.

    Args:
        source: the cell's markdown.
        open_label: the label of the solution open at the start of the cell (``None`` outside solutions).

    Returns:
        ``(kept markdown, label of the solution still open at the end of the cell)``.
    """
    kept: list[str] = []
    closing_fence = None  # inside a solution-start/end directive block: the line that ends it
    for line in source.splitlines():
        if closing_fence is not None:
            if re.fullmatch(rf"\s*{re.escape(closing_fence[0])}{{{len(closing_fence)},}}\s*", line):
                closing_fence = None
            continue
        directive = _DIRECTIVE.match(line)
        if directive:
            closing_fence = directive["fence"]
            if directive["name"] == "solution-start":
                if open_label is not None:
                    raise ValueError(f"solution-start {directive['label']} inside the solution of {open_label}")
                open_label = directive["label"] or "?"
            else:
                if open_label is None:
                    raise ValueError("solution-end without a solution-start")
                open_label = None
            continue
        if open_label is None:
            kept.append(line)
    if closing_fence is not None:
        raise ValueError(f"unclosed solution directive fence {closing_fence!r}")
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return text, open_label


# --------------------------------------------------------------------------------------------------
# Notebooks


def make_student_edition(
    notebook: nbformat.NotebookNode, chapter: str | None = None, made_from: dict | None = None
) -> nbformat.NotebookNode:
    """The student edition of a chapter notebook (a new notebook; the argument is left unchanged).

    Removes the solutions (see the module docstring for the conventions), leaves the marked function
    cells as stubs, keeps the checks with their outputs cleared, and keeps everything else.

    Args:
        notebook: an nbformat v4 notebook, e.g. ``nbformat.read("book/00_introduction.ipynb", 4)``.
        chapter: the chapter's name (``"00_introduction"``), recorded in ``metadata.segcourse.chapter``.
        made_from: the release it is made from (``release_record(root)``), recorded in
            ``metadata.segcourse.made_from``.

    Returns:
        The student notebook.

    Raises:
        ValueError: when the solution directives or markers are malformed (a start without an end, ...).
    """
    student = copy.deepcopy(notebook)
    cells, open_label = [], None
    for index, cell in enumerate(student.cells):
        try:
            if cell.cell_type == "markdown":
                cell.source, open_label = _strip_solutions(cell.source, open_label)
                keep = bool(cell.source)
            elif cell.cell_type == "code" and has_solution_markers(cell.source):
                cell.source = stub_solution_code(cell.source)
                _clear_outputs(cell)
                keep = True
            elif open_label is not None:
                keep = False  # solution code without markers (a by-hand computation, an experiment)
            else:
                if is_check_cell(cell):
                    _clear_outputs(cell)
                keep = True
        except ValueError as error:
            raise ValueError(f"cell {index}: {error}") from None
        if keep:
            cells.append(cell)
    if open_label is not None:
        raise ValueError(f"the solution of {open_label} has no solution-end")
    student.cells = cells
    # No jupytext pairing: opening the student notebook must not write a .md with the stubs next to it.
    student.metadata.get("jupytext", {}).pop("formats", None)
    student.metadata["segcourse"] = {
        "edition": "student",
        **({"chapter": chapter} if chapter else {}),
        **({"made_from": made_from} if made_from else {}),
    }
    return student


def release_record(root: Path) -> dict:
    """The release of the course at ``root``: what ``segcourse student`` records in every notebook.

    Returns:
        ``{"version": "0.2.0", "release": True, "ref": "v0.2.0", "commit": "<sha of HEAD>"}``; ``release`` is
        False for a development version (whose ref is the development branch), and ``commit`` is absent
        outside a git checkout.
    """
    version = release.read_version(root)
    branch = book.read_config(root)["repository"].get("branch", "main")
    record = {"version": str(version), "release": version.is_release, "ref": release.git_ref(version, branch)}
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True)
    if done.returncode == 0:
        record["commit"] = done.stdout.strip()
    return record


def solution_code(notebook: nbformat.NotebookNode) -> list[str]:
    """The code a student edition must not contain: the marked answers and every other solution code cell.

    Useful to verify a student edition (no element of this list may appear in any of its cells).
    """
    texts, open_label = [], None
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            _, open_label = _strip_solutions(cell.source, open_label)
        elif has_solution_markers(cell.source):
            texts += [text for text in marked_code(cell.source) if text]
        elif open_label is not None and cell.source.strip():
            texts.append(cell.source.strip())
    return texts


def chapter_notebooks(root: Path) -> list[Path]:
    """The chapter notebooks ``book/NN_name.ipynb`` of the book at ``root``, in order."""
    notebooks = [source.with_suffix(".ipynb") for source in book.chapter_sources(root)]
    missing = [path.name for path in notebooks if not path.exists()]
    if missing:
        raise FileNotFoundError(f"no notebook for {', '.join(missing)}: run `make notebooks`")
    return notebooks


def write_student_edition(out_dir: Path | str, root: Path | str | None = None) -> list[Path]:
    """Writes the student edition of every chapter notebook into ``out_dir``.

    Args:
        out_dir: the folder to write to (created if needed); notebooks keep their names.
        root: the repository root (default: found from the current folder).

    Returns:
        The paths written.
    """
    root = Path(root) if root else book.find_root()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    origin = release_record(root)
    written = []
    for path in chapter_notebooks(root):
        student = make_student_edition(nbformat.read(path, as_version=4), chapter=path.stem, made_from=origin)
        nbformat.write(student, out_dir / path.name)
        written.append(out_dir / path.name)
    return written


def student_book_config(config: dict) -> dict:
    """The ``_config.yml`` of the student book: the same, titled so, with Colab buttons on student notebooks.

    ``segcourse_edition: student`` makes the extension ``segcourse.release`` point the Colab buttons at the
    student notebooks that the publish workflow writes to ``release.STUDENT_BRANCH`` (in the folder of the
    release, or of the development branch) and publish the book under ``student/``. The Binder and JupyterHub
    buttons, which would open the repository and its solutions, are removed; the download button serves the
    page's own (student) notebook.
    """
    config = copy.deepcopy(config)
    config["title"] = f"{config.get('title', 'Book')} (student edition)"
    launch = config.get("launch_buttons", {})
    for key in ("binderhub_url", "jupyterhub_url", "thebe"):
        launch.pop(key, None)
    config.setdefault("sphinx", {}).setdefault("config", {})["segcourse_edition"] = "student"
    return config


_INCLUDE = re.compile(r"^[`:]{3,}\{(?:literalinclude|include)\}\s+(\S+)", re.MULTILINE)


def included_files(root: Path | str) -> list[Path]:
    """Files outside ``book/`` that the book's pages include (``{include}``, ``{literalinclude}``).

    Returns:
        Their paths relative to ``root``, sorted. A path that leaves ``root`` raises ``ValueError``.
    """
    root = Path(root).resolve()
    found = set()
    for page in sorted((root / "book").rglob("*.md")):
        if "_build" in page.parts:
            continue
        for target in _INCLUDE.findall(page.read_text(encoding="utf-8")):
            path = (page.parent / target).resolve()
            if not path.is_relative_to(root):
                raise ValueError(
                    f"{page.relative_to(root)} includes {target}, which is outside the book's root {root}"
                )
            if not path.is_relative_to(root / "book"):
                found.add(path.relative_to(root))
    return sorted(found)


def write_student_book(out_dir: Path | str, root: Path | str | None = None) -> Path:
    """Writes the sources of the book without solutions: ``_config.yml``, ``_toc.yml``, ``book/``.

    The chapters are their student editions (notebooks only: the paired ``.md`` files, which hold the
    solutions, are not copied); every other page and file of ``book/`` is copied as is, and so are the files
    outside ``book/`` that its pages include (:func:`included_files`). Build it with
    ``jupyter-book build OUT_DIR`` (``make book-student`` does).

    Returns:
        ``out_dir``.
    """
    import yaml

    root = Path(root) if root else book.find_root()
    out_dir = Path(out_dir)
    chapters = {path.name for path in chapter_notebooks(root)}
    chapters |= {source.name for source in book.chapter_sources(root)}
    if (out_dir / "book").exists():
        shutil.rmtree(out_dir / "book")
    skipped = chapters | {"_build", ".ipynb_checkpoints"}
    shutil.copytree(root / "book", out_dir / "book", ignore=lambda _, names: [n for n in names if n in skipped])
    shutil.copy2(root / "_toc.yml", out_dir / "_toc.yml")
    for path in included_files(root):
        (out_dir / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / path, out_dir / path)
    config = student_book_config(book.read_config(root))
    (out_dir / "_config.yml").write_text(
        "# Generated by `segcourse student --book` from the course's _config.yml: do not edit.\n"
        + yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    write_student_edition(out_dir / "book", root)
    return out_dir


__all__ = [
    "BEGIN_MARKER",
    "END_MARKER",
    "STUB",
    "chapter_notebooks",
    "has_solution_markers",
    "included_files",
    "is_check_cell",
    "make_student_edition",
    "marked_code",
    "release_record",
    "solution_code",
    "stub_solution_code",
    "student_book_config",
    "write_student_book",
    "write_student_edition",
]

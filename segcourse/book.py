"""Maintenance of the course's chapter notebooks: the Colab set-up cell, .md/.ipynb pairing and execution.

Every chapter is a jupytext MyST Markdown file ``book/NN_name.md`` (the source a maintainer edits) paired with
``book/NN_name.ipynb`` (what Colab opens and the book renders, with stored outputs). Run from the repository
root::

    python -m segcourse.book sync              # rewrite the Colab cells from _config.yml, update the .ipynb
    python -m segcourse.book execute           # execute the .ipynb files in place, storing their outputs
    python -m segcourse.book check             # exit 1 if a pair is out of sync or a Colab cell is stale
    python -m segcourse.book format [NN_name]  # format the code cells with ruff to fit the book's column
    python -m segcourse.book pages [NN_name]   # list what keeps a chapter from reading like a page (exit 1)

``make notebooks`` runs the first two. What the first code cell of every chapter installs follows from one
setting, the version in ``segcourse/__init__.py`` (see ``segcourse.release``): a release installs itself from
PyPI, a development version installs the development branch of the repository named in ``_config.yml``
(``repository.url`` and ``repository.branch``, the one place the repository is written). ``sync`` writes it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

#: The variable that overrides where the Colab cell installs segcourse from, a pip requirement such as a local
#: checkout's path, a wheel or a git URL. Tests use it to install from the local checkout.
SOURCE_VARIABLE = "SEGCOURSE_SOURCE"

COLAB_MARKER = "# Colab set-up"

# Lines of at most CODE_WIDTH characters (for a requirement of up to about 60): the cell fits the book's column.
_COLAB_TEMPLATE = """\
# Colab set-up: installs segcourse in Google Colab; does nothing elsewhere.
import os
import subprocess
import sys

SEGCOURSE = "{requirement}"
if "google.colab" in sys.modules:
    source = os.environ.get("{variable}", SEGCOURSE)
    pip = [sys.executable, "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, source], check=True)"""


def find_root(start: Path | None = None) -> Path:
    """The repository root: the nearest folder, from ``start`` upwards, that holds ``_config.yml``."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "_config.yml").is_file() and (folder / "book").is_dir():
            return folder
    raise FileNotFoundError(f"No _config.yml with a book/ folder beside it in {start} or its parents.")


def read_config(root: Path) -> dict:
    """The parsed ``_config.yml`` of the book at ``root``."""
    import yaml

    return yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))


def install_requirement(root: Path) -> str:
    """The pip requirement that the Colab cells install, from the version in ``segcourse/__init__.py``.

    A release ``X.Y.Z`` installs ``segcourse==X.Y.Z`` from PyPI; a development version ``X.Y.Z.devN`` installs
    the development branch of the repository named in ``_config.yml`` (see ``segcourse.release``).
    """
    from segcourse import release

    repository = read_config(root)["repository"]
    return release.install_requirement(
        release.read_version(root), repository["url"], repository.get("branch", "main")
    )


def colab_cell(requirement: str) -> str:
    """The source of a chapter's first code cell, installing ``requirement`` only in Colab."""
    return _COLAB_TEMPLATE.format(variable=SOURCE_VARIABLE, requirement=requirement)


def chapter_sources(root: Path) -> list[Path]:
    """The jupytext MyST sources of the chapters: ``book/NN_*.md``, in order."""
    return sorted(p for p in (root / "book").glob("[0-9][0-9]_*.md"))


def first_code_cell(notebook) -> object:
    """The first code cell of an nbformat notebook (raises ValueError when there is none)."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            return cell
    raise ValueError("notebook has no code cell")


def pair_differences(md_path: Path) -> list[str]:
    """How the .ipynb twin of ``md_path`` differs from it (cell types and sources); empty when in sync."""
    import jupytext
    import nbformat

    ipynb_path = md_path.with_suffix(".ipynb")
    if not ipynb_path.exists():
        return [f"{ipynb_path.name} is missing"]
    text = jupytext.read(md_path)
    stored = nbformat.read(ipynb_path, as_version=4)
    problems = []
    if len(text.cells) != len(stored.cells):
        problems.append(f"{len(text.cells)} cells in {md_path.name}, {len(stored.cells)} in {ipynb_path.name}")
    for index, (a, b) in enumerate(zip(text.cells, stored.cells, strict=False)):
        if a.cell_type != b.cell_type or a.source.strip() != b.source.strip():
            problems.append(f"cell {index} differs: {a.source.strip()[:60]!r} vs {b.source.strip()[:60]!r}")
    return problems


def sync(root: Path, sources: Sequence[Path] | None = None) -> list[Path]:
    """Rewrites each chapter's Colab cell from ``_config.yml`` and updates its .ipynb, keeping outputs.

    Args:
        root: the repository root.
        sources: the chapter ``.md`` files to sync; all chapters by default.

    Returns the chapter sources it touched.
    """
    import jupytext

    cell = colab_cell(install_requirement(root))
    sources = chapter_sources(root) if sources is None else list(sources)
    for md_path in sources:
        notebook = jupytext.read(md_path)
        first = first_code_cell(notebook)
        if not first.source.startswith(COLAB_MARKER):
            raise ValueError(f"{md_path}: the first code cell must be the Colab set-up cell")
        if first.source != cell:
            text = md_path.read_text(encoding="utf-8")
            if text.count(first.source) == 1:
                # Only the cell's lines change (a release commit shows just its install line); writing the
                # notebook back through jupytext would also normalise the rest of the file.
                md_path.write_text(text.replace(first.source, cell), encoding="utf-8")
            else:
                first.source = cell
                jupytext.write(notebook, md_path, fmt="md:myst")
        ipynb_path = md_path.with_suffix(".ipynb")
        if ipynb_path.exists():
            # Keep the stored outputs of unchanged cells (jupytext --update).
            stored = jupytext.read(ipynb_path)
            notebook = jupytext.combine.combine_inputs_with_outputs(jupytext.read(md_path), stored)
        else:
            notebook = jupytext.read(md_path)
        jupytext.write(notebook, ipynb_path, fmt="ipynb")
    return sources


#: The kernel that ``register_kernel`` (``execute(..., python=...)``) registers for another interpreter.
OTHER_KERNEL = "segcourse-other-python"


def register_kernel(python: str, folder: Path) -> str:
    """Registers a kernel running ``python`` under ``folder`` (put on JUPYTER_PATH); returns its name.

    The interpreter's environment needs ipykernel. ``execute`` uses it for the Colab stand-in, the Binder test
    (tests/test_dist.py) for a fresh environment made from binder/requirements.txt.
    """
    import json
    import os

    spec = folder / "kernels" / OTHER_KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    argv = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "Python 3 (ipykernel)", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(folder), os.environ.get("JUPYTER_PATH")]))
    return OTHER_KERNEL


def execute(paths: Sequence[Path], timeout: int = 600, python: str | None = None) -> dict[str, float]:
    """Executes notebooks in place (kernel started in the notebook's folder); returns seconds per notebook.

    Args:
        paths: the notebooks to execute.
        timeout: seconds each cell may take.
        python: the interpreter of the kernel (default: this one). ``make notebooks`` passes the Colab
            stand-in's, so that the stored outputs come from the versions Colab runs.
    """
    import tempfile

    import nbformat
    from nbclient import NotebookClient

    seconds = {}
    with tempfile.TemporaryDirectory(prefix="segcourse-kernel-") as folder:
        kernel_name = "python3" if python is None else register_kernel(python, Path(folder))
        for path in paths:
            notebook = nbformat.read(path, as_version=4)
            kernelspec = dict(notebook.metadata.get("kernelspec", {}))
            start = time.perf_counter()
            resources = {"metadata": {"path": str(path.parent)}}
            NotebookClient(notebook, timeout=timeout, kernel_name=kernel_name, resources=resources).execute()
            seconds[path.stem] = time.perf_counter() - start
            if kernelspec:  # what Colab and Jupyter read; the kernel that ran here is not theirs
                notebook.metadata["kernelspec"] = kernelspec
            nbformat.write(notebook, path)
            print(f"executed {path.name} in {seconds[path.stem]:.1f} s")
    return seconds


#: Characters of code a line may hold so that it shows without a horizontal scroll bar in the book's column
#: (measured in Chromium on the built book at 1024x768 and 1280x900; tests/test_book_browser.py checks it).
CODE_WIDTH = 79

#: The most lines a visible code cell may have (longer plumbing goes into the package or is collapsed).
VISIBLE_CELL_LINES = 25

_HIDDEN_TAGS = {"hide-input", "remove-input", "hide-cell", "remove-cell"}


def format_code(source: str, width: int = CODE_WIDTH) -> str:
    """``source`` formatted by ruff at ``width`` characters a line (unchanged if it holds IPython magics)."""
    import subprocess

    if any(line.lstrip().startswith(("%", "!")) for line in source.splitlines()):
        return source
    command = [sys.executable, "-m", "ruff", "format", "--line-length", str(width)]
    done = subprocess.run(
        [*command, "--stdin-filename", "cell.py", "-"],
        input=source,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise ValueError(f"ruff could not format this cell:\n{source[:200]}\n{done.stderr}")
    return done.stdout.rstrip("\n")


def format_chapters(sources: Sequence[Path], width: int = CODE_WIDTH) -> list[Path]:
    """Formats the code cells of chapter ``.md`` files with ruff at ``width``; returns the files it changed.

    The Colab set-up cell is left as ``sync`` writes it. Run ``sync`` afterwards to update the ``.ipynb``
    (cells whose code changed lose their outputs until the chapter is executed again).
    """
    import jupytext

    changed = []
    for md_path in sources:
        notebook = jupytext.read(md_path)
        touched = False
        for cell in notebook.cells:
            if cell.cell_type != "code" or cell.source.startswith(COLAB_MARKER):
                continue
            formatted = format_code(cell.source, width)
            if formatted != cell.source:
                cell.source = formatted
                touched = True
        if touched:
            jupytext.write(notebook, md_path, fmt="md:myst")
            changed.append(md_path)
    return changed


def _visible(cell) -> bool:
    return not _HIDDEN_TAGS & set(cell.metadata.get("tags", []))


def _image_outputs(cell) -> int:
    return sum(1 for output in cell.get("outputs", []) if "image/png" in output.get("data", {}))


def page_problems(md_path: Path, width: int = CODE_WIDTH) -> list[str]:
    """What keeps a chapter from reading like a textbook page, found in its ``.md`` and executed ``.ipynb``.

    - a code line longer than ``width`` (it would scroll sideways in the book's column);
    - a visible code cell longer than ``VISIBLE_CELL_LINES`` lines;
    - a printed output line longer than ``width`` (results wider than the column belong in a table);
    - a figure output without a numbered caption and a name (``mystnb.figure.caption`` and ``.name``) or
      without alternative text (``mystnb.image.alt``), or more than one figure in a cell.
    """
    import nbformat

    problems = []
    notebook = nbformat.read(md_path.with_suffix(".ipynb"), as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells):
        where = f"{md_path.name} code cell {number}"
        lines = cell.source.splitlines()
        for line in lines:
            if len(line) > width:
                problems.append(f"{where}: code line of {len(line)} characters: {line.strip()[:50]!r}")
        if _visible(cell) and len(lines) > VISIBLE_CELL_LINES:
            problems.append(f"{where}: {len(lines)} visible lines (at most {VISIBLE_CELL_LINES})")
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            if "text/html" in output.get("data", {}):
                continue  # shown as HTML (a table), which the browser tests check
            for line in str(text).splitlines():
                if len(line) > width:
                    problems.append(f"{where}: output line of {len(line)} characters: {line.strip()[:50]!r}")
        images = _image_outputs(cell)
        if images:
            options = cell.metadata.get("mystnb", {})
            figure, image = options.get("figure", {}), options.get("image", {})
            if images > 1:
                problems.append(f"{where}: {images} figures in one cell (one figure, one caption)")
            if not figure.get("caption") or not figure.get("name"):
                problems.append(f"{where}: figure without a caption and a name (mystnb.figure)")
            if not image.get("alt"):
                problems.append(f"{where}: figure without alternative text (mystnb.image.alt)")
    return problems


def stale_colab_cells(root: Path) -> list[str]:
    """Chapters whose .md or .ipynb Colab cell does not match ``_config.yml``."""
    import jupytext

    expected = colab_cell(install_requirement(root))
    stale = []
    for md_path in chapter_sources(root):
        for path in (md_path, md_path.with_suffix(".ipynb")):
            if path.exists() and first_code_cell(jupytext.read(path)).source.strip() != expected:
                stale.append(str(path.relative_to(root)))
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of ``python -m segcourse.book``."""
    parser = argparse.ArgumentParser(prog="python -m segcourse.book", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("sync", "execute", "check", "format", "pages"))
    parser.add_argument("chapters", nargs="*", help="chapter names or paths (default: all)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell when executing")
    parser.add_argument("--python", help="interpreter of the kernel that executes (default: this one)")
    args = parser.parse_intermixed_args(argv)
    root = find_root()
    sources = chapter_sources(root)
    if args.chapters:
        wanted = {Path(c).stem for c in args.chapters}
        sources = [s for s in sources if s.stem in wanted]
        missing = wanted - {s.stem for s in sources}
        if missing:
            parser.error(f"no chapter named {', '.join(sorted(missing))}")
    if args.action == "sync":
        sync(root, sources)
        print(f"synced {len(sources)} chapter pair(s)")
    elif args.action == "execute":
        execute([s.with_suffix(".ipynb") for s in sources], timeout=args.timeout, python=args.python)
    elif args.action == "format":
        changed = format_chapters(sources)
        print(f"formatted {len(changed)} chapter(s) at {CODE_WIDTH} characters: run `make sync`, then execute")
    elif args.action == "pages":
        problems = [problem for source in sources for problem in page_problems(source)]
        print("\n".join(problems) or f"{len(sources)} chapter page(s) without problems")
        return 1 if problems else 0
    else:
        problems = stale_colab_cells(root)
        problems += [f"{s.name}: {d}" for s in sources for d in pair_differences(s)]
        print("\n".join(problems) or "all chapter pairs in sync")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "CODE_WIDTH",
    "SOURCE_VARIABLE",
    "VISIBLE_CELL_LINES",
    "format_chapters",
    "format_code",
    "page_problems",
    "chapter_sources",
    "colab_cell",
    "execute",
    "find_root",
    "install_requirement",
    "pair_differences",
    "register_kernel",
    "stale_colab_cells",
    "sync",
]


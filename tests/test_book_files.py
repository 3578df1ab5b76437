"""The book's files agree with each other: the table of contents, the .md/.ipynb pairs, the Colab cells."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from segcourse import book, release

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = book.chapter_sources(ROOT)


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


def test_there_are_chapters():
    assert CHAPTERS, "no book/NN_*.md chapter found"


def test_toc_lists_only_existing_pages():
    for entry in toc_files():
        candidates = [ROOT / f"{entry}{ext}" for ext in (".md", ".ipynb")]
        assert any(c.exists() for c in candidates), f"_toc.yml lists {entry}, which is not on disk"


def test_every_chapter_is_in_the_toc():
    listed = set(toc_files())
    for md_path in CHAPTERS:
        assert f"book/{md_path.stem}" in listed, f"{md_path.name} is not listed in _toc.yml"


@pytest.mark.parametrize("md_path", CHAPTERS, ids=lambda p: p.stem)
def test_pair_in_sync(md_path):
    assert book.pair_differences(md_path) == []


@pytest.mark.parametrize("md_path", CHAPTERS, ids=lambda p: p.stem)
def test_notebook_stores_outputs(md_path):
    notebook = json.loads(md_path.with_suffix(".ipynb").read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code and all(c.get("execution_count") for c in code), "run `make notebooks`: cells not executed"
    assert any(c["outputs"] for c in code), "no stored output"


def test_colab_cells_match_the_repository_in_config():
    """Every chapter installs what the version says: the release from PyPI, or the development branch."""
    assert book.stale_colab_cells(ROOT) == []
    requirement = book.install_requirement(ROOT)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    version = release.read_version(ROOT)
    if version.is_release:
        assert requirement == f"segcourse=={version}"
    else:
        assert requirement == f"git+{config['repository']['url']}@{config['repository']['branch']}"
    assert config["repository"]["branch"] == "main"


def run_colab_cell(tmp_path: Path, in_colab: bool, source: str | None) -> list[list[str]]:
    """Runs the Colab cell in a fresh interpreter with pip replaced by a recorder; returns the calls."""
    script = tmp_path / "cell.py"
    fake_colab = "import types; sys.modules['google.colab'] = types.ModuleType('google.colab')\n"
    script.write_text(
        "import json, subprocess, sys\n"
        "calls = []\n"
        "subprocess.run = lambda args, check: calls.append(args)\n"
        + (fake_colab if in_colab else "")
        + book.colab_cell(book.install_requirement(ROOT))
        + "\nprint(json.dumps(calls))\n"
    )
    env = {"PATH": "/usr/bin:/bin"}
    if source:
        env[book.SOURCE_VARIABLE] = source
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout)


def test_colab_cell_does_nothing_outside_colab(tmp_path):
    assert run_colab_cell(tmp_path, in_colab=False, source=None) == []


def test_colab_cell_installs_from_the_repository_in_colab(tmp_path):
    calls = run_colab_cell(tmp_path, in_colab=True, source=None)
    assert len(calls) == 1 and calls[0][-1] == book.install_requirement(ROOT)
    assert calls[0][1:4] == ["-m", "pip", "install"]


def test_colab_cell_source_can_be_overridden(tmp_path):
    calls = run_colab_cell(tmp_path, in_colab=True, source=str(ROOT))
    assert calls[0][-1] == str(ROOT)


def test_sync_check_command_passes():
    done = subprocess.run(
        [sys.executable, "-m", "segcourse.book", "check"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


# --- the chapters as textbook pages (issue 14) ---------------------------------------------------------------


@pytest.mark.parametrize("md_path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_page_has_no_layout_problem(md_path):
    # Code and printed lines that fit the column, short visible cells, figures with captions and alt text.
    problems = book.page_problems(md_path)
    assert problems == [], "\n".join(problems)


# A role, plain (`~segcourse.models.fcn`) or with a title (`models.fcn(...) <segcourse.models.fcn>`).
_ROLE = re.compile(r"\{py:(?:func|class|meth|data|attr|mod)\}`(?:[^`<]*<)?~?segcourse\.(\w+)\.(\w+)")
_CODE = re.compile(r"(?<![`\w])`(?:segcourse\.)?(\w+)\.(\w+)(?:\([^`]*\))?`")


def first_mentions(md_path: Path) -> dict[tuple[str, str], bool]:
    """For each public segcourse name the chapter's prose mentions: whether its first mention is a link."""
    import jupytext

    modules = ("data", "metrics", "layers", "reference", "models", "runtime", "viz", "check")
    public = {module_name: set(book.public_names(module_name)) for module_name in modules}
    first: dict[tuple[str, str], bool] = {}
    for cell in jupytext.read(md_path).cells:
        if cell.cell_type != "markdown":
            continue
        found = [(m.start(), (m[1], m[2]), True) for m in _ROLE.finditer(cell.source)]
        found += [(m.start(), (m[1], m[2]), False) for m in _CODE.finditer(cell.source)]
        for _, key, linked in sorted(found):
            if key[0] in public and key[1] in public[key[0]]:
                first.setdefault(key, linked)
    return first


@pytest.mark.parametrize("md_path", CHAPTERS, ids=lambda p: p.stem)
def test_first_mention_of_a_segcourse_function_links_to_the_api_reference(md_path):
    unlinked = sorted(f"{m}.{n}" for (m, n), linked in first_mentions(md_path).items() if not linked)
    assert unlinked == [], f"first mentioned without a link to the API reference: {unlinked}"

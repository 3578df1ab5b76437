"""The built book (`make book` writes _build/html): every chapter rendered, with outputs and a Colab link.

Run after `make book` (`make test` does: its book-check target builds first). Skipped, with the reason, when
no build exists, so that `make unit` can run alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from segcourse import book

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHAPTERS = book.chapter_sources(ROOT)

pytestmark = pytest.mark.skipif(not (HTML / "index.html").exists(), reason="run `make book` first")

COLAB = re.compile(r'href="https://colab\.research\.google\.com/github/([^/"]+/[^/"]+)/blob/([^/"]+)/([^"]+)"')


def page(md_path: Path) -> str:
    return (HTML / "book" / f"{md_path.stem}.html").read_text(encoding="utf-8")


def test_index_and_intro_exist():
    assert (HTML / "index.html").exists()
    assert "Semantic Segmentation" in (HTML / "book" / "intro.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("md_path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_has_a_colab_link_to_its_notebook(md_path):
    links = COLAB.findall(page(md_path))
    assert links, "no Colab launch link"
    config = book.read_config(ROOT)["repository"]
    for repository, branch, path in links:
        assert f"https://github.com/{repository}" == config["url"].rstrip("/")
        assert branch == "main"
        assert path.endswith(".ipynb") and (ROOT / path).is_file(), path
        assert path == f"book/{md_path.stem}.ipynb"


@pytest.mark.parametrize("md_path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_shows_outputs_and_no_errors(md_path):
    html = page(md_path)
    assert "cell_output" in html, "no stored outputs rendered"
    for bad in ("Traceback (most recent call last)", "ERROR:", "output stderr"):
        assert bad not in html, f"{bad!r} rendered in {md_path.stem}"


@pytest.mark.parametrize("md_path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_figures_are_embedded(md_path):
    images = re.findall(r'<img [^>]*src="([^"]+)"', page(md_path))
    # The theme's own pictures (the Binder and Colab logos of the launch menu) are not the chapter's figures.
    assert [s for s in images if "_static/" not in s], "no figure rendered"
    for source in images:
        if not source.startswith(("data:", "http")):
            assert (HTML / "book" / source).resolve().is_file(), source


@pytest.mark.parametrize("md_path", CHAPTERS, ids=lambda p: p.stem)
def test_solutions_are_in_dropdowns(md_path):
    html = page(md_path)
    exercises = html.count('class="exercise admonition')
    if exercises:
        assert html.count("solution dropdown") >= exercises

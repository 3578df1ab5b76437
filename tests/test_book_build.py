"""The built book (`make book` writes _build/html): every chapter rendered, with outputs and a Colab link.

Run after `make book` (`make test` does: its book-check target builds first). Skipped, with the reason, when
no build exists, so that `make unit` can run alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from segcourse import book, release

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHAPTERS = book.chapter_sources(ROOT)
CONFIG = book.read_config(ROOT)
VERSION = release.read_version(ROOT)
#: The ref the launch buttons open: the release's tag, or the development branch (segcourse.release).
REF = release.git_ref(VERSION, CONFIG["repository"]["branch"])

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
        assert branch == REF
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


BINDER = re.compile(r'href="https://mybinder\.org/v2/gh/([^/"]+/[^/"]+)/([^/"?]+)\?urlpath=tree/([^"]+)"')


@pytest.mark.parametrize("md_path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_has_a_binder_link_to_its_notebook(md_path):
    """Binder builds the same ref (its binder/requirements.txt installs that checkout) and opens the chapter."""
    [(repository, ref, path)] = BINDER.findall(page(md_path))
    assert f"https://github.com/{repository}" == CONFIG["repository"]["url"].rstrip("/")
    assert ref == REF and path == f"book/{md_path.stem}.ipynb"


def _pages() -> list[Path]:
    return sorted(p for p in HTML.glob("book/*.html"))


def test_every_page_names_the_version_and_the_licences():
    url = CONFIG["repository"]["url"].rstrip("/")
    for path in _pages():
        html = path.read_text(encoding="utf-8")
        assert f'data-segcourse-version="{VERSION}"' in html, path.name
        assert f'href="{url}/blob/{REF}/LICENSE">MIT</a>' in html, path.name
        assert f'href="{url}/blob/{REF}/LICENSE-CONTENT">CC BY 4.0</a>' in html, path.name
        assert ("Development version of the course" in html) is not VERSION.is_release, path.name


def test_canonical_links_and_sitemap_give_the_published_address():
    base = CONFIG["html"]["baseurl"] + release.site_path(VERSION)
    pages = _pages()
    for path in pages:
        address = f"{base}{path.relative_to(HTML).as_posix()}"
        assert f'<link rel="canonical" href="{address}" />' in path.read_text(encoding="utf-8"), path.name
    listed = re.findall(r"<loc>([^<]+)</loc>", (HTML / "sitemap.xml").read_text(encoding="utf-8"))
    assert sorted(listed) == sorted(f"{base}{p.relative_to(HTML).as_posix()}" for p in pages)


def test_favicon_is_linked_and_shipped():
    html = (HTML / "book" / "intro.html").read_text(encoding="utf-8")
    [href] = re.findall(r'<link rel="icon" href="([^"]+)"', html)
    icon = (HTML / "book" / href).resolve()
    assert icon.is_file() and icon.read_bytes() == (ROOT / CONFIG["html"]["favicon"]).read_bytes()

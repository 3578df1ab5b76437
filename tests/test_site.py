"""The published site as the publish workflow lays it out (`make site`, segcourse.release.compose_site).

Run after `make book book-student` (`make test` does, in book-check). The site is composed from the two builds
into a temporary folder, as .github/workflows/publish.yml does for main and for the newest release; then:

- every page's canonical address is where the site puts it, under html.baseurl;
- every Colab button of the student book opens a notebook that the same step writes for the student-notebooks
  branch, and that notebook is the student edition of that chapter, made from this release;
- robots.txt names the editions' sitemaps, and the site's root leads to a book.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from segcourse import book, release, student

ROOT = Path(__file__).resolve().parents[1]
BUILDS = [ROOT / "_build" / "html", ROOT / "_build" / "student" / "html"]
CHAPTERS = book.chapter_sources(ROOT)
CONFIG = book.read_config(ROOT)
VERSION = release.read_version(ROOT)
BASEURL = CONFIG["html"]["baseurl"]

pytestmark = [
    pytest.mark.book,
    pytest.mark.skipif(not all((b / "index.html").exists() for b in BUILDS), reason="run `make book-check`"),
]

COLAB = re.compile(r'href="https://colab\.research\.google\.com/github/([^/"]+/[^/"]+)/blob/([^/"]+)/([^"]+)"')


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, Path]:
    """``(site, notebooks)``: this checkout's editions laid out as the publish workflow does."""
    folder = tmp_path_factory.mktemp("published")
    written = release.compose_site(ROOT, folder / "site", folder / "notebooks")
    assert written[-1] == folder / "notebooks" / release.git_ref(VERSION, "main") / "book"
    return folder / "site", folder / "notebooks"


def pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.parts and p.parent.name == "book")


def test_both_editions_are_where_the_version_says(site):
    folder, _ = site
    book_dir = folder / release.site_path(VERSION, "book")
    student_dir = folder / release.site_path(VERSION, "student")
    for md_path in CHAPTERS:
        name = f"book/{md_path.stem}.html"
        assert "(student edition)" not in (book_dir / name).read_text(encoding="utf-8")
        assert "(student edition)" in (student_dir / name).read_text(encoding="utf-8")


def test_every_page_is_at_its_canonical_address(site):
    folder, _ = site
    found = pages(folder)
    assert len(found) >= 2 * len(CHAPTERS)
    for path in found:
        [canonical] = re.findall(r'<link rel="canonical" href="([^"]+)"', path.read_text(encoding="utf-8"))
        assert canonical == BASEURL + path.relative_to(folder).as_posix()


@pytest.mark.parametrize("md_path", CHAPTERS, ids=lambda p: p.stem)
def test_student_colab_button_opens_a_student_notebook_the_publish_step_wrote(site, md_path):
    folder, notebooks = site
    page = folder / release.site_path(VERSION, "student") / "book" / f"{md_path.stem}.html"
    [(repository, branch, path)] = set(COLAB.findall(page.read_text(encoding="utf-8")))
    assert f"https://github.com/{repository}" == CONFIG["repository"]["url"].rstrip("/")
    assert branch == release.STUDENT_BRANCH
    assert path == release.student_notebook_path(VERSION, md_path.stem, CONFIG["repository"]["branch"])
    notebook = nbformat.read(notebooks / path, as_version=4)
    assert notebook.metadata["segcourse"]["edition"] == "student"
    assert notebook.metadata["segcourse"]["chapter"] == md_path.stem
    assert notebook.metadata["segcourse"]["made_from"]["version"] == str(VERSION)
    # The notebook the student book renders (and its download button serves), with no solution in it.
    rendered = ROOT / "_build" / "student" / "source" / "book" / f"{md_path.stem}.ipynb"
    assert (notebooks / path).read_bytes() == rendered.read_bytes()
    original = nbformat.read(md_path.with_suffix(".ipynb"), as_version=4)
    text = "\n".join(cell.source for cell in notebook.cells)
    assert not [s for s in student.solution_code(original) if s in text]
    # Its first cell installs what the book's chapters install: this release, or the development branch.
    assert book.first_code_cell(notebook).source == book.colab_cell(book.install_requirement(ROOT))


def test_robots_and_the_root(site):
    folder, _ = site
    robots = (folder / "robots.txt").read_text(encoding="utf-8")
    sitemaps = re.findall(r"^Sitemap: (\S+)$", robots, re.MULTILINE)
    assert sitemaps == sorted(BASEURL + p.relative_to(folder).as_posix() for p in folder.rglob("sitemap.xml"))
    assert BASEURL + release.site_path(VERSION) + "sitemap.xml" in sitemaps
    root = (folder / "index.html").read_text(encoding="utf-8")
    target = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', root, re.IGNORECASE)[1]
    assert (folder / target).resolve().is_file() or (folder / target / "index.html").is_file()


def test_composing_a_stale_build_is_refused(tmp_path):
    """A build from another version is not published under this version's address."""
    (tmp_path / "segcourse").mkdir()
    (tmp_path / "segcourse" / "__init__.py").write_text('__version__ = "99.0.0"\n')
    (tmp_path / "_config.yml").write_text((ROOT / "_config.yml").read_text())
    (tmp_path / "book").mkdir()
    for built in BUILDS:
        target = tmp_path / built.relative_to(ROOT) / "book"
        target.mkdir(parents=True)
        (target / "intro.html").write_bytes((built / "book" / "intro.html").read_bytes())
    with pytest.raises(ValueError, match=f"built from version {VERSION}, this checkout is 99.0.0"):
        release.compose_site(tmp_path, tmp_path / "site", tmp_path / "notebooks")

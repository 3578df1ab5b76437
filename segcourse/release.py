"""Releases of the course: one version number, and everything that follows from it.

The version is ``__version__`` in ``segcourse/__init__.py`` and nowhere else: setuptools reads it for the
package's metadata, ``segcourse --version`` prints it and the book's footer shows it. It takes one of two
forms (a subset of PEP 440):

- ``X.Y.Z.devN``, a **development version**: the state of the development branch (``repository.branch`` in
  ``_config.yml``, ``main``) between two releases;
- ``X.Y.Z``, a **release**: the commit tagged ``vX.Y.Z``.

From that one setting follow:

=========================  =================================  ====================================
the version is             X.Y.Z.devN (development)           X.Y.Z (a release)
=========================  =================================  ====================================
the chapters' Colab cells  install ``git+<repository>@main``  install ``segcourse==X.Y.Z`` (PyPI)
the book's launch buttons  open the notebooks on ``main``     open the notebooks of tag ``vX.Y.Z``
the book is published at   ``<html.baseurl>dev/``             ``<html.baseurl>``
the student book at        ``<html.baseurl>dev/student/``     ``<html.baseurl>student/``
its Colab buttons open     ``student-notebooks:main/book/``   ``student-notebooks:vX.Y.Z/book/``
=========================  =================================  ====================================

``make sync`` writes the Colab cells (``segcourse.book``); the Sphinx extension in this module (listed in
``_config.yml``) sets the launch buttons, the published address (canonical links, sitemap) and the footer when
the book is built; ``python -m segcourse.release site`` lays the built books out as the published site, and the
student notebooks as the ``student-notebooks`` branch that the publish workflow pushes. ``make release
VERSION=X.Y.Z`` (``python -m segcourse.release cut``) cuts a release. Run from the repository root::

    python -m segcourse.release version            # the version of this checkout
    python -m segcourse.release info               # key=value lines, for a CI workflow's outputs
    python -m segcourse.release cut 0.2.0          # commit and tag release 0.2.0, then go on with 0.2.1.dev0
    python -m segcourse.release check-tag v0.2.0 dist   # exit 1 unless the tag, version and dist files agree
    python -m segcourse.release site SITE NOTEBOOKS      # after `make book book-student`: lay out the site
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from segcourse import book

#: The file that holds the version (``__version__ = "X.Y.Z"``), relative to the repository root.
VERSION_FILE = Path("segcourse") / "__init__.py"
#: The branch that the publish workflow writes the student notebooks to, one folder per release
#: (``vX.Y.Z/book/NN_name.ipynb``) and one for the development branch (``main/book/...``).
STUDENT_BRANCH = "student-notebooks"
#: Where the development edition is published, under the site's address (``html.baseurl``).
DEVELOPMENT_PATH = "dev/"
#: Where the student book is published, under its edition's address.
STUDENT_PATH = "student/"
#: The editions of the book: with solutions, and the student edition (``segcourse student --book``).
EDITIONS = ("book", "student")
#: The licence files named in the footer and the README: the code's, and the prose's and figures'.
CODE_LICENSE = ("LICENSE", "MIT")
CONTENT_LICENSE = ("LICENSE-CONTENT", "CC BY 4.0")

_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:\.dev(\d+))?")
_ASSIGNMENT = re.compile(r'^__version__ = "([^"]*)"$', re.MULTILINE)


@dataclass(frozen=True)
class Version:
    """A version of segcourse: ``X.Y.Z`` (a release) or ``X.Y.Z.devN`` (a development version).

    Example:

    >>> Version.parse("0.2.0.dev0") < Version.parse("0.2.0") < Version.parse("0.2.1.dev0")
    True
    >>> Version.parse("0.2.0").tag
    'v0.2.0'
    """

    major: int
    minor: int
    patch: int
    dev: int | None = None

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parses ``X.Y.Z`` or ``X.Y.Z.devN``; raises ValueError for anything else."""
        if not isinstance(text, str):
            raise TypeError(f"`version` must be a string; got {type(text).__name__}.")
        match = _VERSION.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"`version` must be X.Y.Z (a release) or X.Y.Z.devN (a development version); "
                             f"got {text!r}.")
        major, minor, patch, dev = match.groups()
        return cls(int(major), int(minor), int(patch), None if dev is None else int(dev))

    def __str__(self) -> str:
        base = f"{self.major}.{self.minor}.{self.patch}"
        return base if self.dev is None else f"{base}.dev{self.dev}"

    def _key(self) -> tuple[int, int, int, bool, int]:
        # A development version comes before the release it leads to (PEP 440): 0.2.0.dev3 < 0.2.0.
        return (self.major, self.minor, self.patch, self.dev is None, self.dev or 0)

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __le__(self, other: Version) -> bool:
        return self._key() <= other._key()

    @property
    def is_release(self) -> bool:
        """Whether this is a release (``X.Y.Z``), not a development version."""
        return self.dev is None

    @property
    def tag(self) -> str:
        """The git tag of a release, ``vX.Y.Z``; ValueError for a development version, which has none."""
        if not self.is_release:
            raise ValueError(f"{self} is a development version: it has no tag.")
        return f"v{self}"

    def next_development(self) -> Version:
        """The development version that follows a release: ``X.Y.(Z+1).dev0``."""
        if not self.is_release:
            raise ValueError(f"{self} is already a development version.")
        return Version(self.major, self.minor, self.patch + 1, 0)


# --------------------------------------------------------------------------------------------------
# The version of a checkout


def read_version(root: Path) -> Version:
    """The version written in ``root/segcourse/__init__.py`` (read as text: nothing is imported)."""
    path = Path(root) / VERSION_FILE
    found = _ASSIGNMENT.findall(path.read_text(encoding="utf-8"))
    if len(found) != 1:
        raise ValueError(f'{path}: expected one line `__version__ = "X.Y.Z"`, found {len(found)}.')
    return Version.parse(found[0])


def write_version(root: Path, version: Version) -> None:
    """Writes ``version`` into ``root/segcourse/__init__.py`` (the only place it is written)."""
    path = Path(root) / VERSION_FILE
    read_version(root)  # exactly one assignment to replace
    text = _ASSIGNMENT.sub(f'__version__ = "{version}"', path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# What follows from the version


def git_ref(version: Version, development_branch: str = "main") -> str:
    """The git ref that holds this version's notebooks: the release's tag, or the development branch."""
    return version.tag if version.is_release else development_branch


def install_requirement(version: Version, repository_url: str, development_branch: str = "main") -> str:
    """What a chapter's Colab cell installs: the release from PyPI, or the development branch from git.

    Example:

    >>> install_requirement(Version.parse("0.2.0"), "https://github.com/o/r")
    'segcourse==0.2.0'
    >>> install_requirement(Version.parse("0.2.1.dev0"), "https://github.com/o/r")
    'git+https://github.com/o/r@main'
    """
    if version.is_release:
        return f"segcourse=={version}"
    return f"git+{repository_url.rstrip('/')}@{development_branch}"


def site_path(version: Version, edition: str = "book") -> str:
    """Where an edition is published, relative to the site's address: ``""``, ``student/``, ``dev/``, ...

    Example:

    >>> site_path(Version.parse("0.2.1.dev0"), "student")
    'dev/student/'
    """
    if edition not in EDITIONS:
        raise ValueError(f"`edition` must be one of {EDITIONS}; got {edition!r}.")
    return ("" if version.is_release else DEVELOPMENT_PATH) + (STUDENT_PATH if edition == "student" else "")


def launch_source(version: Version, development_branch: str = "main", edition: str = "book") -> tuple[str, str]:
    """``(branch, folder)`` of the repository that an edition's Colab and Binder buttons open notebooks from.

    The book opens the chapter notebooks of the release's tag (or of the development branch); the student
    book opens the student notebooks that the publish workflow writes to ``STUDENT_BRANCH``, in the folder of
    that ref.
    """
    ref = git_ref(version, development_branch)
    if edition not in EDITIONS:
        raise ValueError(f"`edition` must be one of {EDITIONS}; got {edition!r}.")
    return (ref, "") if edition == "book" else (STUDENT_BRANCH, ref)


def student_notebook_path(version: Version, chapter: str, development_branch: str = "main") -> str:
    """Where a chapter's student notebook lies on ``STUDENT_BRANCH``: ``<ref>/book/<chapter>.ipynb``."""
    return f"{git_ref(version, development_branch)}/book/{chapter}.ipynb"


def footer_html(version: Version, repository_url: str, development_branch: str = "main") -> str:
    """The footer line of every page: the version of segcourse the book was built from, and the licences."""
    url = repository_url.rstrip("/")
    ref = git_ref(version, development_branch)
    if version.is_release:
        release = f'<a href="{url}/releases/tag/{ref}">segcourse {version}</a>'
    else:
        release = f"segcourse {version} (development version, branch <code>{html.escape(ref)}</code>)"
    code, content = (f'<a href="{url}/blob/{ref}/{name}">{label}</a>' for name, label in
                     (CODE_LICENSE, CONTENT_LICENSE))
    return (f'<p class="segcourse-release" data-segcourse-version="{version}">Built from {release}. '
            f"Code: {code} licence. Text and figures: {content}.</p>")


# --------------------------------------------------------------------------------------------------
# The Sphinx extension


def _configure_book(app, config) -> None:
    """``config-inited``: launch buttons, published address and footer of this edition, from the version."""
    from sphinx.errors import ExtensionError

    import segcourse

    version = Version.parse(segcourse.__version__)
    checkout = Path(app.srcdir) / VERSION_FILE
    if checkout.is_file() and read_version(app.srcdir) != version:
        raise ExtensionError(
            f"the book at {app.srcdir} is version {read_version(app.srcdir)}, but the segcourse imported to "
            f"build it ({segcourse.__file__}) is {version}: install this checkout (make .venv/.installed)."
        )
    edition = config.segcourse_edition
    if edition not in EDITIONS:
        raise ExtensionError(f"segcourse_edition must be one of {EDITIONS}; got {edition!r}.")
    theme = config.html_theme_options
    url = theme.get("repository_url", "")
    development_branch = theme.get("repository_branch") or "main"
    theme["repository_branch"], folder = launch_source(version, development_branch, edition)
    theme["path_to_docs"] = "/".join(p for p in (folder, theme.get("path_to_docs", "").strip("/")) if p)
    if config.html_baseurl:
        config.html_baseurl = config.html_baseurl.rstrip("/") + "/" + site_path(version, edition)
    theme["extra_footer"] = footer_html(version, url, development_branch) + theme.get("extra_footer", "")
    if not version.is_release:
        theme["announcement"] = (
            f"Development version of the course (segcourse {version}): it changes without notice. "
            "Instructors hand out a release."
        )


def setup(app) -> dict:
    """Registers the extension: ``sphinx.extra_extensions: [segcourse.release]`` in ``_config.yml``.

    ``segcourse_edition`` (``"book"`` or ``"student"``) says which edition is being built; the student book's
    configuration (``segcourse student --book``) sets it.
    """
    import segcourse

    app.add_config_value("segcourse_edition", "book", "html", types=[str])
    app.connect("config-inited", _configure_book)
    return {"version": segcourse.__version__, "parallel_read_safe": True, "parallel_write_safe": True}


# --------------------------------------------------------------------------------------------------
# The published site


def _page_version(page: Path) -> str | None:
    match = re.search(r'data-segcourse-version="([^"]+)"', page.read_text(encoding="utf-8"))
    return match.group(1) if match else None


def compose_site(root: Path, site: Path, notebooks: Path) -> list[Path]:
    """Lays the built book and student book of ``root`` out as the published site, and the student notebooks.

    Run after ``make book book-student``. Copies (into folders that may already hold other editions: the
    publish workflow composes the newest release and the development branch into the same ``site``):

    - ``_build/html`` to ``site/<site_path(version)>``;
    - ``_build/student/html`` to ``site/<site_path(version, "student")>``;
    - the student notebooks that the student book renders (``_build/student/source/book``) to
      ``notebooks/<ref>/book/``, the folder of ``STUDENT_BRANCH`` that the student book's Colab buttons open.

    Writes ``site/index.html`` as a redirect to the development edition while no release is there, and
    ``site/robots.txt`` naming the sitemap of every edition in ``site``.

    Returns:
        The folders written.
    """
    root, site, notebooks = Path(root), Path(site), Path(notebooks)
    version = read_version(root)
    config = book.read_config(root)
    branch = config["repository"].get("branch", "main")
    baseurl = config.get("html", {}).get("baseurl", "").rstrip("/") + "/"
    builds = {"book": root / "_build" / "html", "student": root / "_build" / "student" / "html"}
    for edition, built in builds.items():
        page = built / "book" / "intro.html"
        if not page.is_file():
            raise FileNotFoundError(f"no {edition} edition built in {built}: run `make book book-student`.")
        if _page_version(page) != str(version):
            raise ValueError(f"{built} was built from version {_page_version(page)}, this checkout is "
                             f"{version}: run `make book book-student` again.")
    written = []
    for edition, built in builds.items():
        target = site / site_path(version, edition)
        shutil.copytree(built, target, dirs_exist_ok=True)
        written.append(target)
    source = root / "_build" / "student" / "source" / "book"
    chapters = [path.stem for path in book.chapter_sources(root)]
    target = notebooks / git_ref(version, branch) / "book"
    if target.exists():
        shutil.rmtree(target)  # a chapter that was removed must not stay behind
    target.mkdir(parents=True)
    for chapter in chapters:
        shutil.copy2(source / f"{chapter}.ipynb", target / f"{chapter}.ipynb")
    written.append(target)
    if not (site / "index.html").exists():
        (site / "index.html").write_text(
            f'<!DOCTYPE html>\n<meta charset="utf-8">\n<title>Redirect</title>\n'
            f'<meta http-equiv="Refresh" content="0; url={DEVELOPMENT_PATH}">\n', encoding="utf-8")
    sitemaps = sorted(p.relative_to(site).as_posix() for p in site.glob("**/sitemap.xml"))
    robots = "User-agent: *\nAllow: /\n" + "".join(f"Sitemap: {baseurl}{path}\n" for path in sitemaps)
    (site / "robots.txt").write_text(robots, encoding="utf-8")
    return written


# --------------------------------------------------------------------------------------------------
# Cutting a release


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def _commit_version(root: Path, version: Version, message: str) -> None:
    """Writes ``version``, rewrites the chapters' Colab cells from it (``make sync``) and commits both."""
    write_version(root, version)
    book.sync(root)
    stale = book.stale_colab_cells(root)
    if stale:
        raise RuntimeError(f"Colab cells still stale after sync: {stale}")
    _git(root, "add", "--", VERSION_FILE.as_posix(), "book")
    _git(root, "commit", "--quiet", "-m", message)


def cut_release(root: Path, version: str) -> tuple[Version, Version]:
    """Commits and tags release ``version``, then commits the next development version (``make release``).

    1. checks: ``version`` is ``X.Y.Z`` and above the checkout's version, the work tree is clean, HEAD is on the
       development branch, and tag ``vX.Y.Z`` does not exist yet;
    2. writes ``X.Y.Z`` into ``segcourse/__init__.py`` and rewrites every chapter's Colab cell to install
       ``segcourse==X.Y.Z`` (``make sync``); commits "Release X.Y.Z" and tags it ``vX.Y.Z``;
    3. writes ``X.Y.(Z+1).dev0`` and rewrites the Colab cells back to the development branch; commits.

    Nothing is pushed: ``git push origin main vX.Y.Z`` publishes it (the workflows do the rest).

    Returns:
        ``(release, next development version)``.
    """
    root = Path(root)
    release = Version.parse(version)
    if not release.is_release:
        raise ValueError(f"`version` must be a release, X.Y.Z; got {version!r}.")
    current = read_version(root)
    if release <= current:
        raise ValueError(f"`version` {release} must be above this checkout's version, {current}.")
    branch = book.read_config(root)["repository"].get("branch", "main")
    if _git(root, "status", "--porcelain", "--untracked-files=no"):
        raise RuntimeError("the work tree has uncommitted changes: commit or stash them before a release.")
    head = _git(root, "rev-parse", "--abbrev-ref", "HEAD")
    if head != branch:
        raise RuntimeError(f"releases are cut on the development branch {branch!r}; HEAD is on {head!r}.")
    if subprocess.run(["git", "rev-parse", "-q", "--verify", f"refs/tags/{release.tag}"], cwd=root,
                      capture_output=True).returncode == 0:
        raise RuntimeError(f"tag {release.tag} exists already.")
    _commit_version(root, release, f"Release {release}")
    _git(root, "tag", "-a", release.tag, "-m", f"segcourse {release}")
    following = release.next_development()
    _commit_version(root, following, f"Start {following} (development after {release})")
    return release, following


def check_tag(root: Path, tag: str, dist: Path | None = None) -> list[str]:
    """The problems that stop ``tag`` from being published from ``root`` (none: empty); the release's check.

    The tag must name this checkout's version, which must be a release; every chapter must install that
    release; ``dist`` (when given) must hold exactly its sdist and wheel.
    """
    version = read_version(root)
    problems = []
    if not version.is_release:
        problems.append(f"this checkout is development version {version}, not a release")
    elif tag != version.tag:
        problems.append(f"tag {tag} does not name this checkout's version {version} (tag {version.tag})")
    problems += [f"{path}: its Colab cell does not install {version}" for path in book.stale_colab_cells(root)]
    if dist is not None:
        found = sorted(path.name for path in Path(dist).iterdir())
        expected = [f"segcourse-{version}-py3-none-any.whl", f"segcourse-{version}.tar.gz"]
        if found != expected:
            problems.append(f"{dist} holds {found}, expected {expected}")
    return problems


# --------------------------------------------------------------------------------------------------
# Command line


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of ``python -m segcourse.release``."""
    parser = argparse.ArgumentParser(prog="python -m segcourse.release", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("version", help="print the version of this checkout")
    commands.add_parser("info", help="print key=value lines: version, release, ref, site paths, student branch")
    cut = commands.add_parser("cut", help="commit and tag a release, then start the next development version")
    cut.add_argument("version", help="the release, X.Y.Z")
    tag = commands.add_parser("check-tag", help="exit 1 unless TAG, the version and the dist files agree")
    tag.add_argument("tag")
    tag.add_argument("dist", nargs="?", type=Path, help="folder of the built sdist and wheel")
    site = commands.add_parser("site", help="lay the built books out as the site, and the student notebooks")
    site.add_argument("site", type=Path)
    site.add_argument("notebooks", type=Path)
    args = parser.parse_args(argv)

    root = book.find_root()
    version = read_version(root)
    branch = book.read_config(root)["repository"].get("branch", "main")
    if args.command == "version":
        print(version)
    elif args.command == "info":
        print(f"version={version}\nrelease={str(version.is_release).lower()}\nref={git_ref(version, branch)}\n"
              f"site_path={site_path(version)}\nstudent_site_path={site_path(version, 'student')}\n"
              f"student_branch={STUDENT_BRANCH}")
    elif args.command == "cut":
        try:
            release, following = cut_release(root, args.version)
        except (ValueError, RuntimeError) as error:
            print(f"release: {error}", file=sys.stderr)
            return 1
        print(f"Committed and tagged release {release} ({release.tag}); the development branch is now at "
              f"{following}.\nReview with `git log -3 --stat`, then publish: "
              f"git push origin {branch} {release.tag}")
    elif args.command == "check-tag":
        problems = check_tag(root, args.tag, args.dist)
        print("\n".join(problems) or f"{args.tag}: ready to publish")
        return 1 if problems else 0
    else:
        for path in compose_site(root, args.site, args.notebooks):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "DEVELOPMENT_PATH",
    "EDITIONS",
    "STUDENT_BRANCH",
    "STUDENT_PATH",
    "VERSION_FILE",
    "Version",
    "check_tag",
    "compose_site",
    "cut_release",
    "footer_html",
    "git_ref",
    "install_requirement",
    "launch_source",
    "read_version",
    "setup",
    "site_path",
    "student_notebook_path",
    "write_version",
]

"""Releases (segcourse.release): one version number and what follows from it, cutting a release, the workflows.

The built book and the published site are checked in tests/test_book_build.py and tests/test_site.py, the
package build and Binder in tests/test_dist.py.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import jupytext
import pytest
import yaml

import segcourse
from segcourse import book, release
from segcourse.release import Version

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
CONFIG = book.read_config(ROOT)
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
URL = CONFIG["repository"]["url"]


def workflow(name: str) -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1).
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True)
    return data


def steps(data: dict) -> list[dict]:
    return [step for job in data["jobs"].values() for step in job.get("steps", [])]


# --------------------------------------------------------------------------------------------------
# Versions


@pytest.mark.parametrize(
    ("text", "is_release", "tag"),
    [("0.1.0", True, "v0.1.0"), ("1.12.3", True, "v1.12.3"), ("0.1.0.dev0", False, None),
     ("2.0.1.dev12", False, None)],
)
def test_version_forms(text, is_release, tag):
    version = Version.parse(text)
    assert str(version) == text and version.is_release is is_release
    if tag:
        assert version.tag == tag
    else:
        with pytest.raises(ValueError, match="development version"):
            version.tag  # noqa: B018 - the property raises


def test_versions_sort_as_pep440_says():
    ordered = ["0.1.0.dev0", "0.1.0.dev3", "0.1.0", "0.1.1.dev0", "0.1.1", "0.2.0.dev0", "0.10.0", "1.0.0"]
    versions = [Version.parse(text) for text in ordered]
    assert sorted(reversed(versions)) == versions
    assert Version.parse("0.2.0").next_development() == Version.parse("0.2.1.dev0")
    with pytest.raises(ValueError, match="already a development version"):
        Version.parse("0.2.1.dev0").next_development()


@pytest.mark.parametrize("text", ["0.1", "v0.1.0", "0.1.0rc1", "0.1.0.post1", "0.1.0-dev0", "", "0.1.0.dev"])
def test_other_version_forms_are_refused(text):
    with pytest.raises(ValueError, match=r"`version` must be X\.Y\.Z"):
        Version.parse(text)


def test_version_must_be_a_string():
    with pytest.raises(TypeError, match="`version` must be a string"):
        Version.parse(0.1)


def test_one_version_number():
    """The file, the imported package, the installed metadata and the command line say the same version."""
    version = release.read_version(ROOT)
    assert str(version) == segcourse.__version__
    assert importlib.metadata.version("segcourse") == str(version), "reinstall: make .venv/.installed"
    assert PYPROJECT["project"]["dynamic"] == ["version"] and "version" not in PYPROJECT["project"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "segcourse.__version__"}
    done = subprocess.run([sys.executable, "-m", "segcourse.cli", "--version"], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == f"segcourse {version}"


def test_main_is_a_development_version():
    """Between releases the branch holds X.Y.Z.devN, so its notebooks install the branch, not a release."""
    assert not release.read_version(ROOT).is_release, "a release commit is followed by a development version"


def test_write_version_round_trip(tmp_path):
    (tmp_path / "segcourse").mkdir()
    shutil.copy2(ROOT / release.VERSION_FILE, tmp_path / release.VERSION_FILE)
    release.write_version(tmp_path, Version.parse("3.4.5"))
    assert release.read_version(tmp_path) == Version.parse("3.4.5")
    text = (tmp_path / release.VERSION_FILE).read_text()
    assert text.count("__version__ = ") == 1 and "_import_tensorflow_quietly()" in text


# --------------------------------------------------------------------------------------------------
# What follows from the version


def test_what_a_release_and_a_development_version_install_and_open():
    rel, dev = Version.parse("0.3.0"), Version.parse("0.3.1.dev0")
    assert release.install_requirement(rel, URL) == "segcourse==0.3.0"
    assert release.install_requirement(dev, URL + "/", "main") == f"git+{URL}@main"
    assert release.git_ref(rel) == "v0.3.0" and release.git_ref(dev, "trunk") == "trunk"
    assert release.launch_source(rel, "main", "book") == ("v0.3.0", "")
    assert release.launch_source(dev, "main", "student") == (release.STUDENT_BRANCH, "main")
    assert release.student_notebook_path(rel, "02_fcn") == "v0.3.0/book/02_fcn.ipynb"
    assert [release.site_path(v, e) for v in (rel, dev) for e in release.EDITIONS] == [
        "", "student/", "dev/", "dev/student/"]
    with pytest.raises(ValueError, match="`edition` must be one of"):
        release.site_path(rel, "teacher")


def test_footer_names_the_version_and_both_licences():
    footer = release.footer_html(Version.parse("0.3.0"), URL)
    assert 'data-segcourse-version="0.3.0"' in footer and f"{URL}/releases/tag/v0.3.0" in footer
    assert f'href="{URL}/blob/v0.3.0/LICENSE">MIT</a>' in footer
    assert f'href="{URL}/blob/v0.3.0/LICENSE-CONTENT">CC BY 4.0</a>' in footer
    assert "development version" in release.footer_html(Version.parse("0.3.1.dev0"), URL)


def test_colab_cells_follow_the_version(tmp_path):
    """A notebook that installs anything but what the version says is reported, and `sync` rewrites it."""
    root = copy_of_the_book(tmp_path, chapters=["00_introduction"])
    assert book.stale_colab_cells(root) == []
    release.write_version(root, Version.parse("9.8.7"))
    assert book.stale_colab_cells(root) == ["book/00_introduction.md", "book/00_introduction.ipynb"]
    book.sync(root)
    assert book.stale_colab_cells(root) == []
    for path in ("book/00_introduction.md", "book/00_introduction.ipynb"):
        cell = book.first_code_cell(jupytext.read(root / path)).source
        assert '"segcourse==9.8.7"' in cell and "git+" not in cell


# --------------------------------------------------------------------------------------------------
# Configuration, licences, Binder


def test_addresses_are_consistent():
    """The repository is named in _config.yml and pyproject.toml (which cannot read it) alike."""
    urls = PYPROJECT["project"]["urls"]
    baseurl = CONFIG["html"]["baseurl"]
    assert urls["Repository"] == URL
    assert urls["Documentation"] == baseurl
    assert re.fullmatch(r"https://[^/]+/([^/]+/)*", baseurl), "html.baseurl: an https address ending in /"
    owner, name = URL.removeprefix("https://github.com/").split("/")
    if baseurl.split("/")[2].endswith(".github.io"):  # GitHub Pages (not a custom domain): this repository's
        assert baseurl == f"https://{owner.lower()}.github.io/{name}/"
    assert "segcourse.release" in CONFIG["sphinx"]["extra_extensions"]
    assert (ROOT / CONFIG["html"]["favicon"]).is_file()


def test_licences():
    mit = (ROOT / "LICENSE").read_text(encoding="utf-8")
    content = (ROOT / "LICENSE-CONTENT").read_text(encoding="utf-8")
    assert mit.startswith("MIT License") and "The segcourse authors" in mit
    assert "Creative Commons Attribution 4.0 International Public License" in content
    assert all(f"Section {n} --" in content for n in range(1, 9))
    assert PYPROJECT["project"]["license"] == "MIT" and PYPROJECT["project"]["license-files"] == ["LICENSE"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, label in (release.CODE_LICENSE, release.CONTENT_LICENSE):
        assert name in readme and label in readme


def test_binder_files_match_the_package():
    requirements = [line.strip() for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()
                    if line.strip() and not line.startswith("#")]
    assert requirements == ["."], "Binder installs this checkout, with its dependencies"
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    minimum = PYPROJECT["project"]["requires-python"].removeprefix(">=")
    assert runtime == f"python-{minimum}", "Binder runs the Python that .venv tests (the lowest supported)"


# --------------------------------------------------------------------------------------------------
# Cutting a release


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()


def copy_of_the_book(tmp_path: Path, chapters: list[str]) -> Path:
    """A small git repository with this book's configuration, version file and the given chapters."""
    root = tmp_path / "repo"
    (root / "segcourse").mkdir(parents=True)
    (root / "book").mkdir()
    shutil.copy2(ROOT / "_config.yml", root / "_config.yml")
    shutil.copy2(ROOT / release.VERSION_FILE, root / release.VERSION_FILE)
    for chapter in chapters:
        for suffix in (".md", ".ipynb"):
            shutil.copy2(ROOT / "book" / f"{chapter}{suffix}", root / "book" / f"{chapter}{suffix}")
    git(root, "init", "--quiet", "--initial-branch", CONFIG["repository"]["branch"])
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.invalid")
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "The course")
    return root


def installs(root: Path, ref: str) -> set[str]:
    """What the Colab cells of every chapter install at ``ref`` (one value when they agree)."""
    found = set()
    for path in git(root, "ls-tree", "-r", "--name-only", ref, "book").splitlines():
        text = git(root, "show", f"{ref}:{path}")
        found |= set(re.findall(r'SEGCOURSE = \\?"([^"\\]+)', text))
    return found


def test_cut_release(tmp_path):
    root = copy_of_the_book(tmp_path, chapters=["00_introduction", "01_sliding_window"])
    release.write_version(root, Version.parse("0.4.0.dev2"))
    book.sync(root)
    git(root, "commit", "--quiet", "-am", "Development")

    assert release.cut_release(root, "0.4.0") == (Version.parse("0.4.0"), Version.parse("0.4.1.dev0"))

    log = git(root, "log", "--format=%s", "-3").splitlines()
    assert log == ["Start 0.4.1.dev0 (development after 0.4.0)", "Release 0.4.0", "Development"]
    assert git(root, "rev-parse", "v0.4.0^{commit}") == git(root, "rev-parse", "HEAD~1")
    assert git(root, "cat-file", "-t", "v0.4.0") == "tag"  # annotated
    assert installs(root, "v0.4.0") == {"segcourse==0.4.0"}
    assert installs(root, "HEAD") == {f"git+{URL}@main"}
    assert git(root, "show", "v0.4.0:segcourse/__init__.py").count('__version__ = "0.4.0"') == 1
    assert release.read_version(root) == Version.parse("0.4.1.dev0")
    assert git(root, "status", "--porcelain") == ""
    # Only the version and the install line of each Colab cell changed.
    assert git(root, "diff", "--numstat", "HEAD~2", "v0.4.0").splitlines() == [
        f"1\t1\t{path}" for path in ("book/00_introduction.ipynb", "book/00_introduction.md",
                                     "book/01_sliding_window.ipynb", "book/01_sliding_window.md",
                                     "segcourse/__init__.py")]

    # The release workflow's check: right at the tag, wrong elsewhere.
    git(root, "checkout", "--quiet", "v0.4.0")
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "segcourse-0.4.0.tar.gz").touch()
    (dist / "segcourse-0.4.0-py3-none-any.whl").touch()
    assert release.check_tag(root, "v0.4.0", dist) == []
    assert release.check_tag(root, "v0.4.1", dist) == [
        "tag v0.4.1 does not name this checkout's version 0.4.0 (tag v0.4.0)"]
    (dist / "segcourse-0.3.9-py3-none-any.whl").touch()
    assert "expected" in release.check_tag(root, "v0.4.0", dist)[0]
    git(root, "checkout", "--quiet", "main")
    assert release.check_tag(root, "v0.4.0") == [
        "this checkout is development version 0.4.1.dev0, not a release"]


@pytest.mark.parametrize(
    ("version", "prepare", "error", "message"),
    [
        ("0.4.0.dev3", None, ValueError, "must be a release"),
        ("0.0.9", None, ValueError, r"must be above this checkout's version, 0\.4\.0\.dev2"),
        ("0.4", None, ValueError, r"must be X\.Y\.Z"),
        ("0.4.0", "dirty", RuntimeError, "uncommitted changes"),
        ("0.4.0", "branch", RuntimeError, "development branch 'main'; HEAD is on 'feature'"),
        ("0.4.0", "tag", RuntimeError, "tag v0.4.0 exists already"),
    ],
)
def test_cut_release_refuses(tmp_path, version, prepare, error, message):
    root = copy_of_the_book(tmp_path, chapters=["00_introduction"])
    release.write_version(root, Version.parse("0.4.0.dev2"))
    book.sync(root)
    git(root, "commit", "--quiet", "-am", "Development")
    head = git(root, "rev-parse", "HEAD")
    if prepare == "dirty":
        (root / "_config.yml").write_text(CONFIG_TEXT + "\n# edited\n")
    elif prepare == "branch":
        git(root, "switch", "--quiet", "-c", "feature")
    elif prepare == "tag":
        git(root, "tag", "v0.4.0")
    with pytest.raises(error, match=message):
        release.cut_release(root, version)
    assert git(root, "rev-parse", "HEAD") == head, "nothing committed"
    assert release.read_version(root) == Version.parse("0.4.0.dev2"), "version unchanged"


CONFIG_TEXT = (ROOT / "_config.yml").read_text(encoding="utf-8")


def test_release_command_line(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert release.main(["version"]) == 0
    assert capsys.readouterr().out.strip() == segcourse.__version__
    assert release.main(["info"]) == 0
    info = dict(line.split("=", 1) for line in capsys.readouterr().out.strip().splitlines())
    version = release.read_version(ROOT)
    assert info == {"version": str(version), "release": str(version.is_release).lower(),
                    "ref": release.git_ref(version, "main"), "site_path": release.site_path(version),
                    "student_site_path": release.site_path(version, "student"),
                    "student_branch": release.STUDENT_BRANCH}
    assert release.main(["cut", "0.0.1"]) == 1
    assert "must be above" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------------
# The GitHub workflows (jactionlint lints them in `make lint`)


def jactionlint(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    bin_dir = Path(sys.executable).parent
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(cwd)}
    command = [str(bin_dir / "jactionlint"), "--no-color", "--strict-exit", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)


def test_the_workflows_pass_the_linter():
    done = jactionlint()
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_linter_fails_a_broken_workflow(tmp_path):
    """The lint is not a formality: a typo in an expression, a missing `runs-on` and bad shell all fail it."""
    broken = tmp_path / ".github" / "workflows"
    broken.mkdir(parents=True)
    text = (WORKFLOWS / "test.yml").read_text(encoding="utf-8")
    (broken / "typo.yml").write_text(text.replace("${{ github.ref }}", "${{ github.reff }}"))
    (broken / "no-runner.yml").write_text(text.replace("    runs-on: ubuntu-24.04\n", ""))
    (broken / "shell.yml").write_text(text.replace("run: bash .ci/run", 'run: cd $RUNNER_TEMP && echo "$(ls)'))
    subprocess.run(["git", "init", "--quiet"], cwd=tmp_path, check=True)
    done = jactionlint(cwd=tmp_path)
    assert done.returncode != 0
    for name, problem in (("typo.yml", "reff"), ("no-runner.yml", "runs-on"), ("shell.yml", "shellcheck")):
        assert re.search(rf"{name}:\d+:\d+: .*{problem}", done.stdout), (name, done.stdout)


def _matches(pattern: str, ref: str) -> bool:
    """Whether a GitHub filter pattern of the kind used here (`[0-9]`, `+`, `*`, `**`) matches ``ref``."""
    regex = re.escape(pattern).replace(r"\[0\-9\]", "[0-9]").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
    return re.fullmatch(regex.replace(r"\+", "+"), ref) is not None


def test_the_test_workflow_runs_make_test_everywhere():
    data = workflow("test.yml")
    assert data["on"]["push"]["branches"] == ["**"] and "pull_request" in data["on"]
    assert "workflow_call" in data["on"]
    run = [step.get("run") for step in steps(data)]
    assert "bash .ci/run" in run and "make test" in (ROOT / ".ci" / "run").read_text()
    [python] = [s for s in steps(data) if s.get("uses", "").startswith("actions/setup-python@")]
    versions = python["with"]["python-version"].split()
    assert versions[-1] == PYPROJECT["project"]["requires-python"].removeprefix(">=")  # python3: .venv
    colab = re.search(r"^Python (\d+\.\d+)", (ROOT / "tests/colab/backend-info/os-info.txt").read_text(), re.M)
    assert colab[1] in versions  # the Colab stand-in's


def test_the_publish_and_release_workflows_run_on_release_tags():
    publish, publish_release = workflow("publish.yml"), workflow("release.yml")
    assert publish["on"]["push"]["branches"] == ["main"] == [CONFIG["repository"]["branch"]]
    for data in (publish, publish_release):
        [pattern] = data["on"]["push"]["tags"]
        assert _matches(pattern, Version.parse("12.0.3").tag)
        assert not any(_matches(pattern, ref) for ref in ("v1.2", "v1.2.3.dev0", "1.2.3", "v1.2.3-rc1"))


def test_the_publish_workflow_builds_both_editions_and_pushes_the_student_notebooks():
    data = workflow("publish.yml")
    text = "\n".join(step.get("run", "") for step in steps(data))
    assert "python -m segcourse.release info" in text and 'make site SITE="$GITHUB_WORKSPACE/_site"' in text
    assert "git tag --list 'v[0-9]*.[0-9]*.[0-9]*' --sort=-v:refname" in text
    envs = [step.get("env", {}).get("BRANCH") for step in steps(data)]
    assert envs.count("${{ steps.release.outputs.student_branch }}") == 2
    assert data["jobs"]["build"]["permissions"] == {"contents": "write"}
    assert data["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    uses = [step.get("uses", "").split("@")[0] for step in steps(data)]
    assert "actions/upload-pages-artifact" in uses and "actions/deploy-pages" in uses


def test_the_release_workflow_tests_checks_and_publishes_with_trusted_publishing():
    data = workflow("release.yml")
    assert data["jobs"]["test"]["uses"] == "./.github/workflows/test.yml"
    assert data["jobs"]["build"]["needs"] == "test" and data["jobs"]["pypi"]["needs"] == "build"
    build = "\n".join(step.get("run", "") for step in data["jobs"]["build"]["steps"])
    assert "make dist" in build and 'segcourse.release check-tag "$GITHUB_REF_NAME" dist' in build
    pypi = data["jobs"]["pypi"]
    assert pypi["permissions"] == {"id-token": "write"} and pypi["environment"]["name"] == "pypi"
    assert pypi["steps"][-1]["uses"].startswith("pypa/gh-action-pypi-publish@")
    assert "password" not in str(pypi) and "secrets." not in str(pypi), "trusted publishing: no token"


def test_every_action_is_pinned_to_a_commit():
    for path in WORKFLOWS.glob("*.yml"):
        for step in steps(workflow(path.name)):
            if "uses" in step and not step["uses"].startswith("./"):
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), (path.name, step["uses"])

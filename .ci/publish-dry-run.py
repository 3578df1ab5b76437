#!/usr/bin/env python3
"""A dry run of .github/workflows/publish.yml on this machine, without GitHub: run it by hand after changing it.

Not part of `make test` (it builds the book four times, several minutes). It makes a local "origin" (a bare git
repository holding this checkout's HEAD as `main`), cuts a release there with `python -m segcourse.release cut`,
then runs the `run:` steps of publish.yml's build job, in order, with bash (as GitHub runs them:
`bash -eo pipefail`), in a fresh clone of that origin, with GITHUB_WORKSPACE, RUNNER_TEMP, GITHUB_OUTPUT and
GITHUB_SHA set and `${{ steps.<id>.outputs.<name> }}` filled in from the steps' outputs. It does this twice (the
second run finds the student-notebooks branch and nothing new to push), then checks the site that the upload
step would deploy and the branch that was pushed.

What differs from GitHub: the `uses:` steps are skipped (checkout is the clone; setup-python is this machine's
Python; upload/deploy are replaced by the checks), and `make` is a shim that uses this checkout's .venv for
every checkout (with PYTHONPATH pointing at that checkout's segcourse, and .venv never reinstalled) instead of
creating a .venv in each.

    .venv/bin/python .ci/publish-dry-run.py [WORK_DIR]
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
RELEASE = "0.1.0"

MAKE_SHIM = """#!/usr/bin/env bash
# `make` for the dry run: every checkout uses {venv} (linked as .venv), never reinstalled; PYTHONPATH points at
# the checkout that make runs in, so that its segcourse is the one imported.
set -euo pipefail
dir="$PWD"
args=("$@")
for ((i = 0; i < ${{#args[@]}}; i++)); do
  if [ "${{args[$i]}}" = "-C" ]; then dir="${{args[$((i + 1))]}}"; fi
done
for arg in "$@"; do
  if [ "$arg" = ".venv/.installed" ]; then ln -sfn {venv} "$dir/.venv"; exit 0; fi
done
ln -sfn {venv} "$dir/.venv"
PYTHONPATH="$(cd "$dir" && pwd)" exec /usr/bin/make -o .venv/.installed -o .venv/.created "$@"
"""


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def run_workflow(work: Path, origin: Path, number: int) -> Path:
    """Runs the build job's `run:` steps in a fresh clone of ``origin``; returns the site folder."""
    workspace = work / f"run{number}" / "workspace"
    runner_temp = work / f"run{number}" / "runner"
    runner_temp.mkdir(parents=True)
    subprocess.run(["git", "clone", "--quiet", "--branch", "main", str(origin), str(workspace)], check=True)
    shim = work / "bin"
    shim.mkdir(exist_ok=True)
    (shim / "make").write_text(MAKE_SHIM.format(venv=VENV))
    (shim / "make").chmod(0o755)
    outputs: dict[str, dict[str, str]] = {}
    job = yaml.safe_load((ROOT / ".github/workflows/publish.yml").read_text())["jobs"]["build"]
    for step in job["steps"]:
        if "run" not in step:
            print(f"-- skipped: uses {step['uses']}")
            continue
        output_file = runner_temp / f"output-{len(outputs)}"
        output_file.touch()
        env = dict(os.environ, GITHUB_WORKSPACE=str(workspace), RUNNER_TEMP=str(runner_temp),
                   GITHUB_OUTPUT=str(output_file), GITHUB_SHA=git("rev-parse", "HEAD", cwd=workspace),
                   PATH=f"{shim}:{VENV / 'bin'}:{os.environ['PATH']}", PYTHONPATH=str(workspace),
                   GIT_AUTHOR_NAME="dry run", GIT_AUTHOR_EMAIL="dry@run.invalid")
        for name, value in step.get("env", {}).items():
            env[name] = re.sub(r"\$\{\{ steps\.(\w+)\.outputs\.(\w+) \}\}",
                               lambda m: outputs[m[1]][m[2]], str(value))
        print(f"-- step: {step.get('name', step['run'].splitlines()[0])}", flush=True)
        subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=workspace,
                       env=env, check=True)
        if "id" in step:
            lines = output_file.read_text().splitlines()
            outputs[step["id"]] = dict(line.split("=", 1) for line in lines if "=" in line)
    return workspace / "_site"


def check(site: Path, origin: Path) -> None:
    """The deployed layout and the pushed notebooks are what the README and the student books promise."""
    colab = "colab.research.google.com/github/segcourse/segcourse/blob"
    pages = "https://segcourse.github.io/segcourse"
    branch_files = git("ls-tree", "-r", "--name-only", "student-notebooks", cwd=origin).splitlines()
    editions = (("", f"v{RELEASE}", f"segcourse=={RELEASE}"),
                ("dev/", "main", "git+https://github.com/segcourse/segcourse@main"))
    for folder, ref, installs in editions:
        page = (site / folder / "book" / "02_fcn.html").read_text()
        assert f"{colab}/{ref}/book/02_fcn.ipynb" in page, folder
        student_page = (site / folder / "student" / "book" / "02_fcn.html").read_text()
        assert f"{colab}/student-notebooks/{ref}/book/02_fcn.ipynb" in student_page, folder
        notebook = git("show", f"student-notebooks:{ref}/book/02_fcn.ipynb", cwd=origin)
        assert f'\\"{installs}\\"' in notebook and '"edition": "student"' in notebook, (ref, installs)
        assert f'<link rel="canonical" href="{pages}/{folder}student/book/02_fcn.html"' in student_page
        print(f"ok: {folder or '/'} ({ref}): book, student book, student notebooks installing {installs}")
    assert {f.split("/")[0] for f in branch_files} == {f"v{RELEASE}", "main"}, branch_files
    assert "url=book/intro.html" in (site / "index.html").read_text()  # the release's own redirect
    print("ok: robots.txt\n" + (site / "robots.txt").read_text())
    log = git("log", "--format=%s", "student-notebooks", cwd=origin).splitlines()
    assert len(log) == 1, log  # the second run had nothing new to push
    print(f"ok: student-notebooks has {len(branch_files)} files in one commit")


def main() -> int:
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="publish-dry-run-"))
    work.mkdir(parents=True, exist_ok=True)
    origin = work / "origin.git"
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch", "main", str(origin)], check=True)
    subprocess.run(["git", "push", "--quiet", str(origin), "HEAD:refs/heads/main"], cwd=ROOT, check=True)
    maintainer = work / "maintainer"
    subprocess.run(["git", "clone", "--quiet", str(origin), str(maintainer)], check=True)
    env = dict(os.environ, PYTHONPATH=str(maintainer))
    for key, value in (("user.name", "dry run"), ("user.email", "dry@run.invalid")):
        git("config", key, value, cwd=maintainer)
    subprocess.run([str(VENV / "bin" / "python"), "-m", "segcourse.release", "cut", RELEASE], cwd=maintainer,
                   env=env, check=True)
    git("push", "--quiet", "origin", "main", f"v{RELEASE}", cwd=maintainer)
    for number in (1, 2):
        site = run_workflow(work, origin, number)
    check(site, origin)
    shutil.rmtree(work / "bin")
    print(f"dry run passed; its files are in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The package and Binder as their users get them, in a fresh virtual environment (`make dist-check`).

- **Package**: ``python -m build`` makes the sdist, then the wheel from the sdist (as PyPI users' pip would);
  ``twine check --strict`` passes on both; they hold the package, the MIT licence and this version.
- **Binder**: a fresh virtual environment of the Python that ``binder/runtime.txt`` names gets
  ``pip install -r binder/requirements.txt`` run from the repository root, as repo2docker does (it runs
  ``${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r binder/requirements.txt`` in the copied
  repository, because the file names a local path), plus ipykernel, which repo2docker's kernel environment
  brings itself. The introduction then executes, top to bottom, in a kernel of that environment started in
  ``book/``, as Jupyter starts it there; it must import segcourse from that environment.
- **Wheel**: the wheel then replaces the checkout's install in that environment, with ``--no-deps``: its
  dependencies are the ones pyproject.toml declares, which the Binder install has just resolved from PyPI
  into this fresh environment, and ``pip check`` confirms that the wheel's requirements are met there.
  ``segcourse --version`` and ``segcourse info`` run from outside the checkout. Sharing one environment costs
  one TensorFlow install instead of two (about a minute and a half from pip's cache).

Not tested here: mybinder.org itself (its image build, its memory limit; see the README).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from segcourse import book, release

ROOT = Path(__file__).resolve().parents[1]
VERSION = release.read_version(ROOT)
WHEEL = f"segcourse-{VERSION}-py3-none-any.whl"
SDIST = f"segcourse-{VERSION}.tar.gz"


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, args))}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", out, ROOT)  # no --sdist/--wheel: the wheel from the sdist
    return out


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory) -> Path:
    """A fresh virtual environment made as repo2docker makes Binder's: returns its python."""
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    venv = tmp_path_factory.mktemp("binder") / "venv"
    # From the base interpreter (none of .venv's packages), with the newest pip, as repo2docker's is recent.
    run(sys.executable, "-m", "venv", "--upgrade-deps", venv)
    python = venv / "bin" / "python"
    version = run(python, "-c", "import sys; print('python-%d.%d' % sys.version_info[:2])").stdout.strip()
    assert version == runtime, f"binder/runtime.txt asks for {runtime}; this test runs {version}"
    run(python, "-m", "pip", "install", "--quiet", "-r", "binder/requirements.txt", "ipykernel", cwd=ROOT)
    return python


def test_sdist_and_wheel_pass_twine_and_hold_the_package(dist):
    assert sorted(p.name for p in dist.iterdir()) == [WHEEL, SDIST]
    done = run(Path(sys.executable).parent / "twine", "check", "--strict", *sorted(dist.iterdir()))
    assert done.stdout.count("PASSED") == 2
    with zipfile.ZipFile(dist / WHEEL) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(f"segcourse-{VERSION}.dist-info/METADATA").decode()
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "segcourse").rglob("*.py")}
    assert modules <= names, modules - names
    assert f"segcourse-{VERSION}.dist-info/licenses/LICENSE" in names
    assert not [n for n in names if n.startswith(("tests/", "book/"))]
    assert f"Version: {VERSION}\n" in metadata and "License-Expression: MIT\n" in metadata
    assert "Requires-Dist: tensorflow>=2.20" in metadata and "Project-URL: Documentation" in metadata
    with tarfile.open(dist / SDIST) as sdist:
        members = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "pyproject.toml", "segcourse/release.py"} <= members


def test_binder_requirements_run_the_introduction(binder_env, tmp_path):
    """The shortest chapter, executed in the Binder environment: every cell, no error."""
    notebook = nbformat.read(ROOT / "book" / "00_introduction.ipynb", as_version=4)
    notebook.cells.append(new_code_cell(  # where segcourse came from; the kernel's peak memory, in MiB
        "import resource, segcourse\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024\n"
        "print(segcourse.__file__, segcourse.__version__, peak)"
    ))
    saved = os.environ.get("JUPYTER_PATH")
    start = time.perf_counter()
    try:
        from nbclient import NotebookClient

        kernel = book.register_kernel(str(binder_env), tmp_path)
        # Jupyter starts the kernel in the notebook's folder.
        resources = {"metadata": {"path": str(ROOT / "book")}}
        NotebookClient(notebook, timeout=600, kernel_name=kernel, resources=resources).execute()
    finally:
        if saved is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = saved
    seconds = time.perf_counter() - start
    where, version, peak = notebook.cells[-1].outputs[0]["text"].split()
    site_packages = run(binder_env, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                        cwd=tmp_path).stdout.strip()
    assert where.startswith(site_packages) and version == str(VERSION), where
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    print(f"\nBinder environment: the introduction executed in {seconds:.0f} s, kernel peak memory {peak} MiB")


def test_wheel_installs_and_runs(dist, binder_env, tmp_path):
    """Everything runs in tmp_path: in the repository root, its segcourse/ and egg-info would be found first."""
    pip = [binder_env, "-m", "pip"]
    run(*pip, "install", "--quiet", "--no-deps", "--force-reinstall", dist / WHEEL, cwd=tmp_path)
    assert "No broken requirements" in run(*pip, "check", cwd=tmp_path).stdout
    bin_dir = binder_env.parent
    direct_url = run(binder_env, "-c", "import importlib.metadata as m; "
                     "print(m.distribution('segcourse').read_text('direct_url.json'))", cwd=tmp_path).stdout
    assert f"/{WHEEL}" in direct_url, direct_url  # installed from the wheel, not from the checkout
    assert run(bin_dir / "segcourse", "--version", cwd=tmp_path).stdout.strip() == f"segcourse {VERSION}"
    info = run(bin_dir / "segcourse", "info", cwd=tmp_path).stdout
    assert f"segcourse   {VERSION}" in info and f"({binder_env})" in info and "TensorFlow  2." in info

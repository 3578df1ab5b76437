"""pytest plugin for `make nbval`: every chapter notebook runs as a Colab user runs it, in ``.venv-colab``.

Loaded with ``-p colab_nbval`` by the pytest of ``.venv-colab`` (its ``colab_nbval.pth`` puts this folder on
the path). nbval executes each notebook top to bottom in a fresh kernel of that environment, where
``google.colab`` is imported at start-up, so the first cell takes its Colab branch and pip-installs segcourse
from ``SEGCOURSE_SOURCE`` (this checkout). This plugin makes that install a real one for every notebook:

- before a notebook's first cell: segcourse is uninstalled (the previous notebook installed it), and the
  test fails if it can still be imported from the notebook's folder, the kernel's working directory;
- after the first cell: the test fails unless segcourse is now installed in the environment's site-packages,
  and fails if that install changed the version of a package Colab ships (segcourse's requirements must be
  met by Colab's own versions, or a Colab user's runtime would be altered under them).

Reinstalling costs a few seconds per notebook; it proves that each chapter installs what it imports.

It also records how long each notebook's cells took, in ``_build/notebook_times.json`` (notebook stem ->
seconds), which ``segcourse bench --quick`` reports instead of executing the book again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import colab_requirements
import pytest
from nbval.plugin import IPyNbCell

SOURCE_VARIABLE = "SEGCOURSE_SOURCE"  # segcourse.book.SOURCE_VARIABLE; segcourse is not importable here
NOTEBOOK_TIMES = Path("_build") / "notebook_times.json"  # read by segcourse.bench.book_times

# Prints where segcourse would be imported from, without importing it (no TensorFlow start-up).
_LOCATE = "import importlib.util as u; s = u.find_spec('segcourse'); print(s.origin if s else '')"


def pytest_configure(config: pytest.Config) -> None:
    """Refuses to run unless this is the Colab stand-in with a local source for segcourse."""
    if "google.colab" not in sys.modules:
        raise pytest.UsageError("google.colab is not imported at start-up: run in .venv-colab (make nbval)")
    if not os.environ.get(SOURCE_VARIABLE):
        raise pytest.UsageError(
            f"{SOURCE_VARIABLE} is not set: the Colab cells would install segcourse from GitHub (make nbval)"
        )


def is_first_cell(item: pytest.Item) -> bool:
    """Whether ``item`` is the first code cell of a notebook (the Colab set-up cell)."""
    return isinstance(item, IPyNbCell) and item.cell_num == 0


def locate_segcourse(folder: Path) -> str:
    """Where a fresh interpreter of this environment started in ``folder`` finds segcourse ('' if nowhere)."""
    done = subprocess.run(
        [sys.executable, "-c", _LOCATE], cwd=folder, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def uninstall_segcourse() -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", "segcourse"],
        capture_output=True,
        check=True,
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before a notebook's first cell: no segcourse anywhere the kernel could import it from."""
    if not is_first_cell(item):
        return
    uninstall_segcourse()
    found = locate_segcourse(item.path.parent)
    if found:
        pytest.fail(f"segcourse is importable before the Colab cell ran ({found}): the run proves nothing")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """After a notebook's first cell: segcourse is installed in site-packages, by that cell."""
    result = yield
    if is_first_cell(item):
        found = locate_segcourse(item.path.parent)
        site_packages = sysconfig.get_path("purelib")
        if not found.startswith(site_packages):
            pytest.fail(f"the Colab cell did not install segcourse into {site_packages} (found: {found!r})")
        _, changed = colab_requirements.report()
        if changed:
            pytest.fail(f"installing segcourse moved these packages off Colab's versions: {', '.join(changed)}")
    return result


_seconds: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Adds each cell's run time to its notebook's total."""
    if report.when == "call":
        notebook = Path(report.nodeid.split("::")[0]).stem
        _seconds[notebook] = _seconds.get(notebook, 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Writes the notebooks' run times, keeping those of notebooks that did not run this time."""
    if not _seconds:
        return
    path = session.config.rootpath / NOTEBOOK_TIMES
    try:
        times = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        times = {}
    times.update({name: round(seconds, 2) for name, seconds in _seconds.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(times, indent=2, sort_keys=True) + "\n", encoding="utf-8")

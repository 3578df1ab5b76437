"""Prints the path of a Python interpreter of the version Colab runs, for creating ``.venv-colab``.

Colab's Python version is read from ``backend-info/os-info.txt`` (a copy of googlecolab/backend-info's
``os-info.txt``, e.g. ``Python 3.13.15``); only major.minor matters for a virtual environment. The interpreter
is looked for, in this order, as ``pythonX.Y`` on the PATH, under pyenv (``$PYENV_ROOT`` or ``pyenv root``,
newest patch release first) and through ``uv python find``; each candidate must really run and report
that version (a pyenv shim of an inactive version does not). Standard library only: it runs before any
virtual environment exists::

    python3 tests/colab/colab_python.py [FALLBACK]

When no such interpreter exists it prints FALLBACK (default: the interpreter running this script) and
writes a warning banner to standard error: the Colab stand-in then does not run Colab's Python.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

OS_INFO = Path(__file__).parent / "backend-info" / "os-info.txt"


def colab_python_version(os_info: Path | None = None) -> str:
    """Colab's Python as ``"X.Y"``, from the ``Python X.Y.Z`` line of ``os_info`` (default: ``OS_INFO``)."""
    os_info = OS_INFO if os_info is None else os_info
    match = re.search(r"^Python (\d+)\.(\d+)", os_info.read_text(encoding="utf-8"), re.MULTILINE)
    if match is None:
        raise ValueError(f"{os_info}: no line 'Python X.Y.Z'")
    return f"{match[1]}.{match[2]}"


def _pyenv_root() -> Path | None:
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    if shutil.which("pyenv"):
        done = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip():
            return Path(done.stdout.strip())
    return None


def _patch(path: Path) -> tuple[int, ...]:
    """(3, 13, 2) for .../versions/3.13.2/bin/python3.13; () when the folder is not a plain release."""
    name = path.parent.parent.name
    return tuple(int(part) for part in name.split(".")) if re.fullmatch(r"\d+(\.\d+)*", name) else ()


def candidates(version: str) -> Iterator[str]:
    """Interpreters that may be Python ``version``, most likely first."""
    on_path = shutil.which(f"python{version}")
    if on_path:
        yield on_path
    root = _pyenv_root()
    if root is not None:
        found = (root / "versions").glob(f"{version}.*/bin/python{version}")
        for path in sorted(found, key=_patch, reverse=True):
            yield str(path)
    if shutil.which("uv"):
        done = subprocess.run(["uv", "python", "find", version], capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip():
            yield done.stdout.strip()


def runs_as(path: str, version: str) -> bool:
    """Whether ``path`` starts, is Python ``version`` and can create virtual environments."""
    probe = "import sys, venv, ensurepip; print('%d.%d' % sys.version_info[:2])"
    try:
        done = subprocess.run([path, "-c", probe], capture_output=True, text=True, timeout=60, check=False)
    except OSError:
        return False
    return done.returncode == 0 and done.stdout.strip() == version


def find_python(version: str) -> str | None:
    """The first candidate that really is Python ``version``, or None."""
    return next((path for path in candidates(version) if runs_as(path, version)), None)


def main(argv: list[str]) -> int:
    fallback = argv[1] if len(argv) > 1 else sys.executable
    version = colab_python_version()
    found = find_python(version)
    if found is None:
        banner = "!" * 100
        print(
            f"{banner}\nWARNING: Colab runs Python {version} ({OS_INFO}), and no Python {version} was found\n"
            f"(python{version} on the PATH, pyenv, uv). The Colab stand-in falls back to {fallback}:\n"
            f"it does NOT test the Python version Colab runs. Install Python {version} (e.g. pyenv install "
            f"{version}) and\nrun `make clean-colab` to rebuild it.\n{banner}",
            file=sys.stderr,
        )
        found = fallback
    print(found)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

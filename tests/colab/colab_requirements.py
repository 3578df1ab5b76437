"""What ``make`` installs into ``.venv-colab``, the stand-in for a Colab runtime, and at which versions.

Colab comes with TensorFlow, Keras, NumPy, Matplotlib, Pillow, pandas and the Jupyter kernel, at the versions
listed in ``backend-info/pip-freeze.txt`` (a copy of googlecolab/backend-info's ``pip-freeze.txt``), but not
with segcourse. So the stand-in gets:

- ``requirements``: segcourse's runtime dependencies as ``pyproject.toml`` declares them, and the test runner
  (pytest, nbval, ipykernel from the ``test`` extra), but never segcourse itself: installing it is the job of
  each chapter's first cell;
- ``constraints``: Colab's version of every package, from its ``pip freeze``: each plain ``name==version``
  line. pip applies a constraint only to a package it installs, so a package the stand-in installs gets
  Colab's version when Colab ships it (TensorFlow, Keras, NumPy, ..., and their own dependencies), and the
  packages Colab lacks (nbval) get pip's choice. Lines that pin a URL or a local build (Colab-internal
  packages such as ``google-colab @ file:///colabtools/...``, torch's CPU wheels) are left out: pip could not
  fetch them and nothing here needs them.
- ``report``: after the install, each package of the stand-in with Colab's version of it (``-`` when
  Colab does not ship it); exit 1 when a package Colab ships has another version here.

Run with the project's ``.venv`` python (segcourse's metadata must be current for ``requirements``)::

    .venv/bin/python tests/colab/colab_requirements.py requirements
    .venv/bin/python tests/colab/colab_requirements.py constraints [FREEZE]
    .venv-colab/bin/python tests/colab/colab_requirements.py report
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import distributions, requires
from pathlib import Path

FREEZE = Path(__file__).parent / "backend-info" / "pip-freeze.txt"

#: The part of the ``test`` extra that runs notebooks; the rest (jupytext, pyyaml, playwright) is not needed.
RUNNER = {"pytest", "nbval", "ipykernel"}

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#@+]+)\s*$")


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them (``ml_dtypes`` and ``ML-Dtypes`` are one package)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def colab_requirements(project: str = "segcourse") -> list[str]:
    """The runtime dependencies of ``project`` plus the notebook runner from its ``test`` extra."""
    from packaging.requirements import Requirement

    wanted = []
    for text in requires(project) or []:
        requirement = Requirement(text)
        if requirement.marker is None:
            wanted.append(str(requirement))
        elif requirement.name in RUNNER and requirement.marker.evaluate({"extra": "test"}):
            requirement.marker = None
            wanted.append(str(requirement))
    return wanted


def colab_versions(freeze: Path = FREEZE) -> dict[str, str]:
    """Colab's packages and versions: the plain ``name==version`` lines of its ``pip freeze``."""
    versions = {}
    for line in freeze.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line.strip())
        if match:
            versions[normalize(match[1])] = match[2]
    return versions


def colab_constraints(freeze: Path = FREEZE) -> list[str]:
    """pip constraint lines that give every package Colab ships Colab's version."""
    return [f"{name}=={version}" for name, version in sorted(colab_versions(freeze).items())]


def report(freeze: Path = FREEZE) -> tuple[list[str], list[str]]:
    """Lines ``name  here  colab`` for this environment's packages, and the names whose versions differ."""
    colab = colab_versions(freeze)
    lines, differ = [], []
    for dist in sorted(distributions(), key=lambda d: normalize(d.metadata["Name"])):
        name = normalize(dist.metadata["Name"])
        theirs = colab.get(name, "-")
        lines.append(f"{name:<32}{dist.version:<16}{theirs}")
        if theirs not in ("-", dist.version):
            differ.append(name)
    return lines, differ


def main(argv: list[str]) -> int:
    action = argv[1] if len(argv) > 1 else "requirements"
    freeze = Path(argv[2]) if len(argv) > 2 else FREEZE
    if action == "requirements":
        print("\n".join(colab_requirements()))
    elif action == "constraints":
        print(f"# Colab's versions, from {freeze.name} (tests/colab/colab_requirements.py constraints)")
        print("\n".join(colab_constraints(freeze)))
    elif action == "report":
        lines, differ = report(freeze)
        print(f"{'package':<32}{'installed':<16}colab")
        print("\n".join(lines))
        if differ:
            print(f"not at Colab's version: {', '.join(differ)}", file=sys.stderr)
            return 1
    else:
        print(f"unknown action {action!r}: requirements, constraints or report", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

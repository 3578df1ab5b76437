"""Prints, one a line, what ``make colab`` installs into ``.venv-colab``: a stand-in for a Colab runtime.

Colab comes with TensorFlow, Keras, NumPy, Matplotlib and Pillow but not segcourse, so the stand-in gets
segcourse's runtime dependencies, as pyproject.toml declares them (no versions written here), and the
test runner (pytest, nbval, ipykernel from the ``test`` extra) but never segcourse itself: installing
it is the job of each chapter's first cell.

Run with the project's ``.venv`` python, where segcourse is installed and its metadata is current::

    .venv/bin/python tests/colab/colab_requirements.py
"""

from __future__ import annotations

from importlib.metadata import requires

from packaging.requirements import Requirement

#: The part of the ``test`` extra that runs notebooks; the rest (jupytext, pyyaml) is not needed here.
RUNNER = {"pytest", "nbval", "ipykernel"}


def colab_requirements(project: str = "segcourse") -> list[str]:
    """The runtime dependencies of ``project`` plus the notebook runner from its ``test`` extra."""
    wanted = []
    for text in requires(project) or []:
        requirement = Requirement(text)
        if requirement.marker is None:
            wanted.append(str(requirement))
        elif requirement.name in RUNNER and requirement.marker.evaluate({"extra": "test"}):
            requirement.marker = None
            wanted.append(str(requirement))
    return wanted


if __name__ == "__main__":
    print("\n".join(colab_requirements()))

"""The Colab stand-in: Colab's package list is read right, and the stand-in runs Colab's versions.

Runs in both environments: in ``.venv`` it tests the tools that build the stand-in; in ``.venv-colab``
(``make unit-colab``) it also checks that the environment the chapters run in has Colab's Python and Colab's
version of every package Colab ships.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

COLAB_TOOLS = Path(__file__).parent / "colab"
sys.path.insert(0, str(COLAB_TOOLS))

import colab_python  # noqa: E402
import colab_requirements  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "colab"  # the blueprint's copy, where it exists

# What segcourse and the chapters import, and what runs the notebooks: these must be Colab's.
USED = ("tensorflow", "keras", "numpy", "matplotlib", "pillow", "pandas", "ipykernel", "jupyter-client")


def in_stand_in() -> bool:
    return getattr(sys.modules.get("google.colab"), "STAND_IN", False)


def test_freeze_lines_are_read_and_colab_internal_lines_left_out(tmp_path):
    freeze = tmp_path / "pip-freeze.txt"
    freeze.write_text(
        "# a comment\n"
        "Keras==3.13.2\n"
        "ml_dtypes==0.6.0\n"
        "google-colab @ file:///colabtools/dist/google_colab-1.0.0.tar.gz\n"
        "torch @ https://download.pytorch.org/whl/cpu/torch-2.11.0%2Bcpu-cp313-cp313-manylinux_2_28_x86_64.whl\n"
        "jupyter_kernel_gateway @ git+https://github.com/googlecolab/kernel_gateway@b134e99\n"
        "\n",
        encoding="utf-8",
    )
    assert colab_requirements.colab_versions(freeze) == {"keras": "3.13.2", "ml-dtypes": "0.6.0"}
    assert colab_requirements.colab_constraints(freeze) == ["keras==3.13.2", "ml-dtypes==0.6.0"]


def test_the_copied_freeze_has_the_versions_its_readme_names():
    versions = colab_requirements.colab_versions()
    readme = (COLAB_TOOLS / "backend-info" / "README.md").read_text(encoding="utf-8")
    for name in ("tensorflow", "keras", "numpy", "matplotlib", "pillow", "pandas"):
        assert f"{name} {versions[name]}" in readme, f"README.md and pip-freeze.txt disagree about {name}"
    assert len(versions) > 500  # the whole list, not a hand-picked part


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"no {SHARED} on this machine (a clone outside the workplace)")
def test_the_copy_is_the_shared_one():
    for name in ("pip-freeze.txt", "pip-freeze.gpu.txt", "os-info.txt"):
        copied = (COLAB_TOOLS / "backend-info" / name).read_text(encoding="utf-8")
        shared = (SHARED / name).read_text(encoding="utf-8")
        assert copied == shared, f"run `make colab-refresh`: {name} is stale"


def test_colab_python_version_is_read_from_os_info(tmp_path):
    assert colab_python.colab_python_version() == "3.13"
    info = tmp_path / "os-info.txt"
    info.write_text("Ubuntu 22.04.5 LTS\nPython 3.14.1\nR version 4.6.1\n", encoding="utf-8")
    assert colab_python.colab_python_version(info) == "3.14"
    info.write_text("Ubuntu 22.04.5 LTS\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no line 'Python X.Y.Z'"):
        colab_python.colab_python_version(info)


def test_colab_python_accepts_only_an_interpreter_of_that_version():
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert colab_python.runs_as(sys.executable, here)
    assert not colab_python.runs_as(sys.executable, "3.99")
    assert not colab_python.runs_as("/nonexistent/python3.99", "3.99")
    assert colab_python.find_python("3.99") is None
    assert colab_python.find_python(here) is not None


def test_the_fallback_banner(tmp_path, monkeypatch, capsys):
    info = tmp_path / "os-info.txt"
    info.write_text("Python 3.99.0\n", encoding="utf-8")
    monkeypatch.setattr(colab_python, "OS_INFO", info)
    assert colab_python.main(["colab_python.py", "/the/fallback"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "/the/fallback"
    assert "WARNING: Colab runs Python 3.99" in err and "does NOT test the Python version Colab runs" in err


@pytest.mark.skipif(not in_stand_in(), reason="checks the Colab stand-in; runs there in `make unit-colab`")
def test_the_stand_in_runs_colabs_python_and_versions():
    expected = colab_python.colab_python_version()
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert here == expected, f"the Colab stand-in runs Python {sys.version}"
    lines, differ = colab_requirements.report()
    assert differ == [], f"not at Colab's version: {differ}"
    installed = {line.split()[0]: line.split()[1] for line in lines}
    colab = colab_requirements.colab_versions()
    for name in USED:
        assert installed.get(name) == colab[name], f"{name}: {installed.get(name)} here, {colab[name]} in Colab"

"""The command line: `segcourse --version` and `segcourse info`."""

from __future__ import annotations

import subprocess
import sys

import pytest

import segcourse
from segcourse import cli


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"segcourse {segcourse.__version__}"


def test_info_names_versions_devices_and_precision(capsys):
    import keras
    import tensorflow as tf

    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"TensorFlow  {tf.__version__}" in out
    assert f"Keras       {keras.__version__}" in out
    assert "/physical_device:CPU:0" in out
    assert "precision   float32" in out  # no GPU on the test machines


def test_no_command_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    assert "usage: segcourse" in capsys.readouterr().out


def test_console_script_is_installed():
    done = subprocess.run(
        [sys.executable, "-c", "from importlib.metadata import entry_points;"
         "print([e.value for e in entry_points(group='console_scripts', name='segcourse')])"],
        capture_output=True, text=True, check=True,
    )
    assert "segcourse.cli:main" in done.stdout

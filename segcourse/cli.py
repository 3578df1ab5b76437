"""The ``segcourse`` command line: ``segcourse --version``, ``segcourse info``."""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Sequence


def info_lines() -> list[str]:
    """The lines ``segcourse info`` prints: versions, devices and the precision policy ``setup`` would use."""
    import keras
    import numpy as np
    import tensorflow as tf

    import segcourse
    from segcourse.runtime import describe_device, resolve_precision

    device, _ = describe_device()
    devices = ", ".join(d.name for d in tf.config.list_physical_devices()) or "none"
    return [
        f"segcourse   {segcourse.__version__}",
        f"Python      {platform.python_version()} ({sys.executable})",
        f"TensorFlow  {tf.__version__}",
        f"Keras       {keras.__version__} (backend {keras.backend.backend()})",
        f"NumPy       {np.__version__}",
        f"devices     {devices}",
        f"device      {device}",
        f"precision   {resolve_precision('auto')} (policy that segcourse.runtime.setup() would use)",
    ]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with one sub-command per task."""
    import segcourse

    parser = argparse.ArgumentParser(
        prog="segcourse", description="Companion package of the semantic segmentation course."
    )
    parser.add_argument("--version", action="version", version=f"segcourse {segcourse.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("info", help="print versions, devices and the precision policy")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "info":
        print("\n".join(info_lines()))
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

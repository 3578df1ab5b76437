"""The ``segcourse`` command line.

- ``segcourse --version``, ``segcourse info``: versions, devices, precision policy;
- ``segcourse student OUT_DIR [--book]``: the student edition of every chapter (solutions removed);
- ``segcourse grade SUBMISSION... --out grades.csv [--timeout SECONDS]``: execute handed-in notebooks and
  write their check results, one row per submission and exercise;
- ``segcourse bench [--quick] [--json FILE]``: measure the course's performance claims side by side in
  one run and print a table (``--markdown`` and ``--plot`` write the Performance appendix's figures).
"""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Sequence
from pathlib import Path


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

    student = commands.add_parser(
        "student",
        help="write the student edition of every chapter notebook (solutions removed)",
        description="Writes every chapter notebook with the solutions removed, the exercise functions "
        "left as stubs and the checks kept. Run it inside the course repository.",
    )
    student.add_argument("out_dir", metavar="OUT_DIR", help="folder to write the notebooks to")
    student.add_argument(
        "--book", action="store_true",
        help="write the sources of a book without solutions instead (build: jupyter-book build OUT_DIR)",
    )

    grade = commands.add_parser(
        "grade",
        help="execute handed-in notebooks and write their check results to a CSV file",
        description="Executes each submission in a fresh kernel, collects the results of its checks and "
        "writes one row per submission and exercise. Broken submissions are reported, never fatal.",
    )
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="handed-in .ipynb files")
    grade.add_argument("--out", default="grades.csv", help="CSV file to write (default: grades.csv)")
    grade.add_argument("--timeout", type=float, default=900,
                       help="seconds allowed for each notebook in total (default: 900)")
    grade.add_argument("--cell-timeout", type=float, default=None,
                       help="seconds allowed for any one cell (default: the --timeout)")
    grade.add_argument("--executed", metavar="DIR", default=None,
                       help="also write the executed notebooks to DIR, to see what went wrong")

    bench = commands.add_parser(
        "bench",
        help="measure the course's performance claims side by side in one run",
        description="Measures, side by side on this machine: the convolutionalised classifier against the "
        "sliding window, segcourse's unpooling against scatter-based unpooling, SegNet's training against the "
        "original article's listing, the book's execution time and SegNet's inference memory. Prints a "
        "table; the full run takes tens of minutes on 2 cores.",
    )
    bench.add_argument("--quick", action="store_true",
                       help="small sizes, under 2 minutes: every figure is produced, the timings mean little")
    bench.add_argument("--json", metavar="FILE", help="write every figure to FILE")
    bench.add_argument("--markdown", metavar="FILE",
                       help="write the tables as MyST Markdown (included by the Performance appendix)")
    bench.add_argument("--plot", metavar="FILE", help="write the figure as a PNG")
    bench.add_argument("--only", nargs="+", metavar="SECTION",
                       help="measure only these sections: dense_vs_sliding unpooling training book memory")
    bench.add_argument("--from-json", metavar="FILE",
                       help="measure nothing: report the figures of an earlier run's JSON file")
    return parser


def run_bench(args: argparse.Namespace) -> int:
    """``segcourse bench``: measures (or reads) the figures, prints the table, writes the files asked for."""
    from segcourse import bench
    from segcourse.bench import report

    if args.from_json:
        results = bench.read_json(args.from_json)
    else:
        sections = args.only or bench.SECTIONS
        unknown = [name for name in sections if name not in bench.SECTIONS]
        if unknown:
            print(f"segcourse bench: unknown section(s) {', '.join(unknown)}; choose from "
                  f"{', '.join(bench.SECTIONS)}", file=sys.stderr)
            return 2
        results = bench.run(bench.QUICK if args.quick else bench.FULL, sections, log=print)
    print()
    print(report.text_table(results))
    if args.json and not args.from_json:
        print(f"wrote {bench.write_json(results, args.json)}")
    if args.markdown:
        path = Path(args.markdown)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(report.markdown(results), encoding="utf-8")
        print(f"wrote {path}")
    if args.plot:
        print(f"wrote {report.plot(results, args.plot)}")
    return 0


def run_student(out_dir: str, as_book: bool) -> int:
    """``segcourse student``: writes the student notebooks (or the student book's sources)."""
    from segcourse import book, release, student

    try:
        version = release.read_version(book.find_root())
        if not version.is_release:
            print(f"segcourse student: warning: this checkout is development version {version}; its notebooks "
                  "install segcourse from the development branch, which changes under your students. For a "
                  "class, hand out from a release: `git checkout vX.Y.Z` first (see the Instructor guide).",
                  file=sys.stderr)
        if as_book:
            print(f"wrote the sources of the student book to {student.write_student_book(out_dir)}")
            print(f"build it with: jupyter-book build {out_dir}")
        else:
            for path in student.write_student_edition(out_dir):
                print(f"wrote {path}")
    except (FileNotFoundError, ValueError) as error:  # not in the course repository; a malformed chapter
        print(f"segcourse student: {error}", file=sys.stderr)
        return 1
    return 0


def run_grade(args: argparse.Namespace) -> int:
    """``segcourse grade``: grades the submissions, writes the CSV, prints a summary table."""
    from segcourse import grade

    if args.timeout <= 0 or (args.cell_timeout is not None and args.cell_timeout <= 0):
        print("segcourse grade: timeouts must be positive", file=sys.stderr)
        return 2
    rows = grade.grade(args.submissions, timeout=args.timeout, cell_timeout=args.cell_timeout,
                       executed_dir=args.executed, log=print)
    grade.write_csv(rows, args.out)
    print()
    print(grade.summary(rows))
    print(f"\nwrote {len(rows)} rows to {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "info":
        print("\n".join(info_lines()))
        return 0
    if args.command == "student":
        return run_student(args.out_dir, args.book)
    if args.command == "grade":
        return run_grade(args)
    if args.command == "bench":
        return run_bench(args)
    parser.print_help()
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

"""The ``segcourse`` command line.

- ``segcourse --version``, ``segcourse info``: versions, devices, precision policy;
- ``segcourse student OUT_DIR [--book]``: the student edition of every chapter (solutions removed);
- ``segcourse grade SUBMISSION... --out grades.csv [--jobs N] [--hidden-seed N] ...``: grade handed-in
  notebooks in a sandbox (the grader runs every check itself), one row per submission and exercise, and
  optionally an LMS's CSV, Gradescope's or GitHub Classroom's results, and feedback files;
- ``segcourse exercises [--markdown FILE]``: the exercises of every chapter, with their checks and points;
- ``segcourse bench [--quick] [--json FILE]``: measure the course's performance claims side by side in
  one run and print a table (``--markdown`` and ``--plot`` write the Performance appendix's figures).
"""

from __future__ import annotations

import argparse
import os
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
        help="grade handed-in notebooks: run them in a sandbox, then every check of their chapter",
        description="Executes each submission in a fresh kernel inside a sandbox, then runs every check of its "
        "chapter itself (visible and hidden cases; the package functions an exercise asks for are unavailable "
        "meanwhile), and writes one row per submission and exercise. Broken or hostile submissions are "
        "reported, never fatal.",
    )
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="handed-in .ipynb files")
    grade.add_argument("--out", default="grades.csv", help="grade sheet to write (default: grades.csv)")
    grade.add_argument("--lms", metavar="FILE", help="also write a CSV with one row per student, one column "
                       "per exercise (points), and the total, for an LMS")
    grade.add_argument("--feedback", metavar="DIR", help="also write one Markdown feedback file per submission")
    grade.add_argument("--gradescope", metavar="FILE", help="also write Gradescope's results.json (one "
                       "submission only)")
    grade.add_argument("--classroom", metavar="FILE", help="also write GitHub Classroom's runner result (JSON)")
    grade.add_argument("--points", metavar="FILE", help='TOML file of "exercise-label" = points lines '
                       "(default: the registry's points)")
    grade.add_argument("--hidden-seed", type=int, default=None, metavar="N",
                       help="seed of the hidden cases (default: a random one, printed)")
    grade.add_argument("--jobs", type=int, default=1, metavar="N", help="grade N submissions at once")
    grade.add_argument("--mode", choices=("auto", "full", "fast"), default="auto",
                       help="auto (default): only the cells the checked functions depend on where that is "
                       "sound, else the whole notebook; full: always the whole notebook; fast: never the whole "
                       "notebook where the fast path is sound")
    grade.add_argument("--chapter", metavar="NN", help="grade every submission as chapter NN (e.g. 00)")
    grade.add_argument("--timeout", type=float, default=900,
                       help="seconds allowed for each notebook in total (default: 900)")
    grade.add_argument("--cell-timeout", type=float, default=None,
                       help="seconds allowed for any one cell (default: the --timeout)")
    grade.add_argument("--case-timeout", type=float, default=60,
                       help="seconds allowed for one call of a student's function by a check (default: 60)")
    grade.add_argument("--sandbox", choices=("auto", "bwrap", "limits"), default="auto",
                       help="auto (default): bubblewrap where it works, else resource limits only, with a "
                       "warning; bwrap: fail without bubblewrap; limits: resource limits only")
    grade.add_argument("--memory-mb", type=int, default=4096, help="memory of each submission's processes "
                       "together (default: 4096)")
    grade.add_argument("--processes", type=int, default=256,
                       help="processes and threads of each submission (default: 256)")
    grade.add_argument("--cpu-seconds", type=int, default=None,
                       help="CPU time of each process of a submission (default: twice the --timeout)")
    grade.add_argument("--file-mb", type=int, default=256, help="largest file a submission may write "
                       "(default: 256)")
    grade.add_argument("--executed", metavar="DIR", default=None,
                       help="also write the executed notebooks to DIR, to see what went wrong")

    exercises = commands.add_parser(
        "exercises",
        help="list the exercises of every chapter: kind, check, points (run it in the course repository)",
        description="Prints, as a Markdown table, every exercise of the book's chapters: by hand, experiment, "
        "or a function with a check (its name, points, and the package functions unavailable while it is "
        "graded).",
    )
    exercises.add_argument("--markdown", metavar="FILE", help="write the table to FILE instead of printing it")

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
    """``segcourse grade``: grades the submissions, writes the files asked for, prints a summary table."""
    import secrets

    from segcourse import grade, sandbox

    def fail(message: str) -> int:
        print(f"segcourse grade: {message}", file=sys.stderr)
        return 2

    if args.gradescope and len(args.submissions) != 1:
        return fail("--gradescope writes the results of one submission: give exactly one")
    seed = args.hidden_seed if args.hidden_seed is not None else secrets.randbelow(2**31)
    outputs = [args.out, args.lms, args.feedback, args.gradescope, args.classroom, args.executed]
    try:
        points = grade.load_points(args.points) if args.points else {}
        jobs = args.jobs
        settings = grade.Settings(
            timeout=args.timeout, cell_timeout=args.cell_timeout, case_timeout=args.case_timeout,
            hidden_seed=seed, mode=args.mode, chapter=args.chapter, points=points,
            threads=max(1, (os.cpu_count() or 1) // max(1, jobs)),
        )
        limits = sandbox.Limits(memory_mb=args.memory_mb, processes=args.processes, file_mb=args.file_mb,
                                cpu_seconds=args.cpu_seconds or int(2 * args.timeout) + 60)
        hide = [*(Path(s).resolve().parent for s in args.submissions), *(Path(o) for o in outputs if o)]
        box = sandbox.find_sandbox(args.sandbox, limits, hide=hide)
    except (ValueError, RuntimeError, OSError) as error:
        return fail(str(error))
    if box.kind != "bwrap":
        print("=" * 100, file=sys.stderr)
        print(f"WARNING: no bubblewrap sandbox: {box.warning}.", file=sys.stderr)
        print("The submissions run with resource limits only. Grade in a container or a throw-away account.",
              file=sys.stderr)
        print("=" * 100, file=sys.stderr)
    print(f"sandbox: {box.describe()}")
    print(f"hidden cases drawn from --hidden-seed {seed}; {jobs} at a time, mode {args.mode}")
    try:
        submissions = grade.grade(args.submissions, settings, box, jobs, args.executed, log=print)
    except ValueError as error:
        return fail(str(error))
    print(f"wrote {grade.write_csv(submissions, args.out)}")
    if args.lms:
        print(f"wrote {grade.write_lms_csv(submissions, args.lms)}")
    if args.feedback:
        written = grade.write_feedback(submissions, args.feedback)
        print(f"wrote {len(written)} feedback files to {args.feedback}")
    if args.gradescope:
        print(f"wrote {grade.write_json(grade.gradescope_results(submissions[0]), args.gradescope)}")
    if args.classroom:
        print(f"wrote {grade.write_json(grade.classroom_results(submissions), args.classroom)}")
    print()
    print(grade.summary(submissions))
    return 0


def run_exercises(markdown: str | None) -> int:
    """``segcourse exercises``: the table of the exercises, generated from the chapters and the checks."""
    from segcourse import book
    from segcourse.grade import report

    try:
        table = report.exercise_table(book.find_root())
    except FileNotFoundError as error:
        print(f"segcourse exercises: {error}", file=sys.stderr)
        return 1
    if markdown:
        Path(markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(markdown).write_text(table, encoding="utf-8")
        print(f"wrote {markdown}")
    else:
        print(table, end="")
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
    if args.command == "exercises":
        return run_exercises(args.markdown)
    parser.print_help()
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

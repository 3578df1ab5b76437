"""Executing a submission's cells, then the grader's cells, in a fresh Jupyter kernel inside a sandbox.

``execute(notebook, folder, ...)`` copies the submission's folder into a scratch folder (the sandbox's only
writable and visible one), starts a kernel there through ``segcourse.sandbox`` (its channels are Unix sockets in
that folder: the sandbox has no network), runs the chosen cells with a time limit per cell and for the whole
notebook, then the grader's cells with a time limit of their own, and returns what happened (``Run``).
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from segcourse.sandbox import MemoryWatch, Sandbox

# Files not copied with a submission's folder: other notebooks (classmates' submissions), caches, and
# anything huge (an instructor grading from a downloads folder).
_NOT_COPIED = (".ipynb", ".ipynb_checkpoints", "__pycache__", ".git")
_LARGEST_COPIED_FILE = 200 * 2**20

#: Notebook-level outcomes, the ``status`` column.
STATUSES = {
    "ok": "executed to the end, no cell raised",
    "raised": "executed to the end; at least one cell raised (the cells after it still ran)",
    "timeout": "stopped: a cell, or the whole notebook, ran longer than allowed",
    "kernel-died": "stopped: the kernel died (a crash, os._exit, a limit of the sandbox)",
    "invalid-json": "not run: the file is not valid JSON (a corrupt or truncated notebook)",
    "not-a-notebook": "not run: the file is not a Jupyter notebook",
    "missing": "not run: no such file",
    "failed": "not run: the notebook could not be executed (the detail says why)",
}


@dataclasses.dataclass
class Run:
    """What executing some cells of a submission, then the grader's cells, gave.

    Args:
        status: see ``STATUSES`` (about the submission's cells that were executed).
        detail: which cell raised or ran too long, or why nothing ran.
        notebook: the executed notebook: the cells run, with their outputs, then the grader's cells.
        grader_outputs: the outputs of each grader cell, in order (empty lists for those that did not run).
        grader_timeout: the index of the grader cell that ran past its time limit, if one did.
        stopped: what the sandbox stopped, one line each (memory, processes, network, files, CPU time).
        seconds: the wall time, kernel start-up included.
    """

    status: str
    detail: str = ""
    notebook: nbformat.NotebookNode | None = None
    grader_outputs: list[list[dict]] = dataclasses.field(default_factory=list)
    grader_timeout: int | None = None
    stopped: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0


class SandboxedKernelManager(AsyncKernelManager):
    """A Jupyter kernel manager whose kernel runs in a ``Sandbox``, watched for memory and disk use."""

    def __init__(self, sandbox: Sandbox, workdir: Path, env: dict[str, str], **kwargs) -> None:
        channels = workdir / ".kernel"
        channels.mkdir(exist_ok=True)
        super().__init__(
            kernel_name="python3",
            transport="ipc",
            ip=str(channels / "ipc"),
            connection_file=str(channels / "connection.json"),
            **kwargs,
        )
        self.sandbox, self.workdir, self.kernel_env = sandbox, workdir, env
        self.uid = sandbox.user()
        self.watch: MemoryWatch | None = None
        sandbox.prepare(workdir, self.uid)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        # Called once the connection file is written: give it to the sandbox's user, who must read it.
        if self.uid is not None:
            os.chown(self.connection_file, self.uid, self.uid)
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file]
        return self.sandbox.command(kernel, self.workdir, self.kernel_env, self.uid)

    async def _async_post_start_kernel(self, **kw) -> None:
        await super()._async_post_start_kernel(**kw)
        self.watch = MemoryWatch(self.provisioner.process.pid, self.sandbox.limits, self.workdir, self.uid)

    def exit_code(self) -> int | None:
        process = getattr(self.provisioner, "process", None)
        return process.poll() if process is not None else None

    def close(self) -> None:
        """Shuts the kernel down, stops the watch and ends whatever the sandbox left running."""
        pid = self.provisioner.process.pid if self.provisioner and self.provisioner.process else None
        try:
            if self.has_kernel:
                run_sync(self.shutdown_kernel)(now=True)
        except Exception:  # a kernel already gone
            pass
        if self.watch is not None:
            self.watch.close()
        if pid is not None:
            self.sandbox.cleanup(pid, self.uid)


def _copy_folder(source: Path, target: Path) -> None:
    """Copies the files beside a submission (not other notebooks, not huge files) for it to read."""

    def ignore(folder: str, names: list[str]) -> list[str]:
        skipped = []
        for name in names:
            path = Path(folder) / name
            if name.endswith(_NOT_COPIED) or (path.is_file() and path.stat().st_size > _LARGEST_COPIED_FILE):
                skipped.append(name)
        return skipped

    try:
        shutil.copytree(source, target, ignore=ignore, symlinks=False, dirs_exist_ok=True)
    except (shutil.Error, OSError):
        pass  # unreadable files (or links to them) stay behind; the notebook runs with what could be copied


def cell_errors(cells: Sequence[nbformat.NotebookNode], numbers: Sequence[int]) -> list[str]:
    """``"cell N: Name: value"`` for each code cell whose outputs hold an error (N: its notebook number)."""
    errors = []
    for cell, number in zip(cells, numbers, strict=True):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error":
                errors.append(
                    f"cell {number}: {output.get('ename', 'Error')}: {output.get('evalue', '')}"[:300]
                )
    return errors


# What the sandbox stops shows up in the cells' errors as these.
_STOPS = (
    ("memory", re.compile(r"^MemoryError|Cannot allocate memory|std::bad_alloc")),
    ("processes", re.compile(r"^BlockingIOError.*Resource temporarily unavailable|can't start new thread")),
    ("file size", re.compile(r"File too large")),
    (
        "network",
        re.compile(
            r"Network is unreachable|Connection refused|name resolution|Name or service not known"
            r"|No address associated"
        ),
    ),
    ("files", re.compile(r"Read-only file system|Permission denied")),
)


def sandbox_stops(errors: Sequence[str], workdir: Path | None = None) -> list[str]:
    """What the sandbox stopped, read from cell errors (``"network: cell 3: ConnectionRefusedError: ..."``).

    A file not found at an absolute path outside the sandbox's folder ``workdir`` counts as a file the sandbox
    does not show.
    """
    stops = []
    for error in errors:
        message = error.split(": ", 1)[1] if ": " in error else error
        what = next((what for what, pattern in _STOPS if pattern.search(message)), None)
        missing = re.search(r"^FileNotFoundError: .*'(/[^']*)'", message)
        if what is None and missing and workdir is not None and not missing.group(1).startswith(str(workdir)):
            what = "files"
        if what is not None:
            stops.append(f"{what}: {error}"[:300])
    return stops


def kernel_env(threads: int) -> dict[str, str]:
    """The kernel's environment: quiet TensorFlow, ``threads`` threads for its operations."""
    threads = str(max(1, threads))
    return {
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONHASHSEED": "0",
        "TF_NUM_INTRAOP_THREADS": threads,
        "TF_NUM_INTEROP_THREADS": threads,
        "OMP_NUM_THREADS": threads,
    }


def execute(
    notebook: nbformat.NotebookNode,
    folder: Path,
    cells: Sequence[int],
    grader_cells: Sequence[tuple[str, float]],
    sandbox: Sandbox,
    timeout: float,
    cell_timeout: float | None = None,
    threads: int = 1,
) -> Run:
    """Runs the code cells ``cells`` of ``notebook`` (0-based indices), then the grader's cells, in a sandbox.

    Stored outputs are ignored (the cells run from scratch). A cell that raises does not stop the run. A
    submission's cell stops the run when it outlasts ``cell_timeout`` or what is left of ``timeout``; the
    grader's cells then do not run. Each grader cell has its own time limit.

    Args:
        notebook: the submission (left unchanged).
        folder: the submission's folder, copied for it to read.
        cells: the indices of the code cells to run, in order.
        grader_cells: ``(source, seconds)`` of each grader cell.
        sandbox: where the kernel runs.
        timeout: seconds for the submission's cells in total, kernel start-up included.
        cell_timeout: seconds for any one of them (default: ``timeout``).
        threads: threads each operation of TensorFlow or NumPy may use in the kernel.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    started = time.monotonic()
    chosen = [nbformat.v4.new_code_cell(notebook.cells[index].source) for index in cells]
    added = [nbformat.v4.new_code_cell(source) for source, _ in grader_cells]
    limits = {id(cell): seconds for cell, (_, seconds) in zip(added, grader_cells, strict=True)}
    run_notebook = nbformat.v4.new_notebook(cells=[*chosen, *added], metadata=notebook.metadata)
    numbers = [index + 1 for index in cells]
    cell_timeout = min(cell_timeout or timeout, timeout)
    deadline = started + timeout
    current = {"index": None}

    def time_left(cell: nbformat.NotebookNode) -> float:
        # nbclient asks before each cell: the submission's budget shrinks as it runs (0 would mean "no limit").
        if id(cell) in limits:
            return limits[id(cell)]
        return max(0.01, min(cell_timeout, deadline - time.monotonic()))

    def on_cell_start(cell: nbformat.NotebookNode, cell_index: int) -> None:
        current["index"] = cell_index

    def where() -> str:
        index = current["index"]
        if index is None:
            return "while starting"
        return (
            f"in cell {numbers[index]}"
            if index < len(chosen)
            else f"in the grader's cell {index - len(chosen) + 1}"
        )

    run = Run("ok", notebook=run_notebook)
    with tempfile.TemporaryDirectory(prefix="segcourse-grade-", ignore_cleanup_errors=True) as scratch:
        workdir = Path(scratch) / "work"
        _copy_folder(folder, workdir)
        workdir.mkdir(exist_ok=True)
        try:
            km = SandboxedKernelManager(sandbox, workdir, kernel_env(threads))
        except OSError as error:
            return Run("failed", f"the sandbox could not be prepared: {error}"[:300], run_notebook)
        client = NotebookClient(
            run_notebook,
            km=km,
            timeout=timeout,
            timeout_func=time_left,
            startup_timeout=min(120.0, timeout),
            allow_errors=True,
            interrupt_on_timeout=False,
            record_timing=False,
            on_cell_start=on_cell_start,
            resources={"metadata": {"path": str(workdir)}},
        )
        try:
            client.execute(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except CellTimeoutError:
            index = current["index"]
            if index is not None and index >= len(chosen):
                run.grader_timeout = index - len(chosen)
            else:
                total = time.monotonic() >= deadline - 1
                limit = "the notebook's total time" if total else "the per-cell limit"
                cell = f"cell {numbers[index]}" if index is not None else "the kernel's start-up"
                run.status = "timeout"
                run.detail = f"{cell} ran past {limit} ({timeout:g} s in total, {cell_timeout:g} s per cell)"
        except DeadKernelError as error:
            run.status, run.detail = "kernel-died", f"the kernel died {where()}: {error}"[:300]
        except Exception as error:  # a kernel that cannot start, a broken sandbox, ...
            run.status, run.detail = "failed", f"{type(error).__name__}: {error}"[:300]
        finally:
            code = km.exit_code()
            km.close()
            if km.watch is not None and km.watch.stopped:
                run.stopped.append(km.watch.stopped)
            elif run.status == "kernel-died" and code is not None and code in (128 + 24, -24):
                run.stopped.append("CPU time: the kernel used up its CPU-time limit")
        errors = cell_errors(chosen, numbers)
        run.stopped += sandbox_stops(errors, workdir)
    if errors and run.status == "ok":
        more = f"; and {len(errors) - 5} more" if len(errors) > 5 else ""
        run.status, run.detail = "raised", "; ".join(errors[:5]) + more
    if run.stopped and run.status == "kernel-died":
        run.detail = f"{run.detail} (stopped by the sandbox: {run.stopped[0]})"[:400]
    run.grader_outputs = [cell.get("outputs", []) for cell in added]
    run.seconds = time.monotonic() - started
    return run


__all__ = ["STATUSES", "Run", "SandboxedKernelManager", "cell_errors", "execute", "kernel_env", "sandbox_stops"]

"""A sandbox for untrusted code: a student's notebook kernel, run by ``segcourse grade``.

Built from bubblewrap (``bwrap``, Debian's ``bubblewrap`` package), the tool Flatpak uses; where it is missing
or cannot create namespaces, from resource limits alone, and then loudly (``Sandbox.warning``). With
bubblewrap the sandboxed command

- sees only the system's programs and libraries (``/usr``, parts of ``/etc``), the Python it runs (read-only)
  and its own folder (read-write; its ``/tmp`` is a folder inside it): not the instructor's home, other
  submissions or the grade sheet (the paths the caller passes in ``hide`` are masked too, if they lie inside a
  visible folder);
- has no network (a network namespace of its own, with only a loopback interface), no view of other processes
  (a process namespace of its own), and cannot gain privileges;
- runs as a user of its own when the grader runs as root (root ignores the process limit), else as the
  grader's user in a user namespace of its own;

and in every case has a limit on its processes and threads (set before anything else runs), the address space
and CPU time of each process, and the size of each file it writes. ``MemoryWatch`` adds a limit on the memory of
all the sandbox's processes together, and on what its folder holds, by polling.

What the limits-only fallback does not stop: reading whatever the user running it may read, and the network.

Example:

>>> sandbox = find_sandbox("auto")
>>> command = sandbox.command(["python3", "-c", "print(1)"], workdir)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

_LAUNCHER = Path(__file__).with_name("_sandbox_launch.py")
# The parts of /etc that programs need (the dynamic loader, users, time zone, fonts), not all of it: /etc may
# hold credentials (pip.conf, environment).
_ETC = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "passwd",
    "group",
    "nsswitch.conf",
    "fonts",
    "alternatives",
    "ssl",
    "mime.types",
    "matplotlibrc",
)
# Users of the sandboxes when the grader runs as root: a range no real account uses, one user per sandbox, so
# that the process limit counts that sandbox's processes only.
_FIRST_SANDBOX_UID = 1_900_000_000
KINDS = ("auto", "bwrap", "limits")


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox.

    Args:
        memory_mb: the memory of all the sandbox's processes together (resident, checked by ``MemoryWatch``);
            each process's address space is limited to this plus 4 GB (TensorFlow reserves far more address
            space than it uses), so that one process allocating without end fails at once.
        processes: processes and threads (TensorFlow and the Jupyter kernel use tens of threads).
        cpu_seconds: CPU time of each process (all its threads together); ``None``: no limit.
        file_mb: the largest file a process may write.
        disk_mb: what the sandbox's folder may hold in total (checked by ``MemoryWatch``).
    """

    memory_mb: int = 4096
    processes: int = 256
    cpu_seconds: int | None = None
    file_mb: int = 256
    disk_mb: int = 2048

    def __post_init__(self) -> None:
        for name in ("memory_mb", "processes", "file_mb", "disk_mb"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"`{name}` must be a positive integer; got {value!r}.")
        if self.processes < 16:
            raise ValueError(
                f"`processes` must be at least 16 (a Jupyter kernel alone uses about 10); got {self.processes}."
            )
        if self.cpu_seconds is not None and (not isinstance(self.cpu_seconds, int) or self.cpu_seconds < 1):
            raise ValueError(f"`cpu_seconds` must be a positive integer or None; got {self.cpu_seconds!r}.")

    def for_launcher(self) -> dict:
        return {
            "processes": self.processes,
            "memory_bytes": (self.memory_mb + 4096) * 2**20,
            "cpu_seconds": self.cpu_seconds,
            "file_bytes": self.file_mb * 2**20,
        }


@dataclasses.dataclass(frozen=True)
class Sandbox:
    """How to run a command sandboxed: with bubblewrap (``kind="bwrap"``) or resource limits alone.

    Args:
        kind: ``"bwrap"`` or ``"limits"``.
        limits: the resource limits.
        warning: what this sandbox does not stop that bubblewrap would (empty for ``"bwrap"``).
        hide: paths the sandboxed command must not see even if they lie inside a folder it sees (the grade
            sheet, the submissions).
        python: the Python that runs the launcher (``_sandbox_launch.py``); the grader's own by default.
    """

    kind: str
    limits: Limits = Limits()
    warning: str = ""
    hide: tuple[Path, ...] = ()
    python: str = sys.executable

    def cleanup(self, pid: int, uid: int | None) -> None:
        """Ends what the sandbox left running (bubblewrap ends its processes itself when its first one ends).

        Without bubblewrap, the sandbox's own user's processes are all killed (when the grader is root), else
        the descendants of ``pid`` that are still there.
        """
        if uid is not None:
            kill_user(uid)
        elif self.kind == "limits":
            for child in _descendants(pid):
                try:
                    os.kill(child, signal.SIGKILL)
                except OSError:
                    pass

    def describe(self) -> str:
        """One line for a report: which sandbox, and its limits."""
        limits = self.limits
        cpu = f", {limits.cpu_seconds} s of CPU a process" if limits.cpu_seconds else ""
        text = (
            f"{limits.memory_mb} MB of memory, {limits.processes} processes and threads{cpu}, files up to "
            f"{limits.file_mb} MB, {limits.disk_mb} MB in its folder"
        )
        if self.kind == "bwrap":
            return f"bubblewrap (no network, only its own folder writable and visible); {text}"
        return f"resource limits only ({self.warning}); {text}"

    def user(self) -> int | None:
        """The user the sandboxed command runs as when the grader is root: a new one each call; else None."""
        if os.getuid() != 0:
            return None
        return _FIRST_SANDBOX_UID + secrets.randbelow(100_000_000)

    def prepare(self, workdir: Path, uid: int | None) -> None:
        """Makes the sandbox's ``/tmp`` (``workdir/.tmp``), and gives the folder to the sandbox's own user."""
        (Path(workdir) / ".tmp").mkdir(exist_ok=True)
        if uid is None:
            return
        for folder, folders, files in os.walk(workdir):
            for name in [*folders, *files]:
                os.lchown(os.path.join(folder, name), uid, uid)
        os.chown(workdir, uid, uid)

    def command(
        self, argv: Sequence[str], workdir: Path, env: dict[str, str] | None = None, uid: int | None = None
    ) -> list[str]:
        """The command that runs ``argv`` in this sandbox, in ``workdir`` (made ready by ``prepare``).

        Args:
            argv: the command; ``argv[0]`` is a path (``sys.executable``), not a name to look up.
            workdir: the sandbox's folder (absolute path): its working folder and home, the only one it
                writes outside ``/tmp``.
            env: its environment (nothing else of the grader's environment is passed on); a ``PATH`` and
                ``HOME`` are added.
            uid: the user to run as (``Sandbox.user()``) when the grader is root.
        """
        workdir = Path(workdir).resolve()
        tmp = "/tmp" if self.kind == "bwrap" else str(workdir / ".tmp")
        env = {
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(workdir),
            "TMPDIR": tmp,
            "LANG": "C.UTF-8",
            **(env or {}),
        }
        config = {
            "limits": self.limits.for_launcher(),
            "uid": uid,
            "env": env,
            "chdir": str(workdir),
            "shared_count": self.kind == "limits" and uid is None,
        }
        launch = [self.python, "-I", "-S", str(_LAUNCHER), json.dumps(config), *argv]
        if self.kind == "limits":
            return launch
        return [*_bwrap_arguments(workdir, self.hide, as_root=os.getuid() == 0), "--", *launch]


@functools.cache
def _visible_paths() -> tuple[Path, ...]:
    """The folders the kernel's Python needs, read-only: its prefixes and every folder on its ``sys.path``."""
    import segcourse

    # The kernel's sys.path is the interpreter's own, without the grader's PYTHONPATH or working folder.
    found = subprocess.run(
        [sys.executable, "-I", "-c", "import sys, json; print(json.dumps(sys.path))"],
        capture_output=True,
        text=True,
        check=True,
    )
    paths = [Path(p) for p in json.loads(found.stdout) if p]
    paths += [
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(sys.executable).parent,
        Path(segcourse.__file__).parent,
    ]
    return tuple(path.resolve() for path in paths)


def _minimal(paths: Iterable[Path]) -> list[Path]:
    """The paths that exist, without those inside another one (binding a folder binds what it holds)."""
    kept: list[Path] = []
    for path in sorted({p for p in paths if p.exists()}, key=lambda p: len(p.parts)):
        if not any(path == k or k in path.parents for k in kept):
            kept.append(path)
    return kept


@functools.cache
def _system_arguments() -> tuple[str, ...]:
    """bubblewrap's arguments for the system folders: /usr, the /bin and /lib links, /sys, parts of /etc."""
    arguments: list[str] = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/", name)
        if path.is_symlink():
            arguments += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            arguments += ["--ro-bind", str(path), str(path)]
    arguments += ["--ro-bind-try", "/sys", "/sys", "--perms", "0755", "--dir", "/etc"]
    for name in _ETC:
        arguments += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return tuple(arguments)


def _bwrap_arguments(workdir: Path, hide: Sequence[Path], as_root: bool) -> list[str]:
    arguments = [
        "bwrap",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "sandbox",
    ]
    if as_root:
        # bubblewrap run by root: no user namespace (its user would still be root, whom RLIMIT_NPROC does not
        # bind); the launcher keeps just the right to become the sandbox's user, and loses it doing so.
        arguments += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        arguments += ["--unshare-user"]
    # /tmp is a folder of the sandbox's own (on disk, counted in its folder's size; a tmpfs would fill memory).
    arguments += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--bind",
        str(workdir / ".tmp"),
        "/tmp",
        *_system_arguments(),
    ]
    made = {Path("/"), Path("/tmp"), Path("/usr"), Path("/etc"), Path("/sys")}
    binds = _minimal(_visible_paths())
    for path in [*binds, workdir]:
        # bubblewrap creates the missing parents of a mount point with mode 0700: a sandbox user other than
        # root could not reach the mount. Create them 0755 first.
        for parent in reversed(path.parents):
            if parent not in made:
                made.add(parent)
                arguments += ["--perms", "0755", "--dir", str(parent)]
    for path in binds:
        arguments += ["--ro-bind", str(path), str(path)]
    arguments += ["--bind", str(workdir), str(workdir)]
    for path in (Path(p).resolve() for p in hide):
        if any(path == b or b in path.parents for b in binds) and path != workdir:
            if path.is_dir():
                arguments += ["--tmpfs", str(path)]
            elif path.exists():
                arguments += ["--ro-bind", "/dev/null", str(path)]
    arguments += ["--chdir", str(workdir)]
    return arguments


@functools.cache
def _bwrap_problem() -> str:
    """Why bubblewrap cannot sandbox a command here (empty when it can): tried once per grading run."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed: `apt-get install bubblewrap`"
    with tempfile.TemporaryDirectory(prefix="segcourse-probe-") as folder:
        probe = Sandbox("bwrap")
        uid = probe.user()
        probe.prepare(Path(folder), uid)
        command = probe.command([sys.executable, "-I", "-S", "-c", "pass"], Path(folder), uid=uid)
        try:
            run = subprocess.run(command, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bubblewrap could not run: {error}"
    if run.returncode != 0:
        return f"bubblewrap cannot create its namespaces here: {run.stderr.strip()[:300]}"
    return ""


def find_sandbox(kind: str = "auto", limits: Limits | None = None, hide: Sequence[Path | str] = ()) -> Sandbox:
    """The sandbox to use: bubblewrap where it works, else (``"auto"``) resource limits alone, with a warning.

    Args:
        kind: ``"auto"``, ``"bwrap"`` (fail when bubblewrap does not work) or ``"limits"`` (never bubblewrap).
        limits: the resource limits (default ``Limits()``).
        hide: paths to mask inside the folders the sandbox sees.

    Raises:
        ValueError: for an unknown ``kind``.
        RuntimeError: ``kind="bwrap"`` where bubblewrap does not work, or no sandbox can limit the processes
            (the message says why): the grader does not run submissions that could fork without end.
    """
    if kind not in KINDS:
        raise ValueError(f"`kind` must be one of {', '.join(KINDS)}; got {kind!r}.")
    limits = limits or Limits()
    hide = tuple(Path(p).resolve() for p in hide)
    if kind != "limits":
        problem = _bwrap_problem()
        if not problem:
            return Sandbox("bwrap", limits, "", hide)
        if kind == "bwrap":
            raise RuntimeError(problem)
    else:
        problem = "asked for"
    unreachable = _python_unreachable()
    if unreachable:
        raise RuntimeError(f"no sandbox: bubblewrap: {problem}; resource limits alone: {unreachable}")
    exposed = "the network, and every file this user may read"
    return Sandbox("limits", limits, f"{problem}; NOT stopped: {exposed}", hide)


@functools.cache
def _python_unreachable() -> str:
    """Why the limits-only sandbox cannot work here (empty when it can), when the grader runs as root.

    Root is not bound by the process limit, so the sandbox runs as a user of its own, who must be able to run
    the grader's Python (not one under root's private home).
    """
    if os.getuid() != 0:
        return ""
    uid = Sandbox("limits").user()
    try:
        tried = subprocess.run([sys.executable, "-I", "-S", "-c", "pass"], user=uid, group=uid, extra_groups=[],
                               capture_output=True, timeout=60)
    except OSError as error:
        tried = error
    if isinstance(tried, OSError) or tried.returncode != 0:
        return (f"the grader runs as root, and another user cannot run its Python ({sys.executable}): install "
                "bubblewrap, grade as another user, or use a Python that every user may run")
    return ""


class MemoryWatch:
    """Polls the memory of a process and all its descendants, and the size of a folder; kills past the limits.

    ``stopped`` then says why (``None`` while the limits hold). Resident memory is summed over the processes,
    so memory that forked processes share counts once for each of them: the watch errs on the side of
    stopping.

    Args:
        pid: the sandbox's first process (bubblewrap, or the launcher); killing it ends the whole sandbox when
            it is bubblewrap.
        limits: ``memory_mb`` and ``disk_mb`` are watched.
        workdir: the sandbox's folder.
        uid: the sandbox's own user, if any: every process of that user is killed too.
        interval: seconds between two polls.
    """

    def __init__(
        self, pid: int, limits: Limits, workdir: Path, uid: int | None = None, interval: float = 0.2
    ) -> None:
        self.pid, self.limits, self.workdir, self.uid, self.interval = pid, limits, Path(workdir), uid, interval
        self.stopped: str | None = None
        self.peak_mb = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"segcourse-watch-{pid}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._done.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        polls = 0
        while not self._done.wait(self.interval):
            pids = _descendants(self.pid)
            if not pids:
                return
            resident = sum(_resident_pages(pid) for pid in pids) * page / 2**20
            self.peak_mb = max(self.peak_mb, resident)
            if resident > self.limits.memory_mb:
                self._kill(
                    pids,
                    f"memory limit: its {len(pids)} processes held {resident:.0f} MB (limit "
                    f"{self.limits.memory_mb} MB)",
                )
                return
            polls += 1
            if polls % 5 == 0:  # the folder, once a second
                used = _folder_mb(self.workdir)
                if used > self.limits.disk_mb:
                    self._kill(
                        pids, f"disk limit: its folder held {used:.0f} MB (limit {self.limits.disk_mb} MB)"
                    )
                    return

    def _kill(self, pids: list[int], reason: str) -> None:
        self.stopped = reason
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if self.uid is not None:
            kill_user(self.uid)


def kill_user(uid: int) -> None:
    """Kills every process of ``uid`` (a sandbox's own user), from a helper process that becomes that user."""
    if os.getuid() != 0 or uid < _FIRST_SANDBOX_UID:
        return
    # kill(-1) signals every process its caller may signal: as that user, that user's own (and itself).
    kill = shutil.which("kill", path="/usr/bin:/bin")
    if kill:
        subprocess.run(
            [kill, "-9", "-1"],
            user=uid,
            group=uid,
            extra_groups=[],
            capture_output=True,
            timeout=30,
            check=False,
        )
        return
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child: system calls only, then it is gone)
        try:
            os.setgid(uid)
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _descendants(root: int) -> list[int]:
    """``root`` and its descendants (empty when ``root`` has ended)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    parent = int(stat.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    if not Path(f"/proc/{root}").exists():
        return []
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _resident_pages(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _folder_mb(folder: Path) -> float:
    total = 0
    for path, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(path, name)).st_size
            except OSError:
                pass
    return total / 2**20


def wait_for_exit(pid: int, timeout: float) -> bool:
    """Waits up to ``timeout`` seconds for ``/proc/<pid>`` to vanish; whether it did."""
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


__all__ = ["KINDS", "Limits", "MemoryWatch", "Sandbox", "find_sandbox", "kill_user"]

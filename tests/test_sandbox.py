"""The sandbox of `segcourse grade` (segcourse.sandbox): what a sandboxed process can see, reach and use.

Each test runs a short Python program in the sandbox (no Jupyter kernel). Bubblewrap is installed by `make
test`; the limits-only fallback is tested too, for what it does and, as documented, does not stop.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from segcourse import sandbox

SMALL = sandbox.Limits(memory_mb=512, processes=32, cpu_seconds=30, file_mb=1, disk_mb=64)


# The limits-only fallback, as an instructor who is not root runs it: the system's Python, as user `nobody`.
SYSTEM_PYTHON = "/usr/bin/python3"
NOBODY = 65534


def limits_as_a_user() -> sandbox.Sandbox:
    if os.getuid() != 0 or not Path(SYSTEM_PYTHON).exists():
        pytest.skip("simulating a user other than the grader's needs root and /usr/bin/python3")
    # `nobody` must read the launcher in this checkout; a clone inside a private folder (mktemp -d is 0700)
    # cannot be simulated (an instructor's own install is readable by the instructor).
    reads = f"open({str(sandbox._LAUNCHER)!r}).close()"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", reads], capture_output=True, text=True, timeout=60,
                           user=NOBODY, group=NOBODY, extra_groups=[])
    if probe.returncode != 0:
        said = (probe.stderr.strip().splitlines() or [f"exit {probe.returncode}"])[-1]
        pytest.skip(f"user `nobody` cannot read {sandbox._LAUNCHER} (a folder above it is private: "
                    f"`chmod o+rx` it to run these tests): {said}")
    return sandbox.Sandbox("limits", SMALL, "asked for", python=SYSTEM_PYTHON)


def run_in(box: sandbox.Sandbox, workdir: Path, program: str, env: dict | None = None):
    """Runs ``program`` in ``box``: in bubblewrap with the tests' Python, else with the system's as `nobody`."""
    if box.kind == "limits":
        os.chown(workdir, NOBODY, NOBODY)
        for path in workdir.iterdir():
            os.chown(path, NOBODY, NOBODY)
        box.prepare(workdir, None)
        os.chown(workdir / ".tmp", NOBODY, NOBODY)
        command = box.command([box.python, "-c", textwrap.dedent(program)], workdir, env)
        return subprocess.run(command, capture_output=True, text=True, timeout=120, user=NOBODY, group=NOBODY,
                              extra_groups=[])
    uid = box.user()
    box.prepare(workdir, uid)
    command = box.command([sys.executable, "-c", textwrap.dedent(program)], workdir, env, uid)
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=120)
    finally:
        if uid is not None:
            sandbox.kill_user(uid)


def boxes(kind: str) -> sandbox.Sandbox:
    return sandbox.find_sandbox("bwrap", SMALL) if kind == "bwrap" else limits_as_a_user()


@pytest.fixture
def workdir():
    """The sandbox's folder, where any user may reach it (pytest's own temporary folders are private)."""
    import shutil
    import tempfile

    parent = Path(tempfile.mkdtemp(prefix="segcourse-test-"))
    parent.chmod(0o755)
    folder = parent / "work"
    folder.mkdir()
    (folder / "data.txt").write_text("beside the notebook")
    yield folder
    shutil.rmtree(parent, ignore_errors=True)


PROBE = """
    import json, os, resource, socket
    found = {"uid": os.getuid(), "home": os.environ.get("HOME"), "data": open("data.txt").read(),
             "secret_env": os.environ.get("SEGCOURSE_SECRET"),
             "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0]}
    for name, path in [("read", os.environ["OUTSIDE_FILE"]), ("repository", os.environ["REPOSITORY_FILE"])]:
        try:
            found[name] = open(path).read()
        except OSError as error:
            found[name] = type(error).__name__
    try:
        open(os.environ["OUTSIDE_FILE"] + ".new", "w").write("x")
        found["write"] = "written"
    except OSError as error:
        found["write"] = type(error).__name__
    try:
        socket.create_connection(("127.0.0.1", int(os.environ["PORT"])), timeout=3)
        found["network"] = "connected"
    except OSError as error:
        found["network"] = type(error).__name__
    try:
        open("big.bin", "wb").write(b"x" * 2 * 2**20)
        found["big_file"] = "written"
    except OSError as error:
        found["big_file"] = error.strerror
    print(json.dumps(found))
"""


def probe(box: sandbox.Sandbox, workdir: Path, monkeypatch) -> dict:
    """What the probe program finds; the instructor's file lies beside the sandbox's folder, readable by all."""
    import json
    import socket

    outside = workdir.parent / "instructor-secret.txt"
    outside.write_text("the answers")
    server = socket.create_server(("127.0.0.1", 0))
    monkeypatch.setenv("SEGCOURSE_SECRET", "a token of the instructor's")
    env = {"OUTSIDE_FILE": str(outside), "REPOSITORY_FILE": str(Path(__file__).resolve()),
           "PORT": str(server.getsockname()[1])}
    try:
        done = run_in(box, workdir, PROBE, env)
    finally:
        server.close()
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout)
    found["outside_new_exists"] = (workdir.parent / "instructor-secret.txt.new").exists()
    return found


def test_bubblewrap_shows_only_the_sandbox_folder_and_no_network(workdir, monkeypatch):
    found = probe(sandbox.find_sandbox("bwrap", SMALL), workdir, monkeypatch)
    assert found["data"] == "beside the notebook" and found["home"] == str(workdir.resolve())
    assert found["read"] == "FileNotFoundError" and found["repository"] == "FileNotFoundError"
    assert found["write"] in ("FileNotFoundError", "PermissionError") and not found["outside_new_exists"]
    assert found["network"] in ("ConnectionRefusedError", "OSError")  # its own loopback: nobody listens
    assert found["secret_env"] is None and found["big_file"] == "File too large"
    assert found["nproc"] == SMALL.processes
    if os.getuid() == 0:
        assert found["uid"] >= 1_900_000_000  # a user of its own, whom the process limit binds


def test_the_limits_only_fallback_limits_resources_but_not_files_or_network(workdir, monkeypatch):
    box = limits_as_a_user()
    found = probe(box, workdir, monkeypatch)
    assert found["uid"] == NOBODY and found["secret_env"] is None and found["big_file"] == "File too large"
    assert found["nproc"] >= SMALL.processes  # the user's processes, plus the sandbox's share
    # Documented: what the user may read and reach, the fallback does not hide.
    assert found["network"] == "connected" and found["read"] == "the answers"


def test_the_fallback_needs_a_python_its_user_can_run():
    if os.getuid() != 0:
        pytest.skip("only root's sandboxes run as a user of their own")
    sandbox._python_unreachable.cache_clear()
    if "/root/" not in os.path.realpath(sys.executable):
        assert sandbox.find_sandbox("limits", SMALL).kind == "limits"
    else:  # this machine: the tests' Python lies in root's private home
        with pytest.raises(RuntimeError, match="another user cannot run its Python"):
            sandbox.find_sandbox("limits", SMALL)


@pytest.mark.parametrize("kind", ["bwrap", "limits"])
def test_a_process_cannot_fork_without_end(workdir, kind):
    """The process limit is set before the program runs: the loop stops at it, the machine does not notice."""
    program = """
        import os, signal, time
        children = []
        try:
            while True:
                child = os.fork()
                if child == 0:
                    time.sleep(30)
                    os._exit(0)
                children.append(child)
        except BlockingIOError:
            print(len(children))
        for child in children:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
    """
    done = run_in(boxes(kind), workdir, program)
    assert done.returncode == 0, done.stderr[-2000:]
    assert 0 < int(done.stdout) <= SMALL.processes


@pytest.mark.parametrize("kind", ["bwrap", "limits"])
def test_one_process_cannot_allocate_without_end(workdir, kind):
    program = """
        hog = []
        try:
            while True:
                hog.append(bytes(50 * 2**20))  # reserved, not touched: the machine's memory is not used up
        except MemoryError:
            print(len(hog) * 50)
    """
    done = run_in(boxes(kind), workdir, program)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) <= SMALL.memory_mb + 4096  # the address-space limit (see Limits)


def test_the_memory_watch_stops_processes_that_hold_too_much_together(workdir):
    """Four processes of 200 MB each: within each one's limit, over the sandbox's 512 MB together."""
    program = """
        import os, time
        for _ in range(3):
            if os.fork() == 0:
                break
        hold = bytearray(200 * 2**20)
        hold[::4096] = b"x" * len(hold[::4096])  # touch every page: resident, not just reserved
        time.sleep(60)
    """
    box = sandbox.find_sandbox("bwrap", SMALL)
    uid = box.user()
    box.prepare(workdir, uid)
    process = subprocess.Popen(box.command([sys.executable, "-c", textwrap.dedent(program)], workdir, uid=uid))
    watch = sandbox.MemoryWatch(process.pid, SMALL, workdir, uid, interval=0.1)
    try:
        process.wait(timeout=50)
    finally:
        watch.close()
        box.cleanup(process.pid, uid)
    assert watch.stopped and watch.stopped.startswith("memory limit: its ")
    assert "(limit 512 MB)" in watch.stopped
    assert sandbox.wait_for_exit(process.pid, 5)


def test_limits_and_kinds_are_checked():
    for bad in ({"memory_mb": 0}, {"processes": 8}, {"cpu_seconds": 0}, {"file_mb": 1.5}, {"disk_mb": True}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            sandbox.Limits(**bad)
    with pytest.raises(ValueError, match="`kind` must be one of auto, bwrap, limits"):
        sandbox.find_sandbox("docker")


def test_paths_to_hide_are_masked_inside_visible_folders(tmp_path):
    import segcourse

    inside = Path(segcourse.__file__).parent / "grade"  # a folder the kernel's Python must see
    box = sandbox.find_sandbox("bwrap", SMALL, hide=[inside, tmp_path])
    command = box.command([sys.executable, "-c", "pass"], tmp_path)
    assert command[command.index(str(inside)) - 1] == "--tmpfs"
    assert str(tmp_path.resolve()) in command  # its own folder, bound, not masked
    assert "--tmpfs" not in command[: command.index(str(inside)) - 1]


def test_a_sandbox_user_leaves_nothing_running():
    """What a sandbox's own user started (a daemon here) is killed when the sandbox ends."""
    if os.getuid() != 0:
        pytest.skip("a sandbox has a user of its own only when the grader runs as root")
    uid = sandbox.Sandbox("bwrap").user()
    started = subprocess.Popen(["sleep", "60"], user=uid, group=uid, extra_groups=[], start_new_session=True)
    sandbox.kill_user(uid)
    assert started.wait(timeout=10) == -9

"""The first program a sandbox runs: set the resource limits, drop root, then become the sandboxed command.

Run by ``segcourse.sandbox`` as ``python -I -S _sandbox_launch.py CONFIG_JSON COMMAND...`` (inside bubblewrap,
or alone where bubblewrap is missing), never imported by the package: it uses the standard library only, so
that it starts in milliseconds and nothing of the student's can have run before it. ``CONFIG_JSON`` holds:

- ``limits``: ``{"processes": N, "memory_bytes": N, "cpu_seconds": N or null, "file_bytes": N}``;
- ``uid``: the user to become when started as root (root ignores the process limit), or null;
- ``env``: the whole environment of the command; ``chdir``: its working folder.

The process limit is set first, before anything else can fork.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import sys

_PR_SET_NO_NEW_PRIVS = 38


def _tasks_of_user(uid: int) -> int:
    """The processes and threads the user runs now (RLIMIT_NPROC counts them all, outside a user namespace)."""
    count = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except OSError:
            continue  # the process ended meanwhile
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            count += int(fields.get("Threads", "1"))
    return count


def set_limits(limits: dict, shared_count: bool) -> None:
    """Sets RLIMIT_NPROC first, then the address space, CPU time, file size and core dump limits.

    Args:
        limits: see the module docstring.
        shared_count: the process count is the user's, not the sandbox's (no user namespace, no user of its
            own): the limit then allows the user's current tasks plus ``limits["processes"]``.
    """
    processes = limits["processes"] + (_tasks_of_user(os.getuid()) if shared_count else 0)
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_bytes"], limits["memory_bytes"]))
    if limits.get("cpu_seconds"):
        # The soft limit sends SIGXCPU, which ends a Python process; the hard limit, a few seconds on, SIGKILL.
        resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"], limits["cpu_seconds"] + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_bytes"], limits["file_bytes"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def drop_root(uid: int) -> None:
    """Becomes ``uid`` (group ``uid``, no supplementary groups); afterwards no capability is left."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def no_new_privileges() -> None:
    """No set-user-ID program (sudo, su) can raise the privileges of this process or its children."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the sandbox is the limits alone
        pass


def main(argv: list[str]) -> None:
    config = json.loads(argv[1])
    command = argv[2:]
    becomes_user = config.get("uid") is not None and os.getuid() == 0
    set_limits(config["limits"], shared_count=config.get("shared_count", False) and not becomes_user)
    if becomes_user:
        drop_root(config["uid"])
    no_new_privileges()
    os.chdir(config["chdir"])
    os.execve(command[0], command, config["env"])


if __name__ == "__main__":
    main(sys.argv)

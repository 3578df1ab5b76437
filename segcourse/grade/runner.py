"""The code the grader runs inside a student's kernel, after the notebook: the cases of one exercise.

The grader does not import this module there: it reads this file and sends its text in a cell of its own, with
the cases, so that nothing the student's code changed in the kernel's modules (``segcourse.check`` included)
takes part in it. The cell calls ``run(payload, globals())``, which

1. looks up the student's function in the notebook's namespace;
2. makes the ``segcourse`` functions that the exercise asks the student to write unavailable (each function's
   code is swapped for one that raises, so that a reference to it kept anywhere fails too; a module imported
   only later is blocked as it is imported), and restores them afterwards;
3. calls the function on a copy of each case's arguments, each call limited in time; the expected values are
   not in the kernel at all: the grader compares the answers itself, outside;
4. displays one record of MIME type ``GRADER_MIME``: the per-run token the cell was given, and the answers,
   encoded as data (numbers, strings, lists, arrays), never as objects that could run code in the grader.

Only the standard library is imported here at first; NumPy and IPython are imported inside ``run``.
"""

from __future__ import annotations

import base64
import copy
import importlib
import math
import pickle
import signal
import types
import zlib

#: MIME type of the record the grader's cells display (only the grader's own cells' records are read).
GRADER_MIME = "application/vnd.segcourse.grader+json"
#: The largest encoded answer accepted, in characters (a few megabytes of array data).
LARGEST_ANSWER = 8_000_000
_DEEPEST = 20


class NotAvailableWhileGrading(Exception):
    """Raised by a ``segcourse`` function that the exercise being graded asks the student to write."""


class _CaseTimeout(BaseException):  # noqa: N818 (not an error of the student's: ends a call)
    pass


class _Unpickler(pickle.Unpickler):
    """Rebuilds the case arguments that are not plain data (see ``segcourse.check.rebuildable``)."""

    def persistent_load(self, pid: tuple) -> object:
        kind, module_name, qualname, args = pid
        if kind != "rebuild":
            raise pickle.UnpicklingError(f"unknown persistent id {kind!r}")
        factory = importlib.import_module(module_name)
        for name in qualname.split("."):
            factory = getattr(factory, name)
        return factory(*args)


def load_payload(payload: str) -> dict:
    """The task the grader sent: ``token``, ``exercise``, ``function``, ``asks_for``, ``cases``, ``seconds``."""
    import io

    return _Unpickler(io.BytesIO(zlib.decompress(base64.b64decode(payload)))).load()


def encode(value: object, depth: int = 0) -> object:
    """``value`` as JSON data that keeps what a comparison needs (tuple or list, dtype, int or float)."""
    import numpy as np

    if depth > _DEEPEST:
        return {"$": "unsupported", "type": type(value).__name__, "repr": "nested too deeply"}
    if value is None or type(value) in (bool, str):
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else {"$": "float", "repr": repr(number)}
    if isinstance(value, str):
        return str(value)
    if isinstance(value, tuple | list):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {"$": kind, "items": [encode(item, depth + 1) for item in value]}
    if isinstance(value, dict):
        return {"$": "dict", "items": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, np.ndarray) or hasattr(value, "__array__"):
        try:
            array = np.asarray(value)
        except Exception as error:
            return {"$": "unsupported", "type": type(value).__name__, "repr": f"no array: {error}"[:200]}
        if array.dtype.kind not in "biufcUS":
            return {"$": "unsupported", "type": f"array of {array.dtype}", "repr": repr(array)[:200]}
        data = base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")
        return {"$": "ndarray", "dtype": array.dtype.str, "shape": list(array.shape), "data": data}
    try:
        text = repr(value)[:200]
    except Exception:
        text = "?"
    return {"$": "unsupported", "type": type(value).__name__, "repr": text}


def _call(function: object, args: tuple, kwargs: dict, seconds: float) -> dict:
    """One call of the student's function, limited to ``seconds`` (SIGALRM: cells run in the main thread)."""

    def stop(signum: int, frame: object) -> None:
        raise _CaseTimeout

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        value = function(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    except NotImplementedError:
        return {"not_implemented": True}
    except _CaseTimeout:
        return {"error": f"did not return within {seconds:g} s"}
    except BaseException as error:  # the student's bug (even a SystemExit): report it, go on
        return {"error": f"raised {type(error).__name__}: {error}"[:2000]}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    encoded = encode(value)
    import json

    if len(json.dumps(encoded)) > LARGEST_ANSWER:
        return {
            "value": {"$": "unsupported", "type": type(value).__name__, "repr": "an answer too large to send"}
        }
    return {"value": encoded}


def _blocker(name: str, dotted: str) -> types.CodeType:
    """A code object that raises ``NotAvailableWhileGrading`` naming ``dotted``, for any arguments."""
    source = f"def {name}(*args, **kwargs):\n    raise __segcourse_not_available__({dotted!r})\n"
    module = compile(source, "<segcourse grader>", "exec")
    return next(const for const in module.co_consts if isinstance(const, types.CodeType))


def _block_function(target: types.FunctionType, dotted: str, exercise: str, called: list[str]) -> tuple:
    def not_available(what: str) -> Exception:
        called.append(what)
        return NotAvailableWhileGrading(
            f"{what} is not available while the grader checks {exercise}: the exercise asks you to write it"
        )

    undo = (target, target.__code__, target.__globals__)
    target.__globals__["__segcourse_not_available__"] = not_available
    target.__code__ = _blocker(target.__code__.co_name, dotted)
    return undo


class _BlockOnImport:
    """A finder first on ``sys.meta_path``: blocks the functions of a module imported while the case runs."""

    def __init__(self, pending: dict[str, list[str]], block_module: object) -> None:
        self.pending, self.block_module = pending, block_module

    def find_spec(self, name: str, path: object, target: object = None) -> object:
        if name not in self.pending:
            return None
        import sys

        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                execute = spec.loader.exec_module

                def exec_module(module: types.ModuleType, execute: object = execute) -> None:
                    execute(module)
                    self.block_module(name, module)

                spec.loader.exec_module = exec_module
                return spec
        return None


def block(asks_for: list[str], exercise: str, called: list[str]) -> list:
    """Makes each function of ``asks_for`` raise (recording its name in ``called``); returns how to undo it.

    A function of a module the notebook has not imported is blocked when something imports it (the student's
    function, say), without importing it here: a notebook that never imports TensorFlow does not pay for it.
    """
    import sys

    undo: list = []
    pending: dict[str, list[str]] = {}
    for dotted in asks_for:
        module_name, _, _ = dotted.rpartition(".")
        pending.setdefault(module_name, []).append(dotted)

    def block_module(module_name: str, module: types.ModuleType) -> None:
        for dotted in pending.pop(module_name, []):
            target = getattr(module, dotted.rpartition(".")[2], None)
            if isinstance(target, types.FunctionType) and not target.__closure__:
                undo.append(_block_function(target, dotted, exercise, called))

    for module_name in list(pending):
        if module_name in sys.modules:
            block_module(module_name, sys.modules[module_name])
    finder = _BlockOnImport(pending, block_module)
    sys.meta_path.insert(0, finder)
    undo.append(finder)
    return undo


def unblock(undo: list) -> None:
    import sys

    for item in reversed(undo):
        if isinstance(item, _BlockOnImport):
            if item in sys.meta_path:
                sys.meta_path.remove(item)
            continue
        target, code, namespace = item
        target.__code__ = code
        namespace.pop("__segcourse_not_available__", None)


def run(payload: str, namespace: dict) -> None:
    """Runs one exercise's cases on the student's function and displays the record (see the module)."""
    from IPython.display import display

    task = load_payload(payload)
    record = {"token": task["token"], "exercise": task["exercise"], "function": task["function"], "answers": []}
    function = namespace.get(task["function"])
    if function is None:
        record["missing"] = f"no `{task['function']}` is defined in the notebook"
    elif not callable(function):
        record["missing"] = f"`{task['function']}` is a {type(function).__name__}, not a function"
    else:
        called: list[str] = []
        undo = block(task["asks_for"], task["exercise"], called)
        try:
            for args, kwargs in task["cases"]:
                del called[:]
                answer = _call(function, args, kwargs, task["seconds"])
                if called:
                    answer = {"blocked": sorted(set(called))}
                record["answers"].append(answer)
        finally:
            unblock(undo)
    display({GRADER_MIME: record, "text/plain": f"segcourse grader: {task['exercise']}"}, raw=True)

"""Exercise checks: call ``check.<name>(your_function)`` in a chapter to test your answer.

>>> from segcourse import check
>>> check.metrics_from_confusion(metrics_from_confusion)  # doctest: +SKIP
[PASSED] ex-intro-metrics-from-matrix: 9/9 cases passed

Each check runs your function on several cases, edge cases included, and prints what passed and, for a
failure, the input, the expected and the actual value. It never shows the reference solution and never
stops the notebook. ``segcourse grade`` runs the same checks on handed-in notebooks itself (with hidden cases
besides), whatever the notebook displays.

For chapter authors, one module per chapter: ``segcourse/check/chNN.py`` (``ch00.py`` is the introduction)
holds the checks of chapter ``NN``. In it, each check is a function decorated with
``@register("<exercise label>", cases=..., hidden=..., asks_for=...)`` whose docstring documents it, and
``__all__`` lists the check
functions. This package imports every ``chNN`` module it finds and re-exports the names in its ``__all__``:
adding a chapter module needs no change here. See ``ch00.py`` for the pattern.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from segcourse.check._core import (
    REGISTRY,
    RESULT_MIMETYPE,
    Answer,
    Case,
    Registration,
    Result,
    call_case,
    close,
    exercises_of_chapter,
    judge,
    rebuildable,
    records_from_outputs,
    register,
    run_cases,
    run_hidden_cases,
)

__all__ = [
    "REGISTRY",
    "RESULT_MIMETYPE",
    "Answer",
    "Case",
    "Registration",
    "Result",
    "call_case",
    "close",
    "exercises_of_chapter",
    "judge",
    "rebuildable",
    "records_from_outputs",
    "register",
    "run_cases",
    "run_hidden_cases",
]


def _import_chapter_modules() -> list[str]:
    """Imports ``segcourse.check.chNN`` for every chapter module on disk; re-exports their ``__all__``.

    Returns the names exported. Two chapters cannot export the same name: a chapter's check would hide
    the other's.
    """
    exported = []
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if re.fullmatch(r"ch\d\d", info.name))
    for module_name in names:
        module = importlib.import_module(f"{__name__}.{module_name}")
        for name in module.__all__:
            function = getattr(module, name)
            if globals().get(name, function) is not function:
                raise ImportError(f"segcourse.check.{module_name} exports {name!r}, a name already taken.")
            globals()[name] = function
            exported.append(name)
    return exported


__all__ += _import_chapter_modules()

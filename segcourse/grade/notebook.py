"""Reading a submission: the notebook, its chapter, the names of the student's functions, and the fast path.

The fast path (``fast_cells``) runs only the cells that the student's functions depend on, not the chapter's
training: the cells that define the names the functions read, the cells that define the names those cells read,
and so on, plus every cell that may change one of those names after it is defined (an assignment, ``x[...] =``,
``x.attr =``, ``del``, a method call on it, passing it to a function). The analysis is by name: it is not sound
when a cell reaches names it does not spell out (``exec``, ``eval``, ``globals()``, ``from x import *``, a
``global`` statement, IPython magics other than ``%matplotlib`` and ``%config``, shell commands); the notebook
then runs whole. What it does not follow either is state kept outside the notebook's names (a file a cell
writes and a function reads, NumPy's random state, Keras's global settings): the grader falls back to the whole
notebook when a check fails with an error that missing state causes (``NameError``, ``FileNotFoundError``, ...).
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import symtable
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import nbformat

from segcourse.check import REGISTRY, Registration

# Magics whose lines change no name of the notebook's.
_HARMLESS_MAGICS = ("matplotlib", "config")
_DYNAMIC_CALLS = ("exec", "eval", "globals", "locals", "vars", "get_ipython", "__import__")
# ``segcourse grade --jobs N`` analyses notebooks in threads, and CPython 3.11's parser keeps state that threads
# share: a garbage collection that switches threads inside ``ast.parse`` can raise "SystemError: AST constructor
# recursion depth mismatch" (python/cpython#106905). One parse at a time.
_PARSING = threading.Lock()


# --------------------------------------------------------------------------------------------------
# Reading a submission


def read_submission(path: Path) -> tuple[nbformat.NotebookNode | None, str, str]:
    """Reads a handed-in file: ``(notebook or None, status, detail)``; never raises for a bad file."""
    if not path.is_file():
        return None, "missing", f"{path} does not exist or is not a file"
    try:
        text = path.read_bytes().decode("utf-8")
        content = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        # A corrupt .ipynb is "invalid JSON"; any other file (a .py, a picture) is not a notebook at all.
        if path.suffix == ".ipynb":
            return None, "invalid-json", f"not valid JSON: {error}"
        return None, "not-a-notebook", f"a {path.suffix or 'extensionless'} file, not a notebook (.ipynb)"
    if not (isinstance(content, dict) and isinstance(content.get("cells"), list) and "nbformat" in content):
        return None, "not-a-notebook", "valid JSON, but not a Jupyter notebook (no cells, no nbformat)"
    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat's many ways to reject a malformed notebook
        return None, "not-a-notebook", f"not a readable notebook: {type(error).__name__}: {error}"
    return notebook, "ok", ""


def chapter_of(notebook: nbformat.NotebookNode | None, path: Path) -> str | None:
    """The chapter number (``"00"``) of a submission, or ``None`` when it cannot be told.

    Tried in turn: ``metadata.segcourse.chapter`` (written by the student edition), the exercise labels
    in the notebook's text (matched against the registered checks), the file name (``00_...``).
    """
    if notebook is not None:
        declared = str(notebook.metadata.get("segcourse", {}).get("chapter", ""))
        if re.match(r"\d\d", declared):
            return declared[:2]
        text = "\n".join(cell.source for cell in notebook.cells)
        chapters = [REGISTRY[label].chapter for label in re.findall(r"ex-[\w-]+", text) if label in REGISTRY]
        if chapters:
            return max(set(chapters), key=chapters.count)
    match = re.search(r"(?<!\d)(\d\d)_[A-Za-z]", path.name)  # also "alice-00_introduction (1).ipynb"
    return match.group(1) if match else None


def function_name(notebook: nbformat.NotebookNode, registration: Registration) -> str:
    """The name of the student's function for a check: the one its check cell passes, else the expected one.

    A student may have named the function otherwise and called ``check.<name>(my_function)``; a deleted check
    cell leaves the name the exercise asks for.
    """
    call = re.compile(rf"\bcheck\.{re.escape(registration.name)}\(\s*([A-Za-z_]\w*)\s*\)")
    names = [
        match.group(1)
        for cell in notebook.cells
        if cell.cell_type == "code"
        for match in call.finditer(cell.source)
    ]
    return names[-1] if names else registration.function


# --------------------------------------------------------------------------------------------------
# The fast path


@dataclasses.dataclass
class _Statement:
    loads: set[str]  # names read where the statement runs (not inside the functions it defines)
    stores: set[str]
    mutates: set[str]  # x.attr = ..., x[...] = ..., del x[...], x += ...
    method_calls: set[str]  # x.method(...)
    passed: set[str]  # f(x), f(key=x)


@dataclasses.dataclass
class _Cell:
    index: int
    reads: set[str]  # every global name the cell reads, in functions it defines too
    statements: list[_Statement]
    binding_kinds: dict[str, set[str]]  # name -> {"import", "def", "value"}
    dynamic: str = ""  # why names cannot be followed in this cell


@dataclasses.dataclass(frozen=True)
class FastPlan:
    """The cells a fast run executes (0-based indices), or why the whole notebook runs (``cells is None``)."""

    cells: tuple[int, ...] | None
    reason: str = ""


def _python_source(source: str) -> tuple[str, str]:
    """``(Python source, reason it is dynamic)``: IPython syntax translated, harmless magics dropped."""
    from IPython.core.inputtransformer2 import TransformerManager

    lines = []
    for line in source.splitlines():
        magic = re.match(r"\s*%(\w+)", line)
        if magic and not line.lstrip().startswith("%%") and magic.group(1) in _HARMLESS_MAGICS:
            lines.append("")
        else:
            lines.append(line)
    if re.search(r"^\s*(%%|%|!)|=\s*!", "\n".join(lines), re.M):
        return "", "an IPython magic or shell command"
    return TransformerManager().transform_cell("\n".join(lines)), ""


def _names(node: ast.AST, context: type) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, context)}


def _outside_functions(node: ast.AST) -> Iterable[ast.AST]:
    """The nodes that run when a statement runs: not the bodies of the functions and lambdas it defines."""
    todo = [node]
    while todo:
        current = todo.pop()
        yield current
        for child in ast.iter_child_nodes(current):
            if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef) and child in current.body:
                continue
            if isinstance(current, ast.Lambda) and child is current.body:
                continue
            todo.append(child)


def _statement(node: ast.stmt) -> _Statement:
    loads, stores, mutates, method_calls, passed = set(), set(), set(), set(), set()
    for sub in _outside_functions(node):
        if isinstance(sub, ast.Name):
            (loads if isinstance(sub.ctx, ast.Load) else stores).add(sub.id)
        elif isinstance(sub, ast.Attribute | ast.Subscript) and isinstance(sub.ctx, ast.Store | ast.Del):
            base = sub.value
            while isinstance(base, ast.Attribute | ast.Subscript):
                base = base.value
            if isinstance(base, ast.Name):
                mutates.add(base.id)
        elif isinstance(sub, ast.AugAssign) and isinstance(sub.target, ast.Name):
            mutates.add(sub.target.id)
        elif isinstance(sub, ast.Call):
            if isinstance(sub.func, ast.Attribute) and isinstance(sub.func.value, ast.Name):
                method_calls.add(sub.func.value.id)
            for argument in [*sub.args, *(keyword.value for keyword in sub.keywords)]:
                passed |= _names(argument, ast.Load)
        elif isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            stores.add(sub.name)
        elif isinstance(sub, ast.Import | ast.ImportFrom):
            stores |= {(alias.asname or alias.name).split(".")[0] for alias in sub.names}
    return _Statement(loads, stores, mutates, method_calls, passed)


def _global_reads(table: symtable.SymbolTable) -> set[str]:
    """The global names the functions and classes of a cell read (not their parameters or local names)."""
    names = set()
    for child in table.get_children():
        if child.get_type() == "function":
            names |= set(child.get_globals())
        else:
            names |= {s.get_name() for s in child.get_symbols() if s.is_referenced() and s.is_global()}
        names |= _global_reads(child)
    return names


def _uses_global_statement(table: symtable.SymbolTable) -> bool:
    for child in table.get_children():
        if any(symbol.is_declared_global() for symbol in child.get_symbols()) or _uses_global_statement(child):
            return True
    return False


def _analyse(index: int, source: str) -> _Cell | None:
    """The names a cell reads and binds; ``None`` for a cell that binds nothing (empty, or a syntax error)."""
    python, dynamic = _python_source(source)
    if dynamic:
        return _Cell(index, set(), [], {}, dynamic)
    try:
        with _PARSING:
            tree = ast.parse(python)
            table = symtable.symtable(python, f"cell {index + 1}", "exec")
    except (SyntaxError, ValueError):
        return None  # a cell that does not compile runs nothing
    if not tree.body:
        return None
    if any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in ast.walk(tree)):
        return _Cell(index, set(), [], {}, "a `from ... import *`")
    if _uses_global_statement(table):
        return _Cell(index, set(), [], {}, "a `global` statement")
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    used = called & set(_DYNAMIC_CALLS) | (
        _names(tree, ast.Load) & {"globals", "locals", "vars", "exec", "eval"}
    )
    if used:
        return _Cell(index, set(), [], {}, f"`{sorted(used)[0]}`")
    statements = [_statement(node) for node in tree.body]
    kinds: dict[str, set[str]] = {}
    for node in tree.body:
        for sub in _outside_functions(node):
            if isinstance(sub, ast.Import | ast.ImportFrom):
                for alias in sub.names:
                    kinds.setdefault((alias.asname or alias.name).split(".")[0], set()).add("import")
            elif isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                kinds.setdefault(sub.name, set()).add("def")
            elif isinstance(sub, ast.Name) and not isinstance(sub.ctx, ast.Load):
                kinds.setdefault(sub.id, set()).add("value")
    reads = set().union(*(s.loads for s in statements)) | _global_reads(table)
    return _Cell(index, reads, statements, kinds)


def fast_cells(notebook: nbformat.NotebookNode, functions: Sequence[str]) -> FastPlan:
    """The cells to run so that ``functions`` exist as the whole notebook would leave them (see the module).

    Args:
        notebook: the submission.
        functions: the names of the student's functions the checks call.

    Returns:
        A ``FastPlan``: the cell indices in notebook order, or ``None`` and the reason the analysis is not
        sound for this notebook.
    """
    cells = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            analysed = _analyse(index, cell.source)
            if analysed is not None and analysed.dynamic:
                return FastPlan(None, f"cell {index + 1} uses {analysed.dynamic}")
            if analysed is not None:
                cells.append(analysed)
    kinds: dict[str, set[str]] = {}
    for cell in cells:
        for name, found in cell.binding_kinds.items():
            kinds.setdefault(name, set()).update(found)

    def is_value(name: str) -> bool:  # not only ever a module or a function/class: may hold changing state
        return kinds.get(name, {"def"}) - {"import", "def"} != set()

    needed, chosen = set(functions), set()
    changed = True
    while changed:
        changed = False
        for cell in cells:
            if cell.index in chosen:
                continue
            values = {name for name in needed if is_value(name)}
            for statement in cell.statements:
                touches = (statement.stores | statement.mutates) & needed or (
                    (statement.method_calls | statement.passed) & values
                )
                aliases = statement.stores if statement.loads & values else set()
                if aliases - needed:
                    needed |= aliases
                    changed = True
                if touches or aliases:
                    chosen.add(cell.index)
                    needed |= cell.reads
                    changed = True
                    break
    return FastPlan(tuple(sorted(chosen)))


def code_cells(notebook: nbformat.NotebookNode) -> list[int]:
    """The indices of the notebook's code cells."""
    return [index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]


__all__ = ["FastPlan", "chapter_of", "code_cells", "fast_cells", "function_name", "read_submission"]

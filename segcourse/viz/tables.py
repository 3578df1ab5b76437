"""Result tables: numbers shown as an HTML table that fits the page, with units in the headers.

``table`` turns the rows or columns a chapter computes into a pandas ``Styler``: Jupyter, Colab and the book
render it as an HTML table (numbers right-aligned and rounded, integers with thousands separators, a wide
table scrolls inside its own box), and it keeps the numbers: ``table(...).data`` is the ``DataFrame``.

Its HTML is the same on every run for the same numbers (the element ids come from the content, not from a
random number), so notebook tests can compare it.
"""

from __future__ import annotations

import hashlib
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

__all__ = ["table"]


def _frame(data: Any, index: str | Sequence[Any] | None) -> pd.DataFrame:
    """A DataFrame from a DataFrame, a mapping of columns, or a sequence of row mappings."""
    if isinstance(data, pd.DataFrame):
        frame = data.copy()
    elif isinstance(data, Mapping):
        lengths = {
            len(v) if isinstance(v, (Sequence, np.ndarray)) and not isinstance(v, str) else -1
            for v in data.values()
        }
        if -1 in lengths or len(lengths) > 1:
            raise ValueError(
                "`data` as a mapping must map each column name to a sequence of values, all of the same "
                f"length; got lengths {sorted(lengths)}."
            )
        frame = pd.DataFrame(dict(data))
    elif isinstance(data, Sequence) and not isinstance(data, str) and all(isinstance(r, Mapping) for r in data):
        frame = pd.DataFrame(list(data))
    else:
        raise ValueError(
            "`data` must be a pandas DataFrame, a mapping of column name -> values, or a list of row "
            f"mappings; got {type(data).__name__}."
        )
    if frame.empty:
        raise ValueError("`data` has no rows or no columns: there is nothing to show.")
    if index is None:
        return frame
    if isinstance(index, str):
        if index not in frame.columns:
            raise ValueError(f"`index` {index!r} is not a column; the columns are {list(frame.columns)}.")
        return frame.set_index(index)
    if len(index) != len(frame):
        raise ValueError(f"`index` has {len(index)} labels for {len(frame)} rows.")
    frame.index = list(index)
    return frame


def _default_format(series: pd.Series, digits: int) -> str | None:
    if pd.api.types.is_bool_dtype(series):
        return None
    if pd.api.types.is_integer_dtype(series):
        return "{:,}"
    if pd.api.types.is_float_dtype(series):
        return f"{{:.{digits}f}}"
    return None


def table(
    data: Any,
    index: str | Sequence[Any] | None = None,
    digits: int = 3,
    formats: Mapping[str, str] | None = None,
    caption: str | None = None,
) -> Styler:
    """Shows results as an HTML table: rounded numbers, right-aligned, units in the column names.

    Args:
        data: the table: a ``pandas.DataFrame``, a mapping ``column -> values`` (all of one length), or a
            list of rows, each a mapping ``column -> value``. Put units in the column names, e.g.
            ``"time (ms)"``.
        index: the column whose values label the rows (or a sequence of row labels); by default the rows
            are numbered, and the numbers are hidden.
        digits: decimals shown for float columns (integers get thousands separators).
        formats: per-column format strings that override the defaults, e.g. ``{"share": "{:.1%}"}``.
        caption: an optional caption shown above the table.

    Returns:
        A ``pandas.io.formats.style.Styler``; its ``.data`` is the ``DataFrame``, unrounded.

    Example:

    >>> t = table([{"model": "FCN-8s", "mean IoU": 0.4531, "parameters": 5_160_000},
    ...            {"model": "SegNet", "mean IoU": 0.618, "parameters": 2_360_000}], index="model")
    >>> t.data.loc["SegNet", "parameters"]
    2360000
    """
    if isinstance(digits, bool) or not isinstance(digits, numbers.Integral) or not 0 <= digits <= 10:
        raise ValueError(f"`digits` must be an integer from 0 to 10; got {digits!r}.")
    frame = _frame(data, index)
    formats = dict(formats or {})
    unknown = [name for name in formats if name not in frame.columns]
    if unknown:
        raise ValueError(
            f"`formats` names columns that do not exist: {unknown}; the columns are {list(frame.columns)}."
        )
    for name in frame.columns:
        default = _default_format(frame[name], digits)
        if name not in formats and default is not None:
            formats[name] = default
    numeric = [name for name in frame.columns if pd.api.types.is_numeric_dtype(frame[name])]
    # Ids from the content: the same numbers give the same HTML on every run.
    digest = hashlib.sha1(frame.to_csv().encode("utf-8") + repr(caption).encode("utf-8")).hexdigest()[:10]
    styler = frame.style.format(formats, na_rep="-").set_uuid(f"sc{digest}")
    if numeric:
        styler = styler.set_properties(subset=numeric, **{"text-align": "right"})
    styler = styler.set_table_styles([{"selector": "th.col_heading", "props": [("text-align", "right")]}])
    if index is None:
        styler = styler.hide(axis="index")
    if caption is not None:
        styler = styler.set_caption(caption)
    return styler

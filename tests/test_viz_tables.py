"""viz.table: results as HTML tables with rounded numbers, the same HTML for the same numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segcourse import viz

ROWS = [
    {"model": "FCN-8s", "mean IoU": 0.45312, "parameters": 5_160_000, "time (ms)": 12.25},
    {"model": "SegNet", "mean IoU": 0.61849, "parameters": 2_360_000, "time (ms)": 30.5},
]


def test_rows_columns_and_frames_give_the_same_table():
    from_rows = viz.table(ROWS, index="model")
    columns = {key: [row[key] for row in ROWS] for key in ROWS[0]}
    from_columns = viz.table(columns, index="model")
    from_frame = viz.table(pd.DataFrame(ROWS), index="model")
    assert from_rows.to_html() == from_columns.to_html() == from_frame.to_html()
    assert from_rows.data.loc["SegNet", "mean IoU"] == 0.61849  # the data keeps every digit


def test_numbers_are_rounded_and_grouped_in_the_html():
    page = viz.table(ROWS, index="model", formats={"time (ms)": "{:.1f}"}).to_html()
    assert "0.453" in page and "0.45312" not in page
    assert "5,160,000" in page and "12.2" in page and "30.5" in page
    assert "text-align: right" in page


def test_digits_and_hidden_row_numbers():
    page = viz.table({"a": [1.23456]}, digits=1).to_html()
    assert ">1.2<" in page
    assert "row0" in page and ">0<" not in page  # the default index is hidden


def test_same_numbers_same_html_and_different_numbers_different_ids():
    assert viz.table(ROWS).to_html() == viz.table(ROWS).to_html()
    other = [dict(ROWS[0], **{"mean IoU": 0.5}), ROWS[1]]
    first = viz.table(ROWS).to_html()
    assert viz.table(other).to_html().split('id="T_')[1][:12] != first.split('id="T_')[1][:12]


def test_caption():
    assert "<caption>Test scores</caption>" in viz.table(ROWS, caption="Test scores").to_html()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"data": "a table"}, "`data`"),
        ({"data": {"a": [1, 2], "b": [1]}}, "`data`"),
        ({"data": {"a": 1}}, "`data`"),
        ({"data": []}, "`data`"),
        ({"data": ROWS, "index": "nope"}, "`index`"),
        ({"data": ROWS, "index": ["one"]}, "`index`"),
        ({"data": ROWS, "digits": -1}, "`digits`"),
        ({"data": ROWS, "digits": 2.5}, "`digits`"),
        ({"data": ROWS, "formats": {"nope": "{:.1f}"}}, "`formats`"),
    ],
)
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        viz.table(**kwargs)


def test_numpy_columns():
    styler = viz.table({"size": np.array([1, 2]), "share": np.array([0.25, 0.75])}, formats={"share": "{:.0%}"})
    page = styler.to_html()
    assert "25%" in page and "75%" in page

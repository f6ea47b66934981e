"""ui.tables.show_table: the same text table from row dicts, a dict of columns or a DataFrame; numbers written as the
figures write them, Markdown escaped, every cell a string in the Arrow table st.table gets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ui import tables
from ui.figures import fmt


@pytest.fixture
def drawn(monkeypatch):
    """What show_table hands st.table: ``[(table, kwargs)]``."""
    calls = []
    monkeypatch.setattr(tables.st, "table", lambda data, **kw: calls.append((data, kw)))
    return calls


ROWS = [
    {"cell (h, w)": "(0, 1)", "dZ": 0.5, "*weight*": np.float64(-1.25), "ok": True, "n": np.int64(3)},
    {"cell (h, w)": "(2, 3)", "dZ": 1 / 3, "*weight*": 2.0, "ok": False, "n": 4},
]


def test_rows_columns_and_a_dataframe_give_the_same_table(drawn):
    columns = {k: [r[k] for r in ROWS] for k in ROWS[0]}
    for data in (ROWS, columns, pd.DataFrame(ROWS)):
        tables.show_table(data, alt="terms", digits={"dZ": ".2g"})
    shown = [t for t, _ in drawn]
    assert all(isinstance(t, pa.Table) for t in shown)
    assert shown[0].equals(shown[1]) and shown[0].equals(shown[2])
    assert all(pa.types.is_string(f.type) for f in shown[0].schema)
    assert shown[0].column_names == ["cell (h, w)", "dZ", "\\*weight\\*", "ok", "n"]  # Markdown in a header escaped
    assert shown[0].to_pydict() == {
        "cell (h, w)": ["(0, 1)", "(2, 3)"],
        "dZ": ["0.5", "0.33"],
        "\\*weight\\*": [fmt(-1.25), fmt(2.0)],
        "ok": ["True", "False"],
        "n": [fmt(3), fmt(4)],
    }
    assert all(kw == {"hide_index": True, "width": "content", "alt": "terms"} for _, kw in drawn)


def test_text_that_looks_like_markdown_is_shown_as_it_is(drawn):
    tables.show_table([{"name": "a_b *c* [link](x) :red[y] $z$"}], alt="names")
    ((table, _),) = drawn
    assert table.to_pydict()["name"] == ["a\\_b \\*c\\* \\[link\\](x) \\:red\\[y\\] \\$z\\$"]


def test_an_empty_table(drawn):
    tables.show_table([], alt="nothing")
    ((table, _),) = drawn
    assert table.num_columns == 0 and table.num_rows == 0

"""The grid editor beside every typed matrix (AppTest, the real app.py): it shows the text's matrices, writes an edit
back into the text box (and so the URL), and refuses a hostile cell with the text box's own words, keeping the text
and what the page computes."""

from __future__ import annotations

import pytest

from tests.apphelpers import array, assert_clean, figures, messages, open_app


def _grid(at, text_key: str):
    """The grid editor of the typed matrix ``text_key`` (its key follows the text: a fresh grid for each text)."""
    (grid,) = [d for d in at.data_editor if d.key and d.key.startswith(f"_grid_{text_key}_")]
    return grid


def _edit(at, text_key: str, cells: dict):
    """Edit the grid as the browser would: ``cells`` ``{(row, col): value}``, 0-based, in the editor's edit state."""
    rows: dict = {}
    for (r, c), value in cells.items():
        rows.setdefault(r, {})[str(c + 1)] = value  # the grid's columns are named 1, 2, ...
    at.session_state[_grid(at, text_key).key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    return at.run()


def test_the_grid_shows_the_typed_matrix_and_an_edit_is_written_back_as_text():
    at = open_app("forward", {"input": "custom"})
    grid = _grid(at, "input_text")
    assert grid.value.to_numpy().tolist() == [[1, 2, 3, 0], [4, 5, 6, 1], [7, 8, 9, 2], [0, 1, 2, 3]]
    _edit(at, "input_text", {(0, 0): 9, (3, 3): -1.25})
    assert_clean(at)
    assert at.sidebar.text_area(key="input_text").value == "9 2 3 0\n4 5 6 1\n7 8 9 2\n0 1 2 -1.25"
    assert at.query_params["input_text"] == "9 2 3 0\n4 5 6 1\n7 8 9 2\n0 1 2 -1.25"  # the link carries the edit
    assert _grid(at, "input_text").value.to_numpy()[3, 3] == -1.25  # a fresh grid, from the new text
    # the page computes with the edited matrix
    fig = figures(at)["forward_anim"]
    assert array(fig["data"][0]["z"])[0, 0] == 9


def test_the_grid_edits_one_channel_at_a_time():
    at = open_app("forward", {"input": "custom", "cin": "2", "input_text": "1 2\n3 4\n\n5 6\n7 8"})
    at.sidebar.selectbox(key="_grid_block_input_text").set_value(1).run()
    assert _grid(at, "input_text").value.to_numpy().tolist() == [[5, 6], [7, 8]]
    _edit(at, "input_text", {(1, 0): 0})
    assert at.sidebar.text_area(key="input_text").value == "1 2\n3 4\n\n5 6\n0 8"


@pytest.mark.parametrize(
    "value,why",
    [
        ("five", "empty or not a number"),  # text in a number cell: the grid reads it as NaN
        (float("nan"), "empty or not a number"),
        (None, "empty or not a number"),  # a cleared cell
        (1e300, "'1e+300' is out of range"),
        (float("inf"), "'inf' is not a number"),
        (-2e6, "out of range"),
    ],
)
def test_a_hostile_grid_edit_is_refused_with_the_text_boxs_words(value, why):
    at = open_app("forward", {"input": "custom"})
    before = at.sidebar.text_area(key="input_text").value
    charts = figures(at)
    _edit(at, "input_text", {(1, 2): value})
    assert_clean(at)
    errors = [e.replace("\u2060", "").replace("\\", "") for e in messages(at, "error")]  # shown as typed, escaped
    assert any("Custom input, row 2, column 3" in e and why in e for e in errors), errors
    assert at.sidebar.text_area(key="input_text").value == before, "a refused edit must not change the text"
    assert figures(at) == charts, "a refused edit must not change what the page computes"
    assert _grid(at, "input_text").value.to_numpy()[1, 2] == 6  # the grid shows the text's matrix again


def test_the_kernel_grid_names_its_channel_pairs_and_the_dz_grid_works_too():
    at = open_app("flip", {"kernel": "custom", "cin": "2", "cout": "2", "dz": "custom", "dz_text": "1 0\n0 1"})
    assert_clean(at)
    at.sidebar.text_area(key="kernel_text").set_value("1 0\n0 1 | 2 2\n2 2 | 3 3\n3 3 | 4 4\n4 4").run()
    options = at.sidebar.selectbox(key="_grid_block_kernel_text").options
    assert options == ["c_in 0, c_out 0", "c_in 0, c_out 1", "c_in 1, c_out 0", "c_in 1, c_out 1"]
    dz_key = [k for k in (d.key for d in at.data_editor) if k and k.startswith("_grid_dz_text_")]
    assert dz_key, "the page's own typed matrix (dZ) has a grid too"
    _edit(at, "dz_text", {(0, 1): 5})
    assert at.text_area(key="dz_text").value.startswith("1 5\n")

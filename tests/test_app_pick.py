"""Click a cell to pick it (AppTest, the real app.py): a click reported by a chart's selection writes the same bound
number boxes the keyboard uses (so the URL follows), and the page shows the picked cell. A click is simulated as
Streamlit receives it from the browser: the chart's selection state, with the clicked point's x and y."""

from __future__ import annotations

import pytest

from tests.apphelpers import array, assert_clean, figures, open_app, texts


def _click(at, key: str, x, y):
    at.session_state[key] = {
        "selection": {
            "points": [{"curve_number": 0, "point_index": 0, "x": x, "y": y}],
            "point_indices": [0],
            "box": [],
            "lasso": [],
        }
    }
    return at.run()


def _pick_traces(spec: dict) -> list[dict]:
    return [d for d in spec["data"] if d.get("type") == "scatter" and "click to pick" in d.get("hovertemplate", "")]


def test_a_click_on_the_verdict_writes_out_that_input_cells_gradient():
    at = open_app("flip", {"pad": "1"})
    assert_clean(at)
    assert len(_pick_traces(figures(at)["verdict"])) == 4, "every panel of the verdict is clickable"
    assert "Padded cell (2, 2), input cell (1, 1)" in texts(at)
    _click(at, "verdict", 4, 3)  # dA_prev[3, 4]: padded (4, 5)
    assert_clean(at)
    assert at.number_input(key="cell_y").value == 4 and at.number_input(key="cell_x").value == 5
    assert at.query_params["cell_y"] == "4" and at.query_params["cell_x"] == "5"
    assert "Padded cell (4, 5), input cell (3, 4)" in texts(at)
    shapes = figures(at)["verdict"]["layout"]["shapes"]
    assert len(shapes) == 4 and {(s["x0"], s["y0"]) for s in shapes} == {(3.5, 2.5)}  # outlined on every panel


@pytest.mark.parametrize("x,y", [(99, 0), (-1, 2), (1.5, 2), ("x", 1), (None, None)])
def test_a_click_the_page_cannot_take_changes_nothing(x, y):
    at = open_app("flip")
    before = (at.number_input(key="cell_y").value, at.number_input(key="cell_x").value)
    _click(at, "verdict", x, y)
    assert_clean(at)
    assert (at.number_input(key="cell_y").value, at.number_input(key="cell_x").value) == before


def test_a_click_on_the_current_cell_does_not_rerun_for_ever():
    at = open_app("flip")
    _click(at, "verdict", 1, 1)  # the cell already picked (padded (1, 1), pad 0)
    assert_clean(at)
    assert at.number_input(key="cell_y").value == 1


@pytest.mark.parametrize("page", ["flip", "weights", "matrix", "pooling"])
def test_a_click_on_the_single_1_moves_it(page):
    at = open_app(page, {"dz": "single 1"})
    assert_clean(at)
    assert "dz_pick" in figures(at)
    _click(at, "dz_pick", 0, 0)  # row 0, column 0 (the 1 starts in the middle)
    assert_clean(at)
    assert at.number_input(key="dz_h").value == 0 and at.number_input(key="dz_w").value == 0
    assert at.query_params["dz_h"] == "0" and at.query_params["dz_w"] == "0"
    z = array(figures(at)["dz_pick"]["data"][0]["z"])
    assert z[0, 0] == 1 and z.sum() == 1  # the 1 is where the click was


def test_a_click_on_the_jacobian_follows_that_inputs_column():
    at = open_app("symbolic", {"sym_dim": "1D"})
    assert_clean(at)
    assert at.selectbox(key="sym_col").value == "c"
    _click(at, "sym_jacobian", 1, 0)  # the entry y of output Q_0 sits in input b's column
    assert_clean(at)
    assert at.selectbox(key="sym_col").value == "b" and at.query_params["sym_col"] == "b"
    assert any("\\frac{\\partial Q}{\\partial b}" in t.value for t in at.latex)
    assert figures(at)["sym_jacobian"]["layout"]["shapes"][0]["x0"] == 0.5


def test_a_click_on_a_row_of_C_transposed_or_a_column_of_C_follows_that_input_cell():
    at = open_app("matrix")
    assert_clean(at)
    _click(at, "mx_backward", 3, 8)  # row q = 8 of Cᵀ: input cell (1, 2) of a 6 x 6 input
    assert_clean(at)
    assert (at.number_input(key="mx_y").value, at.number_input(key="mx_x").value) == (1, 2)
    assert "Row q = 8 (A_prev[1, 2]) of Cᵀ" in texts(at)
    _click(at, "mx_forward", 14, 0)  # column q = 14 of C: input cell (2, 2)
    assert (at.number_input(key="mx_y").value, at.number_input(key="mx_x").value) == (2, 2)
    assert "Row q = 14 (A_prev[2, 2]) of Cᵀ" in texts(at)

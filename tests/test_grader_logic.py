"""The grader's judgement beyond one verdict: every failing case ordered by cause, two slips both named, a helper
judged apart from its caller, NumPy 2 errors seen through, cs231n's layout, notebooks and hostile inputs."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import nbformat
import pytest

from grader import check, source
from grader import mistakes as M

SOLUTIONS = Path(__file__).resolve().parent / "solutions"


def graded(name: str) -> dict[str, dict]:
    report = check.grade(SOLUTIONS / name, timeout=20).to_dict()
    jsonschema.validate(report, check.REPORT_SCHEMA)
    return {f["function"]: f for f in report["functions"]}


def test_a_stride_bug_is_first_shown_on_the_plain_stride_case_not_on_ties():
    entry = graded("mistake_pool_backward_stride_ignored.py")["pool_backward"]
    assert entry["failure"]["case"] == "stride 2, max" and entry["failure"]["kinds"] == ["stride > 1"]
    failing = [f["case"] for f in entry["failures"]]
    assert "ties, max, stride 2" in failing and failing.index("ties, max, stride 2") > 0
    assert entry["failing_kinds"][:1] == ["stride > 1"]
    assert entry["pattern"] == "it fails on every case with stride > 1 and passes on every other case"
    assert entry["course_check"]["detail"].startswith("the course's own test values do not show this mistake")


def test_every_failing_case_is_reported_not_only_the_first():
    entry = graded("mistake_crop_seed.py")["conv_backward"]
    failing = {c["case"] for c in entry["cases"] if c["status"] != "pass"}
    assert failing == {c.name for c in M.cases("conv_backward") if "pad 0" in c.kinds}
    assert {f["case"] for f in entry["failures"]} == failing


def test_two_slips_that_show_on_different_cases_are_both_named():
    entry = graded("two_slips_stride_and_crop.py")["conv_backward"]
    by_key = {d["key"]: d for d in entry["diagnosis"]}
    assert set(by_key) == {"stride_ignored_backward", "crop_pad_minus_pad"}
    assert "stride 2" in by_key["stride_ignored_backward"]["cases"]
    assert "pad 0, one example" in by_key["crop_pad_minus_pad"]["cases"]
    assert all(d["fix"] for d in entry["diagnosis"])


def test_a_broken_helper_neither_hides_nor_fakes_the_caller_s_verdict():
    by = graded("mistake_bias_inside_sum.py")
    assert by["conv_single_step"]["verdict"] == "FAIL"
    helpers = by["conv_forward"]["helpers"]
    assert by["conv_forward"]["verdict"] == "PASS" and helpers["judged_with"] == "reference"
    assert helpers["at_fault"] == ["conv_single_step"] and not helpers["own_passed"]
    assert "the fault is conv_single_step's, not conv_forward's" in helpers["detail"]
    # and a caller with its own slip still fails with the reference helper in place
    by = graded("mistake_random_init.py")
    assert by["conv_backward"]["verdict"] == "FAIL" and by["conv_backward"]["helpers"]["judged_with"] == "own"


def test_right_under_numpy_1_but_not_2_is_recognised():
    entry = graded("numpy2_store.py")["conv_forward"]
    assert entry["verdict"] == "NUMPY 2" and not entry["passed"]
    assert entry["numpy2"]["right_under_numpy1"] and "store a one-element array" in entry["numpy2"]["detail"]
    assert check.Report("x", True, None, [], 1, 1).exit_status == 2


def test_a_real_bug_behind_a_numpy_2_error_is_still_found():
    entry = graded("numpy2_hides_a_bug.py")["distribute_value"]
    assert entry["verdict"] == "FAIL" and not entry["numpy2"]["right_under_numpy1"]
    assert "np.float no longer exists" in entry["numpy2"]["detail"]
    assert [d["key"] for d in entry["diagnosis"]] == ["average_sum_of_sides"]
    assert entry["failure"]["case"] == "3x3"


def test_cs231n_layout_is_recognised_and_graded():
    report = check.grade(SOLUTIONS / "cs231n_right.py").to_dict()
    assert report["layouts"] == ["cs231n"] and report["exit_status"] == 0
    assert [f["function"] for f in report["functions"]] == list(M.CS231N_FUNCTIONS)
    assert all(f["layout"] == "cs231n" and f["verdict"] == "PASS" for f in report["functions"])
    by = graded("cs231n_stride_ignored.py")
    entry = by["conv_backward_naive"]
    assert entry["verdict"] == "FAIL" and [d["key"] for d in entry["diagnosis"]] == ["stride_ignored_backward"]
    assert entry["diagnosis"][0]["outputs"] == ["dx", "dw"]
    assert entry["course_check"]["detail"].startswith("cs231n's own check")
    assert by["conv_forward_naive"]["verdict"] == "PASS"


def test_cs231n_references_are_cs231n_s_own_expected_numbers():
    (out,) = M.reference_outputs(M.case("conv_forward_naive", "cs231n"))
    assert out[0, 0].ravel().tolist() == pytest.approx([-0.08759809, -0.10987781, -0.18387192, -0.2109216], abs=1e-8)
    (out,) = M.reference_outputs(M.case("max_pool_forward_naive", "cs231n"))
    assert out[0, 0].ravel().tolist() == pytest.approx([-0.26315789, -0.24842105, -0.20421053, -0.18947368], abs=1e-8)


def _notebook() -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Convolutional Neural Networks: Step by Step\n\ndef zero_pad(X, pad): ..."),
        nbformat.v4.new_code_cell(
            "import numpy as np\nimport h5py\nimport matplotlib.pyplot as plt\n%matplotlib inline"
        ),
        nbformat.v4.new_code_cell("!pip install numpy\nnp.random.seed(1)"),
        nbformat.v4.new_code_cell(
            "def zero_pad(X, pad):\n    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))", execution_count=3
        ),
        nbformat.v4.new_code_cell("x = np.random.randn(4, 3, 3, 2)\nprint(zero_pad(x, 2).shape)\nplt.imshow(x[0])"),
        nbformat.v4.new_code_cell("%%bash\necho hello"),
        nbformat.v4.new_code_cell("def distribute_value(dz, shape):\n    return np.ones(shape) * dz / sum(shape)"),
    ]
    return nbformat.writes(nb).encode()


def test_a_notebook_is_read_with_nbformat_and_the_cells_used_are_reported():
    report = check.grade_source(_notebook(), "Convolution_model_Step_by_Step.ipynb").to_dict()
    jsonschema.validate(report, check.REPORT_SCHEMA)
    assert report["kind"] == "ipynb" and report["cells"] == ["cell 2", "cell 4 (In [3])", "cell 7"]
    assert any("import h5py; import matplotlib" in s for s in report["skipped"])
    assert any("left out 4 top-level statements" in s for s in report["skipped"])
    by = {f["function"]: f for f in report["functions"]}
    assert by["zero_pad"]["verdict"] == "PASS"
    assert [d["key"] for d in by["distribute_value"]["diagnosis"]] == ["average_sum_of_sides"]


def test_a_notebook_error_names_its_cell():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import numpy as np"),
        nbformat.v4.new_code_cell("def distribute_value(dz, shape):\n    n_H, n_W = shape\n    return dz / 0 * n_H"),
    ]
    report = check.grade_source(nbformat.writes(nb).encode(), "nb.ipynb")
    (f,) = report.functions
    assert "(cell 2, line 3 in distribute_value:" in f.failure.message


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "x.py", "binary file"),
        ("def f():\n    return 'é'\n".encode("latin-1"), "x.py", "not UTF-8"),
        (b'{"cells": [', "x.ipynb", "not valid JSON"),
        (b'{"cells": [' + b"{}," * 100_000 + b"{}]}", "x.ipynb", "100,001 cells"),
        (b'{"nbformat": 4}', "x.ipynb", "no list of cells"),
        (b'{"cells": [{"cell_type": "code"}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "x.ipynb", ""),
        (b"x" * (source.MAX_BYTES + 1), "x.py", "at most"),
        (b"(" * 200_000, "x.py", ""),
    ],
    ids=["binary", "latin-1", "bad-json", "many-cells", "no-cells", "invalid-cell", "huge", "nesting"],
)
def test_hostile_inputs_get_a_clear_message_and_break_nothing(data, name, message):
    report = check.grade_source(data, name)
    assert report.exit_status == 2 and report.error and message in report.error
    json.dumps(report.to_dict(), allow_nan=False)

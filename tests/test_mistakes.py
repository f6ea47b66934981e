"""The catalogue of mistakes: every slip is real (it changes an output), small (one slip away from the right
course-style code), and the issue's claim holds: on the course's values two wrong conv_backward have the
right means."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader import mistakes as M

ROOT = Path(__file__).resolve().parents[1]

MISTAKES = [pytest.param(m, id=m.key) for m in M.CATALOGUE]


def test_every_course_function_has_a_catalogued_mistake_and_keys_are_unique():
    assert len(M.BY_KEY) == len(M.CATALOGUE)
    for function in M.COURSE_FUNCTIONS:
        assert M.mistakes_for(function), function
    with pytest.raises(KeyError, match="kernel_not_rotated"):
        M.mistake("no_such_mistake")


@pytest.mark.parametrize("mistake", MISTAKES)
def test_each_mistake_shows_on_its_showcase_and_differs_elementwise(mistake):
    showcase = M.evaluate(mistake)
    assert showcase.function == mistake.shown_by
    assert not showcase.elementwise_passes, f"{mistake.key} does not show on its showcase {mistake.showcase!r}"
    outcomes = M.battery(mistake)
    assert {o.function for o in outcomes} == set(mistake.shows_in)
    assert any(not o.elementwise_passes for o in outcomes if o.function == mistake.function)


@pytest.mark.parametrize("mistake", MISTAKES)
def test_each_variant_is_the_same_slip_written_another_way(mistake):
    for k, variant in enumerate(mistake.variants, start=1):
        impl = mistake.implementation(mistake.function, k)
        assert impl is variant
        case = M.case(mistake.shown_by, mistake.showcase)
        got, error = M.run(mistake.function, impl, case)
        assert error is not None or M.compare(mistake.function, M.reference_outputs(case), got)


@pytest.mark.parametrize("mistake", MISTAKES)
def test_each_mistake_is_the_right_code_with_one_small_slip(mistake):
    source, right = mistake.source(), mistake.right_source()
    assert source.startswith(f"def {mistake.function}(")
    assert right.startswith(f"def {mistake.function}(")
    changed = [line for line in mistake.diff().splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert 1 <= len(changed) <= 6, mistake.diff()
    assert "def " + mistake.reference + "(" in mistake.reference_source()


@pytest.mark.parametrize("function", [*M.COURSE_FUNCTIONS, "conv_backward_rot180"])
def test_the_right_course_style_code_matches_convcore_on_the_whole_battery(function):
    graded = function.replace("_rot180", "")
    for case in M.cases(graded):
        got, error = M.run(graded, M.RIGHT[function], case)
        assert error is None, (case.name, error)
        assert not M.compare(graded, M.reference_outputs(case), got), case.name
    assert M.right_source(function).startswith(f"def {graded}(")


def test_the_battery_starts_from_the_course_s_own_test_values():
    # the numbers the course prints (and asserts with np.isclose) for its test values
    dA, dW, db = M.reference_outputs(M.case("conv_backward", "course"))
    assert np.isclose(dA.mean(), 1.4524377) and np.isclose(dW.mean(), 1.7269914) and np.isclose(db.mean(), 7.8392325)
    (Z,) = M.reference_outputs(M.case("conv_forward", "course"))
    assert np.isclose(Z.mean(), 0.5511276474566768)
    assert np.allclose(
        Z[0, 2, 1], [-2.17796037, 8.07171329, -0.5772704, 3.36286738, 4.48113645, -2.89198428, 10.99288867, 3.03171932]
    )
    (dA_prev,) = M.reference_outputs(M.case("pool_backward", "course, max"))
    assert np.allclose(dA_prev[1, 1], [[0, 0], [5.05844394, -1.68282702], [0, 0]])
    (z,) = M.reference_outputs(M.case("conv_single_step", "course"))
    assert np.isclose(z, -6.99908945068)
    for function in M.COURSE_FUNCTIONS:
        assert M.cases(function)[0].course and M.cases(function)[0].name.startswith("course")


@pytest.mark.parametrize("key", ["kernel_not_rotated", "kernel_transposed"])
def test_the_issue_claim_means_right_entries_wrong_on_the_course_values(key):
    outcome = M.evaluate(key, "course")
    assert outcome.case.label.startswith("the course's test: np.random.seed(1), A_prev (10, 4, 4, 3), W (2, 2, 3, 8)")
    assert outcome.outputs == ("dA_prev", "dW", "db")
    for expected, got in zip(outcome.expected, outcome.got, strict=True):
        assert np.isclose(np.mean(got), np.mean(expected), rtol=1e-12, atol=0)
    assert outcome.mean_only_passes
    assert not outcome.elementwise_passes
    assert outcome.max_abs_diff[0] > 10  # dA_prev is far off
    assert [d.output for d in outcome.differences] == ["dA_prev"]  # dW and db are right


def test_the_forward_flip_also_keeps_mean_Z_on_the_course_values():
    outcome = M.evaluate("forward_flips_kernel", "course")
    assert outcome.mean_only_passes and not outcome.elementwise_passes


def test_a_pooling_helper_slip_shows_in_pool_backward_through_the_right_caller():
    outcome = M.evaluate("average_not_divided")  # course values, average mode, f = 2
    assert outcome.function == "pool_backward"
    np.testing.assert_allclose(outcome.got[0], 4 * outcome.expected[0])  # dz instead of dz / (f * f)
    undivided = M.mistake("average_not_divided").implementation("distribute_value", 1)
    assert np.array_equal(undivided(3.0, (2, 3)), np.full((2, 3), 3.0))


def test_a_crash_is_an_outcome_with_the_error_message():
    outcome = M.evaluate("crop_pad_minus_pad")  # pad 0
    assert outcome.got is None and outcome.error.startswith("ValueError: could not broadcast")
    assert not outcome.elementwise_passes and not outcome.mean_only_passes
    batch = M.mistake("crop_pad_minus_pad").implementation(variant=1)
    got, error = M.run("conv_backward", batch, M.case("conv_backward", "pad 0"))
    assert error is None and got[0].shape == (2, 0, 0, 3)  # the seed's spelling returns an empty dA_prev


def test_summary_table_one_row_per_mistake_with_both_checks():
    rows = M.summary_table()
    assert [r.key for r in rows] == [m.key for m in M.CATALOGUE]
    by_key = {r.key: r for r in rows}
    assert all(r.caught_by_elementwise for r in rows)
    for key in ("kernel_not_rotated", "kernel_transposed", "forward_flips_kernel"):
        assert not by_key[key].caught_by_mean_only and by_key[key].shows_on_course_values
    for key in ("crop_pad_minus_pad", "hparameters_by_order", "mask_first_max_only"):
        assert not by_key[key].shows_on_course_values and not by_key[key].caught_by_mean_only
    for key in ("db_assigned", "stride_ignored_backward", "max_pool_assigned"):
        assert by_key[key].caught_by_mean_only
    assert by_key["shapes_unpacked_wrong"].raises and not by_key["db_assigned"].raises
    assert "conv_backward: pad 0" in by_key["crop_pad_minus_pad"].cases_caught


def test_battery_inputs_and_references_are_read_only():
    case = M.case("conv_backward", "course")
    with pytest.raises(ValueError):
        case.args[0][0, 0, 0, 0] = 1.0
    with pytest.raises(ValueError):
        M.reference_outputs(case)[0][0, 0, 0, 0] = 1.0
    dZ, (A_prev, *_rest) = case.arguments()
    dZ[...] = 0.0  # fresh copies: writing to them changes nothing shared
    assert M.reference_outputs(case)[0].any()


def test_the_grader_modules_import_no_ui():
    code = (
        "import sys, grader.mistakes, grader.check, grader._runner; "
        "print([m for m in ('streamlit', 'plotly', 'matplotlib') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

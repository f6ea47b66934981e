"""The grader CLI, run as a learner runs it (``python -m convcore.check SOLUTION.py``) on learner-style files in
``tests/solutions/``: right solutions pass, every catalogued mistake is caught and named, a hang, a crash,
a memory hog and unloadable files get clear verdicts and the documented exit status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from grader import check
from grader import mistakes as M

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = Path(__file__).resolve().parent / "solutions"


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "convcore.check", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_both_entry_points_give_the_same_report():
    """``python -m grader`` is its own name; ``python -m convcore.check`` keeps working (the README gave it)."""
    a = run_cli(solution("mistake_kernel_transposed.py"))
    b = subprocess.run(
        [sys.executable, "-m", "grader", solution("mistake_kernel_transposed.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert a.returncode == b.returncode == 1
    assert a.stdout.splitlines()[1:-1] == b.stdout.splitlines()[1:-1]  # the last line is the time taken
    assert "usage: python -m convcore.check" in run_cli("--help").stdout


def solution(name: str) -> str:
    return str((SOLUTIONS / name).relative_to(ROOT))


def verdicts(stdout: str) -> dict[str, str]:
    """``{function: "PASS" | "FAIL"}`` from the one line per function."""
    found = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in M.COURSE_FUNCTIONS and parts[1] in ("PASS", "FAIL"):
            found[parts[0]] = parts[1]
    return found


def test_a_right_loop_solution_passes_all_eight_functions_on_every_case():
    out = run_cli(solution("correct_loops.py"), "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert [f["function"] for f in report["functions"]] == list(M.COURSE_FUNCTIONS)  # the notebook's order
    for entry in report["functions"]:
        # every case of the battery ran and passed (the time per function is printed by benchmarks, not asserted)
        assert [c["case"] for c in entry["cases"]] == [c.name for c in M.cases(entry["function"])]
        assert {c["status"] for c in entry["cases"]} == {"pass"}, entry["function"]
    text = run_cli(solution("correct_loops.py")).stdout
    assert verdicts(text) == {name: "PASS" for name in M.COURSE_FUNCTIONS}
    assert "8 of 8 functions pass." in text


def test_the_rot180_form_of_conv_backward_passes():
    out = run_cli(solution("correct_rot180.py"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert verdicts(out.stdout) == {"zero_pad": "PASS", "conv_backward": "PASS"}


HELPER = "passes with the reference helper"

#: (file, {function: the mistake it must be diagnosed as, or HELPER}); the file's other functions must pass.
MISTAKE_FILES = [
    ("mistake_kernel_not_rotated.py", {"conv_backward": "kernel_not_rotated"}),
    ("mistake_kernel_transposed.py", {"conv_backward": "kernel_transposed"}),
    ("mistake_crop_template.py", {"conv_backward": "crop_pad_minus_pad"}),
    ("mistake_crop_seed.py", {"conv_backward": "crop_pad_minus_pad"}),
    ("mistake_stride_ignored.py", {"conv_backward": "stride_ignored_backward"}),
    ("mistake_dW_from_unpadded.py", {"conv_backward": "dW_from_unpadded"}),
    ("mistake_db_assigned.py", {"conv_backward": "db_assigned"}),
    ("mistake_forward_flips_kernel.py", {"conv_forward": "forward_flips_kernel"}),
    ("mistake_width_from_height.py", {"conv_forward": "width_from_height"}),
    ("mistake_forward_unpadded.py", {"conv_forward": "forward_unpadded_slices"}),
    ("mistake_shapes_seed.py", {"conv_forward": "shapes_unpacked_wrong"}),
    # a helper's slip: the caller is judged with the reference helper (it passes) and the helper is named at fault
    ("mistake_bias_inside_sum.py", {"conv_single_step": "bias_inside_sum", "conv_forward": HELPER}),
    ("mistake_bias_not_cast.py", {"conv_single_step": "bias_not_cast", "conv_forward": HELPER}),
    ("mistake_pad_all_axes.py", {"zero_pad": "pad_all_axes"}),
    ("mistake_mask_argmax.py", {"create_mask_from_window": "mask_first_max_only", "pool_backward": HELPER}),
    ("mistake_average_precedence.py", {"distribute_value": "average_not_divided", "pool_backward": HELPER}),
    ("mistake_average_undivided.py", {"distribute_value": "average_not_divided"}),
    ("mistake_hparameters_by_order.py", {"pool_forward": "hparameters_by_order"}),
    ("mistake_max_pool_assigned.py", {"pool_backward": "max_pool_assigned"}),
    ("mistake_mask_across_channels.py", {"pool_backward": "max_mask_across_channels"}),
    # found in learners' solutions published on GitHub
    ("mistake_pool_backward_stride_ignored.py", {"pool_backward": "pool_backward_stride_ignored"}),
    ("mistake_mask_max_value.py", {"create_mask_from_window": "mask_max_value", "pool_backward": HELPER}),
    ("mistake_pool_across_channels.py", {"pool_forward": "pool_across_channels"}),
    ("mistake_pool_whole_channel.py", {"pool_forward": "pool_whole_channel"}),
    ("mistake_pool_h_w_swapped.py", {"pool_forward": "pool_h_w_swapped"}),
    ("mistake_pool_forward_stride_ignored.py", {"pool_forward": "pool_forward_stride_ignored"}),
    ("mistake_forward_stride_ignored.py", {"conv_forward": "forward_stride_ignored"}),
    ("mistake_one_example_for_all.py", {"conv_forward": "one_example_for_all"}),
    ("mistake_stride_as_pad.py", {"conv_forward": "stride_as_pad"}),
    ("mistake_crop_after_loop.py", {"conv_backward": "crop_after_loop"}),
    ("mistake_random_init.py", {"conv_backward": "random_init"}),
    ("mistake_average_sum_of_sides.py", {"distribute_value": "average_sum_of_sides", "pool_backward": HELPER}),
    ("mistake_mask_times_input.py", {"pool_backward": "mask_times_input"}),
]


def test_every_catalogued_mistake_has_a_learner_style_solution_file():
    covered = {key for _, expected in MISTAKE_FILES for key in expected.values()} - {HELPER}
    assert covered == set(M.BY_KEY)


@pytest.mark.parametrize("name, expected", MISTAKE_FILES, ids=[name for name, _ in MISTAKE_FILES])
def test_each_mistake_is_caught_and_diagnosed(name, expected):
    # check.grade is what the CLI runs (the --json report is its to_dict()); the learner's file still runs
    # only in child processes. The CLI itself is exercised by the other tests.
    report = check.grade(SOLUTIONS / name, timeout=20).to_dict()
    assert report["exit_status"] == 1 and report["loaded"]
    for entry in report["functions"]:
        function = entry["function"]
        if function not in expected:
            assert entry["verdict"] == "PASS", (function, entry["failure"])
            continue
        if expected[function] == HELPER:
            assert entry["verdict"] == "PASS", (function, entry["failure"])
            helper = next(f for f, key in expected.items() if key != HELPER)
            assert entry["helpers"]["judged_with"] == "reference" and entry["helpers"]["at_fault"] == [helper]
            assert not entry["helpers"]["own_passed"]
            continue
        assert entry["verdict"] == "FAIL"
        keys = [d["key"] for d in entry["diagnosis"]]
        assert keys and keys[0] == expected[function], (function, keys, entry["failure"])
    assert set(expected) <= {entry["function"] for entry in report["functions"]}


def test_the_text_report_names_the_case_index_mistake_and_the_mean_only_verdict():
    out = run_cli(solution("mistake_kernel_not_rotated.py"))
    out.stdout = out.stdout.replace("\n      ", " ")  # lines wrapped at 110 columns
    assert out.returncode == 1
    assert verdicts(out.stdout) == {"zero_pad": "PASS", "conv_backward": "FAIL"}
    assert "case 'course' [the course's values, stride > 1, several channels, several examples]: " in out.stdout
    assert "dA_prev[0, 0, 0, 0] expected 0.416011, got -16.6844" in out.stdout
    assert "this is what happens to dA_prev on 'course'" in out.stdout
    assert "when the kernel is not rotated 180 degrees" in out.stdout.replace("\n      ", " ")
    assert "[kernel_not_rotated]" in out.stdout
    assert "mean-only check would have missed it" in out.stdout


def test_a_mistake_the_course_values_do_not_show_says_so():
    out = run_cli(solution("mistake_crop_seed.py"))
    assert "case 'pad 0' [pad 0, several channels, several examples]: dA_prev has shape (2, 0, 0, 3), expected" in (
        out.stdout
    )
    assert "the course's own test values do not show this mistake" in out.stdout


def test_two_slips_in_one_function_are_both_named_with_their_outputs():
    out = run_cli(solution("mistake_two_slips.py"), "--json")
    (entry,) = [f for f in json.loads(out.stdout)["functions"] if f["function"] == "conv_backward"]
    assert {d["key"]: d["outputs"] for d in entry["diagnosis"]} == {
        "kernel_transposed": ["dA_prev"],
        "db_assigned": ["db"],
    }
    assert all(len(d["cases"]) == len(M.cases("conv_backward")) for d in entry["diagnosis"])
    assert entry["course_check"] == {
        "caught": True,
        "detail": "the course's mean-only check would have caught it: mean(db) is wrong.",
    }


def test_a_hanging_function_times_out_and_the_others_still_get_verdicts():
    start = time.perf_counter()
    out = run_cli(solution("hanging.py"), "--timeout", "2")
    elapsed = time.perf_counter() - start
    assert out.returncode == 1
    assert verdicts(out.stdout) == {"zero_pad": "PASS", "conv_single_step": "PASS", "conv_forward": "FAIL"}
    assert "conv_forward      FAIL  1 of 1 cases fail: timed out after 2 s" in out.stdout
    assert elapsed < 15


def test_a_file_that_hangs_while_loading_cannot_be_loaded():
    out = run_cli(solution("hanging_on_load.py"), "--timeout", "1.5")
    assert out.returncode == 2
    assert "the file cannot be loaded: timed out after 1.5 s running its definitions" in out.stdout


def test_a_crashing_function_gets_the_error_and_the_line():
    out = run_cli(solution("crashing.py"))
    assert out.returncode == 1
    assert verdicts(out.stdout) == {"create_mask_from_window": "PASS", "distribute_value": "FAIL"}
    assert "raised ZeroDivisionError: division by zero (line 12 in distribute_value:" in out.stdout.replace(
        "\n      ", " "
    )


def test_a_function_that_kills_its_process_is_reported_not_fatal():
    out = run_cli(solution("segfault.py"))
    assert out.returncode == 1
    assert verdicts(out.stdout) == {"create_mask_from_window": "PASS", "distribute_value": "FAIL"}
    assert "stopped without reporting (killed by SIGSEGV)" in out.stdout


def test_the_memory_limit_turns_a_huge_allocation_into_a_clear_failure():
    out = run_cli(solution("memory_hog.py"), "--memory", "1024")
    assert out.returncode == 1
    assert verdicts(out.stdout) == {"zero_pad": "FAIL", "distribute_value": "PASS"}
    assert "raised MemoryError: ran out of memory (the limit is 1024 MB)" in out.stdout


@pytest.mark.parametrize(
    "name, message",
    [
        ("empty.py", "the file defines none of the graded functions: the course's (zero_pad, conv_single_step,"),
        ("no_such_file.py", "no such file: tests/solutions/no_such_file.py"),
    ],
)
def test_unloadable_files_exit_2_with_a_clear_message(name, message):
    out = run_cli(solution(name))
    assert out.returncode == 2
    assert message in out.stdout
    assert not verdicts(out.stdout)


def test_a_function_that_does_not_parse_is_reported_and_the_others_still_graded(tmp_path):
    path = tmp_path / "half.py"
    path.write_text(
        "import numpy as np\n\ndef zero_pad(X, pad)\n    return X\n\n"
        "def distribute_value(dz, shape):\n    return np.ones(shape) * dz / (shape[0] * shape[1])\n"
    )
    report = check.grade(path).to_dict()
    assert report["exit_status"] == 1
    by = {f["function"]: f for f in report["functions"]}
    assert by["distribute_value"]["verdict"] == "PASS"
    assert by["zero_pad"]["not_parsing"] == "SyntaxError: expected ':' (line 3)"


def test_imports_other_than_numpy_and_top_level_code_are_left_out_and_said_so():
    out = run_cli(solution("imports_public_tests.py"), "--json")
    report = json.loads(out.stdout)
    assert report["exit_status"] == 0 and [f["verdict"] for f in report["functions"]] == ["PASS"]
    assert any("left out import public_tests" in s for s in report["skipped"])
    out = run_cli(solution("hanging_on_top_level.py"))
    assert out.returncode == 0 and "left out 1 top-level statement that is not a definition" in out.stdout


def test_a_notebook_export_with_ipython_magics_loads():
    out = run_cli(solution("notebook_export.py"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert verdicts(out.stdout) == {"create_mask_from_window": "PASS"}


@pytest.mark.skipif(tuple(map(int, np.__version__.split(".")[:2])) < (2, 4), reason="float(b) works before NumPy 2.4")
def test_the_course_s_float_b_gets_a_numpy_hint_not_a_mistake():
    out = run_cli(solution("course_float_b.py"), "--json")
    (entry,) = json.loads(out.stdout)["functions"]
    assert entry["verdict"] == "NUMPY 2" and not entry["passed"] and entry["diagnosis"] == []
    assert entry["numpy2"]["right_under_numpy1"]
    assert entry["numpy2"]["detail"].startswith("right under NumPy 1.x, breaks under NumPy 2 because float()")
    assert "b.item()" in entry["failure"]["hint"] and "NumPy 2.4" in entry["failure"]["hint"]


def test_json_report_structure():
    out = run_cli(solution("mistake_db_assigned.py"), "--json", "--timeout", "7", "--memory", "768")
    report = json.loads(out.stdout)
    jsonschema.validate(report, check.REPORT_SCHEMA)
    assert (report["exit_status"], report["timeout"], report["memory_mb"]) == (1, 7.0, 768)
    zero_pad, conv_backward = report["functions"]
    assert set(zero_pad) == set(check.REPORT_SCHEMA["properties"]["functions"]["items"]["properties"])
    assert [c["case"] for c in conv_backward["cases"]] == [c.name for c in M.cases("conv_backward")]
    assert conv_backward["failure"] == conv_backward["failures"][0]
    assert conv_backward["failure"]["case"] == "plain" and conv_backward["failure"]["kinds"] == []  # fewest changes
    (failure,) = [f for f in conv_backward["failures"] if f["case"] == "course"]
    assert failure["kind"] == "values" and failure["output"] == "db"
    assert failure["index"] == [0, 0, 0, 0] and failure["expected"] == pytest.approx(48.4474, abs=1e-4)
    assert conv_backward["diagnosis"][0]["title"] == "db assigned instead of accumulated"


def test_bad_arguments_are_usage_errors():
    out = run_cli(solution("correct_rot180.py"), "--memory", "16")
    assert out.returncode == 2 and "--memory must be at least 256 MB" in out.stderr


def test_learner_code_runs_only_in_child_processes(monkeypatch):
    # The child may write only in its scratch folder, which grade() removes: read the pids there after each run.
    pids: set[int] = set()
    real_run = check.sandbox.run

    def run_and_collect(argv, *, workdir, limits, env=None):
        done = real_run(argv, workdir=workdir, limits=limits, env=env)
        pids.update(int(line) for line in (Path(workdir) / "pids.txt").read_text().split())
        return done

    monkeypatch.setattr(check.sandbox, "run", run_and_collect)
    report = check.grade(SOLUTIONS / "pid_probe.py", timeout=10)
    assert report.exit_status == 0
    assert len(pids) >= 2  # the probe and the child that ran distribute_value
    assert os.getpid() not in pids
    assert "learner_solution" not in sys.modules

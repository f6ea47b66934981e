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
    assert a.stdout.splitlines()[1:] == b.stdout.splitlines()[1:]
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


def test_a_right_loop_solution_passes_all_eight_functions_quickly():
    start = time.perf_counter()
    out = run_cli(solution("correct_loops.py"))
    elapsed = time.perf_counter() - start
    assert out.returncode == 0, out.stdout + out.stderr
    assert verdicts(out.stdout) == {name: "PASS" for name in M.COURSE_FUNCTIONS}
    assert list(verdicts(out.stdout)) == list(M.COURSE_FUNCTIONS)  # the notebook's order
    assert "8 of 8 functions pass." in out.stdout
    assert elapsed < 20


def test_the_rot180_form_of_conv_backward_passes():
    out = run_cli(solution("correct_rot180.py"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert verdicts(out.stdout) == {"zero_pad": "PASS", "conv_backward": "PASS"}


#: (file, {function: the mistake it must be diagnosed as}); the file's other functions must pass.
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
    ("mistake_bias_inside_sum.py", {"conv_single_step": "bias_inside_sum", "conv_forward": "bias_inside_sum"}),
    ("mistake_bias_not_cast.py", {"conv_single_step": "bias_not_cast", "conv_forward": "bias_not_cast"}),
    ("mistake_pad_all_axes.py", {"zero_pad": "pad_all_axes"}),
    (
        "mistake_mask_argmax.py",
        {"create_mask_from_window": "mask_first_max_only", "pool_backward": "mask_first_max_only"},
    ),
    (
        "mistake_average_precedence.py",
        {"distribute_value": "average_not_divided", "pool_backward": "average_not_divided"},
    ),
    ("mistake_average_undivided.py", {"distribute_value": "average_not_divided"}),
    ("mistake_hparameters_by_order.py", {"pool_forward": "hparameters_by_order"}),
    ("mistake_max_pool_assigned.py", {"pool_backward": "max_pool_assigned"}),
    ("mistake_mask_across_channels.py", {"pool_backward": "max_mask_across_channels"}),
]


def test_every_catalogued_mistake_has_a_learner_style_solution_file():
    covered = {key for _, expected in MISTAKE_FILES for key in expected.values()}
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
        assert entry["verdict"] == "FAIL"
        keys = [d["key"] for d in entry["diagnosis"]]
        assert keys and keys[0] == expected[function], (function, keys, entry["failure"])
    assert set(expected) <= {entry["function"] for entry in report["functions"]}


def test_the_text_report_names_the_case_index_mistake_and_the_mean_only_verdict():
    out = run_cli(solution("mistake_kernel_not_rotated.py"))
    assert out.returncode == 1
    assert verdicts(out.stdout) == {"zero_pad": "PASS", "conv_backward": "FAIL"}
    fail_line = next(line for line in out.stdout.splitlines() if line.startswith("conv_backward"))
    assert "case 'course'" in fail_line and "dA_prev[0, 0, 0, 0] expected 0.416011, got -16.6844" in fail_line
    assert "this is what happens to dA_prev when the kernel is not rotated 180 degrees" in out.stdout
    assert "[kernel_not_rotated]" in out.stdout
    assert "mean-only check would have missed it" in out.stdout


def test_a_mistake_the_course_values_do_not_show_says_so():
    out = run_cli(solution("mistake_crop_seed.py"))
    assert "case 'pad 0': dA_prev has shape (2, 0, 0, 3), expected (2, 5, 5, 3)" in out.stdout
    assert "the course's own test values do not show this mistake" in out.stdout


def test_two_slips_in_one_function_are_both_named_with_their_outputs():
    out = run_cli(solution("mistake_two_slips.py"), "--json")
    (entry,) = [f for f in json.loads(out.stdout)["functions"] if f["function"] == "conv_backward"]
    assert {d["key"]: d["outputs"] for d in entry["diagnosis"]} == {
        "kernel_transposed": ["dA_prev"],
        "db_assigned": ["db"],
    }
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
    assert "conv_forward      FAIL  case 'course': timed out after 2 s" in out.stdout
    assert elapsed < 15


def test_a_file_that_hangs_while_loading_cannot_be_loaded():
    out = run_cli(solution("hanging_on_load.py"), "--timeout", "1.5")
    assert out.returncode == 2
    assert "the file cannot be loaded: timed out after 1.5 s running its top-level code" in out.stdout


def test_a_crashing_function_gets_the_error_and_the_line():
    out = run_cli(solution("crashing.py"))
    assert out.returncode == 1
    assert verdicts(out.stdout) == {"create_mask_from_window": "PASS", "distribute_value": "FAIL"}
    assert "raised ZeroDivisionError: division by zero (line 12 in distribute_value:" in out.stdout


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
        ("syntax_error.py", "the file cannot be loaded: SyntaxError: expected ':'"),
        ("empty.py", "the file defines none of the course's functions (zero_pad, conv_single_step,"),
        ("imports_public_tests.py", "the file cannot be loaded: ModuleNotFoundError: No module named 'public_tests'"),
        ("no_such_file.py", "no such file: tests/solutions/no_such_file.py"),
    ],
)
def test_unloadable_files_exit_2_with_a_clear_message(name, message):
    out = run_cli(solution(name))
    assert out.returncode == 2
    assert message in out.stdout
    assert not verdicts(out.stdout)


def test_a_notebook_export_with_ipython_magics_loads():
    out = run_cli(solution("notebook_export.py"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert verdicts(out.stdout) == {"create_mask_from_window": "PASS"}


@pytest.mark.skipif(tuple(map(int, np.__version__.split(".")[:2])) < (2, 4), reason="float(b) works before NumPy 2.4")
def test_the_course_s_float_b_gets_a_numpy_hint_not_a_mistake():
    out = run_cli(solution("course_float_b.py"), "--json")
    (entry,) = json.loads(out.stdout)["functions"]
    assert entry["verdict"] == "FAIL" and entry["diagnosis"] == [] and entry["course_check"] is None
    assert "b.item()" in entry["failure"]["hint"] and "NumPy 2.4" in entry["failure"]["hint"]


def test_json_report_structure():
    out = run_cli(solution("mistake_db_assigned.py"), "--json", "--timeout", "7", "--memory", "768")
    report = json.loads(out.stdout)
    assert set(report) == {"file", "loaded", "error", "exit_status", "timeout", "memory_mb", "functions"}
    assert (report["exit_status"], report["timeout"], report["memory_mb"]) == (1, 7.0, 768)
    zero_pad, conv_backward = report["functions"]
    assert set(zero_pad) == {
        "function",
        "verdict",
        "passed",
        "cases",
        "failure",
        "diagnosis",
        "course_check",
        "seconds",
    }
    assert [c["case"] for c in conv_backward["cases"]] == [c.name for c in M.cases("conv_backward")]
    failure = conv_backward["failure"]
    assert failure["case"] == "course" and failure["kind"] == "values" and failure["output"] == "db"
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

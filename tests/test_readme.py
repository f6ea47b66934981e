"""The README's two commands are the ones CI and people run: keep them true."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.+?)\n```", text, flags=re.S)


def test_ci_runs_exactly_the_readme_test_command():
    test_cmd = next(c for c in _commands() if "pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_cmd.strip() in ci.splitlines()


def test_readme_commands_install_what_they_use():
    run_cmd = next(c for c in _commands() if "streamlit run app.py" in c)
    assert "pip install -r requirements.txt" in run_cmd and "--server.port 8501" in run_cmd
    test_cmd = next(c for c in _commands() if "pytest" in c)
    assert "apt-get install -y chromium" in test_cmd and "requirements-dev.txt" in test_cmd


def test_runtime_requirements_are_pinned_and_exclude_torch():
    lines = [ln for ln in (ROOT / "requirements.txt").read_text().splitlines() if ln and not ln.startswith("#")]
    names = {ln.split("==")[0] for ln in lines}
    assert names == {
        "streamlit",
        "numpy",
        "plotly",
        "orjson",
        "sympy",
        "nbformat",
        "landlockpy",
        "pyseccomp",
        "websockets",
    }
    assert all("==" in ln for ln in lines)

"""convcore is the app's maths and nothing else: importing it must never pull in the UI stack."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import convcore

CORE_DIR = Path(convcore.__file__).resolve().parent
ROOT = CORE_DIR.parent
UI_PACKAGES = ("streamlit", "plotly")
MODULES = ["convcore"] + [f"convcore.{m.name}" for m in pkgutil.iter_modules([str(CORE_DIR)])]


def test_every_core_module_imports_without_the_ui():
    assert {"convcore.conv", "convcore.naive", "convcore.trace", "convcore.pool", "convcore.conv1d"} <= set(MODULES)
    code = (
        f"import importlib, sys\n"
        f"for name in {MODULES!r}:\n"
        f"    importlib.import_module(name)\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {UI_PACKAGES!r})\n"
        f"assert not loaded, f'convcore imported {{loaded}}'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def _imported_modules(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            names.update(arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str))
    return names


def test_no_core_source_imports_streamlit_or_plotly():
    sources = sorted(CORE_DIR.glob("*.py"))
    assert len(sources) >= 7
    for path in sources:
        text = path.read_text(encoding="utf-8")
        imported = _imported_modules(ast.parse(text, filename=str(path)))
        offending = sorted(m for m in imported if m.split(".")[0] in UI_PACKAGES)
        assert not offending, f"{path.name} imports {offending}"
        for line in text.splitlines():
            stripped = line.strip()
            assert not stripped.startswith(("import streamlit", "from streamlit")), f"{path.name}: {line}"
            assert "plotly" not in stripped, f"{path.name} mentions plotly: {line}"


def test_the_scan_would_catch_an_import():
    tree = ast.parse("import numpy\nfrom streamlit import session_state\nimportlib.import_module('plotly.express')")
    assert {"streamlit", "plotly.express"} <= _imported_modules(tree)


def test_convcore_is_maths_only_the_grader_lives_beside_it():
    """Importing every convcore module (convcore.check included: it is only an entry point) loads nothing of the
    grader, and no convcore source starts a process (NumPy itself imports subprocess, so the scan reads sources)."""
    code = (
        f"import importlib, sys\n"
        f"for name in {MODULES!r}:\n"
        f"    importlib.import_module(name)\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'grader')\n"
        f"assert not loaded, f'convcore imported {{loaded}}'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert not (CORE_DIR / "mistakes.py").exists() and not (CORE_DIR / "_runner.py").exists()
    for path in sorted(CORE_DIR.glob("*.py")):
        imported = _imported_modules(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        spawning = sorted(m for m in imported if m.split(".")[0] in ("subprocess", "multiprocessing", "grader"))
        assert path.name == "check.py" or not spawning, f"{path.name} imports {spawning}"

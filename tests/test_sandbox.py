"""The sandbox against hostile learner files, through the command line (``python -m grader FILE --json``),
through :func:`grader.check.grade` and through :func:`grader.check.grade_source` as the "Check my code" page calls
it with pasted code (``via="paste"``).

Each hostile file defines ``zero_pad`` that first calls ``hostile()``: when the sandbox holds, the action
fails inside the child and ``zero_pad`` FAILs with the error the kernel gave; when it does not, ``zero_pad``
passes. Every test also checks the side effect from outside (no file written, nothing received on the
socket, no process left, the grader alive), and a *control* runs the same ``hostile()`` in a plain
subprocess, where it must succeed: so a test proves containment, not a broken hostile file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jsonschema
import pytest

from grader import check, sandbox

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = Path(__file__).resolve().parent / "solutions"
SECRET = "fake-cookie-secret-" + uuid.uuid4().hex
VIAS = ["cli", "grade", "paste"]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox is Linux's")


@pytest.fixture(autouse=True)
def server_secret(monkeypatch):
    """The server's environment holds the cookie secret, as in the Kubernetes manifest."""
    monkeypatch.setenv("STREAMLIT_SERVER_COOKIE_SECRET", SECRET)
    for name in ("GRADER_ENABLED", "GRADER_SANDBOX_SIMULATE_MISSING", "GRADER_MAX_GRADINGS"):
        monkeypatch.delenv(name, raising=False)


def hostile_file(tmp_path: Path, body: str, *, top_level: str = "", **values) -> tuple[Path, str]:
    """A learner-style file whose ``zero_pad`` runs ``body``; returns (path, its unique marker).

    ``top_level`` runs as the file loads: in a class body, which the grader keeps (it runs a file's definitions
    only, so a plain top-level statement would be left out, and a hostile learner would use a class body too)."""
    if top_level:
        top_level = "class _WhenLoaded:\n" + textwrap.indent(textwrap.dedent(top_level), "    ")
    token = uuid.uuid4().hex[:12]
    source = textwrap.dedent(
        """\
        import ctypes, os, signal, socket, subprocess, sys, threading, time
        import numpy as np
        TOKEN = {token!r}

        def hostile():
        {body}

        {top_level}

        def zero_pad(X, pad):
            hostile()
            return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))

        if __name__ == "__main__":
            hostile()
        """
    ).format(token=token, body=textwrap.indent(textwrap.dedent(body).format(token=token, **values), "    "),
             top_level=textwrap.dedent(top_level).format(token=token, **values))  # fmt: skip
    path = tmp_path / f"hostile_{token}.py"
    path.write_text(source)
    return path, token


def graded(path: Path, via: str, *args: str, env: dict | None = None) -> dict:
    """The --json report of grading ``path`` through the CLI, or ``grade().to_dict()``."""
    if via == "cli":
        out = subprocess.run(
            [sys.executable, "-m", "grader", str(path), "--json", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **(env or {})},
        )
        assert out.returncode in (0, 1, 2), (out.returncode, out.stdout, out.stderr)  # not killed
        report = json.loads(out.stdout)
        assert report["exit_status"] == out.returncode
        jsonschema.validate(report, check.REPORT_SCHEMA)
        return report
    timeout = float(args[args.index("--timeout") + 1]) if "--timeout" in args else check.DEFAULT_TIMEOUT
    if via == "paste":  # the page's call (ui/check_run.py) with what a learner pasted
        report = check.grade_source(path.read_bytes(), "pasted code.py", timeout=timeout).to_dict()
    else:
        report = check.grade(path, timeout=timeout).to_dict()
    jsonschema.validate(report, check.REPORT_SCHEMA)  # whatever the hostile code did, the report keeps its form
    return report


def zero_pad_failure(report: dict) -> dict:
    (entry,) = [f for f in report["functions"] if f["function"] == "zero_pad"]
    assert entry["verdict"] == "FAIL", "the hostile action succeeded inside the sandbox"
    return entry["failure"]


def control(path: Path, *, cwd: Path, env: dict | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    """``hostile()`` in a plain subprocess, without the sandbox: it must succeed there."""
    return subprocess.run(
        [sys.executable, str(path)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def processes_with(token: str) -> list[int]:
    """Pids whose command line holds ``token`` (every hostile file's name does)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if token.encode() in cmdline and int(entry) != os.getpid():
                found.append(int(entry))
    return found


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# --- the sandbox is there, and grading still works in it ----------------------------------------------------


def test_this_machine_offers_the_lockdown_tier():
    st = sandbox.status()
    assert st.ok, st.reason
    assert "Landlock" in st.tier and "seccomp" in st.tier
    assert st.facilities["no_new_privs"] is True and st.facilities["landlock"].startswith("ABI ")
    assert all(st.facilities[k] is True for k in ("exec refused", "fork refused", "socket refused"))
    # signals without kill(): the probe proves seccomp refuses them itself, whatever Landlock's ABI
    assert all(st.facilities[k] is True for k in ("F_SETOWN refused", "F_SETOWN_EX refused", "ioctl FIOSETOWN refused"))
    assert st.facilities["turning the parent-death signal off refused"] is True


def test_a_kernel_without_landlock_is_named_as_such(monkeypatch):
    # landlockpy.abi_version() answers 0, not an error, when the kernel has no Landlock (ENOSYS, EOPNOTSUPP)
    import landlockpy

    from grader import _lockdown

    monkeypatch.setattr(landlockpy, "abi_version", lambda: 0)
    with pytest.raises(_lockdown.Unavailable, match="the kernel does not offer Landlock .*Linux 5.13"):
        _lockdown._tools({})


@pytest.mark.parametrize("via", VIAS)
def test_the_right_solution_still_passes_all_eight_functions_in_the_sandbox(via):
    report = graded(SOLUTIONS / "correct_loops.py", via)
    assert report["exit_status"] == 0
    assert {f["function"]: f["verdict"] for f in report["functions"]} == {
        name: "PASS" for name in check.COURSE_FUNCTIONS
    }


# --- signals: the grader and its process group survive ------------------------------------------------------


@pytest.mark.parametrize("via", VIAS)
def test_killing_the_grader_is_refused(tmp_path, via):
    path, _ = hostile_file(tmp_path, "os.kill(os.getppid(), signal.SIGKILL)")
    failure = zero_pad_failure(graded(path, via))  # graded() itself checks the CLI was not killed
    assert failure["error"].startswith("PermissionError")


def test_control_killing_the_parent_works_without_the_sandbox(tmp_path):
    path, _ = hostile_file(tmp_path, "os.kill(os.getppid(), signal.SIGKILL)")
    parent = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import subprocess, sys; subprocess.run([sys.executable, {str(path)!r}]); print('alive')",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert parent.returncode == -signal.SIGKILL and "alive" not in parent.stdout


@pytest.mark.parametrize("via", VIAS)
def test_signalling_the_grader_s_process_group_or_every_process_is_refused(tmp_path, via):
    # signal 0 asks the kernel whether the signal may be sent, without sending one: it succeeds without the
    # sandbox (the control), and kill(-1, SIGKILL) by root would end every process of the machine.
    path, _ = hostile_file(tmp_path, "os.killpg({pgid}, 0)\nos.kill(-1, 0)", pgid=os.getpgrp())
    assert zero_pad_failure(graded(path, via))["error"].startswith("PermissionError")
    assert control(path, cwd=tmp_path).returncode == 0


# Signals without kill(): a file's owner (F_SETOWN, F_SETOWN_EX, ioctl FIOSETOWN/SIOCSPGRP) is signalled by the
# kernel itself when the file becomes readable, with the signal F_SETSIG chose; as root, to any process. Landlock's
# signal scoping (ABI 6, Linux 6.12) stops the delivery, so on this kernel only the seccomp filter is left to show
# that it holds on its own: the lower ABI is simulated by a child that locks itself down with no Landlock scope.

SIGIO_ATTACK = """
r, w = os.pipe()
import fcntl
fcntl.fcntl(r, fcntl.F_SETOWN, {target})
fcntl.fcntl(r, fcntl.F_SETSIG, signal.SIGKILL)
fcntl.fcntl(r, fcntl.F_SETFL, os.O_ASYNC | os.O_NONBLOCK)
os.write(w, b"x")
"""


@pytest.mark.parametrize("via", VIAS)
def test_making_the_grader_a_file_s_owner_is_refused(tmp_path, via):
    path, _ = hostile_file(tmp_path, SIGIO_ATTACK, target="os.getppid()")
    assert zero_pad_failure(graded(path, via))["error"].startswith("PermissionError")  # graded(): the CLI survived


def test_control_the_file_owner_signal_kills_a_process_without_the_sandbox(tmp_path, sleeper):
    path, _ = hostile_file(tmp_path, SIGIO_ATTACK, target=sleeper.pid)
    assert control(path, cwd=tmp_path).returncode == 0
    assert sleeper.wait(5) == -signal.SIGKILL


@pytest.fixture
def sleeper():
    """A process of this user that the sandboxed code must not be able to signal."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc
    proc.kill()
    proc.wait()


LOWER_ABI_CHILD = textwrap.dedent(
    """\
    import ctypes, errno, fcntl, importlib.util, json, os, signal, struct, sys
    import numpy  # imported before the lockdown, as the runner does
    import landlockpy

    class WithoutScopes(landlockpy.Ruleset):  # what best effort gives on Landlock ABI 4 and 5 (Linux 6.7-6.11)
        def __init__(self, **kwargs):
            super().__init__(**{**kwargs, "scoped": landlockpy.Scope.NONE})

    landlockpy.Ruleset = WithoutScopes
    lockdown_path, workdir, target, limits = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
    spec = importlib.util.spec_from_file_location("lockdown", lockdown_path)
    lockdown = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lockdown)
    _, status_w = os.pipe()
    config = {"workdir": workdir, "parent": os.getppid(), "status_fd": status_w, "limits": limits}
    facilities = lockdown.enter(config)["facilities"]
    assert facilities["landlock_scopes"] is False, facilities  # the simulation holds: no signal scoping
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    os.chdir(workdir)

    def owned_pipe(set_owner):
        r, w = os.pipe()
        set_owner(r)
        fcntl.fcntl(r, fcntl.F_SETSIG, signal.SIGKILL)
        fcntl.fcntl(r, fcntl.F_SETFL, os.O_ASYNC | os.O_NONBLOCK)
        os.write(w, b"x")

    def raw_fcntl(cmd):  # the command with bits above 32 set: the kernel reads only the low 32
        def set_owner(fd):
            if libc.syscall(72, fd, ctypes.c_long(cmd), ctypes.c_long(target)) < 0:  # SYS_fcntl on x86_64
                raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        return set_owner

    open("lease.txt", "w").close()
    lease = open("lease.txt", "rb")  # a read lease needs no writer, so only seccomp can refuse it
    attempts = {
        "kill": lambda: os.kill(target, signal.SIGKILL),
        "F_SETOWN": lambda: owned_pipe(lambda fd: fcntl.fcntl(fd, fcntl.F_SETOWN, target)),
        "F_SETOWN, high bits set": lambda: owned_pipe(raw_fcntl((1 << 32) | fcntl.F_SETOWN)),
        "F_SETOWN_EX": lambda: owned_pipe(lambda fd: fcntl.fcntl(fd, 15, struct.pack("ii", 1, target))),
        "F_SETSIG": lambda: fcntl.fcntl(os.pipe()[0], fcntl.F_SETSIG, signal.SIGKILL),
        "ioctl FIOSETOWN": lambda: owned_pipe(lambda fd: fcntl.ioctl(fd, 0x8901, struct.pack("i", target))),
        "ioctl SIOCSPGRP": lambda: owned_pipe(lambda fd: fcntl.ioctl(fd, 0x8902, struct.pack("i", target))),
        "F_SETLEASE": lambda: fcntl.fcntl(lease.fileno(), fcntl.F_SETLEASE, fcntl.F_RDLCK),
        "F_NOTIFY": lambda: fcntl.fcntl(os.open(".", os.O_RDONLY), fcntl.F_NOTIFY, fcntl.DN_CREATE),
    }
    results = {}
    for name, attempt in attempts.items():
        try:
            attempt()
            results[name] = "allowed"
        except OSError as exc:
            results[name] = errno.errorcode.get(exc.errno, str(exc.errno))
    # what Python, NumPy and a learner's ordinary code need of fcntl and ioctl still works
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_inheritable(r, True)
    fcntl.fcntl(r, fcntl.F_DUPFD_CLOEXEC, 0)
    fcntl.fcntl(r, fcntl.F_GETPIPE_SZ)
    fcntl.lockf(open("lease.txt", "r+b"), fcntl.LOCK_EX)
    assert not os.isatty(r)
    print(json.dumps(results))
    """
)


def test_with_a_landlock_abi_below_6_seccomp_alone_refuses_every_way_to_signal_another_process(tmp_path, sleeper):
    script = tmp_path / "lower_abi.py"
    script.write_text(LOWER_ABI_CHILD)
    workdir = tmp_path / "w"
    workdir.mkdir()
    limits = json.dumps(dataclasses.asdict(sandbox.Limits()))
    out = subprocess.run(
        [sys.executable, "-I", str(script), str(sandbox.LOCKDOWN), str(workdir), str(sleeper.pid), limits],
        capture_output=True,
        text=True,
        timeout=60,
        env=sandbox.clean_env(workdir),
    )
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout.splitlines()[-1])
    time.sleep(0.2)
    assert sleeper.poll() is None, f"the sandboxed child killed another process: {results}"
    assert results == dict.fromkeys(results, "EPERM"), results


# --- nothing outlives the grading ---------------------------------------------------------------------------

FORK_SETSID = """
pid = os.fork()
if pid == 0:
    os.setsid()
    time.sleep(60)
    os._exit(0)
"""


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize(
    "how",
    [
        FORK_SETSID,
        "subprocess.Popen(['sleep', '60', {token!r}], start_new_session=True)",
        "libc = ctypes.CDLL(None, use_errno=True)\npid = libc.fork()\n"
        "if pid == 0:\n    libc.setsid()\n    time.sleep(60)\n    os._exit(0)\n"
        "if pid < 0:\n    raise OSError(ctypes.get_errno(), 'fork')",
    ],
    ids=["os.fork+setsid", "subprocess+new session", "ctypes fork+setsid"],
)
def test_a_process_started_to_outlive_the_grading_is_refused(tmp_path, via, how):
    path, token = hostile_file(tmp_path, how)
    try:
        assert zero_pad_failure(graded(path, via))["error"].startswith("PermissionError")
        assert processes_with(token) == []
    finally:
        kill_all(processes_with(token))


def test_control_fork_and_setsid_outlive_a_plain_subprocess(tmp_path):
    path, token = hostile_file(tmp_path, FORK_SETSID)
    try:
        plain = subprocess.run([sys.executable, str(path)], cwd=tmp_path, stdout=subprocess.DEVNULL, timeout=30)
        assert plain.returncode == 0
        assert processes_with(token), "the control's grandchild should still be running"
    finally:
        kill_all(processes_with(token))


CLEAR_PDEATHSIG = """
libc = ctypes.CDLL(None, use_errno=True)
try:
    if libc.prctl(1, 0, 0, 0, 0) != 0:  # PR_SET_PDEATHSIG 0: no signal when the grader dies
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
finally:
    open('tried', 'w').close()
"""


@pytest.mark.parametrize("via", VIAS)
def test_turning_the_parent_death_signal_off_is_refused(tmp_path, via):
    path, _ = hostile_file(tmp_path, CLEAR_PDEATHSIG)
    assert zero_pad_failure(graded(path, via))["error"].startswith("PermissionError")
    assert control(path, cwd=tmp_path).returncode == 0


def _runner_children(parent: int, mode: bytes = b"run") -> list[int]:
    """The runner processes (in ``mode``, or any) whose parent is ``parent``."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"_runner.py\0" + mode in cmdline:
            found.append(int(entry))
    return found


def test_a_child_does_not_outlive_a_grader_that_was_killed(tmp_path):
    path, _ = hostile_file(
        tmp_path, CLEAR_PDEATHSIG.replace("finally:", "except OSError:\n    pass\nfinally:") + "time.sleep(30)"
    )
    cli = subprocess.Popen(
        [sys.executable, "-m", "grader", str(path), "--timeout", "30"], cwd=ROOT, stdout=subprocess.DEVNULL
    )
    children: list[int] = []
    try:
        deadline = time.monotonic() + 30
        while not any(os.path.exists(f"/proc/{pid}/cwd/tried") for pid in children):
            assert time.monotonic() < deadline, "the grading child never ran zero_pad"
            children = _runner_children(cli.pid)
            time.sleep(0.05)
        scratch = Path(os.readlink(f"/proc/{children[0]}/cwd")).parent
        cli.kill()  # the server dies (SIGKILL: nothing of it cleans up)
        cli.wait()
        deadline = time.monotonic() + 5
        while any(os.path.exists(f"/proc/{pid}") for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        alive = [pid for pid in children if os.path.exists(f"/proc/{pid}")]
        assert alive == [], "the learner's code outlived the grader that started it"
    finally:
        cli.kill()
        kill_all([pid for pid in children if os.path.exists(f"/proc/{pid}")])
        if children:
            shutil.rmtree(scratch, ignore_errors=True)


@pytest.mark.parametrize("via", VIAS)
def test_code_that_ignores_sigterm_and_spins_is_killed_at_the_time_limit(tmp_path, via):
    path, token = hostile_file(tmp_path, "signal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass")
    start = time.perf_counter()
    failure = zero_pad_failure(graded(path, via, "--timeout", "2"))
    assert failure["kind"] == "timed out" and time.perf_counter() - start < 15
    assert processes_with(token) == []


# --- files: no reads, no writes outside the scratch folder --------------------------------------------------


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("where", ["app folder", "/tmp", "home", "the grading's other folders"])
def test_writing_outside_the_scratch_folder_is_refused(tmp_path, via, where):
    targets = {
        "app folder": ROOT / "pwned_{token}",
        "/tmp": Path(tempfile.gettempdir()) / "pwned_{token}",
        "home": Path.home() / "pwned_{token}",
        "the grading's other folders": Path("../pwned_{token}"),  # the child's cwd is <grading>/zero_pad
    }
    path, token = hostile_file(
        tmp_path, "open({target!r}.format(token=TOKEN), 'w').write('x')", target=str(targets[where])
    )
    target = Path(str(targets[where]).format(token=token))
    try:
        assert zero_pad_failure(graded(path, via))["error"].startswith("PermissionError")
        assert not target.exists()
        if where != "the grading's other folders":  # relative to the control's cwd it is tmp_path's parent
            assert control(path, cwd=tmp_path).returncode == 0 and target.exists()
    finally:
        target.unlink(missing_ok=True)


@pytest.fixture
def other_submission():
    """A file in another grading's scratch folder, where a second student's code would be."""
    folder = Path(tempfile.mkdtemp(prefix="grader-"))
    (folder / "solution.py").write_text("# another student's work\n")
    yield folder / "solution.py"
    (folder / "solution.py").unlink()
    folder.rmdir()


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize(
    "what",
    ["/etc/passwd", "app.py", "another submission", "/proc/1/environ", "/proc/<server>/environ", "/proc/self/environ"],
)
def test_reading_outside_python_and_numpy_is_refused(tmp_path, via, what, other_submission):
    paths = {
        "/etc/passwd": "/etc/passwd",
        "app.py": str(ROOT / "app.py"),
        "another submission": str(other_submission),
        "/proc/1/environ": "/proc/1/environ",
        "/proc/<server>/environ": "/proc/%d/environ",  # the grader's own pid, whichever way it runs
        "/proc/self/environ": "/proc/self/environ",
    }
    path, _ = hostile_file(tmp_path, "p = {p!r}\nopen(p % os.getppid() if '%' in p else p, 'rb').read()", p=paths[what])
    assert zero_pad_failure(graded(path, via))["error"].startswith("PermissionError")
    if what == "/proc/1/environ" and not _readable("/proc/1/environ"):
        return  # this machine's init hides it even from root: no control possible, the refusal above still holds
    assert control(path, cwd=tmp_path).returncode == 0


def _readable(path: str) -> bool:
    try:
        Path(path).read_bytes()
    except OSError:
        return False
    return True


@pytest.mark.parametrize("via", VIAS)
def test_listing_the_app_and_the_site_packages_is_refused(tmp_path, via):
    path, _ = hostile_file(tmp_path, "os.listdir({app!r})\nimport streamlit", app=str(ROOT))
    assert zero_pad_failure(graded(path, via))["error"].startswith("PermissionError")
    assert control(path, cwd=tmp_path).returncode == 0


# --- the environment ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("via", VIAS)
def test_the_server_s_secret_is_not_in_the_child_s_environment(tmp_path, via):
    body = "if any({secret!r} in v for v in os.environ.values()):\n    return\nraise KeyError('no secret here')"
    path, _ = hostile_file(tmp_path, body, secret=SECRET)
    assert zero_pad_failure(graded(path, via))["error"].startswith("KeyError: 'no secret here'")
    assert control(path, cwd=tmp_path).returncode == 0  # the test's environment does hold it


# --- the network --------------------------------------------------------------------------------------------


@pytest.fixture
def listener():
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    yield server
    server.close()


def received(server: socket.socket) -> bool:
    try:
        conn, _ = server.accept()
    except TimeoutError:
        return False
    conn.close()
    return True


@pytest.mark.parametrize("via", VIAS)
def test_connecting_to_a_tcp_port_on_loopback_is_refused(tmp_path, via, listener):
    port = listener.getsockname()[1]
    path, _ = hostile_file(
        tmp_path, "socket.create_connection(('127.0.0.1', {port}), timeout=2).sendall(b'x')", port=port
    )
    assert zero_pad_failure(graded(path, via))["error"].startswith("PermissionError")
    assert not received(listener)
    assert control(path, cwd=tmp_path).returncode == 0 and received(listener)


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("kind", ["path", "abstract"])
def test_connecting_to_a_unix_socket_is_refused(tmp_path, via, kind):
    address = str(tmp_path / "server.sock") if kind == "path" else "\0grader-test-" + uuid.uuid4().hex
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(address)
    server.listen()
    server.settimeout(0.5)
    try:
        body = "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\ns.connect({address!r})\ns.sendall(b'x')"
        path, _ = hostile_file(tmp_path, body, address=address)
        assert zero_pad_failure(graded(path, via))["error"].startswith("PermissionError")
        assert not received(server)
        assert control(path, cwd=tmp_path).returncode == 0 and received(server)
    finally:
        server.close()


# --- no program can be started ------------------------------------------------------------------------------

EXECS = {
    "os.system": "rc = os.system('exit 0')\nassert rc == 0, f'os.system returned {{rc}}'",
    "subprocess": "subprocess.run(['/bin/sh', '-c', 'exit 0'], check=True)",
    "os.execv": "os.execv('/bin/sh', ['sh', '-c', 'exit 0'])",
    "os.posix_spawn": "os.waitpid(os.posix_spawn('/bin/sh', ['sh', '-c', 'exit 0'], {{}}), 0)",
    "ctypes system": "rc = ctypes.CDLL(None).system(b'exit 0')\nassert rc == 0, f'libc system returned {{rc}}'",
    "ctypes execve": "libc = ctypes.CDLL(None, use_errno=True)\n"
    "argv = (ctypes.c_char_p * 4)(b'sh', b'-c', b'exit 0', None)\n"
    "libc.execve(b'/bin/sh', argv, None)\n"
    "raise OSError(ctypes.get_errno(), 'execve')",
}


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("how", list(EXECS))
def test_starting_a_program_is_refused_by_the_kernel(tmp_path, via, how):
    path, _ = hostile_file(tmp_path, EXECS[how])
    error = zero_pad_failure(graded(path, via))["error"]
    assert error.startswith(("PermissionError", "AssertionError: os.system returned", "AssertionError: libc system"))
    assert control(path, cwd=tmp_path).returncode == 0


# --- resources ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("via", VIAS)
def test_a_memory_bomb_is_a_memory_error(tmp_path, via):
    path, _ = hostile_file(tmp_path, "bomb = np.ones(8 * 1024**3 // 8)  # 8 GB")
    failure = zero_pad_failure(graded(path, via))
    assert failure["error"].startswith("MemoryError: ran out of memory (the limit is 1024 MB)")


@pytest.mark.parametrize("via", VIAS)
def test_an_output_bomb_is_stopped_and_the_output_kept_small(tmp_path, via):
    path, _ = hostile_file(tmp_path, "chunk = 'x' * 2**20\nfor _ in range(1024):\n    sys.stdout.write(chunk)")  # 1 GB
    start = time.perf_counter()
    failure = zero_pad_failure(graded(path, via))
    assert (
        failure["kind"] == "crashed"
        and "the sandbox stopped it: it used more than 1024 kB of output" in failure["message"]
    )
    assert time.perf_counter() - start < 20


def test_run_keeps_only_the_tails_of_the_output(tmp_path):
    limits = sandbox.Limits(wall_seconds=20, output_bytes=256 * 1024)
    workdir = tmp_path / "w"
    workdir.mkdir()
    # Through the runner, as the grader uses it: an output bomb in the probe child.
    path, _ = hostile_file(tmp_path, "pass", top_level="sys.stdout.write('a' * 10**7)")
    staged = sandbox.stage(path, workdir)
    done = sandbox.run(
        [sys.executable, "-I", str(check.RUNNER), "probe", staged, str(workdir), "1024", "20"],
        workdir=workdir,
        limits=limits,
    )
    assert done.killed_by == "output limit" and done.output_truncated and done.returncode is None
    assert len(done.stdout_tail) <= sandbox.TAIL_BYTES and set(done.stdout_tail) == {"a"}


@pytest.mark.parametrize("via", VIAS)
def test_a_cpu_spin_times_out(tmp_path, via):
    path, token = hostile_file(tmp_path, "while True:\n    pass")
    start = time.perf_counter()
    assert zero_pad_failure(graded(path, via, "--timeout", "2"))["kind"] == "timed out"
    assert time.perf_counter() - start < 15 and processes_with(token) == []


@pytest.mark.parametrize("via", VIAS)
def test_a_fork_bomb_stops_at_the_first_fork(tmp_path, via):
    path, token = hostile_file(tmp_path, "while True:\n    os.fork()")  # no control: it would bomb this machine
    try:
        assert zero_pad_failure(graded(path, via))["error"].startswith("PermissionError")
        assert processes_with(token) == []
    finally:
        kill_all(processes_with(token))


@pytest.mark.parametrize("via", VIAS)
def test_a_huge_file_is_cut_at_the_file_size_limit(tmp_path, via):
    path, _ = hostile_file(
        tmp_path, "with open('big.bin', 'wb') as fh:\n    for _ in range(1024):\n        fh.write(b'x' * 2**20)"
    )
    failure = zero_pad_failure(graded(path, via))
    assert failure["error"].startswith("OSError: [Errno 27] File too large")  # RLIMIT_FSIZE, 1 MB


def test_filling_the_disk_with_many_files_is_stopped(tmp_path):
    workdir = tmp_path / "w"
    workdir.mkdir()
    path, _ = hostile_file(
        tmp_path, "pass", top_level="for i in range(10**6):\n    open(f'f{{i}}', 'wb').write(b'x' * 2**20)"
    )
    staged = sandbox.stage(path, workdir)
    limits = sandbox.Limits(wall_seconds=20, file_bytes=4 * 2**20, disk_bytes=32 * 2**20)
    done = sandbox.run(
        [sys.executable, "-I", str(check.RUNNER), "probe", staged, str(workdir), "1024", "20"],
        workdir=workdir,
        limits=limits,
    )
    assert done.killed_by == "disk limit" and done.seconds < 10


NESTED_FOLDERS = "for _ in range(5000):\n    os.mkdir('d')\n    os.chdir('d')"  # past Python's recursion limit


@pytest.fixture
def own_tmp(tmp_path, monkeypatch):
    """The grader's scratch folders go here (the CLI's too), away from other gradings on this machine."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.mark.parametrize("via", VIAS)
def test_nested_folders_are_refused_and_every_scratch_folder_removed(tmp_path, via, own_tmp):
    path, _ = hostile_file(tmp_path, "pass", top_level=NESTED_FOLDERS)
    report = graded(path, via)  # RecursionError out of grade() once: TemporaryDirectory's cleanup recurses
    assert "PermissionError" in report["error"]
    assert list(own_tmp.iterdir()) == []


def test_without_the_sandbox_nested_folders_are_still_removed(tmp_path, own_tmp):
    # --no-sandbox (a learner's own file on their own computer) lets the code make folders: the cleanup must cope
    path, _ = hostile_file(tmp_path, "pass", top_level=NESTED_FOLDERS)
    report = check.grade(path, sandboxed=False)
    assert report.exit_status == 0
    assert list(own_tmp.iterdir()) == []


def test_remove_tree_removes_a_tree_deeper_than_path_max(tmp_path):
    root = tmp_path / "deep"
    root.mkdir()
    fd = os.open(root, os.O_RDONLY)
    for _ in range(3000):  # 6,000 characters of path: past PATH_MAX (4096) and the recursion limit
        os.mkdir("dd", dir_fd=fd)
        (Path(f"/proc/self/fd/{fd}") / "f").write_bytes(b"x")
        inner = os.open("dd", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    os.close(fd)
    sandbox.remove_tree(root)
    assert not root.exists()


def test_filling_the_folder_with_empty_files_counts_against_the_disk_limit(tmp_path):
    # no data, but each file takes an inode and a directory entry (on tmpfs, memory): they count too
    workdir = tmp_path / "w"
    workdir.mkdir()
    top = "for i in range(100_000):\n    open(f'e{{i}}', 'wb').close()\ntime.sleep(30)"
    path, _ = hostile_file(tmp_path, "pass", top_level=top)
    staged = sandbox.stage(path, workdir)
    done = sandbox.run(
        [sys.executable, "-I", str(check.RUNNER), "probe", staged, str(workdir), "1024", "20"],
        workdir=workdir,
        limits=sandbox.Limits(wall_seconds=15, disk_bytes=4 * 2**20),
    )
    assert done.killed_by == "disk limit" and done.seconds < 10


HIDDEN_FILES = {
    # written, unlinked, still open: the folder's scan sees nothing
    "open": "held = []\nfor i in range(24):\n    fh = open(f'h{{i}}', 'wb')\n    fh.write(b'x' * 2**20)\n"
    "    fh.flush()\n    os.unlink(f'h{{i}}')\n    held.append(fh)\ntime.sleep(30)",
    # written, mapped, unlinked and closed: no file descriptor either, only the mapping keeps the blocks
    "mapped": "import mmap\nheld = []\nfor i in range(24):\n    with open(f'h{{i}}', 'w+b') as fh:\n"
    "        fh.write(b'x' * 2**20)\n        fh.flush()\n        held.append(mmap.mmap(fh.fileno(), 2**20))\n"
    "    os.unlink(f'h{{i}}')\ntime.sleep(30)",
}


@pytest.mark.parametrize("how", list(HIDDEN_FILES))
def test_files_removed_but_still_held_count_against_the_disk_limit(tmp_path, how):
    workdir = tmp_path / "w"
    workdir.mkdir()
    path, _ = hostile_file(tmp_path, "pass", top_level=HIDDEN_FILES[how])
    staged = sandbox.stage(path, workdir)
    done = sandbox.run(
        [sys.executable, "-I", str(check.RUNNER), "probe", staged, str(workdir), "1024", "20"],
        workdir=workdir,
        limits=sandbox.Limits(wall_seconds=15, file_bytes=2**20, disk_bytes=16 * 2**20),
    )
    assert done.killed_by == "disk limit" and done.seconds < 10


@pytest.mark.parametrize(
    "how, error",
    [
        ("open('big.bin', 'wb').write(b'x' * 2 * 2**20)", "OSError: [Errno 27] File too large"),
        ("held = [open(f'f{{i}}', 'wb') for i in range(40)]", "OSError: [Errno 24] Too many open files"),
    ],
    ids=["a 2 MB file", "40 open files"],
)
def test_a_grading_child_gets_only_the_files_grading_needs(tmp_path, how, error):
    # outputs are a few kB and the runner holds a handful of files: 1 MB per file, 32 open files
    path, _ = hostile_file(tmp_path, how)
    assert zero_pad_failure(graded(path, "grade"))["error"].startswith(error)


@pytest.mark.parametrize("via", VIAS)
def test_many_threads_are_bounded(tmp_path, via):
    body = """
    threads = []
    try:
        for _ in range(5000):
            t = threading.Thread(target=time.sleep, args=(30,), daemon=True)
            t.start()
            threads.append(t)
    except RuntimeError as exc:
        raise RuntimeError(f'{{exc}} after {{len(threads)}} threads') from None
    """
    path, token = hostile_file(tmp_path, body)
    error = zero_pad_failure(graded(path, via))["error"]
    assert error.startswith("RuntimeError: can't start new thread after"), error
    assert int(error.split("after ")[1].split()[0]) < 1000  # RLIMIT_AS (8 MB stacks) or RLIMIT_NPROC
    assert processes_with(token) == []


# --- failing closed -----------------------------------------------------------------------------------------

MARKER_AT_LOAD = "open({marker!r}, 'w').write('ran')"


@pytest.mark.parametrize("missing", ["landlock", "seccomp"])
def test_the_cli_refuses_when_a_facility_is_missing_and_runs_nothing(tmp_path, missing):
    marker = tmp_path / "ran.txt"
    path, _ = hostile_file(tmp_path, "pass", top_level=MARKER_AT_LOAD, marker=str(marker))
    out = subprocess.run(
        [sys.executable, "-m", "grader", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "GRADER_SANDBOX_SIMULATE_MISSING": missing},
    )
    assert out.returncode == 2
    assert "the sandbox cannot be set up" in out.stdout and "Nothing was run" in out.stdout
    assert ("Landlock" if missing == "landlock" else "seccomp") in out.stdout
    assert not marker.exists()
    # The control: the same file, run by a learner on their own computer without the sandbox, writes it.
    unsandboxed = subprocess.run(
        [sys.executable, "-m", "grader", str(path), "--no-sandbox"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unsandboxed.returncode == 0 and marker.exists() and "--no-sandbox" in unsandboxed.stderr


def test_grade_raises_sandbox_unavailable_when_the_probe_says_no(tmp_path, monkeypatch):
    marker = tmp_path / "ran.txt"
    path, _ = hostile_file(tmp_path, "pass", top_level=MARKER_AT_LOAD, marker=str(marker))
    refused = sandbox.Status(False, "none", {"landlock": False}, "the kernel does not offer Landlock (test)")
    monkeypatch.setattr(sandbox, "status", lambda: refused)
    with pytest.raises(sandbox.SandboxUnavailable) as info:
        check.grade(path)
    assert info.value.reason == "the kernel does not offer Landlock (test)"
    assert not marker.exists()


def test_status_reports_the_missing_facility_and_run_refuses(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_SANDBOX_SIMULATE_MISSING", "landlock")
    sandbox.status.cache_clear()
    try:
        st = sandbox.status()
        assert not st.ok and "Landlock" in st.reason and "--no-sandbox" in st.reason
        with pytest.raises(sandbox.SandboxUnavailable):
            sandbox.run([sys.executable, "-c", "print(1)"], workdir=tmp_path, limits=sandbox.Limits())
    finally:
        monkeypatch.delenv("GRADER_SANDBOX_SIMULATE_MISSING")
        sandbox.status.cache_clear()


def test_the_runner_refuses_to_start_without_the_sandbox(tmp_path):
    marker = tmp_path / "ran.txt"
    path, _ = hostile_file(tmp_path, "pass", top_level=MARKER_AT_LOAD, marker=str(marker))
    out = subprocess.run(
        [sys.executable, "-I", str(check.RUNNER), "probe", str(path), str(tmp_path), "1024", "5"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 70 and "refusing to run" in out.stderr and not marker.exists()


def test_a_child_that_does_not_lock_down_is_never_taken_for_sandboxed(tmp_path):
    # A command that ignores the sandbox's settings: it ends without reporting on the status channel.
    with pytest.raises(sandbox.SandboxUnavailable, match="before it could lock itself down"):
        sandbox.run([sys.executable, "-c", "print('hello')"], workdir=tmp_path, limits=sandbox.Limits())


def test_under_a_docker_like_seccomp_profile_without_namespaces_grading_still_works(tmp_path):
    """Docker's default profile (moby/profiles seccomp/default.json) refuses unshare, setns, mount and clone
    with CLONE_NEW* flags, and gives ENOSYS for clone3, to a container without CAP_SYS_ADMIN. Run the CLI
    under such a filter: the lockdown tier uses none of them, so grading works and hostile code is held."""
    launcher = tmp_path / "docker_like.py"
    launcher.write_text(
        textwrap.dedent(
            """\
            import errno, os, sys
            import pyseccomp as s
            f = s.SyscallFilter(s.ALLOW)
            for name in ("unshare", "setns", "mount", "umount2", "pivot_root"):
                f.add_rule(s.ERRNO(errno.EPERM), name)
            for flag in (0x10000000, 0x20000000, 0x40000000, 0x02000000, 0x04000000, 0x08000000, 0x00020000):
                f.add_rule(s.ERRNO(errno.EPERM), "clone", s.Arg(0, s.MASKED_EQ, flag, flag))
            f.add_rule(s.ERRNO(errno.ENOSYS), "clone3")
            f.load()
            os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
            """
        )
    )
    unshare_user = "import ctypes; assert ctypes.CDLL(None).unshare(0x10000000) == 0"  # CLONE_NEWUSER
    no_userns = subprocess.run([sys.executable, str(launcher), "-c", unshare_user], capture_output=True, timeout=30)
    assert no_userns.returncode != 0  # the profile is in force: no user namespace
    path, _ = hostile_file(tmp_path, "os.system('true')\nos.execv('/bin/sh', ['sh'])")
    for solution, expected in ((SOLUTIONS / "correct_loops.py", 0), (path, 1)):
        out = subprocess.run(
            [sys.executable, str(launcher), "-m", "grader", str(solution), "--json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == expected, out.stdout + out.stderr
    assert json.loads(out.stdout)["functions"][0]["failure"]["error"].startswith("PermissionError")


# --- the teacher's switch -----------------------------------------------------------------------------------


def test_the_teacher_can_turn_grading_off(tmp_path, monkeypatch):
    assert sandbox.enabled() == (True, None)
    monkeypatch.setenv("GRADER_ENABLED", "0")
    ok, why = sandbox.enabled()
    assert not ok and "turned off" in why
    monkeypatch.setenv("GRADER_DISABLED_MESSAGE", "Grading is closed during the exam.")
    assert sandbox.enabled() == (False, "Grading is closed during the exam.")
    with pytest.raises(sandbox.SandboxUnavailable, match="closed during the exam"):
        check.grade(SOLUTIONS / "correct_rot180.py")
    with pytest.raises(sandbox.SandboxUnavailable, match="closed during the exam"):  # the switch first, always
        check.grade_source(b"\x00 not even text", "pasted code.py")
    out = subprocess.run(
        [sys.executable, "-m", "grader", str(SOLUTIONS / "correct_rot180.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "closed during the exam" in out.stdout


# --- the server-wide cap ------------------------------------------------------------------------------------


def test_the_cap_on_gradings_queues_then_says_busy(monkeypatch):
    monkeypatch.setenv("GRADER_MAX_GRADINGS", "2")
    assert sandbox.max_gradings() == 2
    release = threading.Event()
    holding = threading.Barrier(3)

    def hold():
        with sandbox.slot(timeout=5):
            holding.wait()
            release.wait(10)

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for t in holders:
        t.start()
    holding.wait()
    assert sandbox.running() == 2 and sandbox.waiting() == 0
    seen = []
    queued = threading.Thread(target=lambda: seen.append(_try_slot(3.0)))
    queued.start()
    time.sleep(0.3)
    assert sandbox.waiting() == 1  # "1 grading ahead of you" for the next one
    with pytest.raises(sandbox.Busy) as info:
        with sandbox.slot(timeout=0.2):
            pass
    assert info.value.waiting == 1 and "Try again" in str(info.value)
    release.set()
    for t in [*holders, queued]:
        t.join(10)
    assert seen == ["got a slot"]  # the queued one ran once a slot freed
    assert sandbox.running() == 0 and sandbox.waiting() == 0


def _try_slot(timeout: float) -> str:
    try:
        with sandbox.slot(timeout=timeout):
            return "got a slot"
    except sandbox.Busy:
        return "busy"


def test_a_slot_is_reentrant_so_the_page_can_hold_it_around_grade(monkeypatch):
    monkeypatch.setenv("GRADER_MAX_GRADINGS", "1")
    with sandbox.slot(timeout=1):
        report = check.grade(SOLUTIONS / "correct_rot180.py")
        assert sandbox.running() == 1
    assert report.exit_status == 0 and sandbox.running() == 0


def test_the_default_cap_suits_a_two_core_server(monkeypatch):
    monkeypatch.delenv("GRADER_MAX_GRADINGS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert sandbox.max_gradings() == 1
    monkeypatch.setenv("GRADER_MAX_GRADINGS", "nonsense")
    assert sandbox.max_gradings() == 1


SLOW_FUNCTIONS = """
import time
import numpy as np

def zero_pad(X, pad):
    time.sleep(0.3)
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))

def distribute_value(dz, shape):
    time.sleep(0.3)
    return np.ones(shape) * dz / (shape[0] * shape[1])

def create_mask_from_window(x):
    time.sleep(0.3)
    return x == np.max(x)
"""


def test_the_cap_on_children_holds_across_gradings(tmp_path, monkeypatch):
    # each grading ran up to max(2, CPUs) children at once, whatever the other gradings ran: two gradings of a
    # 1 GB child each were twice what a 1 GiB pod holds
    monkeypatch.setenv("GRADER_MAX_GRADINGS", "2")
    monkeypatch.setenv("GRADER_MAX_CHILDREN", "1")
    path = tmp_path / "slow.py"
    path.write_text(SLOW_FUNCTIONS)
    most, stop = [0], threading.Event()

    def watch():
        while not stop.is_set():
            most[0] = max(most[0], len(_runner_children(os.getpid(), mode=b"")))
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: check.grade(path), range(2)))
    stop.set()
    watcher.join()
    assert all(r.exit_status == 0 for r in reports)
    assert most[0] == 1, f"{most[0]} grading children ran at once"


def test_out_of_memory_the_kernel_ends_a_grading_child_before_the_server(tmp_path):
    path = tmp_path / "slow.py"
    path.write_text(SLOW_FUNCTIONS)
    seen, stop = set(), threading.Event()

    def watch():
        while not stop.is_set():
            for pid in _runner_children(os.getpid(), mode=b""):
                with contextlib.suppress(OSError):
                    seen.add(Path(f"/proc/{pid}/oom_score_adj").read_text().strip())
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        assert check.grade(path).exit_status == 0
    finally:
        stop.set()
        watcher.join()
    assert "1000" in seen and Path("/proc/self/oom_score_adj").read_text().strip() != "1000"


@pytest.mark.parametrize(
    "cpus, memory_gib, children, memory_mb",
    [(2.0, 1, 1, 640), (2.0, 4, 2, 1024), (0.5, None, 1, 1024), (None, None, 16, 1024)],
    ids=["the manifest's pod", "4 GiB", "half a CPU", "no container limits"],
)
def test_the_defaults_come_from_the_container_s_limits_not_the_cpus_it_sees(
    monkeypatch, cpus, memory_gib, children, memory_mb
):
    # a pod limited to 2 CPUs and 1 GiB on a 16-core node sees 16 CPUs in os.cpu_count()
    for name in ("GRADER_MAX_CHILDREN", "GRADER_CHILD_MEMORY_MB", "GRADER_MAX_GRADINGS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)))
    memory = None if memory_gib is None else memory_gib * 2**30
    monkeypatch.setattr(sandbox, "container_limits", lambda: (cpus, memory))
    assert (sandbox.max_children(), sandbox.child_memory_mb()) == (children, memory_mb)
    if memory is not None:  # every child at its limit, and the server, fit in the container
        assert sandbox.max_children() * sandbox.child_memory_mb() <= memory // 2**20 - sandbox.SERVER_MEMORY_MB
    assert sandbox.max_gradings() == max(1, min(16, int(cpus or 16)) // 2)
    monkeypatch.setenv("GRADER_MAX_CHILDREN", "3")
    monkeypatch.setenv("GRADER_CHILD_MEMORY_MB", "512")
    assert (sandbox.max_children(), sandbox.child_memory_mb()) == (3, 512)


@pytest.mark.parametrize(
    "files, expected",
    [
        ({"cpu.max": "200000 100000\n", "memory.max": "1073741824\n"}, (2.0, 2**30)),
        ({"cpu.max": "max 100000\n", "memory.max": "max\n"}, (None, None)),
    ],
    ids=["limited", "unlimited"],
)
def test_the_container_s_limits_are_read_from_cgroup_v2(tmp_path, files, expected):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert sandbox._cgroup_limits("0::/\n", tmp_path) == expected


def test_the_container_s_limits_are_read_from_cgroup_v1(tmp_path):
    (tmp_path / "memory" / "kube" / "pod").mkdir(parents=True)
    (tmp_path / "memory" / "kube" / "pod" / "memory.limit_in_bytes").write_text("536870912\n")
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")  # the root: unlimited
    (tmp_path / "cpu,cpuacct").mkdir()
    (tmp_path / "cpu,cpuacct" / "cpu.cfs_quota_us").write_text("150000\n")
    (tmp_path / "cpu,cpuacct" / "cpu.cfs_period_us").write_text("100000\n")
    text = "4:memory:/kube/pod\n3:cpu,cpuacct:/kube/pod\n1:name=systemd:/kube/pod\n"
    assert sandbox._cgroup_limits(text, tmp_path) == (1.5, 2**29)  # the cpu folder is the namespace's root


@pytest.mark.slow
def test_a_grading_has_a_time_budget_for_all_its_children(tmp_path, monkeypatch):
    # a file that sleeps as it loads made every one of its children sleep: 8 functions held a grading place for
    # 8 loads; now all the children of one grading share GRADER_GRADING_SECONDS
    monkeypatch.setenv("GRADER_GRADING_SECONDS", "8")
    source = (SOLUTIONS / "correct_loops.py").read_text() + "\n\nclass _Slow:\n    import time\n    time.sleep(3)\n"
    path = tmp_path / "slow_to_load.py"
    path.write_text(source)
    start = time.perf_counter()
    report = check.grade(path, timeout=4).to_dict()
    elapsed = time.perf_counter() - start
    jsonschema.validate(report, check.REPORT_SCHEMA)
    messages = [f["failure"]["message"] for f in report["functions"] if f["failure"]]
    assert any("this grading's 8 s" in m for m in messages), messages
    assert elapsed < 12, f"the grading took {elapsed:.1f} s"


# --- the scratch folder cannot become a way out ---------------------------------------------------------------


@pytest.mark.parametrize(
    "how",
    [
        "os.symlink('/etc/passwd', 'passwd')",
        "os.link({app!r}, 'app.py')",
        "os.mkfifo('fifo')",
        "os.chmod('.', 0o777)",
        "import mmap\nmmap.mmap(-1, 4096, flags=mmap.MAP_SHARED)\nos.memfd_create('x')",
    ],
    ids=["symlink out", "hard link in", "fifo", "chmod", "memfd"],
)
def test_the_scratch_folder_gives_no_way_out(tmp_path, how):
    path, _ = hostile_file(tmp_path, how, app=str(ROOT / "app.py"))
    assert zero_pad_failure(graded(path, "grade"))["error"].startswith("PermissionError")
    assert control(path, cwd=tmp_path).returncode == 0


@pytest.mark.parametrize("sandboxed", [True, False], ids=["sandboxed", "--no-sandbox"])
def test_what_the_child_leaves_in_its_folder_cannot_break_the_grader(tmp_path, sandboxed):
    # events.jsonl turned into a folder: the grader must still answer with a report, not an exception (in the
    # sandbox no folder can be made at all; --no-sandbox, on a learner's own computer, can)
    top = "os.remove('events.jsonl') if os.path.exists('events.jsonl') else None\nos.mkdir('events.jsonl')"
    path, _ = hostile_file(tmp_path, "pass", top_level=top)
    report = check.grade(path, sandboxed=sandboxed).to_dict()
    assert report["exit_status"] == 2 and "cannot be loaded" in report["error"]
    assert ("PermissionError" in report["error"]) is sandboxed


FORGE_OUTPUTS = """
import glob
header = "{{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }}"  # 8 TB of float64
header = header + " " * (117 - len(header)) + "\\n"
for name in glob.glob('out_*.npy'):  # the outputs the runner saved for the cases before this one
    with open(name, 'wb') as fh:
        fh.write(b'\\x93NUMPY\\x01\\x00' + len(header).to_bytes(2, 'little') + header.encode() + b'\\0' * 8)
"""


@pytest.mark.parametrize("via", VIAS)
def test_a_forged_npy_header_is_not_believed(tmp_path, via):
    # np.load would allocate the 8 TB the header claims (MemoryError in the grader); the grader checks the header
    # against the file's size first and says the output could not be read back.
    path, _ = hostile_file(tmp_path, FORGE_OUTPUTS)
    report = graded(path, via)
    (entry,) = report["functions"]
    assert entry["verdict"] == "FAIL"
    forged = [f for f in entry["failures"] if "could not be read back" in f["message"]]
    assert forged and all(f["kind"] == "crashed" for f in forged)
    assert "its header claims 8,796,093,022,208 bytes of data, the file holds 8" in forged[0]["message"]


FORGE_EVENTS = """
lines = [
    '{{"event": "loaded", "defines": 5}}', '[1, 2]', '"done"', '{{"event": "done", "case": "x"}}',
    '{{"event": "done", "case": 99, "status": "ok", "outputs": 1}}', '{{"event": "done", "case": 0, "pass": -1}}',
    '{{"event": "done", "case": 1, "status": "ok", "outputs": "many"}}', '{{"event": "start", "case": true}}',
    '{{"event": "numpy1", "used": 3}}', '{{"event": "done", "case": 2, "status": "error", "error": null}}',
    '[' * 100000,
]
with open('events.jsonl', 'a') as fh:
    fh.write('\\n'.join(lines) + '\\n')
"""


def test_forged_events_cannot_break_the_grader(tmp_path):
    # At load (a class body) and at every call, the learner's code writes lines the runner never would.
    path, _ = hostile_file(tmp_path, FORGE_EVENTS, top_level=FORGE_EVENTS)
    for via in VIAS:
        report = graded(path, via)
        assert report["exit_status"] in (0, 1, 2), report
        if report["loaded"]:
            assert [f["function"] for f in report["functions"]] == ["zero_pad"]


#: Lines the runner never writes: each made grade() raise (ValueError: an int past Python's 4300 digits), or made
#: the grader stop reading at it, losing every genuine event after it, or went into the report whole.
FORGED_LINES = {
    "an int of 5000 digits": '{{"event": "start", "case": ' + "1" * 5000 + "}}",
    "3000 nested brackets": "[" * 3000 + "]" * 3000,  # 6 kB: short enough to parse, deep enough for RecursionError
    "a 40 kB error": '{{"event": "done", "case": 0, "status": "error", "error": "'
    + "E" * 40_000
    + '", "where": null}}',
    "bytes that are not UTF-8": "\\udcff\\udcfe",
}


@pytest.mark.parametrize("line", list(FORGED_LINES))
def test_a_forged_event_line_cannot_make_the_grader_raise(tmp_path, line):
    body = "with open('events.jsonl', 'a', errors='surrogateescape') as fh:\n    fh.write({line!r} + '\\n')"
    path, _ = hostile_file(tmp_path, body, top_level=body, line=FORGED_LINES[line].format())
    report = graded(path, "grade")
    (entry,) = report["functions"]
    assert entry["verdict"] == "PASS"  # the forged lines are dropped; what the runner wrote still counts
    assert len(json.dumps(report)) < 100_000


GRADING_IN_A_FRESH_PROCESS = """
import json, resource, sys, threading, time
from grader import check
late = [0.0]
def tick():
    while True:
        t = time.perf_counter()
        time.sleep(0.01)
        late[0] = max(late[0], time.perf_counter() - t - 0.01)
threading.Thread(target=tick, daemon=True).start()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
report = check.grade(sys.argv[1])
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"error": report.error, "grown_mb": grown // 1024, "late": late[0]}))
"""


def test_a_huge_forged_events_file_takes_neither_memory_nor_time_from_the_server(tmp_path):
    # five million empty lists on one line: 15 MB, about 450 MB once parsed, seconds with the GIL held
    top = "with open('events.jsonl', 'a') as fh:\n    fh.write('[' + '[],' * (5 * 2**20 - 1) + '[]]\\n')"
    path, _ = hostile_file(tmp_path, "pass", top_level=top)
    out = subprocess.run(
        [sys.executable, "-c", GRADING_IN_A_FRESH_PROCESS, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = json.loads(out.stdout.splitlines()[-1])  # a report, whatever the learner's own verdict
    assert result["grown_mb"] < 100, "the server's memory grew by reading what the child wrote"
    assert result["late"] < 1.0, "the server's other threads stalled while it read what the child wrote"


FORGE_ONE_OUTPUT = """
import glob
for name in glob.glob('out_*.npy'):  # the outputs the runner saved for the cases before this one
    with open(name, 'wb') as fh:
        fh.write({content!r})
"""

_NEGATIVE = "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, -2), }"
FORGED_NPY = {
    # numpy's header reader tokenizes a header it cannot evaluate: tokenize.TokenError, not a ValueError
    "a header cut short": b"\x93NUMPY\x01\x00" + (20).to_bytes(2, "little") + b"{'descr': 1+" + b" " * 9,
    "negative dimensions": b"\x93NUMPY\x01\x00"
    + (len(_NEGATIVE) + 1).to_bytes(2, "little")
    + _NEGATIVE.encode()
    + b"\n"
    + b"\0" * 16,
    "an empty file": b"",
    "a zip file": b"PK\x05\x06" + b"\0" * 18,
}


@pytest.mark.parametrize("content", list(FORGED_NPY))
def test_a_forged_npy_file_is_a_crashed_case_not_a_crash_of_the_grader(tmp_path, content):
    path, _ = hostile_file(tmp_path, FORGE_ONE_OUTPUT, content=FORGED_NPY[content])
    (entry,) = graded(path, "grade")["functions"]
    forged = [f for f in entry["failures"] if "could not be read back" in f["message"]]
    assert entry["verdict"] == "FAIL" and forged and all(f["kind"] == "crashed" for f in forged)


def test_one_function_s_failure_in_the_grader_is_that_function_s_crash(monkeypatch):
    real = check._read_run

    def broken_for_conv_backward(name, p, child, workdir, function, battery):
        if function == "conv_backward":
            raise RuntimeError("what the child left could not be judged")
        return real(name, p, child, workdir, function, battery)

    monkeypatch.setattr(check, "_read_run", broken_for_conv_backward)
    report = check.grade(SOLUTIONS / "correct_rot180.py").to_dict()
    jsonschema.validate(report, check.REPORT_SCHEMA)
    by = {f["function"]: f for f in report["functions"]}
    assert by["zero_pad"]["verdict"] == "PASS"
    assert by["conv_backward"]["verdict"] == "FAIL" and by["conv_backward"]["failure"]["kind"] == "crashed"
    assert "RuntimeError: what the child left could not be judged" in by["conv_backward"]["failure"]["message"]


def test_a_long_error_of_the_learner_s_is_reported_cut_short(tmp_path):
    path, _ = hostile_file(tmp_path, "raise ValueError('é' * 50_000)")  # 300 kB as JSON: cut by the runner itself
    failure = zero_pad_failure(graded(path, "grade"))
    assert failure["kind"] == "raised" and failure["error"].startswith("ValueError: éééé")
    assert failure["error"].endswith(" ...") and len(failure["error"]) < 1000


SPOOF = "\\r\\x1b[2K\\x1b[1Azero_pad  PASS  3 cases\\n1 of 1 functions pass.\\u202e"


@pytest.mark.parametrize("when", ["running", "loading"])
def test_the_text_report_cannot_be_spoofed_with_terminal_escapes(tmp_path, when):
    body = f"raise ValueError('{SPOOF}')"
    path, _ = hostile_file(tmp_path, body if when == "running" else "pass", top_level=body if when == "loading" else "")
    out = subprocess.run(
        [sys.executable, "-m", "grader", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == (1 if when == "running" else 2)
    assert all(ch == "\n" or ch.isprintable() for ch in out.stdout), "a control character reached the terminal"
    assert "1 of 1 functions pass." not in out.stdout.splitlines()
    assert "\\x1b[2K" in out.stdout and "\\r" in out.stdout  # shown, escaped, for the learner to read


METADATA = """
import json
server = os.getppid()
seen = {{}}
for name, look in {{
    "stat /etc/passwd": lambda: os.stat("/etc/passwd").st_size,
    "O_PATH /etc/passwd": lambda: os.close(os.open("/etc/passwd", os.O_PATH)),
    "stat /proc/<server>": lambda: os.stat(f"/proc/{{server}}").st_uid,
    "uname": lambda: os.uname().release,
    "read /etc/passwd": lambda: open("/etc/passwd", "rb").read(1),
    "list /proc": lambda: os.listdir("/proc"),
    "readlink /proc/<server>/cwd": lambda: os.readlink(f"/proc/{{server}}/cwd"),
    "read /proc/<server>/cmdline": lambda: open(f"/proc/{{server}}/cmdline", "rb").read(1),
}}.items():
    try:
        look()
        seen[name] = "seen"
    except PermissionError:
        seen[name] = "refused"
raise ValueError(json.dumps(seen))
"""


def test_outside_the_sandbox_only_metadata_stays_visible_as_the_docstring_says(tmp_path):
    # Landlock governs opening, reading, writing and listing, not looking a path up: what stat, an O_PATH open and
    # uname give stays visible (a residual, documented); contents, listings and other processes' /proc entries do not
    path, _ = hostile_file(tmp_path, METADATA)
    error = zero_pad_failure(graded(path, "grade"))["error"]
    seen = json.loads(error.removeprefix("ValueError: "))
    assert seen == {
        "stat /etc/passwd": "seen",
        "O_PATH /etc/passwd": "seen",
        "stat /proc/<server>": "seen",
        "uname": "seen",
        "read /etc/passwd": "refused",
        "list /proc": "refused",
        "readlink /proc/<server>/cwd": "refused",
        "read /proc/<server>/cmdline": "refused",
    }
    residual = sandbox.__doc__.split("What does not hold as strongly as the rest")[1].split("Settings")[0]
    for named in ("stat", "O_PATH", "/proc/PID", "uname", "hidepid"):
        assert named in residual, f"the docstring does not name {named} among what holds less strongly"

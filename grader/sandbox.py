"""The sandbox that runs a learner's code: the same for the web page and the command line.

Anyone who can open the app can paste code that the server runs, so the child process that runs it
(``python -I grader/_runner.py ...``) is locked down by the kernel, not by Python: a Python-level blacklist
is known not to hold (``ctypes`` reaches libc directly). The API::

    from grader import sandbox

    ok, why = sandbox.enabled()               # did the teacher turn grading off? (GRADER_ENABLED=0)
    st = sandbox.status()                     # what this machine offers, probed once per process for real
    with sandbox.slot(timeout=30):            # one of GRADER_MAX_GRADINGS server-wide slots, else Busy
        done = sandbox.run(argv, workdir=scratch, limits=sandbox.Limits(wall_seconds=10, memory_mb=1024))
                                              # waits for one of GRADER_MAX_CHILDREN places first
    sandbox.waiting(), sandbox.running()      # for "N gradings ahead of you"
    staged = sandbox.stage(learner_file, scratch)   # copy the file in: the child reads nothing outside
    with sandbox.scratch() as folder: ...     # a private folder, removed afterwards however deep it became

- :func:`run` starts ``argv`` with ``workdir`` as its current and only writable directory, a clean
  environment, stdin from ``/dev/null``, stdout and stderr through pipes (the last :data:`TAIL_BYTES` of
  each are kept; past ``limits.output_bytes`` in all the child is killed), its own session, and the
  settings of :mod:`grader._lockdown` in ``GRADER_SANDBOX``. The child locks itself down before it
  loads anything of the learner's and says so on a private pipe (the status channel); a child that
  reports failure, or that ends without reporting, raises :class:`SandboxUnavailable`: **it never
  falls back to running the code unsandboxed**. At the wall-clock deadline, at the output limit or when
  the disk used in ``workdir`` passes ``limits.disk_bytes``, the child is killed (``SIGKILL``); its
  process group is killed in any case before it is reaped.
- :func:`status` probes the lockdown in a throwaway child (``_lockdown.py probe``), which also checks
  that exec, fork, sockets, signals to the parent (by ``kill`` and by making it a file's owner, which the
  kernel signals: ``F_SETOWN``, ``F_SETOWN_EX``, ``F_SETSIG``, ``FIOSETOWN``), turning the parent-death
  signal off, reading ``/etc`` and writing beside its folder are refused and that threads and writing in
  its folder work. The result is cached per process.
- :func:`run_unsandboxed` is for ``python -m grader --no-sandbox`` only (a learner grading their own
  file on their own computer, where the kernel offers no Landlock or seccomp, e.g. macOS); nothing on
  the server calls it.

The tier, and what each layer is for
------------------------------------

One tier, ``lockdown``, because it is the one that works everywhere the image runs. In the child,
after importing NumPy and before the learner's file is loaded (see :mod:`grader._lockdown`):

========================  ===============================================================================
``PR_SET_PDEATHSIG``      the child gets ``SIGKILL`` if the grader's thread that started it dies (and
                          cannot turn it off: ``prctl`` is filtered below)
nice 10                   the explainer's pages come before gradings on the CPU
``oom_score_adj`` 1000    out of memory, the kernel ends a grading child before the server
rlimits                   ``AS`` (memory), ``CPU``, ``FSIZE`` (1 MB per file), ``NOFILE`` 32, ``NPROC``,
                          ``CORE`` 0
capabilities              dropped when the child runs as root (CI here); the image runs as uid 10001
Landlock (landlockpy)     read-only: the standard library (not its site-packages), NumPy and
                          ``numpy.libs``, the runner's two files; read-write: the files of the scratch
                          folder only (no folder can be made or removed in it);
                          TCP bind/connect refused (ABI 4+); signals and abstract unix sockets scoped to
                          the sandbox (ABI 6+). ``no_new_privs`` is set with it.
seccomp-bpf (libseccomp)  an allow-list; every other call answers ``EPERM``. No ``execve``, ``execveat``,
                          ``fork``, ``vfork``; ``clone`` only with ``CLONE_THREAD``; ``clone3`` gives
                          ``ENOSYS`` (glibc falls back to ``clone``); no ``socket``/``socketpair``;
                          ``kill``/``tgkill``/``rt_*sigqueueinfo`` only to its own pid; ``fcntl`` and
                          ``ioctl`` only with listed commands (no ``F_SETOWN``, ``F_SETOWN_EX``,
                          ``F_SETSIG``, ``F_SETLEASE``, ``F_NOTIFY``, ``FIOSETOWN``, ``SIOCSPGRP``);
                          ``prctl`` only to read (the parent-death signal stays on); ``prlimit64``
                          only to read; no ``pidfd_*``, ``ptrace``, ``process_vm_*``,
                          ``mount``, ``unshare``, ``setns``, ``io_uring_*``, ``bpf``, ``perf_event_open``,
                          ``userfaultfd``, SysV IPC, ``keyctl``, ``setsid``
========================  ===============================================================================

So learner code can compute with NumPy, read its inputs and write its outputs in the scratch folder,
raise, print (bounded) and start threads (bounded by ``NPROC`` and ``AS``); it cannot start a program
(``os.system``, ``subprocess``, ``os.exec*`` and libc's ``system``/``execve``/``fork`` through
``ctypes`` all get ``EPERM`` from the kernel), open a socket, read ``/etc``, ``/proc``, the app or another
submission, write anywhere else, signal any process but itself, or leave a process behind (it cannot
create one). Its environment holds only what :func:`clean_env` puts there: no server secret such as
``STREAMLIT_SERVER_COOKIE_SECRET``. The learner's file is copied into the scratch folder by the
grader, so the child needs no access to where it came from.

Not used, and why: user, PID, network and mount namespaces (bubblewrap, nsjail) would add a layer
where they work (here, as root), but Docker's default seccomp profile refuses ``unshare`` and
``clone`` with namespace flags to a container without ``CAP_SYS_ADMIN``, so the image could not rely on
them, and a second tier that only CI exercises would be the less tested one. The lockdown above already
makes every process the sandbox could start impossible, which is what a PID namespace would be for.

Docker's default seccomp profile (verified, not guessed)
--------------------------------------------------------

``seccomp/default.json`` of ``moby/profiles`` (the profile moved there from ``moby/moby``'s
``profiles/seccomp/default.json``; read at commit ``cd3bed8``): ``defaultAction`` ``SCMP_ACT_ERRNO``;
``landlock_create_ruleset``, ``landlock_add_rule``, ``landlock_restrict_self`` allowed
unconditionally (added by commit ``0d25e43``, 2022-01-30, "seccomp: add support for Landlock syscalls
in default policy"); ``seccomp``, ``prctl``, ``setrlimit``, ``prlimit64``, ``kill``, ``tgkill``,
``capget``, ``capset`` allowed; ``clone`` allowed only when ``flags & 0x7E020000`` (the ``CLONE_NEW*``
flags) is 0 unless the container has ``CAP_SYS_ADMIN``; ``clone3`` answers ``ENOSYS`` without
``CAP_SYS_ADMIN``; ``unshare``, ``setns`` and ``mount`` need ``CAP_SYS_ADMIN``. So everything the
lockdown does is allowed in the image under the default profile, as uid 10001, and namespaces are not.
Stacking a filter on Docker's is allowed (``no_new_privs`` is set first). Kubernetes' ``RuntimeDefault``
is the container runtime's own profile, not Docker's: containerd's ``contrib/seccomp/seccomp_default.go``
(as stored at commit ``078b6d9``) has neither the ``landlock_*`` calls nor ``clone3``, so on a node with
such a runtime :func:`status` fails closed and says so; newer runtimes follow Docker's list, and a
``Localhost`` profile copied from Docker's default works everywhere.

What fails closed
-----------------

:func:`status` and :func:`run` refuse with :class:`SandboxUnavailable`, whose ``reason`` says what is
missing and what to do, when: the platform is not Linux; the kernel has no Landlock (Linux < 5.13, or
``landlock`` not in the boot ``lsm=`` list; ``landlockpy.abi_version()`` then answers 0) or it is refused
(a seccomp profile without the Landlock calls); seccomp-bpf or libseccomp (Debian's ``libseccomp2``) is
missing; ``landlockpy``/``pyseccomp`` are not installed; a resource limit cannot be set; the child runs
other threads before the lockdown; a probe check fails (something that must be refused was not).

A weaker Landlock ABI is accepted, ``status().facilities`` saying which layers are there: below 4 Landlock
has no TCP rule and below 6 (Linux 6.12) no signal or abstract-socket scoping, and the seccomp filter
covers both on its own. It refuses ``socket`` and ``socketpair`` outright; it lets the signal calls
(``kill``, ``tgkill``, ``rt_sigqueueinfo``, ``rt_tgsigqueueinfo``) name only the child's own pid, and has no
``tkill`` or ``pidfd_send_signal``; and it refuses every way of making another process a file's owner,
which the kernel then signals itself when the file becomes readable (as root, any process on the machine):
``fcntl`` and ``ioctl`` are allowed only with listed commands, compared on all 64 bits, so ``F_SETOWN``,
``F_SETOWN_EX``, ``F_SETSIG``, ``F_SETLEASE``, ``F_NOTIFY``, ``FIOSETOWN`` and ``SIOCSPGRP`` answer ``EPERM``
(the tests lock a child down with Landlock's scoping switched off to show it, and the probe checks the
refusals, so :func:`status` cannot say ok without them). Scoping, where the kernel has it, is a second wall
behind the first.

What does not hold as strongly as the rest
------------------------------------------

- ``RLIMIT_NPROC`` is per user and Linux never applies it to root: in CI (root) threads are bounded by
  ``RLIMIT_AS`` (each thread's stack is address space) and the wall time only; in the image (uid 10001)
  it also counts the server's own threads, so a learner's threads may be refused sooner under load.
- The disk used in ``workdir`` is polled every 0.25 s, not a kernel quota: a child may pass
  ``disk_bytes`` by what it writes in 0.25 s (at most a few ``file_bytes``-sized files) before it is killed.
  Every entry counts at least :data:`ENTRY_BYTES` (an empty file still takes an inode and a directory slot),
  and files the child removed but still holds open or mapped count too, read from its ``/proc/PID/fd`` and
  ``/proc/PID/maps`` (where the server cannot read those, ``open_files`` times ``file_bytes``, 32 MB by
  default, bounds what is held open, and ``RLIMIT_AS`` what is mapped).
- The syscall allow-list names x86_64's calls; on another architecture names it lacks are skipped (so
  refused), and dropping root's capabilities is x86_64 only (elsewhere, as root, the lockdown refuses).
- Metadata outside the sandbox stays visible. Landlock governs opening, reading, writing, listing and
  executing, not looking a path up, and the child needs ``stat`` and ``readlink`` for its own imports, so it can
  ``stat`` any path it can name (whether it exists, its size, owner and times: ``/etc/passwd``'s size, say;
  other gradings' folders have random names, and listing ``/tmp`` is refused), open one with ``O_PATH`` (a
  descriptor that reads nothing), and
  find which processes run and whose they are by ``stat("/proc/PID")``; the contents of ``/proc/PID`` (command
  line, environment, ``cwd``, open files) stay refused, as Landlock refuses ptrace-style access to processes
  outside the sandbox. ``uname`` (the kernel's version), ``sysinfo`` (uptime, load, memory) and the CPUs it may
  use are visible too. Hiding other processes would need ``/proc`` mounted with ``hidepid=2``, a mount option
  that only the container's runtime or the machine can set, not an unprivileged app.

Settings (environment of the server)
------------------------------------

- ``GRADER_ENABLED`` (default ``1``): ``0``, ``false``, ``off`` or ``no`` turns grading off for the page
  and refuses :func:`run`; ``GRADER_DISABLED_MESSAGE`` is the sentence shown instead of the default.
- ``GRADER_MAX_GRADINGS`` (default: half the CPUs it may use, at least 1): gradings running at once in this
  process; more wait for a place (:func:`slot`, :class:`Busy` after the wait).
- ``GRADER_MAX_CHILDREN`` (default: the CPUs it may use, and no more than fit in the container's memory at
  512 MB each once :data:`SERVER_MEMORY_MB` is kept for the server; at least 1): sandboxed children running at
  once in this process, across all its gradings (the probe's included); more wait their turn.
- ``GRADER_CHILD_MEMORY_MB`` (default 1024, less where ``GRADER_MAX_CHILDREN`` children of 1024 MB and the
  server would not fit in the container's memory; at least 256): a grading child's ``RLIMIT_AS``.
- ``GRADER_GRADING_SECONDS`` is :mod:`grader.check`'s: the time all the children of one grading may take.

"The CPUs it may use" and "the container's memory" are read from the process's cgroup (``cpu.max`` and
``memory.max``, or cgroup v1's quota and ``memory.limit_in_bytes``; :func:`container_limits`), not from
``os.cpu_count()``, which in a pod sees every CPU of the node: the manifest's pod (2 CPUs, 1 GiB) gets one
grading and one child of 640 MB at a time. Each child also asks the kernel to choose it first should the
container run out of memory anyway (``oom_score_adj`` 1000), so that the server is not the one killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = [
    "SandboxUnavailable",
    "Busy",
    "Limits",
    "Completed",
    "Status",
    "status",
    "run",
    "run_unsandboxed",
    "enabled",
    "DEFAULT_DISABLED_MESSAGE",
    "slot",
    "waiting",
    "running",
    "max_gradings",
    "max_children",
    "child_memory_mb",
    "container_limits",
    "clean_env",
    "scratch",
    "remove_tree",
    "TAIL_BYTES",
    "ENTRY_BYTES",
]

LOCKDOWN = Path(__file__).with_name("_lockdown.py")
RUNNER = Path(__file__).with_name("_runner.py")
CONFIG_VARIABLE = "GRADER_SANDBOX"  # the same name as in _lockdown.py, which cannot import this package
EXIT_UNAVAILABLE = 70
TAIL_BYTES = 4096
ENTRY_BYTES = 4096  # what each file or folder in ``workdir`` counts at least against ``Limits.disk_bytes``
_OFF = {"0", "false", "off", "no"}
#: Variables the child may inherit from the server: OPENBLAS_CORETYPE / _L2_SIZE keep old OpenBLAS builds
#: from crashing on some processors; nothing else of the server's environment goes through.
_PASSED_THROUGH = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG", "LC_ALL")


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be set up here; ``reason`` says what is missing and what to do. Nothing ran."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Busy(RuntimeError):
    """No grading slot came free in time (``waiting`` gradings were queued when it gave up)."""

    def __init__(self, message: str, waiting: int = 0):
        super().__init__(message)
        self.waiting = waiting


@dataclass(frozen=True)
class Limits:
    """What one sandboxed child may use. ``file_bytes`` caps each file it writes (``RLIMIT_FSIZE``),
    ``open_files`` the files it holds open at once (``RLIMIT_NOFILE``), ``disk_bytes`` all of ``workdir`` with the
    files it removed but still holds open or mapped; ``processes`` is ``RLIMIT_NPROC`` (Linux counts every task
    of the user, threads included, and does not apply it to root: the seccomp filter, which lets no process be
    created, is the real bound on processes; this one bounds threads). The defaults are what grading needs, with
    room: a grading child's outputs are a few kB and the runner holds a handful of files."""

    wall_seconds: float = 10.0
    cpu_seconds: int = 11
    memory_mb: int = 1024
    output_bytes: int = 1024 * 1024
    file_bytes: int = 1024 * 1024
    open_files: int = 32
    processes: int = 64
    disk_bytes: int = 64 * 1024 * 1024


@dataclass
class Completed:
    """How a sandboxed child ended. ``killed_by``: None, ``"wall time"``, ``"output limit"`` or ``"disk
    limit"`` (the sandbox killed it), ``"cpu time"`` (``RLIMIT_CPU``), or a signal's name."""

    returncode: int | None
    timed_out: bool
    seconds: float
    stdout_tail: str
    stderr_tail: str
    killed_by: str | None = None
    output_truncated: bool = False
    output_bytes: int = 0
    tier: str | None = None


@dataclass(frozen=True)
class Status:
    ok: bool
    tier: str
    facilities: dict = field(default_factory=dict)
    reason: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


# --- the teacher's switch and the slots --------------------------------------------------------------


#: What :func:`enabled` says when the teacher gave no ``GRADER_DISABLED_MESSAGE`` (the page says it in its own words).
DEFAULT_DISABLED_MESSAGE = "Grading your own code is turned off on this server by the teacher (GRADER_ENABLED=0)."


def enabled() -> tuple[bool, str | None]:
    """``(False, why)`` when the teacher turned grading off with ``GRADER_ENABLED=0``: ``why`` is the teacher's
    ``GRADER_DISABLED_MESSAGE``, or :data:`DEFAULT_DISABLED_MESSAGE`."""
    if os.environ.get("GRADER_ENABLED", "1").strip().lower() in _OFF:
        why = os.environ.get("GRADER_DISABLED_MESSAGE", "").strip()
        return False, why or DEFAULT_DISABLED_MESSAGE
    return True, None


#: Memory the server process itself keeps out of the children's share of the container's limit (it uses about
#: 250 MB with 60 students, see the README), and the least address space a child gets (Python and NumPy need it).
SERVER_MEMORY_MB = 384
MIN_CHILD_MEMORY_MB = 256
DEFAULT_CHILD_MEMORY_MB = 1024
_CHILD_SHARE_MB = 512  # the default count of children gives each at least this much of the container's memory
_UNLIMITED = 1 << 60  # cgroup v1 writes "no limit" as a number near 2**63
CGROUP_ROOT = Path("/sys/fs/cgroup")


def _setting(name: str) -> int | None:
    """A positive whole number from the environment variable ``name``, or None."""
    try:
        value = int(os.environ.get(name, "").strip())
    except ValueError:
        return None
    return value if value > 0 else None


def container_limits() -> tuple[float | None, int | None]:
    """``(CPUs, memory bytes)`` this process may use, from its cgroup (``cpu.max``/``memory.max``, or cgroup v1's
    ``cpu.cfs_quota_us``/``memory.limit_in_bytes``), the tightest of its own and its parents'; the CPUs None
    without a quota, the memory the machine's without a limit. ``os.cpu_count()`` sees the node's every CPU, not
    what a pod may use."""
    try:
        cpus, memory = _cgroup_limits(Path("/proc/self/cgroup").read_text(encoding="ascii"), CGROUP_ROOT)
    except (OSError, UnicodeDecodeError):
        cpus, memory = None, None
    if memory is None:
        with contextlib.suppress(ValueError, OSError, AttributeError):
            memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return cpus, memory


def _cgroup_limits(proc_self_cgroup: str, root: Path) -> tuple[float | None, int | None]:
    """The limits in the cgroup files under ``root`` for the cgroups named in ``proc_self_cgroup`` (the text of
    ``/proc/self/cgroup``); a folder that is not there (a container's own cgroup namespace) means ``root`` itself."""
    cpus: float | None = None
    memory: int | None = None

    def tighter(old, new):
        return new if new is not None and (old is None or new < old) else old

    for line in proc_self_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == "0" and not controllers:  # cgroup v2 (or the unified half of a hybrid)
            base = root if (root / "cgroup.controllers").exists() or (root / "cpu.max").exists() else root / "unified"
            for folder in _and_parents(base, path):
                memory = tighter(memory, _number(folder / "memory.max"))
                cpu = (folder / "cpu.max").read_text().split() if (folder / "cpu.max").is_file() else []
                if len(cpu) == 2 and cpu[0] != "max":
                    with contextlib.suppress(ValueError, ZeroDivisionError):
                        cpus = tighter(cpus, int(cpu[0]) / int(cpu[1]))
            continue
        names = controllers.split(",")  # cgroup v1: mounted as /sys/fs/cgroup/cpu,cpuacct or /sys/fs/cgroup/cpu
        folders = [f for mount in dict.fromkeys([controllers, *names]) for f in _and_parents(root / mount, path)]
        for folder in folders if "memory" in names else ():
            memory = tighter(memory, _number(folder / "memory.limit_in_bytes"))
        for folder in folders if "cpu" in names else ():
            quota, period = _number(folder / "cpu.cfs_quota_us"), _number(folder / "cpu.cfs_period_us")
            if quota and period:
                cpus = tighter(cpus, quota / period)
    return cpus, memory


def _and_parents(base: Path, path: str) -> list[Path]:
    if not base.is_dir():
        return []
    folder = base / path.strip("/")
    if not folder.is_dir():
        return [base]
    found = [folder]
    while folder != base:
        folder = folder.parent
        found.append(folder)
    return found


def _number(path: Path) -> int | None:
    """The limit in a cgroup file: None for none ("max", -1, a v1 "unlimited") or no file."""
    try:
        value = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return value if 0 < value < _UNLIMITED else None


def _cpus() -> int:
    """Whole CPUs this process may use: its affinity, and the container's CPU quota (at least 1)."""
    try:
        seen = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        seen = os.cpu_count() or 1
    quota, _ = container_limits()
    return max(1, min(seen, int(quota)) if quota is not None else seen)


def max_gradings() -> int:
    """The cap on gradings at once in this process: ``GRADER_MAX_GRADINGS``, default half the CPUs it may use
    (min 1)."""
    return _setting("GRADER_MAX_GRADINGS") or max(1, _cpus() // 2)


def max_children() -> int:
    """The cap on sandboxed children running at once in this process, across all its gradings:
    ``GRADER_MAX_CHILDREN``, default the CPUs it may use, and no more than fit in the container's memory at
    512 MB each once :data:`SERVER_MEMORY_MB` is kept for the server (min 1)."""
    value = _setting("GRADER_MAX_CHILDREN")
    if value:
        return value
    _, memory = container_limits()
    by_memory = max(1, (memory // 2**20 - SERVER_MEMORY_MB) // _CHILD_SHARE_MB) if memory else _cpus()
    return max(1, min(_cpus(), by_memory))


def child_memory_mb() -> int:
    """The address space (``RLIMIT_AS``) a grading child gets unless told otherwise: ``GRADER_CHILD_MEMORY_MB``,
    default 1024 MB, less where :func:`max_children` children of 1024 MB would not fit in the container's memory
    with :data:`SERVER_MEMORY_MB` kept for the server (never under 256 MB)."""
    value = _setting("GRADER_CHILD_MEMORY_MB")
    if value:
        return max(MIN_CHILD_MEMORY_MB, value)
    _, memory = container_limits()
    if not memory:
        return DEFAULT_CHILD_MEMORY_MB
    share = (memory // 2**20 - SERVER_MEMORY_MB) // max_children()
    return max(MIN_CHILD_MEMORY_MB, min(DEFAULT_CHILD_MEMORY_MB, share))


class _Slots:
    """A counting semaphore that says how many hold it and how many wait; a thread that already holds a
    slot gets the same one again (``grade()`` takes a slot, and so may the page around it). ``capacity`` is
    read at each wait, so that a changed setting applies at once."""

    def __init__(self, capacity=max_gradings, what: str = "grading {running} submission(s)"):
        self._capacity = capacity
        self._what = what
        self._cond = threading.Condition()
        self._running = 0
        self._waiting = 0
        self._held = threading.local()

    @contextlib.contextmanager
    def take(self, timeout: float):
        depth = getattr(self._held, "depth", 0)
        if depth:
            self._held.depth = depth + 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        deadline = time.monotonic() + timeout
        with self._cond:
            self._waiting += 1
            try:
                while self._running >= self._capacity():
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise Busy(
                            f"The server is {self._what.format(running=self._running)} and {self._waiting - 1} "
                            f"more are waiting; none finished within {timeout:g} s. Try again in a minute.",
                            waiting=self._waiting - 1,
                        )
                    self._cond.wait(left)
            finally:
                self._waiting -= 1
            self._running += 1
        self._held.depth = 1
        try:
            yield
        finally:
            self._held.depth = 0
            with self._cond:
                self._running -= 1
                self._cond.notify()

    def counts(self) -> tuple[int, int]:
        with self._cond:
            return self._waiting, self._running


_SLOTS = _Slots()
_CHILDREN = _Slots(max_children, "running {running} graded function(s)")
CHILD_WAIT = 300.0  # seconds a child waits for one of max_children() places (each frees within its wall time)


def slot(timeout: float = 60.0):
    """Context manager: one of the :func:`max_gradings` slots of this process, or :class:`Busy` after
    ``timeout`` seconds in the queue."""
    return _SLOTS.take(timeout)


def waiting() -> int:
    """Gradings queued for a slot now (for "N gradings ahead of you")."""
    return _SLOTS.counts()[0]


def running() -> int:
    """Gradings holding a slot now."""
    return _SLOTS.counts()[1]


# --- the child's environment ---------------------------------------------------------------------------


def clean_env(workdir: Path, extra: dict | None = None) -> dict:
    """The whole environment of a child: nothing of the server's but :data:`_PASSED_THROUGH`."""
    env = {k: os.environ[k] for k in _PASSED_THROUGH if k in os.environ}
    env.update(
        PATH="/usr/bin:/bin",
        HOME=str(workdir),
        TMPDIR=str(workdir),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        # one BLAS thread: less address space under RLIMIT_AS, no thread before the lockdown, and children
        # running side by side do not fight over the cores
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    if extra:
        env.update({str(k): str(v) for k, v in extra.items()})
    env.pop(CONFIG_VARIABLE, None)
    return env


# --- running a child -------------------------------------------------------------------------------------


def _disk_bytes(root: Path, limit: int) -> int:
    """Bytes used under ``root``, every entry counting at least :data:`ENTRY_BYTES`; counting stops past ``limit``
    (enough to decide)."""
    total = 0
    stack = [str(root)]
    while stack and total <= limit:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                            total += ENTRY_BYTES
                        else:
                            total += max(ENTRY_BYTES, entry.stat(follow_symlinks=False).st_blocks * 512)
                    except OSError:
                        continue
                    if total > limit:
                        break
        except OSError:
            continue
    return total


def _held_bytes(pid: int, workdir: Path) -> int:
    """Bytes of files under ``workdir`` that the child ``pid`` removed but still holds, open (``/proc/PID/fd``) or
    mapped (``/proc/PID/maps``): the folder's scan cannot see them, yet they keep their blocks until it ends. A
    mapping counts its whole extent (an upper bound). 0 where ``/proc`` cannot be read (``file_bytes`` times
    ``open_files`` then bounds what is held open)."""
    inside = str(workdir).rstrip("/") + "/"
    seen: dict[tuple, int] = {}
    fds = f"/proc/{pid}/fd"
    with contextlib.suppress(OSError):
        for name in os.listdir(fds):
            try:
                target = os.readlink(f"{fds}/{name}")
                info = os.stat(f"{fds}/{name}")  # the open file itself, removed or not
            except OSError:
                continue
            if target.startswith(inside) and info.st_nlink == 0 and stat.S_ISREG(info.st_mode):
                seen[(os.major(info.st_dev), os.minor(info.st_dev), info.st_ino)] = info.st_blocks * 512
    with contextlib.suppress(OSError), open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as fh:
        for line in fh:  # start-end perms offset major:minor inode path
            parts = line.rstrip("\n").split(maxsplit=5)
            if len(parts) < 6 or not parts[5].endswith(" (deleted)") or not parts[5].startswith(inside):
                continue
            try:
                start, end = (int(x, 16) for x in parts[0].split("-"))
                major, minor = (int(x, 16) for x in parts[3].split(":"))
                key, extent = (major, minor, int(parts[4])), int(parts[2], 16) + end - start
            except ValueError:
                continue
            seen[key] = max(seen.get(key, 0), extent)
    return sum(seen.values())


# --- scratch folders -----------------------------------------------------------------------------------------


@contextlib.contextmanager
def scratch(prefix: str = "grader-"):
    """Context manager: a new private folder in the system's temporary folder, removed afterwards with
    :func:`remove_tree` whatever was left in it."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        remove_tree(path)


def remove_tree(path: str | os.PathLike) -> None:
    """Remove the folder ``path`` and everything under it, however deep.

    ``shutil.rmtree`` (and so ``TemporaryDirectory``) recurses once per level and uses whole paths: a chain of a
    few thousand nested folders raises ``RecursionError`` or ``ENAMETOOLONG`` and stays behind. Here nothing
    recurses and no path is longer than one name: the walk goes down into a subfolder and back up through ``..``
    relative to the open folder, removing files on the way down and each folder once it is empty, with at most
    two folders open. Call it once nothing writes in ``path`` any more (the child is reaped). Errors are ignored:
    what cannot be removed stays, and is not entered twice."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    below: list[str] = []  # the folders entered under path, by name
    stuck: list[set] = [set()]  # per level: folders that could not be entered or removed
    try:
        while True:
            sub = None
            for name, is_dir in _entries(fd):
                if not is_dir:
                    _quietly(os.unlink, name, dir_fd=fd)
                elif sub is None and name not in stuck[-1] and not _quietly(os.rmdir, name, dir_fd=fd):
                    sub = name
            if sub is not None:
                with contextlib.suppress(OSError):
                    os.chmod(sub, 0o700, dir_fd=fd, follow_symlinks=False)  # --no-sandbox code may chmod it 0
                try:
                    inner = os.open(sub, flags, dir_fd=fd)
                except OSError:
                    stuck[-1].add(sub)
                    continue
                os.close(fd)
                fd = inner
                below.append(sub)
                stuck.append(set())
                continue
            if not below:
                break
            parent = os.open("..", flags, dir_fd=fd)
            os.close(fd)
            fd = parent
            stuck.pop()
            name = below.pop()
            if not _quietly(os.rmdir, name, dir_fd=fd):
                stuck[-1].add(name)
    except OSError:
        pass
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        os.rmdir(path)


def _entries(dir_fd: int) -> list[tuple[str, bool]]:
    try:
        with os.scandir(dir_fd) as it:
            return [(e.name, e.is_dir(follow_symlinks=False)) for e in it]
    except OSError:
        return []


def _quietly(call, *args, **kwargs) -> bool:
    try:
        call(*args, **kwargs)
    except OSError:
        return False
    return True


def _signal_name(returncode: int | None) -> str | None:
    if returncode is None or returncode >= 0:
        return None
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def _exited(pid: int) -> bool:
    """Whether the child has ended, without reaping it (its pid, and so its group, stays ours till then)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _start(argv: list[str], workdir: Path, env: dict, status_fd: int | None) -> tuple[subprocess.Popen, float]:
    """Start the child in its own session, with only the status channel beyond stdin, stdout and stderr."""
    pass_fds = () if status_fd is None else (status_fd,)
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=workdir,
        env=env,
        pass_fds=pass_fds,
        close_fds=True,
        start_new_session=True,  # its own process group and session, away from the server's terminal
    )
    return proc, start


def _supervise(
    proc: subprocess.Popen, start: float, limits: Limits, workdir: Path, status_r: int | None
) -> tuple[Completed, bytes]:
    """Pump the output, enforce wall time, output and disk, kill the group, reap; (Completed, status bytes)."""
    tails = {"stdout": bytearray(), "stderr": bytearray()}
    status_buf = bytearray()
    total = 0
    killed_by = None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, "stdout")
    sel.register(proc.stderr, selectors.EVENT_READ, "stderr")
    if status_r is not None:
        sel.register(status_r, selectors.EVENT_READ, "status")
    deadline = start + limits.wall_seconds
    next_disk_check = start + 0.25
    try:
        while True:
            now = time.perf_counter()
            if now >= deadline:
                killed_by = "wall time"
                break
            if not sel.get_map():  # every pipe closed: wait for the process itself
                if _exited(proc.pid):
                    break
                time.sleep(min(0.02, deadline - now))
            else:
                for key, _ in sel.select(timeout=min(0.25, max(0.0, deadline - now))):
                    fd = key.fd
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        sel.unregister(key.fileobj)
                        continue
                    if key.data == "status":
                        status_buf += chunk[: 65536 - len(status_buf)]
                        continue
                    total += len(chunk)
                    tail = tails[key.data]
                    tail += chunk
                    del tail[:-TAIL_BYTES]
                if total > limits.output_bytes:
                    killed_by = "output limit"
                    break
            if now >= next_disk_check:
                next_disk_check = now + 0.25
                used = _disk_bytes(workdir, limits.disk_bytes)
                if used <= limits.disk_bytes:
                    used += _held_bytes(proc.pid, workdir)
                if used > limits.disk_bytes:
                    killed_by = "disk limit"
                    break
    finally:
        sel.close()
        # The child is not reaped yet, so its pid (and process group id) cannot have been reused.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            proc.kill()
        returncode = proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    seconds = time.perf_counter() - start
    if killed_by is None and returncode == -signal.SIGXCPU:
        killed_by = "cpu time"
    elif killed_by is None:
        killed_by = _signal_name(returncode)
    sandbox_killed = killed_by in ("wall time", "output limit", "disk limit")
    done = Completed(
        returncode=None if sandbox_killed else returncode,
        timed_out=killed_by in ("wall time", "cpu time"),
        seconds=seconds,
        stdout_tail=tails["stdout"].decode("utf-8", errors="replace"),
        stderr_tail=tails["stderr"].decode("utf-8", errors="replace"),
        killed_by=killed_by,
        output_truncated=total > 2 * TAIL_BYTES or killed_by == "output limit",
        output_bytes=total,
    )
    return done, bytes(status_buf)


def _config(workdir: Path, limits: Limits, status_fd: int, simulate_missing: list[str]) -> dict:
    return {
        "workdir": str(workdir),
        "parent": os.getpid(),
        "status_fd": status_fd,
        "limits": asdict(limits),
        "read_files": [str(RUNNER), str(LOCKDOWN)],
        "simulate_missing": simulate_missing,
    }


def _simulated_missing() -> list[str]:
    """``GRADER_SANDBOX_SIMULATE_MISSING=landlock,seccomp`` (tests): can only make the sandbox refuse."""
    return [s.strip() for s in os.environ.get("GRADER_SANDBOX_SIMULATE_MISSING", "").split(",") if s.strip()]


def _run_locked(argv: list[str], workdir: Path, limits: Limits, env: dict | None) -> tuple[Completed, dict]:
    with _CHILDREN.take(CHILD_WAIT):  # the cap is on children, across every grading of this process
        return _run_locked_now(argv, workdir, limits, env)


def _run_locked_now(argv: list[str], workdir: Path, limits: Limits, env: dict | None) -> tuple[Completed, dict]:
    workdir = Path(workdir).resolve()
    status_r, status_w = os.pipe()
    try:
        child_env = clean_env(workdir, env)
        child_env[CONFIG_VARIABLE] = json.dumps(_config(workdir, limits, status_w, _simulated_missing()))
        proc, start = _start(argv, workdir, child_env, status_w)
    except BaseException:
        os.close(status_r)
        raise
    finally:
        os.close(status_w)
    try:
        done, raw = _supervise(proc, start, limits, workdir, status_r)
    finally:
        os.close(status_r)
    try:
        report = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        report = {"ok": False, "reason": "the sandbox's status channel sent something unreadable"}
    if report is None:
        if done.timed_out:  # the child never reached the lockdown in time: nothing of the learner's ran
            return done, {}
        last = done.stderr_tail.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise SandboxUnavailable(
            f"The sandboxed process ended before it could lock itself down ({last[0]}). "
            "Nothing of the submitted code ran."
        )
    if not report.get("ok"):
        raise SandboxUnavailable(_reason(report.get("reason", "unknown")))
    done.tier = report.get("tier")
    return done, report


def _reason(detail: str) -> str:
    return (
        f"Code cannot be graded on this server: the sandbox cannot be set up ({detail}). Nothing was run. "
        "Grading needs Linux with Landlock and seccomp-bpf (Linux 5.13+, 'landlock' in the kernel's lsm= "
        "list; in Docker or Kubernetes, the runtime's default seccomp profile, not a stricter one). Learners can "
        "grade their own file on their own computer with: python -m grader FILE --no-sandbox."
    )


def run(argv: list[str], *, workdir: Path, limits: Limits, env: dict | None = None) -> Completed:
    """Run ``argv`` (a ``python -I .../_runner.py ...`` line) sandboxed, with ``workdir`` as its cwd and
    only writable folder, once one of the :func:`max_children` places of this process is free (:class:`Busy`
    after :data:`CHILD_WAIT` s). Raises :class:`SandboxUnavailable` when the sandbox cannot be set up (or the
    teacher turned grading off); never runs anything unsandboxed. ``env``: extra variables for the child."""
    ok, why = enabled()
    if not ok:
        raise SandboxUnavailable(why)
    st = status()
    if not st.ok:
        raise SandboxUnavailable(st.reason)
    done, _ = _run_locked(argv, workdir, limits, env)
    return done


def run_unsandboxed(argv: list[str], *, workdir: Path, limits: Limits, env: dict | None = None) -> Completed:
    """For ``python -m grader --no-sandbox`` only: the same child with rlimits but no lockdown.

    A learner grading their own file on their own computer (macOS has no Landlock or seccomp) needs it;
    the server never calls it."""
    workdir = Path(workdir).resolve()
    child_env = clean_env(workdir, env)
    child_env[CONFIG_VARIABLE] = json.dumps({"off": True, "limits": asdict(limits)})
    with _CHILDREN.take(CHILD_WAIT):
        proc, start = _start(argv, workdir, child_env, None)
        done, _ = _supervise(proc, start, limits, workdir, None)
    done.tier = "none (--no-sandbox)"
    return done


# --- what this machine offers ------------------------------------------------------------------------------


_STATUS_LOCK = threading.Lock()
_STATUS: list[Status] = []  # the one definitive answer of this process, once probed


def status() -> Status:
    """What this process can use, found by locking a throwaway child down and trying what must fail.

    Cached for the life of the process (``status.cache_clear()`` probes again), except a probe that
    did not finish in time (a machine busy for a moment), which is tried again next time."""
    with _STATUS_LOCK:
        if _STATUS:
            return _STATUS[0]
        found, definitive = _probe()
        if definitive:
            _STATUS.append(found)
        return found


def _clear_status() -> None:
    with _STATUS_LOCK:
        _STATUS.clear()


status.cache_clear = _clear_status


def _probe() -> tuple[Status, bool]:
    if not sys.platform.startswith("linux"):
        return Status(False, "none", {"linux": False}, _reason(f"this is {sys.platform}, not Linux")), True
    probe_limits = Limits(wall_seconds=30.0, cpu_seconds=30, memory_mb=1024)
    with scratch(prefix="grader-probe-") as tmp:
        workdir = tmp / "probe"
        workdir.mkdir()
        try:
            done, report = _run_locked([sys.executable, "-I", str(LOCKDOWN), "probe"], workdir, probe_limits, None)
        except SandboxUnavailable as exc:
            return Status(False, "none", {}, exc.reason), True
        except OSError as exc:
            return Status(False, "none", {}, _reason(f"the probe could not be started: {exc}")), False
    if not report:
        return Status(False, "none", {}, _reason("the probe did not finish in time")), False
    try:
        line = done.stdout_tail.strip().splitlines()[-1]
        checks = json.loads(line)["checks"]
    except (IndexError, KeyError, json.JSONDecodeError):
        return Status(False, "none", {}, _reason(f"the probe did not report ({done.stderr_tail.strip()[-300:]})")), True
    facilities = {**report.get("facilities", {}), **checks}
    failed = [name for name, result in checks.items() if result is not True]
    if failed:
        detail = "; ".join(f"{name}: {checks[name]}" for name in failed)
        return Status(False, report.get("tier", "none"), facilities, _reason(f"the probe found holes: {detail}")), True
    return Status(True, report["tier"], facilities, None), True


def stage(solution: str | os.PathLike, workdir: Path) -> str:
    """Copy the learner's file into ``workdir/solution/`` (the child may read nothing outside its folder);
    returns the path the child loads."""
    target = Path(workdir) / "solution" / Path(solution).name
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(solution, target)
    return str(target)

"""The child's side of the sandbox: what a grading child does to itself before it loads a learner's file.

:mod:`grader.sandbox` starts ``python -I grader/_runner.py ...`` with the sandbox's settings in the
environment variable ``GRADER_SANDBOX`` (JSON) and the write end of a pipe, the *status channel*. The
runner calls :func:`enter` after importing NumPy and before anything of the learner's runs; :func:`enter`

1. asks for ``SIGKILL`` when the grader's thread that started it goes away (``PR_SET_PDEATHSIG``), and
   stops at once if that already happened;
2. lowers its CPU priority (nice 10: the explainer's pages come first), asks to be the first process the
   kernel ends if the container runs out of memory (``oom_score_adj`` 1000: the server is spared), and sets the
   resource limits (``RLIMIT_AS``, ``CPU``, ``FSIZE``, ``NOFILE``, ``NPROC``, ``CORE`` = 0, ``MEMLOCK`` = 0,
   ``MSGQUEUE`` = 0);
3. drops every capability if it runs as root (CI here): root without capabilities is an ordinary user
   to the kernel's permission checks, and the Landlock and seccomp layers below hold for root as well;
4. enforces a Landlock ruleset (``landlockpy``) with ``no_new_privs``: read-only access to the standard
   library (its site-packages excepted), NumPy's package and its bundled libraries, and the runner's own
   two files; read-write access to the files of the scratch directory only (no folders made or removed in
   it); every TCP bind and connect refused
   (ABI 4+); signals and abstract unix sockets scoped to the sandbox (ABI 6+);
5. loads a seccomp-bpf filter (libseccomp through ``pyseccomp``) that *allows* a list of system calls
   that Python and NumPy need and refuses every other with ``EPERM``: no ``execve``/``execveat``, no
   ``fork``/``vfork``, ``clone`` only with ``CLONE_THREAD`` (a thread), ``clone3`` answers ``ENOSYS``
   so that glibc falls back to ``clone``, no sockets at all, ``kill``/``tgkill``/``rt_*sigqueueinfo``
   only to its own pid, ``fcntl`` and ``ioctl`` only with the commands of :data:`FCNTL_COMMANDS` and
   :data:`IOCTL_REQUESTS` (none of those that make another process a file's owner, which the kernel would
   signal: on Landlock ABI < 6 this is what keeps signals in), ``prctl`` only to read
   (:data:`PRCTL_OPTIONS`: the parent-death signal cannot be turned off), ``prlimit64`` only to read its own limits,
   no ``ptrace``, ``process_vm_*``, ``pidfd_*``, ``mount``, namespaces, ``io_uring``, ``bpf``,
   ``perf_event_open``, ``userfaultfd``, SysV IPC, keyrings;
6. writes one JSON line on the status channel (``{"ok": true, "tier": ..., "facilities": {...}}``, or
   ``{"ok": false, "reason": ...}`` and exits with status 70) and closes it, so that nothing the learner's
   code writes can be taken for the sandbox's word.

Nothing here falls back: a facility that is missing or refused makes :func:`enter` report and exit.
Run as a script (``python -I _lockdown.py probe``), it locks itself down the same way and then tries the
things the sandbox must refuse, for :func:`grader.sandbox.status`. Standard library, NumPy, ``landlockpy``
and ``pyseccomp`` only: it runs in isolated mode, without the rest of the package.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import resource
import signal
import sys

__all__ = [
    "CONFIG_VARIABLE",
    "EXIT_UNAVAILABLE",
    "enter",
    "ALLOWED_SYSCALLS",
    "FCNTL_COMMANDS",
    "IOCTL_REQUESTS",
    "PRCTL_OPTIONS",
]

CONFIG_VARIABLE = "GRADER_SANDBOX"
EXIT_UNAVAILABLE = 70  # EX_SOFTWARE: the sandbox could not be set up; nothing of the learner's ran

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
PR_GET_NO_NEW_PRIVS = 39
CLONE_THREAD = 0x00010000
F_SETOWN_EX, F_OWNER_PID, FIOSETOWN = 15, 1, 0x8901  # not in Python's fcntl module
SYS_CAPSET_X86_64 = 126
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
NICE = 10
OOM_SCORE_ADJ = 1000  # the most: under memory pressure the kernel ends a grading child before anything else

#: System calls the child may make (after the lockdown; NumPy is already imported). Any other answers EPERM.
#: The ones with conditions on their arguments are added in :func:`_seccomp` (clone, kill, tgkill,
#: rt_sigqueueinfo, rt_tgsigqueueinfo, prlimit64, and fcntl and ioctl with the commands below); clone3 answers
#: ENOSYS.
ALLOWED_SYSCALLS = (
    # files, through Landlock's rules
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
    "open", "openat", "openat2", "close", "close_range", "creat",
    "stat", "fstat", "lstat", "newfstatat", "statx", "statfs", "fstatfs", "lseek",
    "access", "faccessat", "faccessat2", "getdents", "getdents64", "getcwd", "chdir", "fchdir",
    "readlink", "readlinkat", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat",
    "rename", "renameat", "renameat2", "ftruncate", "fsync", "fdatasync", "fallocate", "fadvise64",
    "readahead", "copy_file_range", "sendfile", "splice", "tee", "umask",
    "flock", "dup", "dup2", "dup3", "pipe", "pipe2",
    "poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait",
    "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2",
    # memory
    "mmap", "munmap", "mprotect", "mremap", "madvise", "brk", "msync", "mincore",
    # threads, time, identity
    "futex", "futex_waitv", "set_robust_list", "get_robust_list", "rseq", "set_tid_address",
    "sched_yield", "sched_getaffinity", "sched_getparam", "sched_getscheduler", "sched_getattr",
    "getpriority", "nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres", "gettimeofday", "time",
    "getrusage", "times", "getrlimit", "getpid", "gettid", "getppid", "getuid", "geteuid", "getgid",
    "getegid", "getgroups", "getresuid", "getresgid", "getpgrp", "uname", "sysinfo", "getrandom",
    "getcpu", "membarrier", "capget", "arch_prctl",
    # signals to itself (kill and tgkill are checked below)
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigtimedwait", "rt_sigsuspend",
    "sigaltstack", "restart_syscall", "alarm", "setitimer", "getitimer", "timer_create", "timer_settime",
    "timer_gettime", "timer_getoverrun", "timer_delete", "timerfd_create", "timerfd_settime",
    "timerfd_gettime", "signalfd", "signalfd4", "pause",
    # ending
    "exit", "exit_group", "wait4", "waitid",
)  # fmt: skip


#: The fcntl commands the child may use (its argument 1, compared as 64 bits: a command with high bits set, which
#: the kernel would cut to 32, matches none). Left out, so EPERM: F_SETOWN (8), F_SETSIG (10), F_SETOWN_EX (15)
#: and F_GETOWN*, which make the kernel signal a file's owner, any process of the user (as root, any process),
#: when the file becomes readable; F_SETLEASE (1024) and F_NOTIFY (1026), which signal too; F_SETPIPE_SZ (1031).
FCNTL_COMMANDS = {
    "F_DUPFD": 0, "F_GETFD": 1, "F_SETFD": 2, "F_GETFL": 3, "F_SETFL": 4, "F_GETLK": 5, "F_SETLK": 6, "F_SETLKW": 7,
    "F_OFD_GETLK": 36, "F_OFD_SETLK": 37, "F_OFD_SETLKW": 38,
    "F_DUPFD_CLOEXEC": 1030, "F_GETPIPE_SZ": 1032, "F_ADD_SEALS": 1033, "F_GET_SEALS": 1034,
}  # fmt: skip

#: The ioctl requests the child may make (argument 1, 64 bits): what Python's ``isatty``, ``get_terminal_size``,
#: ``set_blocking`` and ``set_inheritable`` use. Left out, among every other: FIOSETOWN and SIOCSPGRP (a socket's
#: owner, the same signal path as F_SETOWN) and TIOCSTI (typing into a terminal).
IOCTL_REQUESTS = {
    "TCGETS": 0x5401, "TIOCGWINSZ": 0x5413, "FIONREAD": 0x541B, "FIONBIO": 0x5421, "FIONCLEX": 0x5450,
    "FIOCLEX": 0x5451,
}  # fmt: skip

#: The prctl options the child may use (argument 0): reading only. Left out, among every other: PR_SET_PDEATHSIG
#: (with 0 the child would outlive a grader that was killed), PR_SET_DUMPABLE, PR_SET_PTRACER,
#: PR_SET_CHILD_SUBREAPER. CPython and NumPy make no prctl call once the lockdown is in place.
PRCTL_OPTIONS = {
    "PR_GET_DUMPABLE": 3, "PR_GET_NAME": 16, "PR_GET_SECCOMP": 21, "PR_CAPBSET_READ": 23, "PR_GET_NO_NEW_PRIVS": 39,
}  # fmt: skip

#: The calls allowed only with the arguments above and in :func:`_seccomp`.
CONDITIONAL_SYSCALLS = (
    "clone", "kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "prlimit64", "fcntl", "ioctl", "prctl",
)  # fmt: skip

_NO_LANDLOCK = (
    "the kernel does not offer Landlock ({}): it needs Linux 5.13 or later with 'landlock' in its lsm= list, "
    "and a seccomp profile that allows the landlock_* calls"
)


class Unavailable(Exception):
    """A facility the sandbox needs is missing or was refused; the message says which, for a person."""


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.restype = ctypes.c_int
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    libc.syscall.restype = ctypes.c_long
    return libc


def _fail(what: str) -> Unavailable:
    err = ctypes.get_errno()
    return Unavailable(f"{what} ({os.strerror(err)})" if err else what)


def _missing(config: dict, facility: str) -> bool:
    """Tests simulate a missing facility this way; it can only make the sandbox refuse, never weaken it."""
    return facility in config.get("simulate_missing", ())


# --- the steps ---------------------------------------------------------------------------------------


def _parent_death(libc, parent: int) -> None:
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise _fail("prctl(PR_SET_PDEATHSIG) was refused")
    if os.getppid() != parent:  # the grader went away before the line above: nobody is waiting for us
        os._exit(EXIT_UNAVAILABLE)


def _first_to_go() -> int | None:
    """Raise this process's ``oom_score_adj`` (any process may raise its own); None where ``/proc`` refuses.
    Not a wall, so not a reason to refuse: the memory limits are ``RLIMIT_AS`` and the count of children."""
    try:
        with open("/proc/self/oom_score_adj", "w", encoding="ascii") as fh:
            fh.write(str(OOM_SCORE_ADJ))
    except OSError:
        return None
    return OOM_SCORE_ADJ


def _rlimits(limits: dict) -> None:
    cpu = int(limits["cpu_seconds"])
    wanted = {
        resource.RLIMIT_AS: int(limits["memory_mb"]) * 1024 * 1024,
        resource.RLIMIT_CPU: (cpu, cpu + 1),  # SIGXCPU first (reported as a time-out), SIGKILL a second later
        resource.RLIMIT_FSIZE: int(limits["file_bytes"]),
        resource.RLIMIT_NOFILE: int(limits["open_files"]),
        resource.RLIMIT_NPROC: int(limits["processes"]),
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_MEMLOCK: 0,
        resource.RLIMIT_MSGQUEUE: 0,
    }
    for which, value in wanted.items():
        soft, hard = value if isinstance(value, tuple) else (value, value)
        _, current_hard = resource.getrlimit(which)
        if current_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, current_hard), min(hard, current_hard)
        try:
            resource.setrlimit(which, (soft, hard))
        except (ValueError, OSError) as exc:
            raise Unavailable(f"the resource limit {which} could not be set ({exc})") from None


def _drop_capabilities(libc) -> bool:
    """Root (CI here) gives up every capability; returns whether there was any to drop."""
    if os.geteuid() != 0 and os.getuid() != 0:
        return False

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    header, data = Header(_LINUX_CAPABILITY_VERSION_3, 0), (Data * 2)()
    if os.uname().machine != "x86_64":
        raise Unavailable(f"dropping root's capabilities is only written for x86_64, not {os.uname().machine}")
    if libc.syscall(SYS_CAPSET_X86_64, ctypes.byref(header), ctypes.byref(data)) != 0:
        raise _fail("capset() could not drop root's capabilities")
    return True


def _tools(config: dict):
    """Import the two bindings and ask the kernel for its Landlock ABI, before any limit or rule is set
    (they find libc and libseccomp with ``ctypes.util``, which may start ``ldconfig``)."""
    if _missing(config, "landlock"):
        raise Unavailable("the kernel does not offer Landlock (simulated)")
    if _missing(config, "seccomp"):
        raise Unavailable("the kernel does not offer seccomp-bpf (simulated)")
    try:
        import landlockpy
    except ImportError as exc:
        raise Unavailable(f"the Python package landlockpy is not installed ({exc})") from None
    try:
        import pyseccomp
    except (ImportError, RuntimeError) as exc:  # RuntimeError: libseccomp.so.2 not found
        raise Unavailable(f"libseccomp (Debian's libseccomp2) and pyseccomp are needed ({exc})") from None
    try:
        abi = landlockpy.abi_version()
    except OSError as exc:
        raise Unavailable(_NO_LANDLOCK.format(exc.strerror)) from None
    if not isinstance(abi, int) or abi < 1:  # landlockpy answers 0 for ENOSYS and EOPNOTSUPP rather than raising
        raise Unavailable(_NO_LANDLOCK.format(f"Landlock ABI {abi}")) from None
    with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
        has_seccomp = "Seccomp:" in fh.read()
    if not has_seccomp:
        raise Unavailable("the kernel does not offer seccomp (no Seccomp line in /proc/self/status)")
    return landlockpy, pyseccomp, abi


def _landlock(landlockpy, abi: int, config: dict) -> dict:
    from landlockpy import AccessFS, AccessNet, Scope

    read = AccessFS.READ_FILE | AccessFS.READ_DIR
    # Files only: neither the runner nor a course function makes folders, and a chain of thousands of nested ones
    # would outlast the grader's cleanup and escape the disk limit's count.
    write = read | AccessFS.WRITE_FILE | AccessFS.MAKE_REG | AccessFS.REMOVE_FILE | AccessFS.TRUNCATE
    stdlib = os.path.dirname(os.__file__)
    numpy_dir = os.path.dirname(sys.modules["numpy"].__file__)
    readable = [os.path.join(stdlib, name) for name in sorted(os.listdir(stdlib))]
    readable = [p for p in readable if os.path.basename(p) not in ("site-packages", "dist-packages")]
    readable += [numpy_dir, numpy_dir + ".libs", *config.get("read_files", ())]
    with landlockpy.Ruleset(
        handled_net=AccessNet.BIND_TCP | AccessNet.CONNECT_TCP,
        scoped=Scope.ABSTRACT_UNIX_SOCKET | Scope.SIGNAL,
    ) as ruleset:
        ruleset.allow_path(stdlib, AccessFS.READ_DIR)  # listing it (imports do), not reading site-packages
        for path in readable:
            if os.path.exists(path):
                is_dir = os.path.isdir(path)
                ruleset.allow_path(path, read if is_dir else AccessFS.READ_FILE)
        ruleset.allow_path(config["workdir"], write)
        ruleset.restrict()  # sets no_new_privs first
        return {
            "landlock": f"ABI {abi}",
            "landlock_network": bool(ruleset.handled_net),
            "landlock_scopes": bool(ruleset.scoped),
        }


def _seccomp(seccomp) -> str:
    pid = os.getpid()
    eq = seccomp.EQ
    try:
        f = seccomp.SyscallFilter(seccomp.ERRNO(errno.EPERM))
        f.set_attr(seccomp.Attr.CTL_TSYNC, 1)
        for name in ALLOWED_SYSCALLS:
            number = seccomp.resolve_syscall(seccomp.Arch.NATIVE, name)
            if number >= 0:  # a name this architecture does not have cannot be called either
                f.add_rule(seccomp.ALLOW, number)
        f.add_rule(seccomp.ALLOW, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_THREAD, CLONE_THREAD))
        f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")  # glibc then uses clone, whose flags we can see
        for name in ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
            f.add_rule(seccomp.ALLOW, name, seccomp.Arg(0, eq, pid))
        f.add_rule(seccomp.ALLOW, "prlimit64", seccomp.Arg(0, eq, 0), seccomp.Arg(2, eq, 0))  # read only
        # An allow-list of commands, not a deny-list: libseccomp compares all 64 bits of an argument, the kernel
        # only the low 32 of these, so a denied command with high bits set would pass a deny-list.
        for name, allowed, position in (
            ("fcntl", FCNTL_COMMANDS, 1),
            ("ioctl", IOCTL_REQUESTS, 1),
            ("prctl", PRCTL_OPTIONS, 0),
        ):
            for value in allowed.values():
                f.add_rule(seccomp.ALLOW, name, seccomp.Arg(position, eq, value))
        f.load()
    except OSError as exc:
        raise Unavailable(f"the seccomp-bpf filter could not be loaded ({exc.strerror or exc})") from None
    return (
        f"allow-list of {len(ALLOWED_SYSCALLS)} system calls and {len(CONDITIONAL_SYSCALLS)} more with conditions "
        "on their arguments, EPERM for the rest"
    )


def _only_thread() -> None:
    # Landlock (before ABI 8) binds the calling thread only: another thread would stay free.
    if len(os.listdir("/proc/self/task")) != 1:
        raise Unavailable("the child already runs other threads (set OPENBLAS_NUM_THREADS=1)")


def enter(config: dict) -> dict:
    """Lock this process down (see the module docstring); returns ``{"tier": ..., "facilities": ...}``.

    Raises :class:`Unavailable` when a step cannot be done; the caller reports it and exits.
    """
    libc = _libc()
    facilities: dict = {}
    _parent_death(libc, int(config["parent"]))
    facilities["parent_death_signal"] = True
    landlockpy, pyseccomp, abi = _tools(config)
    _only_thread()
    os.setpriority(os.PRIO_PROCESS, 0, NICE)
    facilities["nice"] = NICE
    facilities["oom_score_adj"] = _first_to_go()
    _rlimits(config["limits"])
    facilities["rlimits"] = True
    facilities["capabilities_dropped"] = _drop_capabilities(libc)
    facilities.update(_landlock(landlockpy, abi, config))
    if libc.prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1:
        raise _fail("no_new_privs is not set")
    facilities["no_new_privs"] = True
    facilities["seccomp"] = _seccomp(pyseccomp)
    tier = "lockdown: no_new_privs + Landlock " + facilities["landlock"] + " + seccomp-bpf + rlimits"
    return {"tier": tier, "facilities": facilities}


def report(status_fd: int, message: dict) -> None:
    """One JSON line on the status channel, then the channel is closed for good."""
    with os.fdopen(status_fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(message) + "\n")


def enter_or_exit(config: dict) -> dict:
    """:func:`enter`, reporting on the status channel; on failure the process exits here."""
    status_fd = int(config["status_fd"])
    try:
        done = enter(config)
    except Unavailable as exc:
        report(status_fd, {"ok": False, "reason": str(exc)})
        os._exit(EXIT_UNAVAILABLE)
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, nothing of the learner's may run
        report(status_fd, {"ok": False, "reason": f"the lockdown failed: {type(exc).__name__}: {exc}"})
        os._exit(EXIT_UNAVAILABLE)
    report(status_fd, {"ok": True, **done})
    return done


# --- the probe: lock down, then try what must be refused ------------------------------------------------


def _refused(action) -> bool | str:
    try:
        action()
    except PermissionError:
        return True
    except OSError as exc:  # EPERM/EACCES are PermissionError; anything else is not a refusal
        return f"{type(exc).__name__}: {exc}"
    return False


def _checked(result: int) -> None:
    """A libc call's result as Python would give it: ``OSError`` with errno when it failed."""
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _probe(config: dict) -> dict:
    import fcntl
    import socket
    import struct
    import threading

    import numpy as np

    workdir = config["workdir"]
    outside = os.path.dirname(os.path.abspath(workdir))

    def fork():
        pid = os.fork()
        if pid == 0:
            os._exit(0)

    def thread():
        box = []
        t = threading.Thread(target=lambda: box.append(int(np.arange(4).sum())))
        t.start()
        t.join()
        return box == [6]

    def write_inside():
        with open(os.path.join(workdir, "probe.npy"), "wb") as fh:
            np.save(fh, np.ones(3), allow_pickle=False)
        return float(np.load(os.path.join(workdir, "probe.npy")).sum()) == 3.0

    def owner(command, arg):  # make the grader the owner of a pipe, which the kernel signals when it is readable
        r, w = os.pipe()
        try:
            (fcntl.ioctl if command == FIOSETOWN else fcntl.fcntl)(r, command, arg)
        finally:
            os.close(r)
            os.close(w)

    parent = int(config["parent"])
    checks = {
        "exec refused": _refused(lambda: os.execv("/bin/true", ["true"])),
        "fork refused": _refused(fork),
        "socket refused": _refused(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
        "unix socket refused": _refused(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)),
        "signal to the parent refused": _refused(lambda: os.kill(parent, 0)),
        "F_SETOWN refused": _refused(lambda: owner(fcntl.F_SETOWN, parent)),
        "F_SETOWN_EX refused": _refused(lambda: owner(F_SETOWN_EX, struct.pack("ii", F_OWNER_PID, parent))),
        "F_SETSIG refused": _refused(lambda: owner(fcntl.F_SETSIG, signal.SIGKILL)),
        "ioctl FIOSETOWN refused": _refused(lambda: owner(FIOSETOWN, struct.pack("i", parent))),
        "turning the parent-death signal off refused": _refused(
            lambda: _checked(_libc().prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0))
        ),
        "/etc refused": _refused(lambda: open("/etc/passwd", "rb").close()),
        "reading beside the scratch folder refused": _refused(lambda: os.listdir(outside)),
        "writing beside the scratch folder refused": _refused(lambda: open(os.path.join(outside, "x"), "wb")),
        "writing in the scratch folder works": write_inside(),
        "a thread works": thread(),
    }
    return checks


def _main(argv: list[str]) -> int:
    import numpy  # noqa: F401 - imported before the lockdown, as the runner does

    config = json.loads(os.environ.pop(CONFIG_VARIABLE))
    done = enter_or_exit(config)
    if argv[:1] == ["probe"]:
        checks = _probe(config)
        print(json.dumps({**done, "checks": checks}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

"""Load test: N simulated students on one ``streamlit run app.py``, over Streamlit's own websocket protocol.

Run from the project root:

    .venv/bin/python benchmarks/load_test.py                        # 10, 30 and 60 sessions, 45 s each
    .venv/bin/python benchmarks/load_test.py --think 5 15 --duration 60   # classroom pace
    .venv/bin/python benchmarks/load_test.py --replicas 2            # two server processes, students spread
    .venv/bin/python benchmarks/load_test.py --warm                  # every page opened once before the class
    .venv/bin/python benchmarks/load_test.py --worst                 # the heaviest single request of each page

Each simulated student is one websocket session that runs the real script on the server, as a browser tab
does (``benchmarks/_ws_client.py`` speaks the protobuf protocol that ships inside ``streamlit``). All
students open the app at the same moment, then loop until the time is up: change the stride, change the
padding, switch to another page, rerun; with a think time drawn between ``--think MIN MAX`` seconds after
each action. Everything is bounded: a loopback port only, at most ``--max-sessions`` sessions, ``--duration``
seconds per level, ``--timeout`` seconds per run, and the server is stopped at the end.

For each level it prints: script reruns per second; p50 / p95 / p99 of the time from a widget change (or a
page switch) to the rerun finishing (``script_finished`` received); errors (exceptions on the page, runs that
did not finish, dropped connections); server memory (RSS) and its growth per session; server CPU use.
Figures only: nothing here is asserted (the smoke test in ``tests/test_load_smoke.py`` asserts no errors).

By default every level starts its own fresh server (so RSS per session is measured from a clean baseline,
and caches start cold, as on a classroom server that was just started).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from benchmarks._ws_client import connect  # noqa: E402

__all__ = [
    "LevelResult",
    "run_level",
    "running_server",
    "running_servers",
    "warm_up",
    "worst_requests",
    "server_rss",
    "main",
]

DEFAULT_PAGES = ["", "forward", "flip", "matrix", "transposed", "weights", "pooling", "symbolic", "mistakes"]
ACTIONS = ("stride", "pad", "page", "rerun")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(
    extra_args: list[str] | None = None, timeout: float = 60, log_path: Path | None = None, script: str = "app.py"
):
    """``streamlit run SCRIPT`` (the app by default) on a free loopback port (the repository's
    .streamlit/config.toml applies).

    Yields ``(port, process)``; the server is terminated (then killed) on exit.
    """
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true", *(extra_args or [])]
    log = open(log_path or os.devnull, "w")  # noqa: SIM115
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start on port {port}")
            time.sleep(0.2)
        yield port, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def server_rss(pid: int) -> int:
    """Resident memory of the server process in bytes (``VmRSS`` from /proc)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the server process has used so far (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class LevelResult:
    """What one level of load measured. Latencies in seconds."""

    sessions: int
    duration: float
    reruns: int = 0
    opens: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # widget change or page switch -> script_finished
    by_action: dict[str, list[float]] = field(default_factory=dict)
    by_page: dict[str, list[float]] = field(default_factory=dict)
    open_latencies: list[float] = field(default_factory=list)
    rss_baseline: int = 0
    rss_peak: int = 0
    cpu_seconds: float = 0.0  # all server processes
    client_cpu_seconds: float = 0.0  # this process: the simulated students themselves
    bytes_received: int = 0

    @property
    def reruns_per_second(self) -> float:
        return self.reruns / self.duration if self.duration else 0.0

    def percentile(self, q: float, values: list[float] | None = None) -> float:
        values = sorted(self.latencies if values is None else values)
        if not values:
            return float("nan")
        if len(values) == 1:
            return values[0]
        return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]

    @property
    def rss_per_session(self) -> float:
        return (self.rss_peak - self.rss_baseline) / self.sessions if self.sessions else 0.0

    def summary(self) -> dict:
        out = {
            "sessions": self.sessions,
            "duration_s": round(self.duration, 1),
            "reruns": self.reruns,
            "reruns_per_s": round(self.reruns_per_second, 2),
            "p50_s": round(self.percentile(50), 3),
            "p95_s": round(self.percentile(95), 3),
            "p99_s": round(self.percentile(99), 3),
            "open_p50_s": round(self.percentile(50, self.open_latencies), 3),
            "open_p95_s": round(self.percentile(95, self.open_latencies), 3),
            "errors": self.errors,
            "rss_baseline_mb": round(self.rss_baseline / 2**20, 1),
            "rss_peak_mb": round(self.rss_peak / 2**20, 1),
            "rss_per_session_mb": round(self.rss_per_session / 2**20, 2),
            "server_cpu_percent": round(100 * self.cpu_seconds / self.duration, 0) if self.duration else 0,
            "client_cpu_percent": round(100 * self.client_cpu_seconds / self.duration, 0) if self.duration else 0,
            "mb_received": round(self.bytes_received / 1e6, 1),
        }
        out["p95_by_action_s"] = {k: round(self.percentile(95, v), 3) for k, v in sorted(self.by_action.items())}
        out["p95_by_page_s"] = {
            (k or "home"): round(self.percentile(95, v), 3) for k, v in sorted(self.by_page.items())
        }
        return out


async def _student(
    port: int,
    result: LevelResult,
    rng: random.Random,
    pages: list[str],
    stop_at: float,
    think: tuple[float, float],
    timeout: float,
    start_page: str,
) -> None:
    """One simulated student: open the app, then stride / pad / page / rerun until ``stop_at``."""

    def error(text: str) -> None:
        result.errors += 1
        if len(result.error_samples) < 10:
            result.error_samples.append(text)

    try:
        session = await connect("127.0.0.1", port, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - a refused or timed-out connection is an error to count
        error(f"connect: {type(exc).__name__}: {exc}")
        return
    try:
        run = await session.run(start_page)
        result.opens += 1
        result.reruns += 1
        result.open_latencies.append(run.seconds)
        result.bytes_received += run.bytes
        for text in run.exceptions:
            error(f"open {start_page or 'home'}: {text}")
        step = rng.randrange(len(ACTIONS))
        while time.monotonic() + think[0] < stop_at:
            await asyncio.sleep(rng.uniform(*think))
            if time.monotonic() >= stop_at:
                break
            action = ACTIONS[step % len(ACTIONS)]
            step += 1
            page = None
            if action == "stride" and "stride" in session.widget_ids:
                session.set_number("stride", rng.randint(1, 4))
            elif action == "pad" and "pad" in session.widget_ids:
                session.set_number("pad", rng.randint(0, 3))
            elif action == "page":
                page = rng.choice([p for p in pages if p != session.page] or pages)
            run = await session.run(page)
            result.reruns += 1
            result.bytes_received += run.bytes
            result.latencies.append(run.seconds)
            result.by_action.setdefault(action, []).append(run.seconds)
            result.by_page.setdefault(run.page, []).append(run.seconds)
            for text in run.exceptions:
                error(f"{action} on {run.page or 'home'}: {text}")
    except Exception as exc:  # noqa: BLE001 - timeouts and dropped connections are errors to count
        error(f"{type(exc).__name__}: {exc}")
    finally:
        with contextlib.suppress(Exception):
            await session.close()


async def _run_level_async(servers, sessions, duration, think, timeout, pages, seed) -> LevelResult:
    result = LevelResult(sessions=sessions, duration=duration)
    pids = [pid for _, pid in servers]
    result.rss_baseline = result.rss_peak = sum(server_rss(pid) for pid in pids)
    cpu0 = sum(server_cpu_seconds(pid) for pid in pids)
    client_cpu0 = time.process_time()
    rng = random.Random(seed)
    t0 = time.monotonic()
    stop_at = t0 + duration
    tasks = [  # student i is pinned to server i % n: what a load balancer with sticky sessions does
        asyncio.create_task(
            _student(
                servers[i % len(servers)][0],
                result,
                random.Random(rng.random()),
                pages,
                stop_at,
                think,
                timeout,
                pages[i % len(pages)],
            )
        )
        for i in range(sessions)
    ]
    hard_stop = stop_at + timeout + 10  # a run still going at the end may take up to ``timeout``
    while any(not t.done() for t in tasks) and time.monotonic() < hard_stop:
        await asyncio.sleep(0.5)
        result.rss_peak = max(result.rss_peak, sum(server_rss(pid) for pid in pids))
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    result.duration = time.monotonic() - t0
    result.cpu_seconds = sum(server_cpu_seconds(pid) for pid in pids) - cpu0
    result.client_cpu_seconds = time.process_time() - client_cpu0
    return result


def run_level(
    port: int | list[tuple[int, int]],
    pid: int | None = None,
    sessions: int = 10,
    duration: float = 20.0,
    *,
    think=(1.0, 3.0),
    timeout=30.0,
    pages=None,
    seed: int = 0,
) -> LevelResult:
    """Run ``sessions`` simulated students for ``duration`` s against the server at ``port`` (process ``pid``),
    or against several servers given as ``[(port, pid), ...]`` (students spread over them, each kept on one)."""
    servers = port if isinstance(port, list) else [(port, pid)]
    pages = list(pages or DEFAULT_PAGES)
    return asyncio.run(_run_level_async(servers, sessions, duration, think, timeout, pages, seed))


def _machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {model}"


@contextlib.contextmanager
def running_servers(n: int, extra_args: list[str] | None = None, log_path: Path | None = None):
    """``n`` independent servers (replicas) on their own loopback ports; yields ``[(port, pid), ...]``."""
    with contextlib.ExitStack() as stack:
        servers = []
        for i in range(n):
            log = log_path.with_suffix(f".{i}{log_path.suffix}") if (log_path and n > 1) else log_path
            port, proc = stack.enter_context(running_server(extra_args, log_path=log))
            servers.append((port, proc.pid))
        yield servers


def warm_up(servers: list[tuple[int, int]], pages: list[str], timeout: float = 120) -> None:
    """Open every page once on every server with the default configuration (fills the shared caches)."""

    async def one(port: int) -> None:
        session = await connect("127.0.0.1", port, timeout=timeout)
        try:
            for page in pages:
                await session.run(page)
        finally:
            await session.close()

    for port, _ in servers:
        asyncio.run(one(port))


# The sidebar's extremes: the most cells (7x7 kernel) and the most windows (1x1 kernel, pad 3: 38x38 frames).
_LARGEST = {"h": 32, "w": 32, "cin": 4, "cout": 4, "pad": 3, "kernel": "random", "input": "random integers"}
EXTREMES = [
    _LARGEST | {"kh": 7, "kw": 7},
    _LARGEST | {"kh": 1, "kw": 1},
    _LARGEST | {"kh": 7, "kw": 7, "dilation": 3},  # the widest window: 19 x 19 cells, 49 taps on 4 channels
    _LARGEST | {"kh": 7, "kw": 7, "dilation": 3, "groups": 4},  # depthwise
]
SIDEBAR_KEYS = {"h", "w", "cin", "cout", "kh", "kw", "pad", "stride", "seed", "dilation"}


def worst_requests(port: int, pages: list[str], timeout: float = 300) -> dict[str, tuple[float, int]]:
    """The slowest single run of each page (seconds, largest message in bytes), on a cold cache: every page at
    the sidebar's extremes, then its own number boxes at their minimum and at their maximum."""
    from urllib.parse import urlencode

    async def one(page: str) -> tuple[float, int]:
        slowest, largest = 0.0, 0
        for query in EXTREMES:
            session = await connect("127.0.0.1", port, timeout=timeout)
            try:
                session.query_string = urlencode(query)
                runs = [await session.run(page)]
                for pick in ("min", "max"):
                    for wid, w in session.widgets.items():
                        proto, name = w["proto"], wid.rsplit("-", 1)[-1]
                        if w["type"] == "number_input" and name not in SIDEBAR_KEYS and proto.has_min and proto.has_max:
                            session.set_number(name, int(proto.min if pick == "min" else proto.max))
                    runs.append(await session.run())
            finally:
                await session.close()
            slowest = max([slowest] + [r.seconds for r in runs])
            largest = max([largest] + [r.largest_message for r in runs])
        return slowest, largest

    return {page or "home": asyncio.run(one(page)) for page in pages}


def _loadavg() -> str:
    with contextlib.suppress(OSError), open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])
    return "?"


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[10, 30, 60], help="levels of concurrent sessions")
    parser.add_argument("--duration", type=float, default=45.0, help="seconds per level")
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=[1.0, 3.0],
        metavar=("MIN", "MAX"),
        help="seconds a student waits between actions (uniform)",
    )
    parser.add_argument("--replicas", type=int, default=1, help="server processes, students spread over them")
    parser.add_argument("--warm", action="store_true", help="open every page once before the students come")
    parser.add_argument("--worst", action="store_true", help="only time the heaviest single request of each page")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds one run may take before it is an error")
    parser.add_argument("--pages", nargs="+", default=None, help="url paths of the pages to visit ('' = home)")
    parser.add_argument("--max-sessions", type=int, default=100, help="refuse levels above this")
    parser.add_argument("--reuse-server", action="store_true", help="the same servers for every level (warm caches)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--log", type=Path, default=None, help="the server's log file")
    parser.add_argument("server_args", nargs="*", help="extra arguments for streamlit run (after --)")
    args = parser.parse_args(argv)
    if max(args.sessions) > args.max_sessions or args.duration > 600 or not 1 <= args.replicas <= 8:
        parser.error(f"at most {args.max_sessions} sessions, 600 s per level and 8 replicas")
    pages = list(args.pages or DEFAULT_PAGES)
    if args.worst:
        with running_server(args.server_args, log_path=args.log) as (port, _):
            print(
                f"# heaviest single request per page (cold cache), {time.strftime('%Y-%m-%d %H:%M %Z')}, {_machine()}"
            )
            for page, (seconds, largest) in worst_requests(port, pages).items():
                print(f"{page:>10}: {seconds:6.2f} s, largest message {largest / 1e6:5.2f} MB", flush=True)
        return []

    print(
        f"# load test, {time.strftime('%Y-%m-%d %H:%M %Z')}, {_machine()}; {args.replicas} server process(es); "
        f"think {args.think[0]}-{args.think[1]} s; {args.duration:.0f} s per level; caches "
        f"{'warmed' if args.warm else 'cold'} at start"
    )
    print(
        f"{'sessions':>8} {'reruns/s':>9} {'p50 s':>7} {'p95 s':>7} {'p99 s':>7} {'errors':>6} "
        f"{'RSS MB':>7} {'MB/session':>10} {'CPU %':>6} {'client %':>8} {'load avg':>15}"
    )
    results = []
    shared = running_servers(args.replicas, args.server_args, args.log) if args.reuse_server else None
    shared_servers = shared.__enter__() if shared else None
    try:
        for level in args.sessions:
            ctx = (
                contextlib.nullcontext(shared_servers)
                if shared
                else running_servers(args.replicas, args.server_args, args.log)
            )
            with ctx as servers:
                if args.warm:
                    warm_up(servers, pages)
                time.sleep(1.0)  # let the servers settle before the baseline RSS
                load_before = _loadavg()
                res = run_level(
                    servers,
                    sessions=level,
                    duration=args.duration,
                    think=tuple(args.think),
                    timeout=args.timeout,
                    pages=pages,
                    seed=args.seed + level,
                )
                load_after = _loadavg()
            s = res.summary() | {"replicas": args.replicas, "loadavg_before": load_before, "loadavg_after": load_after}
            results.append(s | {"error_samples": res.error_samples})
            print(
                f"{level:>8} {s['reruns_per_s']:>9.2f} {s['p50_s']:>7.3f} {s['p95_s']:>7.3f} {s['p99_s']:>7.3f} "
                f"{s['errors']:>6} {s['rss_peak_mb']:>7.0f} {s['rss_per_session_mb']:>10.2f} "
                f"{s['server_cpu_percent']:>6.0f} {s['client_cpu_percent']:>8.0f} {load_after.split()[0]:>15}",
                flush=True,
            )
            print(
                f"         p95 by action: {s['p95_by_action_s']}; by page: {s['p95_by_page_s']}; "
                f"opening the app: p50 {s['open_p50_s']} s, p95 {s['open_p95_s']} s",
                flush=True,
            )
            for text in res.error_samples:
                print(f"         error: {text}", flush=True)
    finally:
        if shared:
            shared.__exit__(None, None, None)
    if args.json:
        args.json.write_text(
            json.dumps(
                {"machine": _machine(), "date": time.strftime("%Y-%m-%d"), "think_s": args.think, "levels": results},
                indent=2,
            )
        )
    return results


if __name__ == "__main__":
    main()

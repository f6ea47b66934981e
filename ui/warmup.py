"""Fill the shared caches once per server process, in the background, by opening every page at its defaults.

A page's first run at a configuration nobody has opened yet computes its traces and figures; later runs, in any
session, find them in the caches. When a class opens the link the teacher sent, the first students therefore wait
for the work everybody else then reuses. The first script run of the process (the first visitor, or a health-checking
load balancer's first page view) starts one background thread that connects to this same server over its own
websocket, as a browser tab does, and runs every page with the default controls, one after the other. It never delays
the run that started it, nor the health check (``/_stcore/health`` is answered by the server's event loop, not by a
script), and it stops at the first error: a warm-up is an optimisation, never a requirement. Before each page it
waits until no other script run is waiting or running (``ui/runs.py``): when the whole class opens the app at once,
the students' own first runs fill the caches, and the warm-up's runs (and its client, which parses every message in
this same process) would only have been more work in the queue; in the load test it took about 5 % of the
server's samples during such a burst (py-spy).

Set ``CONV_EXPLAINER_WARMUP=0`` to turn it off.

``python -m ui.warmup [--port 8501]`` does the same from outside the server, and waits for it: it waits until the
server answers its health check, runs every page once, and exits 0 (1, with the reason, if it could not). The
Kubernetes manifest's startup probe runs it, so a replica that has just started takes no student before its caches
are warm (``deploy/kubernetes.yaml``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
import urllib.request

import streamlit as st
from streamlit.logger import get_logger

__all__ = ["start_once", "warm"]

_LOG = get_logger(__name__)  # Streamlit's logging setup: the server's log
_TIMEOUT = 120.0
# How long the warm-up waits for a quiet server before each page. When a class opens the app together, the students'
# own first runs fill the caches; a warm-up run among them would only make them wait for its page as well. At 60 s
# it runs anyway: a server that has been busy that long has had its caches filled by its visitors.
_PATIENCE_S = 60.0


async def warm(
    port: int, pages: list[str] | None = None, timeout: float = _TIMEOUT, quiet=None, patience: float = _PATIENCE_S
) -> list[str]:
    """Run every page (``pages``: url paths, ``""`` for home; default: all of the app's) at its defaults on the
    server at ``127.0.0.1:port``, one script run at a time. Returns the pages run.

    ``quiet``: a function that says whether the server has no other script run to do; before each page after the
    first, the warm-up waits for it (polled every 0.1 s, at most ``patience`` seconds)."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ClientState_pb2 import ClientState
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    base = f"http://127.0.0.1:{port}/"
    done: list[str] = []
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"], max_size=None, open_timeout=timeout
    ) as ws:
        hashes: dict[str, str] = {}

        async def run(page: str) -> None:
            cs = ClientState()
            cs.page_script_hash = hashes.get(page, "")
            cs.page_name = page
            cs.context_info.url = base + page
            msg = BackMsg()
            msg.rerun_script.CopyFrom(cs)
            await ws.send(msg.SerializeToString())
            while True:
                fwd = ForwardMsg()
                fwd.ParseFromString(await asyncio.wait_for(ws.recv(), timeout))
                kind = fwd.WhichOneof("type")
                if kind == "navigation":
                    for app_page in fwd.navigation.app_pages:
                        hashes[app_page.url_pathname] = app_page.page_script_hash
                elif kind == "script_finished":
                    if fwd.script_finished != ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN:
                        return

        await run("")  # the default page: it also sends the list of pages
        done.append("")
        for page in pages if pages is not None else [p for p in hashes if p]:
            waited = 0.0
            while quiet is not None and not quiet() and waited < patience:
                await asyncio.sleep(0.1)
                waited += 0.1
            await run(page)
            done.append(page)
    return done


def _quiet() -> bool:
    """No script run of the server is waiting or running (the warm-up asks between its own runs)."""
    from . import runs

    return runs.busy() == 0


def _thread_main(port: int) -> None:
    try:
        pages = asyncio.run(warm(port, quiet=_quiet))
        _LOG.info("warm-up: every page opened once at its defaults (%s)", ", ".join(p or "home" for p in pages))
    except Exception as exc:  # noqa: BLE001 - never let a warm-up disturb the server
        _LOG.warning("warm-up stopped: %s: %s", type(exc).__name__, exc)


@st.cache_resource(show_spinner=False)
def _started() -> bool:
    """Start the warm-up thread; cached, so it happens once per process."""
    port = int(st.get_option("server.port"))
    threading.Thread(target=_thread_main, args=(port,), name="cache warm-up", daemon=True).start()
    return True


def start_once() -> None:
    """Start the warm-up once per process (under a runtime; AppTest has one too, so its timings turn it off with
    ``CONV_EXPLAINER_WARMUP=0``), unless it is turned off."""
    if os.environ.get("CONV_EXPLAINER_WARMUP", "1") == "0":
        return
    from streamlit import runtime

    if runtime.exists():
        _started()


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.read().strip() == b"ok"
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    """The command line: wait for the server's health check, warm every page, exit 0 (1 with the reason)."""
    parser = argparse.ArgumentParser(prog="python -m ui.warmup", description="Open every page of a running app once.")
    parser.add_argument("--port", type=int, default=8501, help="the app's port on 127.0.0.1 (default 8501)")
    parser.add_argument("--timeout", type=float, default=_TIMEOUT, help="seconds to wait in all (default 120)")
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.timeout
    while not _healthy(args.port):
        if time.monotonic() > deadline:
            print(f"warm-up: nothing answers on port {args.port}", file=sys.stderr)
            return 1
        time.sleep(0.5)
    try:
        pages = asyncio.run(warm(args.port, timeout=max(1.0, deadline - time.monotonic())))
    except Exception as exc:  # noqa: BLE001 - the reason is the probe's output
        print(f"warm-up: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print("warm-up: every page opened once (" + ", ".join(p or "home" for p in pages) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Send every message at once: turn off Nagle's algorithm on the server's sockets (``TCP_NODELAY``).

Streamlit 1.67 binds its listening socket itself and hands it to uvicorn. That socket is made with protocol number 0,
the connections it accepts inherit the 0, and asyncio only sets ``TCP_NODELAY`` on a connection whose socket says
``IPPROTO_TCP`` (uvicorn issue 3149 describes the same for its ``--workers`` path). So every connection runs with
Nagle's algorithm: once a rerun's first small message is in flight, the next ones wait until the other end
acknowledges it, which Linux delays by up to 40 ms. With the load test's client and a page that writes one line, the
script had finished and Streamlit had written every message 2.4 ms after the rerun was asked for, and the client
received them 48 ms after; with this, 6 ms. In Chromium the second message of a rerun on the forward page came 30-50
ms after the first, and 2-4 ms after it with this; a rerun whose script runs longer than the 40 ms gains little,
since the acknowledgement has come by the time it finishes (the last message of a forward-page change: median 127
against 108 ms in one A/B run).

At the process's first script run this sets ``TCP_NODELAY`` on the listening socket, which the connections it
accepts afterwards inherit on Linux, and on the connections already open (the first visitor's). The sockets are
found as open file descriptors of this process (``/proc/self/fd``) whose local port is the server's; each is
reached through a duplicate descriptor, closed at once. Where there is no ``/proc`` (macOS, Windows) nothing
changes. ``CONV_EXPLAINER_NODELAY=0`` turns it off.
"""

from __future__ import annotations

import os
import socket

import streamlit as st
from streamlit.logger import get_logger

__all__ = ["start_once", "set_nodelay"]

_LOG = get_logger(__name__)


def set_nodelay(port: int, fd_dir: str = "/proc/self/fd") -> int:
    """Set ``TCP_NODELAY`` on every TCP socket of this process whose local port is ``port`` (the listening one and
    the connections it accepted); returns how many."""
    try:
        fds = [int(name) for name in os.listdir(fd_dir)]
    except (OSError, ValueError):
        return 0
    done = 0
    for fd in fds:
        try:
            if not os.readlink(f"{fd_dir}/{fd}").startswith("socket:"):
                continue
            copy = os.dup(fd)  # a duplicate: closing it leaves the server's descriptor open
        except OSError:  # closed since it was listed
            continue
        try:
            sock = socket.socket(fileno=copy)
        except OSError:
            os.close(copy)
            continue
        with sock:
            try:
                if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
                    continue
                if sock.getsockname()[1] != port:
                    continue
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                done += 1
            except OSError:
                continue
    return done


@st.cache_resource(show_spinner=False)
def _done() -> int:
    """Once per process: cached, so later runs do nothing."""
    port = int(st.get_option("server.port"))
    count = set_nodelay(port)
    if count:  # none under AppTest, which listens on no port
        _LOG.info("TCP_NODELAY set on %d socket(s) of port %d", count, port)
    return count


def start_once() -> None:
    """Set ``TCP_NODELAY`` on the server's sockets once per process, unless it is turned off. AppTest has a runtime too,
    but listens on no port: nothing is found there."""
    if os.environ.get("CONV_EXPLAINER_NODELAY", "1") == "0":
        return
    from streamlit import runtime

    if runtime.exists():
        _done()

"""ui/nodelay.py: the server's sockets get TCP_NODELAY, listening and accepted, and nothing else is touched."""

from __future__ import annotations

import os
import socket
import sys

import pytest

from ui import nodelay

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd (Linux)")


def _nodelay(sock: socket.socket) -> bool:
    return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


def _listener() -> socket.socket:
    """A listening socket as Streamlit 1.67 binds its own: protocol number 0, so asyncio sets no TCP_NODELAY."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    assert sock.proto == 0
    return sock


def test_the_listening_socket_and_its_open_connections_get_nodelay_and_new_ones_inherit_it():
    with _listener() as server, _listener() as other:
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        with client, accepted:
            assert not _nodelay(server) and not _nodelay(accepted), "Nagle's algorithm is on to begin with"
            open_fds = len(os.listdir("/proc/self/fd"))
            assert nodelay.set_nodelay(port) == 2  # the listener and the connection it accepted
            assert len(os.listdir("/proc/self/fd")) == open_fds, "every duplicate descriptor was closed again"
            assert _nodelay(server) and _nodelay(accepted)
            assert not _nodelay(other), "a socket on another port is left as it is"
            assert not _nodelay(client), "the client's end (its local port is not the server's) is left as it is"
            with socket.create_connection(("127.0.0.1", port)), server.accept()[0] as later:
                assert _nodelay(later), "a connection accepted afterwards inherits it from the listener"
            assert server.fileno() != -1 and accepted.fileno() != -1, "the originals are still open"


def test_without_proc_nothing_happens(tmp_path):
    assert nodelay.set_nodelay(8501, fd_dir=str(tmp_path / "missing")) == 0


def test_the_running_app_sets_it_on_its_listener_and_the_first_visitors_connection():
    import asyncio
    import re

    from tests.browser import ROOT, running_app
    from ui.warmup import warm

    with running_app(["--logger.level", "info"]) as (base, _proc):
        asyncio.run(warm(int(base.rsplit(":", 1)[1]), pages=[]))  # a first visitor: home
        text = (ROOT / ".streamlit-test.log").read_text()
    found = re.search(r"TCP_NODELAY set on (\d+) socket\(s\) of port (\d+)", text)
    assert found, text[-2000:]
    assert int(found[1]) >= 2 and found[2] == base.rsplit(":", 1)[1]

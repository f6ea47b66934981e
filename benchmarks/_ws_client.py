"""A minimal Streamlit client that speaks the browser's websocket protocol, for load tests.

It connects to ``ws://HOST:PORT/_stcore/stream`` with the ``streamlit`` subprotocol and exchanges the
protobuf messages that ship inside the ``streamlit`` package: it sends ``BackMsg.rerun_script`` with a
``ClientState`` (query string, widget states, page) exactly as the browser does, and reads ``ForwardMsg``
frames until ``script_finished``. Every run therefore executes the real script on the server, as a tab
does. Loopback only: :func:`connect` refuses any other host.

Used by ``benchmarks/load_test.py`` and ``tests/test_load_smoke.py``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

__all__ = ["RunResult", "Session", "connect"]

_WIDGETS = ("number_input", "selectbox", "radio", "text_area")
_FINISHED = {
    ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY,
    ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}


@dataclass
class RunResult:
    """One script run as the client saw it: seconds from sending the request to ``script_finished``."""

    page: str
    seconds: float
    messages: int = 0
    bytes: int = 0
    largest_message: int = 0
    exceptions: list[str] = field(default_factory=list)
    status: str = ""

    @property
    def ok(self) -> bool:
        return not self.exceptions and self.status == "FINISHED_SUCCESSFULLY"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def connect(host: str, port: int, *, timeout: float = 30.0) -> Session:
    """Open one websocket session (one browser tab) on a loopback address."""
    if not _is_loopback(host):
        raise ValueError(f"load clients only talk to loopback addresses, not {host!r}")
    ws = await asyncio.wait_for(
        websockets.connect(
            f"ws://{host}:{port}/_stcore/stream",
            subprotocols=["streamlit"],
            max_size=None,
            compression=None,
            open_timeout=timeout,
        ),
        timeout,
    )
    return Session(ws, f"http://{host}:{port}/", timeout)


class Session:
    """One simulated tab: keeps the widget states it has set and the URL the server gave it."""

    def __init__(self, ws, base_url: str, timeout: float) -> None:
        self.ws = ws
        self.base_url = base_url
        self.timeout = timeout
        self.pages: dict[str, str] = {}  # url path ("" for the default page) -> page_script_hash
        self.page_hash = ""
        self.page = ""
        self.query_string = ""
        self.widget_ids: dict[str, str] = {}  # widget key (the part after the last '-') -> element id
        self.widgets: dict[str, dict] = {}  # element id -> {"type", "proto"} of the last run
        self._states: dict[str, WidgetState] = {}  # element id -> state the client sends (what it changed)
        self._cached: set[str] = set()  # hashes of large elements received, as the browser's message cache

    async def close(self) -> None:
        await self.ws.close()

    def _client_state(self, page: str | None) -> ClientState:
        cs = ClientState()
        cs.query_string = self.query_string
        if page is not None and page != self.page:
            # A click in the navigation: the page's hash, as the browser sends it.
            cs.page_script_hash = self.pages.get(page, "")
            cs.page_name = page
        else:
            cs.page_script_hash = self.page_hash
        cs.context_info.url = self.base_url + (page if page is not None else self.page)
        cs.context_info.timezone = "UTC"
        cs.context_info.locale = "en-US"
        for state in self._states.values():
            cs.widget_states.widgets.append(state)
        cs.cached_message_hashes.extend(sorted(self._cached))
        return cs

    def _bind(self, wid: str, value: str) -> None:
        """A widget bound to the URL writes its value into the address bar, as the browser does."""
        key = self.widgets[wid]["proto"].query_param_key
        if key:
            params = dict(parse_qsl(self.query_string, keep_blank_values=True))
            params[key] = value
            self.query_string = urlencode(params)

    def set_number(self, key: str, value: int | float) -> None:
        """Change a number_input (by its ``key``) for the next run, as typing in the box does."""
        wid = self.widget_ids[key]
        ws = WidgetState(id=wid)
        if isinstance(value, int):
            ws.int_value = value
        else:
            ws.double_value = value
        self._states[wid] = ws
        self._bind(wid, str(value))

    def set_text(self, key: str, value: str) -> None:
        """Change a text_area or text_input (by its ``key``) for the next run."""
        wid = self.widget_ids[key]
        self._states[wid] = WidgetState(id=wid, string_value=value)
        self._bind(wid, value)

    def set_option(self, key: str, option: str) -> None:
        """Choose an option of a selectbox or radio (by its ``key``) by its label."""
        wid = self.widget_ids[key]
        self._states[wid] = WidgetState(id=wid, string_value=option)
        self._bind(wid, option)

    async def run(self, page: str | None = None, *, query_string: str | None = None) -> RunResult:
        """Ask for a rerun (optionally of another page, or with a new URL query) and wait until it finishes."""
        if query_string is not None:
            self.query_string = query_string
        if page is not None and page != self.page:
            # Leaving a page: its own widgets unmount in the browser, so their states are not sent.
            self._states = {k: v for k, v in self._states.items() if k in self._sidebar_ids()}
        msg = BackMsg()
        msg.rerun_script.CopyFrom(self._client_state(page))
        target = self.page if page is None else page
        result = RunResult(page=target, seconds=0.0)
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        widgets: dict[str, dict] = {}
        deadline = t0 + self.timeout
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"no script_finished within {self.timeout:.0f} s on page {target!r}")
            data = await asyncio.wait_for(self.ws.recv(), remaining)
            result.messages += 1
            result.bytes += len(data)
            result.largest_message = max(result.largest_message, len(data))
            fwd = ForwardMsg()
            fwd.ParseFromString(data)
            kind = fwd.WhichOneof("type")
            if fwd.metadata.cacheable and fwd.hash:
                self._cached.add(fwd.hash)
            if kind == "new_session":
                self.page_hash = fwd.new_session.page_script_hash or self.page_hash
            elif kind == "navigation":
                for app_page in fwd.navigation.app_pages:
                    self.pages[app_page.url_pathname] = app_page.page_script_hash
                    if app_page.is_default:
                        self.pages.setdefault("", app_page.page_script_hash)
                self.page_hash = fwd.navigation.page_script_hash or self.page_hash
            elif kind == "page_info_changed":
                self.query_string = fwd.page_info_changed.query_string
            elif kind == "page_not_found":
                result.exceptions.append(f"page not found: {fwd.page_not_found.page_name!r}")
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                el = fwd.delta.new_element
                etype = el.WhichOneof("type")
                if etype == "exception":
                    result.exceptions.append(f"{el.exception.type}: {el.exception.message}"[:500])
                elif etype in _WIDGETS:
                    proto = getattr(el, etype)
                    widgets[proto.id] = {"type": etype, "proto": proto, "sidebar": fwd.metadata.delta_path[:1] == [1]}
            elif kind == "script_finished":
                status = fwd.script_finished
                if status == ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN:
                    continue
                result.status = ForwardMsg.ScriptFinishedStatus.Name(status)
                break
        result.seconds = time.perf_counter() - t0
        self.page = target
        for app_page, h in self.pages.items():
            if h == self.page_hash and app_page:
                self.page = app_page
        self.widgets = widgets
        self.widget_ids = {wid.rsplit("-", 1)[-1]: wid for wid in widgets}
        if result.status not in {ForwardMsg.ScriptFinishedStatus.Name(s) for s in _FINISHED}:
            result.exceptions.append(f"script finished with {result.status}")
        return result

    def _sidebar_ids(self) -> set[str]:
        return {wid for wid, w in self.widgets.items() if w["sidebar"]}

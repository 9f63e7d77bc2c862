"""A small client of Streamlit's own browser protocol, for the load test (:mod:`bench.load`).

It does what the browser's Streamlit frontend does, over the same wire: a WebSocket to
``/_stcore/stream`` carrying ``BackMsg`` protobufs (rerun the script, or one fragment, with the
widgets' values) and receiving ``ForwardMsg`` protobufs (the elements drawn, the end of the run);
files go as the frontend sends them (``file_urls_request``, then an HTTP ``PUT`` of the file to
``/_stcore/upload_file/…`` with the XSRF token, then the uploader's widget state). The sign-in
cookie comes from the app's own ``POST /auth/session``, as a browser collects it.

What a widget is: the element's ``id`` (``$$ID-<hash>-<key>``: the app's widget key at the end)
and the fragment it was drawn in (a change inside a fragment reruns only that fragment, as the
browser asks).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

XSRF_COOKIE = "_streamlit_xsrf"
RUN_TIMEOUT = 60.0
FINISHED_OK = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)


class ProtocolError(Exception):
    """The server answered something a browser would show as a failure."""


@dataclass
class Widget:
    id: str
    kind: str  # the element type: button_group, number_input, file_uploader, button, text_area, …
    fragment: str
    proto: Any

    @property
    def key(self) -> str:
        return self.id.rsplit("-", 1)[-1] if self.id.startswith("$$ID-") else ""


@dataclass
class Run:
    """What one script or fragment run drew and how it ended."""

    seconds: float
    status: int | None
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # st.error boxes
    notices: list[str] = field(default_factory=list)  # other boxes (info, warning): what a page said


class Browser:
    """One browser: its cookies (HTTP) and, once :meth:`open` is called, one Streamlit session."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.http = requests.Session()
        self.ws: Any = None
        self.session_id = ""
        self.page_hash = ""
        self.page = ""
        self.query = ""
        self.widgets: dict[str, Widget] = {}  # by key
        self.components: dict[str, Any] = {}  # our components' data (``bidi_component``), by name
        self.states: dict[str, Any] = {}  # widget id -> WidgetState (what this browser holds)
        self._uploads: dict[str, asyncio.Future] = {}

    # --- HTTP ---------------------------------------------------------------------------------

    def health(self) -> None:
        answer = self.http.get(self.base + "/_stcore/health", timeout=30)
        answer.raise_for_status()

    def sign_in(self, name: str, code: str) -> None:
        """``POST /auth/session`` with a one-time code (as the page's component posts it)."""
        if XSRF_COOKIE not in self.http.cookies:
            self.health()
        answer = self.http.post(self.base + "/auth/session", json={"code": code, "user": name},
                                headers={"Origin": self.base}, timeout=30)
        if answer.status_code != 204:
            raise ProtocolError(f"/auth/session answered {answer.status_code}")

    @property
    def _cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)

    # --- the WebSocket ------------------------------------------------------------------------

    async def open(self, page: str, query: str = "") -> Run:
        """Connect a new Streamlit session (a page load) and run ``page`` with ``query``."""
        await self.close()
        self.page, self.query, self.page_hash = page, query, ""
        self.widgets, self.states, self.components = {}, {}, {}
        url = "ws" + self.base[4:] + "/_stcore/stream"
        t0 = time.perf_counter()
        self.ws = await websockets.connect(
            url, subprotocols=["streamlit", self.http.cookies.get(XSRF_COOKIE) or ""],
            additional_headers={"Cookie": self._cookie_header, "Origin": self.base},
            max_size=None, open_timeout=RUN_TIMEOUT, ping_interval=None)
        run = await self._rerun()
        run.seconds = time.perf_counter() - t0
        return run

    async def close(self) -> None:
        if self.ws is not None:
            ws, self.ws = self.ws, None
            with contextlib.suppress(Exception):  # a connection the server closed already
                await ws.close()

    async def _rerun(self, fragment: str = "", changed: dict[str, Any] | None = None) -> Run:
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query
        state.page_name = self.page
        state.page_script_hash = self.page_hash
        state.fragment_id = fragment
        for value in {**self.states, **(changed or {})}.values():
            state.widget_states.widgets.add().CopyFrom(value)
        for widget_id, value in (changed or {}).items():
            if not value.HasField("trigger_value") or not value.trigger_value:
                self.states[widget_id] = value  # a button's press is not kept
        t0 = time.perf_counter()
        await self.ws.send(message.SerializeToString())
        run = await self._until_idle()
        run.seconds = time.perf_counter() - t0
        return run

    async def _until_idle(self) -> Run:
        run = Run(0.0, None)
        started = False
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), RUN_TIMEOUT)
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id
                self.page_hash = msg.new_session.page_script_hash
            elif kind == "delta":
                self._delta(msg, run)
            elif kind == "script_finished":
                run.status = msg.script_finished
            elif kind == "file_urls_response":
                future = self._uploads.pop(msg.file_urls_response.response_id, None)
                if future is not None and not future.done():
                    future.set_result(msg.file_urls_response)
            elif kind == "session_status_changed":
                running = msg.session_status_changed.script_is_running
                if running:
                    started = True
                elif run.status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    run.status, started = None, False  # st.rerun(): the next run follows
                elif started or run.status is not None:
                    return run

    def _delta(self, msg: ForwardMsg, run: Run) -> None:
        delta = msg.delta
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind is None:
            return
        proto = getattr(element, kind)
        if kind == "exception":
            run.exceptions.append(f"{proto.type}: {proto.message}")
        elif kind == "alert":
            (run.errors if proto.format == proto.ERROR else run.notices).append(proto.body)
        elif kind == "bidi_component" and proto.json:  # the data a component is mounted with
            self.components[proto.component_name] = json.loads(proto.json)
        widget_id = getattr(proto, "id", "")
        if isinstance(widget_id, str) and widget_id.startswith("$$ID-"):
            widget = Widget(widget_id, kind, delta.fragment_id, proto)
            self.widgets[widget.key] = widget

    # --- the user's gestures ------------------------------------------------------------------

    async def set(self, key: str, **value: Any) -> Run:
        """Give widget ``key`` a value (``string_array_value=[…]``, ``int_value=…``,
        ``string_value=…``, ``trigger_value=True``) and rerun its fragment (or the page)."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        widget = self.widgets[key]
        state = WidgetState(id=widget.id)
        for name, v in value.items():
            if name == "string_array_value":
                state.string_array_value.data.extend(v)
            elif name == "file_uploader_state_value":
                state.file_uploader_state_value.CopyFrom(v)
            else:
                setattr(state, name, v)
        return await self._rerun(widget.fragment, {widget.id: state})

    async def upload(self, key: str, name: str, data: bytes, mime: str = "image/jpeg") -> Run:
        """Send one file through the uploader ``key`` as the frontend does."""
        from streamlit.proto.Common_pb2 import FileUploaderState, UploadedFileInfo

        request_id = uuid.uuid4().hex
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._uploads[request_id] = future
        message = BackMsg()
        message.file_urls_request.request_id = request_id
        message.file_urls_request.session_id = self.session_id
        message.file_urls_request.file_names.append(name)
        await self.ws.send(message.SerializeToString())
        # the answer arrives on the WebSocket: read it (nothing else runs meanwhile)
        while not future.done():
            raw = await asyncio.wait_for(self.ws.recv(), RUN_TIMEOUT)
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            if msg.WhichOneof("type") == "file_urls_response":
                got = self._uploads.pop(msg.file_urls_response.response_id, None)
                if got is not None:
                    got.set_result(msg.file_urls_response)
        response = future.result()
        if response.error_msg or not response.file_urls:
            raise ProtocolError(f"upload refused: {response.error_msg}")
        urls = response.file_urls[0]
        target = urls.upload_url if urls.upload_url.startswith("http") else self.base + urls.upload_url
        answer = await asyncio.to_thread(
            self.http.put, target, files={"UploadedFile": (name, data, mime)},
            headers={"X-Xsrftoken": self.http.cookies.get(XSRF_COOKIE) or "", "Origin": self.base},
            timeout=RUN_TIMEOUT)
        if answer.status_code not in (200, 204):
            raise ProtocolError(f"upload PUT answered {answer.status_code}")
        state = FileUploaderState()
        info: UploadedFileInfo = state.uploaded_file_info.add()
        info.file_id, info.name, info.size = urls.file_id, name, len(data)
        info.file_urls.CopyFrom(urls)
        return await self.set(key, file_uploader_state_value=state)

"""A small TCP proxy for the browser journeys: the browser talks to the app through it, and a
test cuts the link and restores it, as rural 4G comes and goes.

Playwright's ``context.set_offline(True)`` is not enough for that: it leaves an open WebSocket
alive, so Streamlit would never notice. Cutting here closes every connection at once (the
WebSocket included) and, while cut, refuses new ones (the listening socket stays, new
connections are closed at once: the browser sees a failed request, as on a dead link).

    proxy = NetProxy(target_port).start()     # proxy.url: http://127.0.0.1:<its own port>
    proxy.cut(); ...; proxy.restore(); proxy.stop()

Runs its own asyncio loop in a thread; ``cut``/``restore`` are safe from the test's thread and
take effect before they return.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from concurrent.futures import Future


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NetProxy:
    """Forward 127.0.0.1:<port> to 127.0.0.1:<target>; cut and restore the link on demand."""

    def __init__(self, target_port: int, host: str = "127.0.0.1"):
        self.target = (host, target_port)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.down = False
        self.refused = 0  # connections refused while the link was cut
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="netproxy")
        self._server: asyncio.base_events.Server | None = None

    # --- the test's side -------------------------------------------------------------------------

    def start(self) -> NetProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def cut(self) -> None:
        """Drop every open connection (the WebSocket too) and refuse new ones."""
        self._call(self._cut())

    def restore(self) -> None:
        """Accept and forward connections again."""
        self._call(self._restore())

    def stop(self) -> None:
        self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def _call(self, coro) -> None:
        future: Future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        future.result(timeout=10)

    # --- the loop's side -------------------------------------------------------------------------

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _cut(self) -> None:
        self.down = True
        for writer in list(self._writers):
            _abort(writer)
        self._writers.clear()

    async def _restore(self) -> None:
        self.down = False

    async def _close(self) -> None:
        await self._cut()
        if self._server is not None:
            self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._forward(reader, writer)
        except asyncio.CancelledError:
            _abort(writer)  # the proxy stops

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            self.refused += 1
            _abort(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _abort(writer)
            return
        self._writers.update((writer, up_writer))
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except asyncio.CancelledError:
            pass  # the proxy stops
        finally:
            for w in (writer, up_writer):
                self._writers.discard(w)
                _abort(w)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError, asyncio.CancelledError):
        pass
    finally:
        _abort(writer)


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close at once (a reset, not a polite FIN after the buffer drains)."""
    transport = writer.transport
    if not transport.is_closing():
        transport.abort()

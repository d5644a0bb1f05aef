"""A request-head deadline for uvicorn's HTTP/1.1 protocol (slowloris protection).

uvicorn closes idle keep-alive connections, but a client that opens a connection and
sends its request line and headers a byte at a time is kept forever: enough of them and
the service has no connections left. This protocol gives every request head
`HEAD_TIMEOUT_SECONDS` to arrive, on a new connection and again after each response,
and closes the connection when it does not.

It extends uvicorn's httptools protocol (a C parser, uvicorn's own default when
installed), not its h11 one (pure Python): at 32 concurrent chats with a 500 ms LLM
(`bench/api.py`) the service's CPU per chat went from 27.0 to 26.2 ms (means of 2 and 6
runs), the chat rate staying within the runs' spread (51-55 chats/s).
"""

from __future__ import annotations

import asyncio
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("api.http")
HEAD_TIMEOUT_SECONDS = 10.0
"""Time for a request line and its headers: real clients send them in one packet."""


class HeadDeadlineProtocol(HttpToolsProtocol):
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        self._disarm()  # a request head has arrived
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request on this keep-alive connection gets its own

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT_SECONDS, self._too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _waiting_for_a_head(self) -> bool:
        """No request in progress and none queued behind one (pipelined)."""
        return (self.cycle is None or self.cycle.response_complete) and not self.pipeline

    def _too_slow(self) -> None:
        if self._waiting_for_a_head() and not self.transport.is_closing():
            log.info(
                "closing a connection whose request head took over %.0fs", HEAD_TIMEOUT_SECONDS
            )
            self.transport.close()

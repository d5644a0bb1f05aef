"""Running one chat turn for the HTTP routes: the answer stream, primed.

The first delta is pulled before the response starts, so a failure before any output
(LLM down with `RAG_LLM_ON_ERROR=error`, a store error) becomes a normal HTTP error
status; only a failure after text went out has to travel inside the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

from fastapi import Request

from api.errors import classify
from rag import Answer, AnswerStream

PING_SECONDS = 15
"""SSE keep-alive comment interval, so proxies do not cut a stream waiting on the LLM."""
FIRST_BYTE_SECONDS = 2.0
"""A streamed answer starts within this time even when the LLM has not answered yet:
failures before then are plain HTTP errors, later ones SSE `error` events."""
DISCONNECT_POLL_SECONDS = 0.5
"""How often a non-streamed request checks that its client is still there."""
DRAIN_SECONDS = 8.0
"""On SIGTERM, streams in flight get this long to finish before they are cut (sse-starlette
cuts them at once by default: 0 of 20 streamed answers survived a restart). `rag serve`
gives the whole drain 2 s more."""
CLIENT_GONE = 499
"""Status logged for a request whose client left before the answer (nginx's convention)."""
WAITING_COMMENT = "waiting for the model"
T = TypeVar("T")
log = logging.getLogger("api.streaming")


def stream_error(request: Request, exc: Exception) -> dict[str, str]:
    """An SSE `error` event with the same type and message as the HTTP error would have."""
    _, detail = classify(exc)
    request.app.state.metrics.errors.labels(detail.type).inc()
    log.warning("stream failed: %s: %s", detail.type, detail.message)
    return {"event": "error", "data": json.dumps({"error": detail.model_dump(exclude_none=True)})}


class Primed:
    """An answer stream whose first delta is already under way. `waiting` is true when it
    was not ready within `FIRST_BYTE_SECONDS`: the response then starts with an SSE
    comment (and pings follow every `PING_SECONDS`). Leaving `deltas()` early (a client
    that went away) cancels the work, the LLM call included."""

    def __init__(self, stream: AnswerStream, first: asyncio.Future[str | None]) -> None:
        self.stream = stream
        self._first = first

    @property
    def waiting(self) -> bool:
        return not self._first.done()

    async def deltas(self) -> AsyncIterator[str]:
        try:
            delta = await self._first
            while delta is not None:
                yield delta
                delta = await anext(self.stream, None)
        finally:
            await self.close()

    async def result(self) -> Answer:
        async for _ in self.deltas():
            pass
        return await self.stream.result()

    async def close(self) -> None:
        """Stop the answer: cancel the pending first delta, then close the stream (which
        closes the LLM's HTTP stream)."""
        if not self._first.done():
            self._first.cancel()
            with contextlib.suppress(BaseException):
                await self._first
        await self.stream.aclose()


async def prime(stream: AnswerStream, streaming: bool) -> Primed:
    """Start `stream` and wait for its first delta: at most `FIRST_BYTE_SECONDS` when
    `streaming`, else until it is there. A failure before any output raises here."""
    first = asyncio.ensure_future(anext(stream, None))
    primed = Primed(stream, first)
    try:
        await asyncio.wait({first}, timeout=FIRST_BYTE_SECONDS if streaming else None)
    except asyncio.CancelledError:
        await primed.close()
        raise
    if first.done():
        first.result()
    return primed


async def unless_disconnected(request: Request, work: Awaitable[T]) -> T | None:
    """`work`'s result, or None once the client has gone away, in which case the work
    (an LLM call included) is cancelled instead of running to the end for nobody."""
    task = asyncio.ensure_future(work)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=DISCONNECT_POLL_SECONDS)
            if done:
                return task.result()
            if await request.is_disconnected():
                log.info("client went away: answer cancelled")
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
                return None
    finally:
        task.cancel()

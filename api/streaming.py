"""Running one chat turn for the HTTP routes (and Slack): the answer stream, primed.

The first item is pulled before the response starts, so a failure before any output
(LLM down with `RAG_LLM_ON_ERROR=error`, a store error) becomes a normal HTTP error
status; only a failure after text went out has to travel inside the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable
from datetime import date
from typing import TypeVar

from fastapi import Request

from api.errors import classify
from api.observability import Metrics
from api.service import Ready
from rag.answering import LLM_FALLBACK, Answer, Message

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
T = TypeVar("T")
log = logging.getLogger("api.streaming")


def stream_error(request: Request, exc: Exception) -> dict[str, str]:
    """An SSE `error` event with the same type and message as the HTTP error would have."""
    _, detail = classify(exc)
    request.app.state.metrics.errors.labels(detail.type).inc()
    log.warning("stream failed: %s: %s", detail.type, detail.message)
    return {"event": "error", "data": json.dumps({"error": detail.model_dump(exclude_none=True)})}


def record_answer(metrics: Metrics, answer: Answer) -> None:
    metrics.answers.labels(answer.mode).inc()
    if answer.abstained:
        metrics.abstentions.inc()
    if answer.mode == "extractive" and any(w.startswith(LLM_FALLBACK) for w in answer.warnings):
        metrics.fallbacks.inc()
        log.warning("answered without the LLM: %s", "; ".join(answer.warnings))


class Waiting:
    """Yielded once when the first item was not ready within `FIRST_BYTE_SECONDS`: the
    response starts anyway, with an SSE comment, and pings follow every `PING_SECONDS`."""


WAITING = Waiting()


async def answer_stream(
    ready: Ready,
    metrics: Metrics,
    question: str,
    history: list[Message],
    k: int | None,
    since: date | None = None,
    until: date | None = None,
    llm_stream: bool = True,
) -> AsyncIterator[str | Answer | Waiting]:
    """Text deltas then the `Answer`, with the first item already computed, or awaited
    for at most `FIRST_BYTE_SECONDS` when streaming (then `WAITING` comes first). Closing
    the iterator (a client that went away) cancels the work, the LLM call included."""
    stream = ready.answerer.stream(question, history, k, since, until, llm_stream=llm_stream)
    first = asyncio.ensure_future(anext(stream))
    try:
        await asyncio.wait({first}, timeout=FIRST_BYTE_SECONDS if llm_stream else None)
    except asyncio.CancelledError:
        await _close(first, stream)
        raise
    if first.done():
        first.result()  # a failure before any output raises here: a plain HTTP error

    async def rest() -> AsyncIterator[str | Answer | Waiting]:
        try:
            if not first.done():
                yield WAITING
            item = await first
            while True:
                if isinstance(item, Answer):
                    record_answer(metrics, item)
                yield item
                try:
                    item = await anext(stream)
                except StopAsyncIteration:
                    return
        finally:
            await _close(first, stream)

    return rest()


async def _close(first: asyncio.Future[str | Answer], stream: AsyncGenerator[object]) -> None:
    """Stop the answer: cancel the pending first item, then close the generator (which
    closes the LLM's HTTP stream)."""
    if not first.done():
        first.cancel()
        with contextlib.suppress(BaseException):
            await first
    await stream.aclose()


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

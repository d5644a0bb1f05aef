"""Running one chat turn for the HTTP routes (and Slack): the answer stream, primed.

The first item is pulled before the response starts, so a failure before any output
(LLM down with `RAG_LLM_ON_ERROR=error`, a store error) becomes a normal HTTP error
status; only a failure after text went out has to travel inside the stream.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import date

from fastapi import Request

from api.errors import classify
from api.observability import Metrics
from api.service import Ready
from rag.answering import LLM_FALLBACK, Answer, Message

PING_SECONDS = 15
"""SSE keep-alive comment interval, so proxies do not cut a stream waiting on the LLM."""
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


async def answer_stream(
    ready: Ready,
    metrics: Metrics,
    question: str,
    history: list[Message],
    k: int | None,
    since: date | None = None,
    until: date | None = None,
    llm_stream: bool = True,
) -> AsyncIterator[str | Answer]:
    """Text deltas then the `Answer`, with the first item already computed."""
    stream = ready.answerer.stream(question, history, k, since, until, llm_stream=llm_stream)
    first = await anext(stream)

    async def rest() -> AsyncIterator[str | Answer]:
        item = first
        while True:
            if isinstance(item, Answer):
                record_answer(metrics, item)
            yield item
            try:
                item = await anext(stream)
            except StopAsyncIteration:
                return

    return rest()

"""`POST /v1/chat`: a cited answer, as JSON or as a stream of server-sent events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Request, Response
from sse_starlette import EventSourceResponse

from api import guards
from api.errors import ERROR_RESPONSES
from api.markdown import answer_markdown
from api.schemas import ChatAnswer, ChatRequest
from api.streaming import (
    CLIENT_GONE,
    DRAIN_SECONDS,
    PING_SECONDS,
    WAITING_COMMENT,
    prime,
    stream_error,
    unless_disconnected,
)
from rag import Answer, Message, PaperRAG

router = APIRouter(prefix="/v1")
STREAM_DOC = (
    "With `stream: true` the response is `text/event-stream`: `event: delta` events with "
    '`{"text": ...}`, then one `event: done` carrying the full answer (with `markdown`). '
    "A failure after text was sent arrives as `event: error` with "
    '`{"error": {"type", "message"}}`.'
)


def with_markdown(answer: Answer) -> ChatAnswer:
    """The answer with its inert markdown rendering (`api.markdown`)."""
    return ChatAnswer(**answer.model_dump(), markdown=answer_markdown(answer, quotes=True))


@router.post(
    "/chat",
    response_model=ChatAnswer,
    responses={
        **ERROR_RESPONSES,
        200: {"content": {"text/event-stream": {}}, "description": STREAM_DOC},
    },
    summary="Answer a question with citations (optionally streamed)",
)
async def chat(
    body: ChatRequest, request: Request, rag: PaperRAG = Depends(guards.ready)
) -> ChatAnswer | EventSourceResponse | Response:
    history = [Message(role=m.role, content=m.content) for m in body.messages[:-1]]
    stream = rag.ask(
        body.messages[-1].content,
        history,
        stream=body.stream,
        k=body.k,
        since=body.since,
        until=body.until,
    )
    primed = await prime(stream, body.stream)
    if not body.stream:
        answer = await unless_disconnected(request, primed.result())
        if answer is None:
            return Response(status_code=CLIENT_GONE)
        return with_markdown(answer)

    async def events() -> AsyncIterator[dict[str, str]]:
        try:
            if primed.waiting:
                yield {"comment": WAITING_COMMENT}
            async for delta in primed.deltas():
                yield {"event": "delta", "data": json.dumps({"text": delta})}
            answer = await primed.stream.result()
            yield {"event": "done", "data": with_markdown(answer).model_dump_json()}
        except Exception as exc:
            yield stream_error(request, exc)

    return EventSourceResponse(events(), ping=PING_SECONDS, shutdown_grace_period=DRAIN_SECONDS)

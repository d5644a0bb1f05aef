"""OpenAI-compatible `POST /v1/chat/completions` and `GET /v1/models`.

Existing chat clients and UIs (the `openai` SDK, Open WebUI, LibreChat, ...) talk to the
service as if it were a model called `paper-rag`. The answer's citations appear in the
content as a "Sources" list (so any UI shows them) and in an extra `citations` field
(so programs need not parse text).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Request, Response
from sse_starlette import EventSourceResponse

from api import guards, streaming
from api.errors import ERROR_RESPONSES, ApiError
from api.markdown import answer_markdown, sources_block, warning_lines
from api.schemas import (
    AssistantMessage,
    ChatCompletion,
    CompletionChoice,
    CompletionRequest,
    ModelCard,
    ModelList,
    Usage,
)
from rag import InertStream, Message, PaperRAG, TokenCount

MODEL_ID = "paper-rag"
STARTED = int(time.time())
router = APIRouter(prefix="/v1")


def _conversation(body: CompletionRequest) -> tuple[str, list[Message]]:
    """(question, history): system/developer/tool messages are ignored; the service's
    own prompt governs how answers are composed and cited."""
    if body.model != MODEL_ID:
        raise ApiError(
            404,
            "model_not_found",
            f"model {body.model!r} does not exist; this server serves {MODEL_ID!r}",
        )
    turns = [(m.role, m.text()) for m in body.messages if m.role in ("user", "assistant")]
    if not turns or body.messages[-1].role != "user":
        raise ApiError(400, "invalid_request", "the last message must be the user's question")
    history = [Message(role=role, content=text) for role, text in turns[:-1] if text.strip()]
    return turns[-1][1], history


def _chunk(
    cid: str, delta: dict[str, str] | None, finish: str | None = None, **extra: object
) -> str:
    """A `chat.completion.chunk`; `delta=None` makes the usage chunk (no choices)."""
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return json.dumps(
        {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": MODEL_ID,
            "choices": choices,
            **extra,
        }
    )


def _tokens(text: str) -> int:
    return (len(text) + 3) // 4


def usage(body: CompletionRequest, content: str, reported: TokenCount | None) -> Usage:
    """Token counts (see `Usage`): what the LLM reported for the answer, else estimated;
    clients such as `llm` need the field."""
    if reported is not None:
        prompt, completion = reported.prompt_tokens, reported.completion_tokens
    else:
        prompt, completion = sum(_tokens(m.text()) for m in body.messages), _tokens(content)
    return Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={**ERROR_RESPONSES, 200: {"content": {"text/event-stream": {}}}},
    summary="OpenAI-compatible chat completion (model `paper-rag`)",
)
async def completions(
    body: CompletionRequest, request: Request, rag: PaperRAG = Depends(guards.ready)
) -> ChatCompletion | EventSourceResponse | Response:
    question, history = _conversation(body)
    primed = await streaming.prime(rag.ask(question, history, stream=body.stream), body.stream)
    cid = f"chatcmpl-{uuid.uuid4().hex}"
    if not body.stream:
        answer = await streaming.unless_disconnected(request, primed.result())
        if answer is None:
            return Response(status_code=streaming.CLIENT_GONE)
        content = answer_markdown(answer)
        return ChatCompletion(
            id=cid,
            created=int(time.time()),
            model=MODEL_ID,
            choices=[CompletionChoice(message=AssistantMessage(content=content))],
            usage=usage(body, content, answer.llm_usage),
            warnings=answer.warnings,
            citations=answer.citations,
        )

    include_usage = bool((body.stream_options or {}).get("include_usage"))

    async def events() -> AsyncIterator[dict[str, str]]:
        yield {"data": _chunk(cid, {"role": "assistant", "content": ""})}
        sent: list[str] = []
        shown = InertStream()
        try:
            if primed.waiting:
                yield {"comment": streaming.WAITING_COMMENT}
            early: list[str] = []
            async for delta in primed.deltas():
                if text := shown.feed(delta):
                    if not sent:  # what the question was read as, above the answer
                        early = primed.stream.early_warnings
                        text = warning_lines(early) + text
                    sent.append(text)
                    yield {"data": _chunk(cid, {"content": text})}
            answer = await primed.stream.result()
            head = ""
            if not sent:  # the whole text was held back until now
                early = primed.stream.early_warnings
                head = warning_lines(early)
            # The others are known only at the end (the LLM failed mid-way or never
            # answered): shown after the text, before the sources.
            late = [warning for warning in answer.warnings if warning not in early]
            tail = (
                head
                + shown.flush()
                + warning_lines(late, after=True)
                + sources_block(answer.citations)
            )
            if tail:
                sent.append(tail)
                yield {"data": _chunk(cid, {"content": tail})}
            citations = [c.model_dump(mode="json") for c in answer.citations]
            yield {"data": _chunk(cid, {}, "stop", citations=citations, warnings=answer.warnings)}
            if include_usage:
                counts = usage(body, "".join(sent), answer.llm_usage).model_dump()
                yield {"data": _chunk(cid, None, None, usage=counts)}
        except Exception as exc:
            yield {"data": streaming.stream_error(request, exc)["data"]}
        yield {"data": "[DONE]"}

    return EventSourceResponse(
        events(), ping=streaming.PING_SECONDS, shutdown_grace_period=streaming.DRAIN_SECONDS
    )


@router.get("/models", response_model=ModelList, responses=ERROR_RESPONSES, summary="List models")
async def models() -> ModelList:
    return ModelList(data=[ModelCard(id=MODEL_ID, created=STARTED)])


@router.get(
    "/models/{model}",
    response_model=ModelCard,
    responses=ERROR_RESPONSES,
    summary="Retrieve a model (OpenAI's models.retrieve)",
)
async def model(model: str) -> ModelCard:
    if model != MODEL_ID:
        raise ApiError(
            404,
            "model_not_found",
            f"model {model!r} does not exist; this server serves {MODEL_ID!r}",
        )
    return ModelCard(id=MODEL_ID, created=STARTED)

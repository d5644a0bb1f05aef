"""Request and response bodies of the HTTP API (the OpenAPI schema is generated from these).

Answers, paper records and citation-lookup results are the library's own models, so the
API, the CLI's `--json` and the Slack bot all speak the same shapes. Limits that depend
on configuration (question length, history size) are checked in `api.limits`; the
static bounds here keep the schema honest for clients and fuzzers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePath
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from rag import Answer, Citation, DatePrecision, Paper, TitleMatch


def _encodable(text: str) -> str:
    """JSON may carry lone surrogates (`"\\ud800"`) that no UTF-8 text can hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"text is not valid Unicode (lone surrogate at {exc.start})") from None
    return text


Text = Annotated[str, AfterValidator(_encodable)]
"""A string that can be logged, embedded and sent on: valid Unicode."""


class ChatMessage(BaseModel):
    role: Literal["user", "assistant"]
    content: Text = Field(min_length=1)


class ChatRequest(BaseModel):
    """The last message is the question; earlier ones are the conversation so far."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "messages": [
                        {"role": "user", "content": "What top-1 accuracy does MobileOne reach?"}
                    ],
                    "stream": False,
                    "k": 5,
                }
            ]
        }
    )

    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    k: int | None = Field(default=None, ge=1, le=50, description="Papers used as sources.")
    since: dt.date | None = None
    until: dt.date | None = None

    @model_validator(mode="after")
    def _ends_with_question(self) -> ChatRequest:
        if self.messages[-1].role != "user":
            raise ValueError("the last message must be the user's question (role 'user')")
        return self


class ChatAnswer(Answer):
    """An `Answer` of `/v1/chat`, with the whole of it as markdown to paste."""

    markdown: str = Field(
        description="The answer, its warnings and its sources with their verbatim quotes "
        "as markdown; links, images and HTML from abstracts and the LLM are shown as "
        "code, so pasting it anywhere makes nothing live (the web UI's Copy as Markdown)."
    )


class SearchHit(BaseModel):
    rank: int
    paper_id: str
    title: str
    score: float = Field(
        description="Fused score (0-1), relative to this query's best papers, that orders "
        "its results (for a comparison, 'X vs Y', those of its side); 1.0 is the top of "
        "this list, not a sign that it is relevant."
    )
    relevance: float = Field(
        description="Calibrated relevance, comparable across queries and corpora: term "
        "coverage plus dense similarity above the index's background. >= 0.5: good enough "
        "to answer from and cite; < 0.4: most likely off-topic."
    )
    date: dt.date | None = Field(
        description="First day of the period the source gave; see `date_precision`."
    )
    date_precision: DatePrecision | None = Field(
        "day",
        description="How much of `date` the source gave: `year` (a BibTeX `year = 2020` "
        "is stored as 2020-01-01 and means only 2020), `month` or `day`; null when there "
        "is no date.",
    )
    snippet: str


class SearchResponse(BaseModel):
    query: str
    results: list[SearchHit]


class TitleLookup(BaseModel):
    title: str
    candidates: list[TitleMatch]


class PaperRecord(Paper):
    """A paper's record as the API shows it: `sources` name the corpus files (with the
    line or entry) the paper came from, never the server's folders."""

    @classmethod
    def of(cls, paper: Paper) -> PaperRecord:
        shown = [PurePath(source).name for source in paper.sources]
        return cls.model_validate(paper.model_dump() | {"sources": shown})


class CiteRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"text": "MobileOne runs under 1 ms on an iPhone 12.", "k": 5}]
        }
    )

    text: Text = Field(min_length=1, description="A claim or sentence to find support for.")
    k: int = Field(default=5, ge=1, le=20)


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    ready: bool
    status: str
    papers: int | None = None
    chunks: int | None = None
    embedder: str | None = None
    store: str | None = None
    llm: str | None = None
    llm_status: str | None = Field(
        default=None, description='"ok", "unused", or "failing: N calls in a row (kind)"'
    )
    progress: dict[str, int | None] | None = Field(
        default=None,
        description="While the first start ingests: papers done, total, chunks, and "
        "seconds_left (estimated from the rate so far; null before the first batch).",
    )
    error: str | None = None


# -- OpenAI-compatible chat completions ----------------------------------------------


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: Text | None = None


class CompletionMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Text | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(p.text for p in self.content if p.type == "text" and p.text)
        return self.content or ""


class ResponseFormat(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str

    @model_validator(mode="after")
    def _text_only(self) -> ResponseFormat:
        if self.type != "text":
            raise ValueError(
                f"{self.type!r} is not supported: paper-rag answers in cited prose, so only "
                "'text' is (a client asking for JSON would fail to parse the answer)"
            )
        return self


NO_TOOL_CALLS = ("none", "auto")
"""`tool_choice` values the service can honour: it answers and never calls a tool."""


class CompletionRequest(BaseModel):
    """OpenAI's request; sampling parameters are accepted and ignored (the service's own
    settings govern the LLM), system prompts too (the service's prompt governs), and
    `tools` (it never calls one). What it cannot honour is refused rather than ignored:
    `n` above 1, a `response_format` other than text, a `tool_choice` that demands a
    tool call."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "model": "paper-rag",
                    "messages": [{"role": "user", "content": "Which papers study NER?"}],
                }
            ]
        },
    )

    model: str
    messages: list[CompletionMessage] = Field(min_length=1)
    n: int | None = Field(
        default=None,
        ge=1,
        le=1,
        description="Choices to return: one (a client asking for more is told so, rather "
        "than handed fewer than it will index)",
    )
    stream: bool = False
    stream_options: dict[str, object] | None = None
    """`{"include_usage": true}` adds a final chunk with the token counts."""
    response_format: ResponseFormat | None = Field(
        default=None,
        description='Only `{"type": "text"}`: answers are cited prose, never JSON',
    )
    tool_choice: str | dict[str, object] | None = Field(
        default=None,
        description="`none` or `auto` (the service never calls a tool); one that requires "
        "a tool call is refused",
    )

    @model_validator(mode="after")
    def _no_required_tool_call(self) -> CompletionRequest:
        if self.tool_choice is not None and self.tool_choice not in NO_TOOL_CALLS:
            raise ValueError(
                f"tool_choice {self.tool_choice!r} is not supported: paper-rag answers with "
                "cited text and never calls a tool (use 'auto' or 'none')"
            )
        return self


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class CompletionChoice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class Usage(BaseModel):
    """Token counts: the LLM's own, summed over the calls behind the answer, when it
    reported them (non-streamed answers); otherwise estimated at 4 characters per token
    (streamed answers, extractive answers, which use no LLM)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage
    warnings: list[str] = Field(
        default_factory=list, description="e.g. the LLM failed and the answer is extractive"
    )
    citations: list[Citation] = Field(
        default_factory=list, description="The cited papers, numbered as in the content."
    )


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "paper-rag"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]

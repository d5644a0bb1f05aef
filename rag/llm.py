"""Chat completions from any OpenAI-compatible endpoint through the official SDK.

Retries live in exactly one place: the SDK (`max_retries`), which retries 408/409/429,
5xx, connection errors and timeouts with exponential backoff and honours `Retry-After`.
After the retries a typed `LLMError` is raised; nothing here ever invents text.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import httpx
import openai
from openai import AsyncOpenAI
from pydantic import BaseModel

from rag.config import Settings
from rag.errors import RagError

Reason = Literal["rate_limited", "unavailable", "timeout", "bad_response", "auth"]


class LLMError(RagError):
    """The LLM could not produce an answer (after the SDK's retries). Its `kind` is
    `llm_<reason>`; a rejected key is the deployment's fault, the rest the provider's."""

    def __init__(self, reason: Reason, message: str) -> None:
        self.reason = reason
        self.kind = f"llm_{reason}"
        self.blame = "server" if reason == "auth" else "upstream"
        super().__init__(message)


def _translate(exc: Exception) -> LLMError:
    if isinstance(exc, openai.RateLimitError):
        return LLMError("rate_limited", "the LLM is rate limiting requests (HTTP 429)")
    if isinstance(exc, openai.APITimeoutError):
        return LLMError("timeout", "the LLM did not answer in time")
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return LLMError("auth", f"the LLM rejected the API key (HTTP {exc.status_code})")
    if isinstance(exc, openai.APIStatusError):
        return LLMError("unavailable", f"the LLM returned HTTP {exc.status_code}")
    if isinstance(exc, openai.APIConnectionError):
        return LLMError("unavailable", "cannot connect to the LLM endpoint")
    return LLMError("bad_response", f"unusable response from the LLM: {exc}")


LLMObserver = Callable[[str, float], None]
"""Called after every LLM request with its outcome ("ok" or an error kind) and seconds;
the service counts calls in its metrics this way without rag/ knowing about them."""


class TokenCount(BaseModel):
    """Tokens the upstream LLM reported, summed over the calls behind one answer (the
    follow-up rewrite and the answer itself)."""

    prompt_tokens: int
    completion_tokens: int


@dataclass
class UsageMeter:
    """Collects the usage each LLM call of one answer reports."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    unreported: int = 0

    def add(self, usage: Any | None) -> None:
        self.calls += 1
        if usage is None or getattr(usage, "prompt_tokens", None) is None:
            self.unreported += 1
            return
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens or 0

    def reported(self) -> TokenCount | None:
        """The totals, only when every call reported its usage (a streamed call does not:
        asking for it needs `stream_options`, which not every compatible server accepts)."""
        if not self.calls or self.unreported:
            return None
        return TokenCount(
            prompt_tokens=self.prompt_tokens, completion_tokens=self.completion_tokens
        )


class ChatModel(Protocol):
    """What answering needs from a chat model: `ChatLLM` in production, a fake in tests.
    `meter`, when given, is told each call's reported usage."""

    model: str

    async def complete(
        self, messages: list[dict[str, str]], meter: UsageMeter | None = None
    ) -> str: ...

    def stream(
        self, messages: list[dict[str, str]], meter: UsageMeter | None = None
    ) -> AsyncIterator[str]: ...


class ChatLLM:
    """Thin async wrapper: one request in, text (or text deltas) out."""

    def __init__(self, settings: Settings, observer: LLMObserver | None = None) -> None:
        self.observer = observer
        self.model = settings.llm_model
        self.temperature = settings.llm_temperature
        self.max_tokens = settings.llm_max_tokens
        self._settings = settings
        self._clients: dict[asyncio.AbstractEventLoop, AsyncOpenAI] = {}

    @property
    def _client(self) -> AsyncOpenAI:
        """The client of the running event loop. Pooled connections belong to the loop
        that opened them: with one client for all loops, every second
        `asyncio.run(rag.answer(...))` in a script failed on the first loop's dead
        connection and fell back to an extractive answer. Clients of closed loops are
        dropped here, so a script running a loop per question holds one."""
        loop = asyncio.get_running_loop()
        for closed in [other for other in self._clients if other.is_closed()]:
            del self._clients[closed]
        if loop not in self._clients:
            settings = self._settings
            self._clients[loop] = AsyncOpenAI(
                api_key=settings.openai_api_key or "not-needed",  # local servers ignore it
                base_url=settings.openai_base_url,
                max_retries=settings.llm_max_retries,
                timeout=httpx.Timeout(settings.llm_timeout, connect=settings.llm_connect_timeout),
            )
        return self._clients[loop]

    def _observe(self, outcome: str, started: float) -> None:
        if self.observer is not None:
            self.observer(outcome, time.perf_counter() - started)

    async def complete(
        self, messages: list[dict[str, str]], meter: UsageMeter | None = None
    ) -> str:
        started = time.perf_counter()
        try:
            response = await self._client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                temperature=self.temperature,
                max_tokens=self.max_tokens,
            )
            content = response.choices[0].message.content
        except (openai.OpenAIError, IndexError, AttributeError, TypeError, ValueError) as exc:
            error = _translate(exc)
            self._observe(error.reason, started)
            raise error from exc
        if content is None:
            self._observe("bad_response", started)
            raise LLMError("bad_response", "the LLM returned no text")
        self._observe("ok", started)
        if meter is not None:
            meter.add(response.usage)
        return content

    async def stream(
        self, messages: list[dict[str, str]], meter: UsageMeter | None = None
    ) -> AsyncIterator[str]:
        """Text deltas as they arrive. Errors before or during the stream raise LLMError."""
        started = time.perf_counter()
        if meter is not None:
            meter.add(None)  # see `UsageMeter.reported`
        try:
            stream = await self._client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                stream=True,
            )
            async with stream:  # closed (and the HTTP response with it) if we stop early
                async for chunk in stream:
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
        except (openai.OpenAIError, httpx.HTTPError, AttributeError, TypeError, ValueError) as exc:
            error = _translate(exc)
            self._observe(error.reason, started)
            raise error from exc
        self._observe("ok", started)


def make_llm(settings: Settings, observer: LLMObserver | None = None) -> ChatLLM | None:
    """The configured chat model, or None for extractive answers (`Settings.llm_enabled`)."""
    return ChatLLM(settings, observer) if settings.llm_enabled else None

"""Request ids, structured logs, Prometheus metrics and the request-body limit.

One ASGI middleware does all per-request bookkeeping so every route (and every error
path) gets it: it assigns a request id (the caller's `X-Request-ID` when sane), returns it
as a header, rejects oversized bodies with the uniform 413, and logs and counts the
request under its route template (not the raw path, which would explode the label set).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from pythonjsonlogger.json import JsonFormatter
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from rag import Answer

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = logging.getLogger("api.access")
log = logging.getLogger("api")


def request_id() -> str:
    """The current request's id ("-" outside a request)."""
    return _request_id.get()


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        record.__dict__.pop("color_message", None)  # uvicorn's ANSI duplicate of the message
        return True


def configure_logging(fmt: str = "json", level: str = "INFO") -> None:
    """Root logging for `rag serve`: JSON lines (or plain text) carrying the request id."""
    handler = logging.StreamHandler()
    handler.addFilter(_RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "{asctime}{levelname}{name}{message}{request_id}",
                style="{",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # our access log has more
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # logs each index build at DEBUG


class Metrics:
    """The service's Prometheus metrics, in a registry of their own (one per app)."""

    def __init__(self) -> None:
        self.llm_failures_in_a_row = 0
        self.last_llm_failure: str | None = None
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "rag_http_requests",
            "HTTP requests by route, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "rag_http_request_seconds",
            "HTTP request latency (to the last byte, streams included) by route.",
            ["route", "method"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=self.registry,
        )
        self.llm_calls = Counter(
            "rag_llm_calls", "LLM requests by outcome.", ["outcome"], registry=self.registry
        )
        self.llm_latency = Histogram(
            "rag_llm_call_seconds", "LLM request latency.", registry=self.registry
        )
        self.errors = Counter(
            "rag_errors",
            "Error responses and stream errors by type.",
            ["type"],
            registry=self.registry,
        )
        self.answers = Counter("rag_answers", "Answers by mode.", ["mode"], registry=self.registry)
        self.abstentions = Counter(
            "rag_abstentions",
            "Answers that said the papers do not cover the question.",
            registry=self.registry,
        )
        self.fallbacks = Counter(
            "rag_llm_fallbacks",
            "Answers composed extractively because the LLM failed.",
            registry=self.registry,
        )
        self.feedback = Counter(
            "rag_feedback",
            "Feedback on answers by channel and vote.",
            ["channel", "vote"],
            registry=self.registry,
        )

    def observe_answer(self, answer: Answer) -> None:
        """Every final answer, from any surface (HTTP, Slack)."""
        self.answers.labels(answer.mode).inc()
        if answer.abstained:
            self.abstentions.inc()
        if answer.fallback is not None:
            self.fallbacks.inc()
            log.warning("answered without the LLM: %s", answer.fallback.message)

    def observe_llm(self, outcome: str, seconds: float) -> None:
        self.llm_calls.labels(outcome).inc()
        self.llm_latency.observe(seconds)
        if outcome == "ok":
            self.llm_failures_in_a_row, self.last_llm_failure = 0, None
        else:
            self.llm_failures_in_a_row += 1
            self.last_llm_failure = outcome

    def llm_health(self) -> str:
        """ "ok", "unused" or "failing: N calls in a row (KIND)", for /readyz."""
        if self.llm_failures_in_a_row:
            return (
                f"failing: {self.llm_failures_in_a_row} calls in a row "
                f"({self.last_llm_failure}); answers fall back to extractive"
            )
        return "ok" if self.llm_calls_seen() else "unused"

    def llm_calls_seen(self) -> bool:
        return any(
            sample.value > 0
            for metric in self.llm_calls.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
        )


class _BodyTooLarge(HTTPException):
    """Raised from `receive` when a body without Content-Length grows past the limit; an
    HTTPException so FastAPI's body parsing passes it on to the uniform 413 handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds {limit} bytes")


class RequestContextMiddleware:
    """Request id, body limit, access log and request metrics (pure ASGI: streams pass
    through untouched)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        rid = given if _SANE_ID.match(given) else uuid.uuid4().hex
        token = _request_id.set(rid)
        started = time.perf_counter()
        status = 500
        response_started = False
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge(self.max_body_bytes)
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            declared = headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                await self._too_large(send_with_id)
            else:
                await self.app(scope, limited_receive, send_with_id)
        except _BodyTooLarge:
            if response_started:
                raise
            await self._too_large(send_with_id)
        except Exception:
            # Answered here, not by Starlette's outermost handler: that one runs after this
            # middleware, so its 500 had no X-Request-ID, its log line no request id, and
            # re-raising made the server drop the keep-alive connection.
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if response_started:
                raise
            await self._internal_error(send_with_id, rid)
        finally:
            self._record(scope, status, time.perf_counter() - started)
            _request_id.reset(token)

    async def _internal_error(self, send: Send, rid: str) -> None:
        message = f"internal error; the server log has the details (request id {rid})"
        await self._error(send, 500, "internal_error", message)

    async def _too_large(self, send: Send) -> None:
        message = f"request body exceeds {self.max_body_bytes} bytes"
        await self._error(send, 413, "request_too_large", message)

    async def _error(self, send: Send, status: int, kind: str, message: str) -> None:
        """The API's error body, sent from here (outside the app's own error handlers)."""
        self.metrics.errors.labels(kind).inc()
        body = json.dumps({"error": {"type": kind, "message": message}}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route: Any = scope.get("route")
        template = getattr(route, "path_format", None) or "unmatched"
        method = scope["method"]
        self.metrics.requests.labels(template, method, str(status)).inc()
        self.metrics.latency.labels(template, method).observe(seconds)
        access_log.info(
            "%s %s %s %.1fms",
            method,
            scope["path"],
            status,
            seconds * 1000,
            extra={"route": template, "status": status, "duration_ms": round(seconds * 1000, 1)},
        )

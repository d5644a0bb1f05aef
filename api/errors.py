"""One error shape for every failure: `{"error": {"type", "message"}}` (OpenAI's shape,
so OpenAI clients surface our messages), plus FastAPI's `detail` for validation errors.

Library errors (`RagError`) map to HTTP statuses here and nowhere else, by their `kind`
(`STATUS`), with the message every surface shows (`rag.errors.explain`); the SSE routes
use the same mapping for their `error` events. Unexpected exceptions become a 500 that
names the request id for the logs, never a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from api.observability import request_id
from rag import RagError, explain

log = logging.getLogger("api")

STATUS: dict[str, int] = {
    "invalid_request": 400,
    "limit_exceeded": 400,
    "corpus_error": 400,
    "not_found": 404,
    "not_ready": 503,
    "busy": 503,
    "misconfigured": 503,
    "index_missing": 503,
    "embedder_mismatch": 503,
    "store_damaged": 503,
    "llm_rate_limited": 503,
    "llm_timeout": 504,
    "llm_unavailable": 502,
    "llm_bad_response": 502,
    "llm_auth": 502,
}
"""HTTP status per error kind. The deployment's problems (not ready, misconfigured, a
damaged store) are 503: no retry of the same request by the client fixes them, and a
load balancer should route around the instance. LLM failures (after the SDK's retries)
are gateway errors: the upstream failed, not us. Kinds missing here: 400 if the client is
to blame, else 503."""


class ErrorDetail(BaseModel):
    type: str
    message: str
    detail: list[dict[str, Any]] | None = None
    suggestions: list[str] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (400, "Invalid request or a configured limit exceeded"),
        (401, "Missing or invalid API key"),
        (404, "Unknown paper or model"),
        (413, "Request body too large"),
        (422, "Request validation failed"),
        (502, "The LLM failed"),
        (503, "Not ready (index loading or being built) or the LLM is rate limiting"),
        (504, "The LLM timed out"),
    )
}
"""The error statuses every /v1 route documents in the OpenAPI schema."""


class ApiError(Exception):
    """An error raised by the HTTP layer itself (auth, limits, readiness, unknown ids)."""

    def __init__(
        self, status: int, type_: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        self.status, self.type, self.message, self.headers = status, type_, message, headers
        super().__init__(message)


def classify(exc: Exception) -> tuple[int, ErrorDetail]:
    """HTTP status and error body for any exception."""
    if isinstance(exc, ApiError):
        return exc.status, ErrorDetail(type=exc.type, message=exc.message)
    if isinstance(exc, RagError):
        status = STATUS.get(exc.kind, 400 if exc.blame == "client" else 503)
        return status, ErrorDetail(
            type=exc.kind, message=explain(exc), suggestions=list(exc.suggestions) or None
        )
    log.error("unhandled error", exc_info=exc)
    return 500, ErrorDetail(
        type="internal_error", message=f"{explain(exc)} (request id {request_id()})"
    )


def error_response(
    request: Request, status: int, detail: ErrorDetail, headers: dict[str, str] | None = None
) -> JSONResponse:
    request.app.state.metrics.errors.labels(detail.type).inc()
    body = ErrorBody(error=detail).model_dump(exclude_none=True)
    return JSONResponse(jsonable_encoder(body), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = jsonable_encoder(exc.errors(), exclude={"input", "ctx", "url"})
        first = errors[0] if errors else {}
        where = ".".join(str(part) for part in first.get("loc", []))
        message = f"invalid request: {where}: {first.get('msg', 'invalid value')}"
        return error_response(
            request, 422, ErrorDetail(type="invalid_request", message=message, detail=errors)
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        kind = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}
        return error_response(
            request,
            exc.status_code,
            ErrorDetail(type=kind.get(exc.status_code, "http_error"), message=str(exc.detail)),
            dict(exc.headers) if exc.headers else None,
        )

    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        status, detail = classify(exc)
        headers = exc.headers if isinstance(exc, ApiError) else None
        if status == 503 and headers is None:
            headers = {"Retry-After": "5"}
        return error_response(request, status, detail, headers)

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    for kind in (ApiError, RagError, Exception):  # Exception: the 500 of last resort
        app.add_exception_handler(kind, on_error)

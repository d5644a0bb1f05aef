"""What a request must pass before any work starts: an API key, configured size limits,
and a ready index. Each failure is an `ApiError` with the uniform body."""

from __future__ import annotations

import hmac

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from api.service import Ready, Service
from rag.config import Settings

bearer = HTTPBearer(auto_error=False, description="One of the keys in RAG_API_KEYS.")


def service(request: Request) -> Service:
    return request.app.state.service  # type: ignore[no-any-return]


def settings(request: Request) -> Settings:
    return service(request).settings


def ready(request: Request) -> Ready:
    return service(request).ready()


def key_matches(given: str, keys: list[str]) -> bool:
    """Constant-time in the key's content: every configured key is compared in full."""
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(given.encode(), key.encode())
    return matched


def require_key(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> None:
    keys = settings(request).api_keys
    if not keys:
        return
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            401,
            "unauthorized",
            "missing API key: send 'Authorization: Bearer <key>'",
            {"WWW-Authenticate": "Bearer"},
        )
    if not key_matches(credentials.credentials, keys):
        raise ApiError(401, "unauthorized", "invalid API key", {"WWW-Authenticate": "Bearer"})


def check_chat(turns: list[tuple[str, str]], k: int | None, config: Settings) -> None:
    """Size limits of one chat request: `turns` are (role, text), the question last."""
    if len(turns) > config.max_messages:
        raise ApiError(
            400,
            "limit_exceeded",
            f"too many messages: {len(turns)} (at most {config.max_messages}, "
            "the question included)",
        )
    question = turns[-1][1]
    if not question.strip():
        raise ApiError(400, "invalid_request", "the question (last message) is empty")
    if len(question) > config.max_question_chars:
        raise ApiError(
            400,
            "limit_exceeded",
            f"the question is {len(question)} characters long "
            f"(at most {config.max_question_chars})",
        )
    for number, (_, text) in enumerate(turns[:-1], 1):
        if len(text) > config.max_message_chars:
            raise ApiError(
                400,
                "limit_exceeded",
                f"message {number} is {len(text)} characters long "
                f"(at most {config.max_message_chars})",
            )
    if k is not None and k > config.max_chat_k:
        raise ApiError(400, "limit_exceeded", f"k is {k} (at most {config.max_chat_k})")


def check_text(text: str, what: str, config: Settings) -> None:
    if not text.strip():
        raise ApiError(400, "invalid_request", f"the {what} is empty")
    if len(text) > config.max_question_chars:
        raise ApiError(
            400,
            "limit_exceeded",
            f"the {what} is {len(text)} characters long (at most {config.max_question_chars})",
        )

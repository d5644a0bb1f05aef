"""What a request must pass before any work starts: an API key and a ready index (size
limits are the library's: `PaperRAG` checks them for every surface)."""

from __future__ import annotations

import hmac

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from api.service import Service
from rag import PaperRAG, Settings

bearer = HTTPBearer(auto_error=False, description="One of the keys in RAG_API_KEYS.")


def service(request: Request) -> Service:
    return request.app.state.service  # type: ignore[no-any-return]


def settings(request: Request) -> Settings:
    return service(request).settings


# The guards are `async def` although they never await: FastAPI runs a plain `def`
# dependency in a worker thread, a hop per request that only adds latency under load.


async def ready(request: Request) -> PaperRAG:
    return service(request).ready()


def key_matches(given: str, keys: list[str]) -> bool:
    """Constant-time in the key's content: every configured key is compared in full."""
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(given.encode(), key.encode())
    return matched


async def require_key(
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

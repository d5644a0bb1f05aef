"""Slack request signatures, checked before Bolt sees a request, and replays dropped.

Bolt verifies signatures too, but a non-numeric timestamp or a body that is not UTF-8
made it fail with a 500 (and a traceback) instead of refusing the caller, and a signed
request replayed within Slack's five-minute window (a slash command has no event id to
de-duplicate) was answered again. Here every request must carry a numeric timestamp
and a valid signature (401 otherwise), and each signature is accepted once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from fastapi import Request

from api.errors import ApiError
from api.slack.bot import RecentEvents

log = logging.getLogger("api.slack")
WINDOW_SECONDS = 300
"""Slack's own limit: a request older than five minutes is refused (and cannot replay)."""


class SignedRequests:
    def __init__(self, signing_secret: str) -> None:
        self._secret = signing_secret.encode()
        self._seen = RecentEvents(ttl=WINDOW_SECONDS + 60, size=100_000)

    def fresh(self, body: bytes, request: Request) -> bool:
        """True for a valid, first-seen request; False for a replay (answer 200, do
        nothing); raises a 401 `ApiError` for anything not signed by Slack."""
        stamp = request.headers.get("x-slack-request-timestamp", "")
        signature = request.headers.get("x-slack-signature", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > WINDOW_SECONDS:
            raise ApiError(401, "unauthorized", "missing, malformed or stale Slack timestamp")
        if not hmac.compare_digest(signature, self._signature(stamp, body)):
            raise ApiError(401, "unauthorized", "invalid Slack signature")
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(400, "invalid_request", "the request body is not UTF-8") from None
        if not self._seen.first_time(signature):
            log.warning("replayed Slack request ignored (same signature within 5 minutes)")
            return False
        return True

    def _signature(self, stamp: str, body: bytes) -> str:
        """Slack's v0 signature, over the raw bytes (slack_sdk's verifier decodes the body
        first and raises on anything that is not UTF-8)."""
        digest = hmac.new(self._secret, b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
        return f"v0={digest.hexdigest()}"

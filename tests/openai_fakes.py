"""OpenAI wire-format responses for respx: what an OpenAI-compatible server would send."""

from __future__ import annotations

import json

import httpx

BASE = "http://127.0.0.1:9/v1"
URL = f"{BASE}/chat/completions"
FAST_RETRY = {"retry-after-ms": "10"}


def completion(text: str) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "id": "c1",
            "object": "chat.completion",
            "created": 0,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        },
    )


def sse(pieces: list[str]) -> httpx.Response:
    events = [
        json.dumps(
            {
                "id": "c1",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "m",
                "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}],
            }
        )
        for p in pieces
    ]
    body = "".join(f"data: {e}\n\n" for e in events) + "data: [DONE]\n\n"
    return httpx.Response(200, content=body.encode(), headers={"content-type": "text/event-stream"})

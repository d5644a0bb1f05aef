"""OpenAI wire-format responses: for respx, and served on loopback by `StubLLM` (what
an OpenAI-compatible server would send), plus waiting for a `rag serve` that calls it.
Used by the tests and by `bench/`."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
from aiohttp import web

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


class StubLLM:
    """An OpenAI-compatible chat-completions server on 127.0.0.1 that answers `pieces`
    (streamed or not, as asked) after `delay` seconds, for a real `rag serve` to call."""

    def __init__(self, pieces: list[str], delay: float = 0.1) -> None:
        self.pieces, self.delay = pieces, delay
        self.calls = 0
        self._runner: web.AppRunner | None = None

    async def _completions(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls += 1
        await asyncio.sleep(self.delay)
        reply = sse(self.pieces) if body.get("stream") else completion("".join(self.pieces))
        return web.Response(body=reply.content, content_type=reply.headers["content-type"])

    async def start(self, port: int) -> str:
        """Serve on `port`; returns the base URL to set as OPENAI_BASE_URL."""
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        return f"http://127.0.0.1:{port}/v1"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def wait_until_ready(client: httpx.AsyncClient, seconds: float) -> None:
    """Poll `/readyz` of a `rag serve` starting up (it may not listen yet) until it is 200."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise TimeoutError(f"{client.base_url} not ready after {seconds:.0f} s")

"""Benchmark the HTTP service under concurrent load; prints one table.

A local OpenAI-compatible stub answers every chat after a fixed delay, so the LLM's
time is known exactly; "overhead" is each request's latency minus that delay: what the
service itself adds (retrieval, gate, prompt, citations, HTTP, SSE). `rag serve` runs
as a subprocess on loopback against the index in RAG_DATA_DIR (the bundled corpus is
ingested on its first start), and N clients send requests back to back.

Targets (2-core machine): search p50 overhead < 30 ms; chat p50 overhead < 50 ms at
8 clients; with a 500 ms LLM, 32 clients reach >= 30 chats/s (the LLM is the bottleneck).

Run: `python bench/api.py` (about 2 minutes once the index exists).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from aiohttp import web
from rich.console import Console
from rich.table import Table

from rag.config import Settings
from rag.corpus import bundled_corpus, load_corpus

STUB_ANSWER = ["The paper ", "proposes ", "a method ", "that works [1]", ", see also [2]."]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StubLLM:
    """OpenAI-compatible chat completions answering after `delay` seconds."""

    def __init__(self) -> None:
        self.delay = 0.1
        self.calls = 0

    async def completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.calls += 1
        await asyncio.sleep(self.delay)
        if not body.get("stream"):
            return web.json_response(
                {
                    "id": "stub",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "".join(STUB_ANSWER)},
                            "finish_reason": "stop",
                        }
                    ],
                }
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for piece in STUB_ANSWER:
            chunk = {
                "id": "stub",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": body["model"],
                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
            }
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        return response

    async def start(self, port: int) -> web.AppRunner:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.completions)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner


def questions() -> list[str]:
    """Answerable questions built from corpus titles (so the gate passes and the LLM runs)."""
    papers = load_corpus(bundled_corpus(), year=2025).papers
    return [f"What does the paper '{p.title}' propose?" for p in papers[::10]]


Request = Callable[[httpx.AsyncClient, int], Awaitable[None]]


async def load(
    client: httpx.AsyncClient, request: Request, clients: int, total: int
) -> tuple[list[float], float]:
    """Run `total` requests from `clients` concurrent workers; (latencies, wall seconds)."""
    latencies: list[float] = []
    counter = iter(range(total))

    async def worker() -> None:
        for i in counter:
            started = time.perf_counter()
            await request(client, i)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, time.perf_counter() - started


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


async def main() -> None:
    stub, stub_port, port = StubLLM(), free_port(), free_port()
    runner = await stub.start(stub_port)
    settings = Settings()
    env = {
        **os.environ,
        "OPENAI_BASE_URL": f"http://127.0.0.1:{stub_port}/v1",
        "OPENAI_API_KEY": "stub",
        "RAG_LLM": "openai",
        "RAG_LLM_MAX_RETRIES": "0",
        "RAG_LOG_LEVEL": "WARNING",
        "RAG_API_KEYS": "",
    }
    rag = Path(sys.executable).with_name("rag")
    server = subprocess.Popen([str(rag), "serve", "--port", str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    qs = questions()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.5)
            print(f"service ready on {base} (data dir {settings.data_dir})", file=sys.stderr)

            async def search(c: httpx.AsyncClient, i: int) -> None:
                r = await c.get("/v1/search", params={"q": qs[i % len(qs)], "k": 10})
                r.raise_for_status()

            async def chat(c: httpx.AsyncClient, i: int) -> None:
                body = {"messages": [{"role": "user", "content": qs[i % len(qs)]}]}
                r = await c.post("/v1/chat", json=body)
                r.raise_for_status()
                assert r.json()["mode"] == "llm", r.text

            async def chat_stream(c: httpx.AsyncClient, i: int) -> None:
                body = {"messages": [{"role": "user", "content": qs[i % len(qs)]}], "stream": True}
                async with c.stream("POST", "/v1/chat", json=body) as r:
                    r.raise_for_status()
                    text = "".join([line async for line in r.aiter_lines()])
                assert "event: done" in text, text[-300:]

            scenarios: list[tuple[str, Request, float, int, int]] = [
                ("search", search, 0.0, 1, 100),
                ("search", search, 0.0, 8, 200),
                ("chat", chat, 0.1, 1, 40),
                ("chat", chat, 0.1, 8, 160),
                ("chat (stream)", chat_stream, 0.1, 8, 160),
                ("chat", chat, 0.5, 32, 320),
                ("chat (stream)", chat_stream, 0.5, 32, 320),
            ]
            # Warm-up: connections, the first LLM call, and the quote cache for the papers
            # these questions cite (steady state; a paper's first citation costs ~0.1 s).
            await load(client, chat, 4, len(qs))
            table = Table(title="HTTP service under load (overhead = latency - LLM delay)")
            for column in (
                "route",
                "LLM delay",
                "clients",
                "requests",
                "req/s",
                "p50 overhead ms",
                "p95 overhead ms",
            ):
                table.add_column(column, justify="right")
            for name, request, delay, clients, total in scenarios:
                stub.delay = delay
                latencies, wall = await load(client, request, clients, total)
                table.add_row(
                    name,
                    f"{delay * 1000:.0f} ms" if delay else "-",
                    str(clients),
                    str(total),
                    f"{total / wall:.1f}",
                    f"{(pct(latencies, 50) - delay) * 1000:.1f}",
                    f"{(pct(latencies, 95) - delay) * 1000:.1f}",
                )
            Console().print(table)
    finally:
        server.terminate()
        server.wait(30)
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())

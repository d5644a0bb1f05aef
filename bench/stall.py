"""Can citation lookups stall search? Ten concurrent 2,000-character `/v1/cite` requests
while one client searches: all lookups at once with the model lock held per call (the
baseline), then the service's settings (`CONCURRENT_LOOKUPS` at a time, the lock
released every `SERVE_LOCK_SLICE` texts), in one run.

Uses the index in RAG_DATA_DIR (ingest the bundled corpus first: `rag ingest`); the app
runs in this process behind httpx's ASGI transport, so only the service's own work is
timed. Prints search latency while the lookups run.

    python bench/stall.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.app import CONCURRENT_LOOKUPS, create_app  # noqa: E402
from rag.config import get_settings  # noqa: E402
from rag.embeddings import SERVE_LOCK_SLICE, LocalEmbedder  # noqa: E402


async def run(lock_slice: int | None, lookups: int, texts: list[str], rounds: int) -> list[float]:
    embedder = LocalEmbedder()
    app = create_app(get_settings().model_copy(update={"llm": "none"}), embedder=embedder)
    async with app.router.lifespan_context(app):
        await app.state.service.wait_ready(600)
        embedder.lock_slice = lock_slice
        app.state.lookups = asyncio.Semaphore(lookups)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://b", timeout=120) as c:
            latencies: list[float] = []
            for _ in range(rounds):
                app.state.service.ready().retriever._sentence_cache.clear()  # cold quotes
                cites = [asyncio.create_task(c.post("/v1/cite", json={"text": t})) for t in texts]
                while not all(task.done() for task in cites):
                    started = time.perf_counter()
                    await c.get("/v1/search", params={"q": "graph neural networks", "k": 5})
                    latencies.append(time.perf_counter() - started)
                await asyncio.gather(*cites)
            return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    topics = [
        "graph",
        "pruning",
        "quantization",
        "optimizer",
        "retrieval",
        "diffusion",
        "reinforcement",
        "kernel",
        "transformer",
        "spiking",
    ]
    texts = [
        (f"Neural {topic} methods improve accuracy and efficiency on standard benchmarks. " * 30)[
            :2000
        ]
        for topic in topics
    ]
    print("| citation lookups | searches during them | search p50 | search max |")
    print("|---|---|---|---|")
    setups = (
        ("all 10 at once, model lock per call (before)", None, len(texts)),
        (
            f"{CONCURRENT_LOOKUPS} at a time, lock every {SERVE_LOCK_SLICE} texts (service)",
            SERVE_LOCK_SLICE,
            CONCURRENT_LOOKUPS,
        ),
    )
    for label, lock_slice, lookups in setups:
        latencies = asyncio.run(run(lock_slice, lookups, texts, args.rounds))
        print(
            f"| {label} | {len(latencies)} | {statistics.median(latencies) * 1000:.0f} ms "
            f"| {max(latencies) * 1000:.0f} ms |"
        )


if __name__ == "__main__":
    main()

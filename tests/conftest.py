"""Shared fixtures: the real local embedder (loaded once), small corpora, settings per test."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from rag.config import Settings
from rag.embeddings import LocalEmbedder

ABSTRACT = (
    "We study {topic} in depth. Our method, called {name}, improves accuracy on three "
    "benchmarks by a wide margin while using fewer parameters than prior work. "
    "Experiments show that {name} is robust to noise and scales to large datasets."
)


def make_abstract(topic: str, name: str) -> str:
    return ABSTRACT.format(topic=topic, name=name)


@pytest.fixture(scope="session")
def embedder() -> LocalEmbedder:
    """The real all-MiniLM-L6-v2 from the gt package; loading it once keeps the suite fast."""
    return LocalEmbedder(batch_size=64)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", collection="test")


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    import json

    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    rows = [
        {
            "title": "Graph Neural Networks for Molecules",
            "date": "2021-03-04",
            "abstract": make_abstract("molecular property prediction with graphs", "MolGNN"),
        },
        {
            "title": "Sparse Attention for Long Documents",
            "date": "2022-06-01",
            "abstract": make_abstract("efficient transformers for long documents", "LongSparse"),
        },
        {
            "title": "Reinforcement Learning for Robot Grasping",
            "date": "2023-09-15",
            "abstract": make_abstract("robotic grasping with reinforcement learning", "GraspRL"),
        },
        {
            "title": "Diffusion Models for Audio Synthesis",
            "date": "2024-01-20",
            "abstract": make_abstract("audio generation with diffusion", "WaveDiff"),
        },
    ]
    return write_jsonl(tmp_path / "small.jsonl", rows)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory, embedder):  # type: ignore[no-untyped-def]
    """The bundled corpus ingested once per session (about a minute with the real model)."""
    from rag.index import Index, ingest_paths

    settings = Settings(data_dir=tmp_path_factory.mktemp("sample"), collection="sample", llm="none")
    report = ingest_paths(settings, [], year=2025, embedder=embedder)
    assert (report.files, report.entries, report.new) == (4, 544, 497)
    return settings, Index.open(settings, embedder=embedder).retriever()


@pytest.fixture
async def api(sample_index, embedder):  # type: ignore[no-untyped-def]
    """Factory of HTTP clients, each talking to a fresh app (own settings, metrics and
    service) over the session's sample index, through the ASGI interface."""
    from contextlib import AsyncExitStack

    import httpx

    from api.app import create_app

    settings, _ = sample_index
    async with AsyncExitStack() as stack:

        async def make(**overrides: object) -> httpx.AsyncClient:
            app = create_app(settings.model_copy(update=overrides), embedder=embedder)
            await stack.enter_async_context(app.router.lifespan_context(app))
            await app.state.service.wait_ready(120)
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            client = httpx.AsyncClient(transport=transport, base_url="http://rag.test")
            return await stack.enter_async_context(client)

        yield make

"""Shared fixtures: fakes by default (`HashEmbedder`, `FakeLLM`), the real model for the
slow end-to-end tests, small corpora, and a clean environment for every test.

Every test runs in its own working directory with `OPENAI_*`, `RAG_*` and `SLACK_*`
cleared and the cached settings reset, so a developer's shell or `.env` cannot change
what a test sees.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from rag.config import Settings, get_settings
from rag.embeddings import LocalEmbedder
from rag.paper_rag import PaperRAG
from tests.fakes import HashEmbedder

ISOLATED = ("OPENAI_", "RAG_", "SLACK_")

ABSTRACT = (
    "We study {topic} in depth. Our method, called {name}, improves accuracy on three "
    "benchmarks by a wide margin while using fewer parameters than prior work. "
    "Experiments show that {name} is robust to noise and scales to large datasets."
)


SEARCH_HIT_FIELDS = {
    "rank",
    "paper_id",
    "title",
    "score",
    "relevance",
    "date",
    "date_precision",
    "snippet",
}
"""What one search result holds, in `/v1/search` and `rag search --json` alike."""


def make_abstract(topic: str, name: str) -> str:
    return ABSTRACT.format(topic=topic, name=name)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for name in list(os.environ):
        if name.startswith(ISOLATED):
            monkeypatch.delenv(name)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)  # no developer's .env is read
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def embedder() -> HashEmbedder:
    """The fast default: deterministic bag-of-words vectors (see `tests/fakes.py`)."""
    return HashEmbedder()


@pytest.fixture(scope="session")
def real_embedder() -> LocalEmbedder:
    """The real all-MiniLM-L6-v2 from the gt package, for slow tests (loaded once)."""
    return LocalEmbedder()


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


def _bundled(folder: Path, embedder: object) -> tuple[Settings, PaperRAG]:
    settings = Settings(data_dir=folder, collection="sample", llm="none")
    rag = PaperRAG.open(settings, embedder=embedder, create=True)  # type: ignore[arg-type]
    report = rag.ingest([], year=2025)
    assert (report.files, report.entries, report.new) == (4, 544, 497)
    return settings, rag


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory, embedder):  # type: ignore[no-untyped-def]
    """(settings, PaperRAG) over the bundled corpus with the fake embedder (2-3 s)."""
    return _bundled(tmp_path_factory.mktemp("sample"), embedder)


@pytest.fixture(scope="session")
def real_sample_index(tmp_path_factory: pytest.TempPathFactory, real_embedder):  # type: ignore[no-untyped-def]
    """(settings, PaperRAG) over the bundled corpus with the real model (about 40 s)."""
    return _bundled(tmp_path_factory.mktemp("real-sample"), real_embedder)


@pytest.fixture
async def api(sample_index, embedder):  # type: ignore[no-untyped-def]
    """Factory of HTTP clients, each talking to a fresh app (own settings, metrics and
    service) over the session's sample index, through the ASGI interface."""
    from contextlib import AsyncExitStack

    import httpx

    from api.app import create_app

    settings, _ = sample_index
    async with AsyncExitStack() as stack:

        async def make(chat_model: object = None, **overrides: object) -> httpx.AsyncClient:
            config = settings.model_copy(update=overrides)
            app = create_app(config, embedder=embedder, llm=chat_model)  # type: ignore[arg-type]
            await stack.enter_async_context(app.router.lifespan_context(app))
            await app.state.service.wait_ready(120)
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            client = httpx.AsyncClient(transport=transport, base_url="http://rag.test")
            return await stack.enter_async_context(client)

        yield make


@pytest.fixture
def served(sample_index, embedder):  # type: ignore[no-untyped-def]
    """Factory of real HTTP servers (uvicorn on 127.0.0.1) over the session's sample
    index, for clients that need a socket (the MCP SDK, LangChain): returns the base URL."""
    import threading
    import time

    import httpx
    import uvicorn

    from api.app import create_app

    settings, _ = sample_index
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(chat_model: object = None, **overrides: object) -> str:
        config = settings.model_copy(update=overrides)
        app = create_app(config, embedder=embedder, llm=chat_model)  # type: ignore[arg-type]
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, port=port, log_config=None, access_log=False))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    return base
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"test server on {base} not ready")

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(10)

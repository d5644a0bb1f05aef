"""Service life: first start ingests the configured corpus, not-ready answers, a failed
start reported, and one end-to-end run of `rag serve` over real HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest

from api.app import create_app
from api.service import IngestProgress
from rag.config import Settings
from rag.index import ingest_paths
from tests.conftest import free_port, make_abstract, write_jsonl


def corpus(path: Path) -> Path:
    return write_jsonl(
        path,
        [
            {
                "title": "Graph Neural Networks for Molecules",
                "date": "2021-03-04",
                "arxiv_id": "2103.01234",
                "abstract": make_abstract("molecular property prediction with graphs", "MolGNN"),
            },
            {
                "title": "Dualities in String Theory",
                "arxiv_id": "hep-th/9901001",
                "abstract": make_abstract("string dualities", "StringDual"),
            },
            {
                "title": "Diffusion Models for Audio Synthesis",
                "date": "2024-01-20",
                "abstract": make_abstract("audio generation with diffusion", "WaveDiff"),
            },
        ],
    )


def client_for(app) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://rag.test")


def test_ingest_progress_gives_rate_and_time_left() -> None:
    progress = IngestProgress(total=150, started=time.monotonic() - 10)
    assert str(progress) == "0/150 papers, 0 chunks"  # no rate before the first batch
    assert progress.as_json() == {"papers": 0, "total": 150, "chunks": 0, "seconds_left": None}
    progress.papers, progress.chunks = 50, 80
    assert str(progress).startswith("50/150 papers, 80 chunks, 5.0 papers/s, about 20 s left")
    assert progress.as_json()["seconds_left"] == 20


async def test_first_start_ingests_then_serves(tmp_path, embedder) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        collection="fresh",
        llm="none",
        corpus=[corpus(tmp_path / "c.jsonl")],
    )
    app = create_app(settings, embedder=embedder)
    async with client_for(app) as client:
        not_started = await client.get("/readyz")
        assert not_started.status_code == 503 and not_started.json()["ready"] is False
        early = await client.get("/v1/search", params={"q": "graphs"})
        assert early.status_code == 503 and early.json()["error"]["type"] == "not_ready"
        assert early.headers["retry-after"]
        async with app.router.lifespan_context(app):
            await app.state.service.wait_ready(60)
            ready = (await client.get("/readyz")).json()
            assert ready["ready"] and ready["papers"] == 3
            by_arxiv = (await client.get("/v1/papers/arXiv:2103.01234")).json()
            assert by_arxiv["title"] == "Graph Neural Networks for Molecules"
            old_style = (await client.get("/v1/papers/hep-th/9901001")).json()
            assert old_style["title"] == "Dualities in String Theory"


async def test_failed_start_is_reported(tmp_path, embedder) -> None:
    settings = Settings(data_dir=tmp_path / "data", collection="mismatch", llm="none")
    ingest_paths(settings, [corpus(tmp_path / "c.jsonl")], embedder=embedder)
    wrong = settings.model_copy(update={"embedder": "openai", "openai_api_key": "sk-x"})
    app = create_app(wrong)
    async with client_for(app) as client, app.router.lifespan_context(app):
        with pytest.raises(RuntimeError, match="embedder"):
            await app.state.service.wait_ready(60)
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and "rag ingest --rebuild" in ready.json()["error"]
        search = await client.get("/v1/search", params={"q": "graphs"})
        assert "failed to start" in search.json()["error"]["message"]


def _service(settings: Settings):  # type: ignore[no-untyped-def]
    from api.observability import Metrics
    from api.service import Service
    from tests.fakes import HashEmbedder

    return Service(settings, Metrics(), embedder=HashEmbedder())


async def test_an_interrupted_first_start_resumes_and_is_ready_only_when_complete(
    tmp_path,
) -> None:
    from rag.index import Index
    from tests.fakes import HashEmbedder

    full = corpus(tmp_path / "full.jsonl")
    settings = Settings(data_dir=tmp_path / "data", collection="seed", llm="none", corpus=[full])
    # What a first start killed after one paper leaves behind: a partial, unfinished seed.
    first = write_jsonl(tmp_path / "first.jsonl", [json.loads(full.read_text().splitlines()[0])])
    store = Index.open(settings, create=True, embedder=HashEmbedder()).store
    store.mark_seeding("started")
    ingest_paths(settings, [first], embedder=HashEmbedder())
    service = _service(settings)
    service.start()
    try:
        await service.wait_ready(60)
        assert len(service.ready().retriever.catalog) == 3
        assert store.seeding() == "done"
    finally:
        service.stop()


async def test_a_first_start_that_loses_the_lock_waits_for_its_turn(tmp_path, monkeypatch) -> None:
    import asyncio

    from api import service as service_module
    from rag.store import writer_lock

    monkeypatch.setattr(service_module, "STORE_RETRY_SECONDS", 0.2)
    settings = Settings(
        data_dir=tmp_path / "data",
        collection="race",
        llm="none",
        corpus=[corpus(tmp_path / "c.jsonl")],
    )
    service = _service(settings)
    with writer_lock(settings):  # a `rag ingest` holds the lock
        service.start()
        for _ in range(100):  # opening the store first takes a moment on a busy machine
            if "waiting" in (service.error or ""):
                break
            await asyncio.sleep(0.1)
        assert service.status == "starting" and "waiting" in (service.error or "")
    try:
        await service.wait_ready(60)
        assert len(service.ready().retriever.catalog) == 3
    finally:
        service.stop()


async def test_a_damaged_store_gives_one_clear_message(tmp_path) -> None:
    from typer.testing import CliRunner

    from rag.cli import app as cli
    from rag.config import get_settings

    settings = Settings(data_dir=tmp_path / "data", collection="broken", llm="none")
    settings.chroma_dir.mkdir(parents=True)
    (settings.chroma_dir / "chroma.sqlite3").write_bytes(os.urandom(64 * 1024))
    service = _service(settings)
    service.start()
    with pytest.raises(RuntimeError, match="damaged"):
        await service.wait_ready(30)  # failed for good, not retried as an outage
    assert "chroma.sqlite3" in (service.error or "") and "rag ingest" in (service.error or "")
    os.environ["RAG_DATA_DIR"] = str(settings.data_dir)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["stats"])
    finally:
        del os.environ["RAG_DATA_DIR"]
        get_settings.cache_clear()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "damaged" in result.output and "chroma.sqlite3" in result.output


@pytest.mark.slow
def test_rag_serve_end_to_end(tmp_path) -> None:
    """The real command on a real port: first-start ingest, SSE arriving in pieces, the
    openai client streaming, and the access log in JSON with request ids."""
    port = free_port()
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(tmp_path / "data"),
        "RAG_CORPUS": str(corpus(tmp_path / "c.jsonl")),
        "RAG_LLM": "none",
        "RAG_API_KEYS": "secret",
    }
    rag = Path(sys.executable).with_name("rag")
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [str(rag), "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail("the service never became ready:\n" + (tmp_path / "serve.log").read_text())
        auth = {"Authorization": "Bearer secret"}
        body = {"messages": [{"role": "user", "content": "How does WaveDiff generate audio?"}]}
        with httpx.stream(
            "POST", f"{base}/v1/chat", json={**body, "stream": True}, headers=auth
        ) as response:
            kinds = [line[7:] for line in response.iter_lines() if line.startswith("event: ")]
        assert kinds[-1] == "done" and kinds.count("delta") >= 2
        client = openai.OpenAI(api_key="secret", base_url=f"{base}/v1")
        stream = client.chat.completions.create(
            model="paper-rag", messages=body["messages"], stream=True
        )
        text = "".join(chunk.choices[0].delta.content or "" for chunk in stream)
        assert "WaveDiff" in text and "**Sources**" in text
    finally:
        server.terminate()
        server.wait(30)
        log.close()
    lines = [json.loads(line) for line in (tmp_path / "serve.log").read_text().splitlines()]
    access = [line for line in lines if line["logger"] == "api.access"]
    assert any(line["route"] == "/v1/chat" and line["status"] == 200 for line in access)
    assert all(line["request_id"] != "-" for line in access)
    assert any("ingesting" in line["message"] for line in lines)
    assert any(  # the first-start ingest says how fast it goes and how long is left
        line["message"].startswith("ingest: 3/3 papers") and "papers/s, about" in line["message"]
        for line in lines
    )


@pytest.mark.slow
async def test_sigterm_lets_streamed_answers_in_flight_finish(tmp_path) -> None:
    """A restart (SIGTERM) while ten answers stream from a slow LLM cuts none of them."""
    import asyncio
    import signal

    from tests.openai_fakes import StubLLM, wait_until_ready

    stub = StubLLM(["WaveDiff generates audio ", "with diffusion [1]."], delay=1.5)
    port = free_port()
    base_url = await stub.start(free_port())
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(tmp_path / "data"),
        "RAG_CORPUS": str(corpus(tmp_path / "c.jsonl")),
        "RAG_LLM": "openai",
        "OPENAI_API_KEY": "stub",
        "OPENAI_BASE_URL": base_url,
        "RAG_LLM_MAX_RETRIES": "0",
    }
    rag = Path(sys.executable).with_name("rag")
    server = subprocess.Popen(
        [str(rag), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            await wait_until_ready(client, 120)
            body = {
                "messages": [{"role": "user", "content": "How does WaveDiff generate audio?"}],
                "stream": True,
            }
            chats = [asyncio.create_task(client.post("/v1/chat", json=body)) for _ in range(10)]
            async with asyncio.timeout(30):  # all ten in flight: each waiting on the LLM
                while stub.calls < 10:  # (a request still unread at SIGTERM is refused)
                    await asyncio.sleep(0.05)
            server.send_signal(signal.SIGTERM)
            replies = await asyncio.gather(*chats, return_exceptions=True)
        finished = [r for r in replies if isinstance(r, httpx.Response) and "event: done" in r.text]
        assert len(finished) == 10, replies
        assert server.wait(30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
    finally:
        server.kill()
        await stub.stop()


async def test_a_store_error_stops_start_up_but_an_outage_is_waited_for(
    tmp_path, monkeypatch
) -> None:
    """A store that refuses a query fails start-up with its error (after a few tries); a
    Chroma server that cannot be reached is retried until it comes up."""
    import httpx

    from api import service as service_module
    from rag.paper_rag import PaperRAG

    monkeypatch.setattr(service_module, "STORE_RETRY_SECONDS", 0.01)
    settings = Settings(data_dir=tmp_path / "data", collection="broken", llm="none")

    def refused(*args: object, **kwargs: object) -> None:
        raise RuntimeError("Error executing plan: too many SQL variables")

    monkeypatch.setattr(PaperRAG, "open", refused)
    broken = _service(settings)
    broken.start()
    with pytest.raises(RuntimeError, match=r"store error: RuntimeError: .*too many SQL variables"):
        await broken.wait_ready(10)

    def down(*args: object, **kwargs: object) -> None:
        try:
            raise httpx.ConnectError("connection refused")
        except httpx.ConnectError:
            raise ValueError("Could not connect to a Chroma server") from None

    monkeypatch.setattr(PaperRAG, "open", down)
    waiting = _service(settings)
    waiting.start()
    await asyncio.sleep(0.3)  # dozens of attempts
    assert waiting.status == "starting" and "store unreachable" in (waiting.error or "")
    waiting.stop()

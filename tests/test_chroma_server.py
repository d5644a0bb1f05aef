"""Server mode: a real `chroma run` on loopback, started by the test."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rag.config import Settings
from rag.index import Index, ingest_paths
from tests.conftest import free_port


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    beside_python = Path(sys.executable).parent / "chroma"  # the venv may not be on PATH
    executable = str(beside_python) if beside_python.exists() else shutil.which("chroma")
    assert executable, "chromadb's `chroma` CLI must be installed"
    port = free_port()
    process = subprocess.Popen(
        [
            executable,
            "run",
            "--path",
            str(tmp_path / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "chroma server did not start"
            assert process.poll() is None, "chroma server exited"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_ingest_and_search_through_a_chroma_server(
    tmp_path: Path, chroma_url: str, embedder, small_corpus: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "local", chroma_url=chroma_url, collection="srv")
    report = ingest_paths(settings, [small_corpus], embedder=embedder)
    assert report.new == 4
    assert not (tmp_path / "local" / "chroma").exists()  # nothing stored locally
    again = ingest_paths(settings, [small_corpus], embedder=embedder)
    assert again.unchanged == 4 and again.chunks_embedded == 0
    results = Index.open(settings, embedder=embedder).retriever().search("molecules graph", k=2)
    assert results[0].title == "Graph Neural Networks for Molecules"

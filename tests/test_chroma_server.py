"""Server mode: a real `chroma run` on loopback, started by the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.config import Settings
from rag.index import Index, ingest_paths
from tests.chroma_server import chroma_server


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    with chroma_server(tmp_path / "server", start_seconds=30) as (url, _):
        yield url


def test_ingest_and_search_through_a_chroma_server(
    tmp_path: Path, chroma_url: str, embedder, small_corpus: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "local", chroma_url=chroma_url, collection="srv")
    report = ingest_paths(settings, [small_corpus], embedder=embedder)
    assert report.new == 4
    assert not (tmp_path / "local" / "chroma").exists()  # nothing stored locally
    again = ingest_paths(settings, [small_corpus], embedder=embedder)
    assert again.files_unchanged == 1 and again.chunks_embedded == 0
    results = Index.open(settings, embedder=embedder).retriever().search("molecules graph", k=2)
    assert results[0].title == "Graph Neural Networks for Molecules"

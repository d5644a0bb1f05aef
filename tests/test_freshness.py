"""A running reader sees what another process ingests, dense and keyword, within seconds,
and keeps answering while a rebuild swaps the index (embedded Chroma, fake embedder)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from filelock import FileLock

from rag.config import Settings
from rag.index import Index, ingest_paths, search_state_dir
from tests.conftest import make_abstract
from tests.fakes import HashEmbedder

ROOT = Path(__file__).resolve().parents[1]


def _corpus(path: Path, names: list[str]) -> Path:
    rows = [
        {"title": f"The {name} method", "abstract": make_abstract(f"{name} topics", name)}
        for name in names
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _ingest_elsewhere(settings: Settings, corpus: Path, *flags: str) -> None:
    """`ingest_paths` in another process, as `rag ingest` would run beside the service."""
    code = (
        "import sys; from pathlib import Path; from rag.config import Settings; "
        "from rag.index import ingest_paths; from tests.fakes import HashEmbedder; "
        f"s = Settings(data_dir={str(settings.data_dir)!r}, collection={settings.collection!r}); "
        f"ingest_paths(s, [Path({str(corpus)!r})], embedder=HashEmbedder(), "
        f"rebuild={'--rebuild' in flags})"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


def _found(retriever, name: str, mode: str) -> bool:  # type: ignore[no-untyped-def]
    return any(r.title == f"The {name} method" for r in retriever.search(name, k=3, mode=mode))


def _eventually(check, seconds: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


@pytest.fixture
def reader(tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path / "data", collection="fresh", llm="none")
    ingest_paths(
        settings, [_corpus(tmp_path / "a.jsonl", ["alpha", "beta"])], embedder=HashEmbedder()
    )
    retriever = Index.open(settings, embedder=HashEmbedder()).retriever()
    assert _found(retriever, "alpha", "dense")
    return settings, retriever


def test_a_running_reader_sees_another_process_ingest(reader, tmp_path: Path) -> None:
    settings, retriever = reader
    new = [f"zeta{i}" for i in range(5)]
    _ingest_elsewhere(settings, _corpus(tmp_path / "b.jsonl", new))
    for mode in ("keyword", "dense"):
        assert _eventually(lambda m=mode: all(_found(retriever, n, m) for n in new)), mode


def test_a_rebuild_elsewhere_is_served_without_errors(reader, tmp_path: Path) -> None:
    settings, retriever = reader
    corpus = _corpus(tmp_path / "c.jsonl", ["gamma", "delta"])
    errors: list[Exception] = []
    searches = 0
    done = threading.Event()

    def query_all_along() -> None:
        nonlocal searches
        while not done.is_set():
            try:
                retriever.search("alpha gamma", k=3)
                searches += 1
            except Exception as exc:  # every failure a user would have seen
                errors.append(exc)

    worker = threading.Thread(target=query_all_along)
    worker.start()
    try:
        _ingest_elsewhere(settings, corpus, "--rebuild")
        assert _eventually(lambda: _found(retriever, "gamma", "dense"))
    finally:
        done.set()
        worker.join()
    assert errors == [] and searches > 10
    assert not _found(retriever, "alpha", "keyword")  # the rebuild replaced the index


def test_a_slow_rebuild_happens_beside_searches_not_inside_them(
    reader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag import retrieval

    settings, retriever = reader
    monkeypatch.setattr(retrieval, "INLINE_MAX_CHUNKS", 0)  # as if the index were big
    release = threading.Event()
    real = retrieval._Snapshot

    def held(*args):  # type: ignore[no-untyped-def]
        assert release.wait(30), "the test never released the build"
        return real(*args)

    monkeypatch.setattr(retrieval, "_Snapshot", held)
    _ingest_elsewhere(settings, _corpus(tmp_path / "b.jsonl", ["gamma"]))
    # the build is held, yet searches answer (from the previous snapshot) meanwhile
    assert _found(retriever, "alpha", "keyword") and not _found(retriever, "gamma", "keyword")
    retriever.snapshot(force=False)
    release.set()
    assert _eventually(lambda: _found(retriever, "gamma", "keyword"))
    assert _found(retriever, "gamma", "dense") and _found(retriever, "alpha", "dense")


def test_a_search_never_waits_for_another_process_writing_the_search_state(
    reader, tmp_path: Path
) -> None:
    settings, retriever = reader
    _ingest_elsewhere(settings, _corpus(tmp_path / "b.jsonl", ["gamma"]))
    writing = FileLock(str(search_state_dir(settings) / "sync.lock"))
    with writing:  # as if another process were still writing the state
        time.sleep(retriever.refresh_seconds)
        started = time.monotonic()
        assert _found(retriever, "alpha", "keyword")
        assert not _found(retriever, "gamma", "keyword")  # the previous snapshot
        assert time.monotonic() - started < 1.0
    assert _eventually(lambda: _found(retriever, "gamma", "keyword"))

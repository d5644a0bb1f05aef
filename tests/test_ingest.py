"""Ingest into the embedded store with the real local model: idempotency, change
detection, crash recovery, rebuild, embedder mismatch, locking and bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from rag import ingest as ingest_module
from rag.config import Settings
from rag.errors import CorpusError, EmbedderMismatchError, StoreBusyError
from rag.index import Index, ingest_paths
from rag.store import PaperStore, writer_lock
from tests.conftest import make_abstract, write_jsonl


def _chunk_ids(settings: Settings, embedder) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(Index.open(settings, embedder=embedder).store.chunk_index())


def test_ingest_is_idempotent(settings: Settings, embedder, small_corpus: Path) -> None:
    first = ingest_paths(settings, [small_corpus], embedder=embedder)
    assert (first.new, first.updated, first.unchanged) == (4, 0, 0)
    assert first.chunks_embedded == 4
    ids = _chunk_ids(settings, embedder)
    again = ingest_paths(settings, [small_corpus], embedder=embedder)
    assert (again.new, again.updated, again.files_unchanged, again.chunks_embedded) == (0, 0, 1, 0)
    assert _chunk_ids(settings, embedder) == ids
    index = Index.open(settings, embedder=embedder)
    records = index.store.load_records()
    assert len(records) == 4
    paper = next(p for p, _ in records.values() if p.title.startswith("Sparse"))
    assert "LongSparse" in paper.abstract and str(paper.date) == "2022-06-01"


def test_changed_abstract_replaces_old_chunks(
    settings: Settings, embedder, small_corpus: Path
) -> None:
    ingest_paths(settings, [small_corpus], embedder=embedder)
    rows = [json.loads(line) for line in small_corpus.read_text().splitlines()]
    rows[1]["abstract"] = make_abstract("hierarchical memory for long documents", "MemDoc")
    rows[2]["upvotes"] = 42  # metadata only: no re-embedding
    write_jsonl(small_corpus, rows)
    report = ingest_paths(settings, [small_corpus], embedder=embedder)
    assert (report.updated, report.metadata_updated, report.unchanged) == (1, 1, 2)
    assert report.chunks_embedded == 1
    index = Index.open(settings, embedder=embedder)
    chunks = list(index.store.chunk_rows())
    assert len(chunks) == 4  # old chunk replaced, no orphan
    assert any("MemDoc" in c.text for c in chunks)
    assert not any("LongSparse" in c.text for c in chunks)
    results = index.retriever().search("MemDoc hierarchical memory", k=1)
    assert results[0].title == "Sparse Attention for Long Documents"
    grasp = next(p for p, _ in index.store.load_records().values() if "Grasping" in p.title)
    assert grasp.upvotes == 42


class Watched:
    """Embeds with `inner` after showing `watch` each call's texts (it may raise)."""

    def __init__(self, inner, watch: Callable[[list[str]], object]) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.watch = inner, watch
        self.identity, self.window = inner.identity, inner.window
        self.count_tokens = inner.count_tokens

    def for_ingest(self, papers: int) -> Watched:
        return self

    def embed(self, texts: list[str]) -> np.ndarray:
        self.watch(texts)
        return self.inner.embed(texts)  # type: ignore[no-any-return]


def test_interrupted_ingest_is_completed_by_next_run(
    settings: Settings, embedder, small_corpus: Path, monkeypatch
) -> None:
    calls: list[list[str]] = []

    def killed_on_second_batch(texts: list[str]) -> None:
        calls.append(texts)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")

    monkeypatch.setattr(ingest_module, "BATCH_CHUNKS", 2)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths(settings, [small_corpus], embedder=Watched(embedder, killed_on_second_batch))
    half = Index.open(settings, embedder=embedder).store
    assert half.records.count() == 2 and half.chunks.count() == 2

    report = ingest_paths(settings, [small_corpus], embedder=embedder)
    assert (report.new, report.unchanged) == (2, 2)
    store = Index.open(settings, embedder=embedder).store
    assert store.records.count() == 4 and store.chunks.count() == 4


def test_a_failed_write_stops_the_embedding_queued_behind_it(
    settings: Settings, embedder, small_corpus: Path, monkeypatch
) -> None:
    embedded: list[list[str]] = []

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(ingest_module, "BATCH_CHUNKS", 1)  # a batch per paper: 4 batches
    monkeypatch.setattr(PaperStore, "upsert_chunks", disk_full)
    with pytest.raises(OSError, match="disk full"):
        ingest_paths(settings, [small_corpus], embedder=Watched(embedder, embedded.append))
    # the first batch (its write failed) and at most the one embedded beside it
    assert 1 <= len(embedded) <= 2
    monkeypatch.undo()
    assert Index.open(settings, embedder=embedder).store.records.count() == 0
    report = ingest_paths(settings, [small_corpus], embedder=embedder)
    assert report.new == 4 and report.chunks_embedded == 4


def test_an_ingest_embeds_with_the_embedder_chosen_for_its_size(
    settings: Settings, embedder, small_corpus: Path
) -> None:
    asked: list[int] = []
    embedded: list[str] = []
    bulk = Watched(embedder, embedded.extend)  # the torch bf16 sibling, for the local model

    def not_here(texts: list[str]) -> None:
        raise AssertionError("chunks must go to the embedder chosen for the ingest")

    class Chooses(Watched):
        def for_ingest(self, papers: int) -> Watched:
            asked.append(papers)
            return bulk

    report = ingest_paths(settings, [small_corpus], embedder=Chooses(embedder, not_here))
    assert asked == [4] and report.new == 4 and report.embedded_with == embedder.identity
    assert len(embedded) == report.chunks_embedded == 4
    results = Index.open(settings, embedder=embedder).retriever().search("sparse attention", k=1)
    assert results and results[0].title.startswith("Sparse")


def test_orphan_chunks_are_swept(settings: Settings, embedder, small_corpus: Path) -> None:
    ingest_paths(settings, [small_corpus], embedder=embedder)
    store = Index.open(settings, embedder=embedder).store
    store.chunks.upsert(
        ids=["ghost::000000000000::0"],
        embeddings=[[0.1] * 384],
        documents=["ghost"],
        metadatas=[{"paper_id": "ghost", "index": 0, "start": 0, "end": 5, "date_key": 0}],
    )
    small_corpus.write_text(small_corpus.read_text() + "\n")  # read again, not skipped
    report = ingest_paths(settings, [small_corpus], embedder=embedder)
    assert report.orphans_removed == 1
    assert "ghost::000000000000::0" not in _chunk_ids(settings, embedder)


def test_files_already_ingested_are_not_read_again(
    settings: Settings, embedder, small_corpus: Path, tmp_path: Path, monkeypatch
) -> None:
    from rag import corpus

    read: list[str] = []
    parse = corpus.parse_file
    monkeypatch.setattr(
        corpus, "parse_file", lambda path, *a: read.append(path.name) or parse(path, *a)
    )
    first = ingest_paths(settings, [small_corpus], embedder=embedder)
    assert (first.new, read) == (4, [small_corpus.name])

    again = ingest_paths(settings, [small_corpus], embedder=embedder)
    assert (again.files_unchanged, again.unchanged, again.new, again.entries) == (1, 0, 0, 0)
    moved = tmp_path / "elsewhere" / "renamed.jsonl"  # same bytes: the same file to us
    moved.parent.mkdir()
    moved.write_bytes(small_corpus.read_bytes())
    assert ingest_paths(settings, [moved], embedder=embedder).files_unchanged == 1
    assert read == [small_corpus.name]
    records = Index.open(settings, embedder=embedder).store.load_records()
    assert all(p.sources[0].startswith(str(small_corpus)) for p, _ in records.values())

    rows = [json.loads(line) for line in small_corpus.read_text().splitlines()]
    rows[0]["upvotes"] = 7
    write_jsonl(small_corpus, rows)  # changed: read again
    extra = write_jsonl(tmp_path / "extra.jsonl", [{"title": "T", "abstract": "no"}, {}])
    with pytest.raises(CorpusError):
        ingest_paths(settings, [extra], embedder=embedder)  # nothing usable: an error
    extra = write_jsonl(
        tmp_path / "extra.jsonl",
        [{"title": "Extra Paper", "abstract": make_abstract("extra things", "Xtra")}, {}],
    )
    report = ingest_paths(settings, [small_corpus, moved, extra], embedder=embedder)
    assert (report.files_unchanged, report.metadata_updated, report.new) == (1, 1, 1)
    assert len(report.skipped) == 1  # the empty entry of extra.jsonl
    read.clear()
    again = ingest_paths(settings, [small_corpus, extra], embedder=embedder)
    assert (again.files_unchanged, again.skipped, again.skipped_unread) == (2, [], 1)
    assert read == []  # a file with a skipped entry is not read again, its skip counted
    again = ingest_paths(settings, [small_corpus, extra], embedder=embedder, reread_skipped=True)
    assert (again.files_unchanged, len(again.skipped), again.skipped_unread) == (1, 1, 0)
    assert read == [extra.name] and again.new == again.updated == 0  # listed, nothing changed
    read.clear()
    rebuilt = ingest_paths(settings, [small_corpus], rebuild=True, embedder=embedder)
    assert (read, rebuilt.new) == ([small_corpus.name], 4)  # a rebuild reads everything
    assert ingest_paths(settings, [small_corpus], embedder=embedder).files_unchanged == 1


def test_bad_file_leaves_store_untouched(
    settings: Settings, embedder, small_corpus: Path, tmp_path: Path
) -> None:
    ingest_paths(settings, [small_corpus], embedder=embedder)
    before = _chunk_ids(settings, embedder)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "x", "abstract": "y"}\nnot json\n')
    good = write_jsonl(
        tmp_path / "more.jsonl",
        [{"title": "A New Paper", "abstract": make_abstract("new things", "Newt")}],
    )
    with pytest.raises(CorpusError, match=r"bad.jsonl:2: malformed JSON"):
        ingest_paths(settings, [good, bad], embedder=embedder)
    assert _chunk_ids(settings, embedder) == before


def test_rebuild_starts_fresh(
    settings: Settings, embedder, small_corpus: Path, tmp_path: Path
) -> None:
    ingest_paths(settings, [small_corpus], embedder=embedder)
    other = write_jsonl(
        tmp_path / "other.jsonl",
        [{"title": "Only Paper", "abstract": make_abstract("one topic", "Solo")}],
    )
    report = ingest_paths(settings, [other], embedder=embedder, rebuild=True)
    assert report.new == 1
    store = Index.open(settings, embedder=embedder).store
    assert [p.title for p, _ in store.load_records().values()] == ["Only Paper"]
    names = {c.name for c in store.client.list_collections()}
    assert names == {"test-chunks", "test-records", "test-changes"}


def test_embedder_mismatch_is_a_clear_error(
    settings: Settings, embedder, small_corpus: Path
) -> None:
    ingest_paths(settings, [small_corpus], embedder=embedder)

    class OtherModel:
        identity, window = "openai:text-embedding-3-small", 512
        count_tokens = staticmethod(embedder.count_tokens)

        def embed(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - never reached
            raise AssertionError("must not embed into a mismatched index")

    with pytest.raises(EmbedderMismatchError, match="rebuild"):
        Index.open(settings, embedder=OtherModel())
    with pytest.raises(EmbedderMismatchError):
        ingest_paths(settings, [small_corpus], embedder=OtherModel())
    # the rebuild path is the way out
    assert ingest_paths(settings, [small_corpus], embedder=embedder, rebuild=True).new == 4


def test_second_writer_is_refused(settings: Settings, embedder, small_corpus: Path) -> None:
    with writer_lock(settings), pytest.raises(StoreBusyError, match="another ingest"):
        ingest_paths(settings, [small_corpus], embedder=embedder)


def test_whole_collection_reads_go_page_by_page(
    monkeypatch: pytest.MonkeyPatch, sample_index
) -> None:
    """Chroma refuses a get() of more than 32,766 rows: a stand-in that refuses more than
    100 shows every whole-collection read pages, and the pages add up to the whole."""
    from chromadb.api.models.Collection import Collection

    from rag import store as store_module

    _, rag = sample_index
    store = rag.retriever.store

    def read_all():  # type: ignore[no-untyped-def]
        return (
            store.load_records(),
            store.chunk_index(),
            list(store.chunk_rows()),
            store.paper_ids(),
            list(store.record_rows()),
        )

    whole = read_all()
    real_get = Collection.get

    def limited_get(self, ids=None, where=None, limit=None, offset=None, **kw):  # type: ignore[no-untyped-def]
        got = real_get(self, ids=ids, where=where, limit=limit, offset=offset, **kw)
        if len(got["ids"]) > 100:
            raise RuntimeError("too many SQL variables")
        return got

    monkeypatch.setattr(Collection, "get", limited_get)
    monkeypatch.setattr(store_module, "PAGE_ROWS", 100)
    monkeypatch.setattr(store_module, "PAPERS_PER_LOOKUP", 30)
    paged = read_all()
    assert paged == whole and len(whole[0]) == 497 and len(whole[2]) > 497
    assert sorted(store.chunk_ids_of(set(whole[3]))) == sorted(whole[1])
    assert len(store.papers(sorted(whole[3]))) == 497
    assert len(list(store.chunk_rows(sorted(whole[1])))) == len(whole[2])


@pytest.mark.slow
def test_an_index_past_chromas_row_limit_loads_and_searches(tmp_path: Path) -> None:
    """40,000 papers (more rows than the 32,766 one Chroma `get()` returns): ingest, a
    searching snapshot and a no-op re-ingest all work (fake embedder: about a minute)."""
    import random

    from rag.paper_rag import PaperRAG
    from tests.fakes import HashEmbedder

    words = [
        "graph",
        "protein",
        "attention",
        "diffusion",
        "audio",
        "robot",
        "retrieval",
        "pruning",
        "speech",
    ]
    rng = random.Random(0)
    rows = []
    for i in range(40_000):
        topic = " ".join(rng.choice(words) for _ in range(25))
        rows.append({"id": f"p{i}", "title": f"Paper {i}", "abstract": f"We study {topic}."})
    corpus = write_jsonl(tmp_path / "big.jsonl", rows)
    settings = Settings(data_dir=tmp_path / "data", collection="big", llm="none")
    rag = PaperRAG.open(settings, embedder=HashEmbedder(), create=True)
    assert rag.ingest([corpus]).new == 40_000
    assert rag.paper_count() == 40_000 and rag.search("protein attention", k=3)
    assert rag.ingest([corpus]).files_unchanged == 1  # not read again
    rows.append({"id": "p-extra", "title": "One More", "abstract": rows[0]["abstract"]})
    report = rag.ingest([write_jsonl(corpus, rows)])  # read again: every record compared
    assert (report.new, report.unchanged) == (1, 40_000)


def test_stored_title_ids_move_to_the_sources_own_ids(
    settings: Settings, embedder, tmp_path: Path
) -> None:
    rows = [
        {"title": f"Paper {name}", "abstract": make_abstract(topic, name)}
        for name, topic in (("Alpha", "protein folding"), ("Beta", "ocean warming"))
    ]
    ingest_paths(settings, [write_jsonl(tmp_path / "old.jsonl", rows)], embedder=embedder)
    old_ids = set(Index.open(settings, embedder=embedder).store.load_records())
    assert all(pid.startswith("paper-") for pid in old_ids)  # slugs: the file had no ids

    with_ids = [{"_id": f"S{i}", **row} for i, row in enumerate(rows)]
    report = ingest_paths(
        settings, [write_jsonl(tmp_path / "new.jsonl", with_ids)], embedder=embedder
    )
    assert (report.new, report.renamed) == (0, 2)
    index = Index.open(settings, embedder=embedder)
    assert set(index.store.load_records()) == {"S0", "S1"}
    assert set(index.store.chunk_index().values()) == {"S0", "S1"}  # no chunk under a slug
    assert index.retriever().search("ocean warming Beta", k=1)[0].paper_id == "S1"
    again = ingest_paths(settings, [tmp_path / "new.jsonl"], embedder=embedder)
    assert (again.renamed, again.files_unchanged) == (0, 1)


def test_a_new_record_with_a_known_title_but_another_id_is_another_paper(
    settings: Settings, embedder, tmp_path: Path
) -> None:
    first = {"_id": "1", "title": "Same Title", "text": make_abstract("kidney disease", "KD")}
    second = {"_id": "2", "title": "Same title", "text": make_abstract("heart failure", "HF")}
    ingest_paths(settings, [write_jsonl(tmp_path / "a.jsonl", [first])], embedder=embedder)
    report = ingest_paths(
        settings, [write_jsonl(tmp_path / "b.jsonl", [second])], embedder=embedder
    )
    assert (report.new, report.updated, report.metadata_updated) == (1, 0, 0)
    records = Index.open(settings, embedder=embedder).store.load_records()
    assert {pid: p.abstract[:30] for pid, (p, _) in records.items()}.keys() == {"1", "2"}
    assert "kidney" in records["1"][0].abstract and "heart" in records["2"][0].abstract


def test_texts_are_metadata_and_an_index_with_texts_as_documents_still_reads(
    settings: Settings, small_corpus: Path, embedder
) -> None:
    ingest_paths(settings, [small_corpus], embedder=embedder)
    store = Index.open(settings, embedder=embedder).store
    raw = store.records.get(include=["documents", "metadatas"])
    assert raw["documents"] == [None] * len(raw["ids"])  # no full-text index to feed
    papers = store.papers(raw["ids"])
    assert all(p.abstract for p in papers.values())
    # written as an older version did: the abstract and the chunk text as documents
    pid = raw["ids"][0]
    meta = {k: v for k, v in raw["metadatas"][0].items() if k != "abstract"}
    store.records.delete(ids=[pid])  # (an upsert would merge the old metadata in)
    store.records.add(ids=[pid], embeddings=[[1.0]], documents=["Old abstract."], metadatas=[meta])
    chunk = store.chunks.get(limit=1, include=["metadatas", "embeddings"])
    old_chunk = {k: v for k, v in chunk["metadatas"][0].items() if k != "text"}
    store.chunks.delete(ids=chunk["ids"])
    store.chunks.add(
        ids=chunk["ids"],
        embeddings=chunk["embeddings"],
        documents=["Old text"],
        metadatas=[old_chunk],
    )
    assert store.record(pid).abstract == "Old abstract."
    assert [r.text for r in store.chunk_rows(chunk["ids"])] == ["Old text"]

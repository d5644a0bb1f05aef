"""Idempotent, incremental, crash-safe ingest of a parsed corpus into the index.

Per batch of papers: embed their chunks (the next batch's while this one is written),
upsert the chunks (deterministic ids, so a re-run overwrites instead of duplicating),
delete the paper's chunks from an older version, then write the paper records. A
record is the commit marker: an ingest killed midway leaves papers whose record is
missing or stale, and the next run redoes exactly those. Chunks that no record claims
are swept at the start.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field

import numpy as np

from rag.chunking import CHUNKER_VERSION, Chunk, Sentence, chunk_paper, split_sentences
from rag.corpus import Corpus
from rag.embeddings import Embedder, LocalEmbedder
from rag.formats import Skipped
from rag.papers import Paper, merge_papers, normalize_title, paper_id_for
from rag.store import PaperStore, date_key

BATCH_CHUNKS = 128
"""Chunks embedded and written per step: big enough for efficient encoding (two model
batches), small enough that an interrupted ingest loses little work and progress (the
CLI bar, the service's log) moves every few seconds."""

Progress = Callable[[int, int], None]
"""Called with (papers done, chunks done) after each batch."""


@dataclass
class IngestReport:
    files: int = 0
    entries: int = 0
    files_unchanged: int = 0
    """Files the index already held in full, byte for byte: not read again (their
    papers are not counted below)."""
    new: int = 0
    updated: int = 0
    metadata_updated: int = 0
    renamed: int = 0
    """Stored papers moved to a better id (see `rag.papers.paper_id_for`)."""
    unchanged: int = 0
    chunks_embedded: int = 0
    orphans_removed: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    skipped_unread: int = 0
    """Entries skipped in files not read again (`files_unchanged`), as counted when they
    were read; `reread_skipped` lists them in `skipped` instead."""
    seconds: float = 0.0
    embedded_with: str = ""
    """The model that embedded the chunks, and its backend for the local one
    ("local:all-MiniLM-L6-v2 (torch-bf16)": `Embedder.for_ingest` picks it by size)."""


def chunk_key(paper: Paper, embedder: Embedder) -> str:
    """Identifies a paper's current chunks: content, chunker and window."""
    return f"{paper.content_hash()}-{CHUNKER_VERSION}-{embedder.window}"


@dataclass
class _Plan:
    to_embed: list[tuple[Paper, str]] = field(default_factory=list)
    metadata_only: list[tuple[Paper, str]] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    """New id -> the stored id it replaces (a slug by the source's own id, a DOI by an
    arXiv id): the old record and chunks go in the batch that stores the new one."""
    stale: list[str] = field(default_factory=list)
    """Old ids of a rename an interrupted ingest left half done."""


class _StoredPapers:
    """Find the stored paper an incoming one is: same paper id, a shared id of any kind,
    else the same title when no id contradicts it."""

    def __init__(self, stored: dict[str, tuple[Paper, str]]) -> None:
        self.stored = stored
        self.by_id: dict[tuple[str, str], str] = {}
        self.stale: set[str] = set()
        for pid, (paper, _) in stored.items():
            for key in paper.identities():
                other = self.by_id.setdefault(key, pid)
                if other != pid:  # a rename was interrupted: keep the record under its id
                    keep, drop = (pid, other) if paper_id_for(paper) == pid else (other, pid)
                    self.by_id[key] = keep
                    self.stale.add(drop)
        self.by_title: dict[str, list[str]] = {}
        for pid, (paper, _) in stored.items():
            self.by_title.setdefault(normalize_title(paper.title), []).append(pid)

    def match(self, paper: Paper) -> str | None:
        if paper.paper_id in self.stored:
            return paper.paper_id
        if found := next((self.by_id[k] for k in paper.identities() if k in self.by_id), None):
            return found
        return next(
            (
                pid
                for pid in self.by_title.get(normalize_title(paper.title), [])
                if not paper.contradicts(self.stored[pid][0])
            ),
            None,
        )


def _plan(
    corpus: Corpus, stored: dict[str, tuple[Paper, str]], embedder: Embedder, report: IngestReport
) -> _Plan:
    """Decide per paper: new, content changed, metadata changed, renamed or unchanged.

    A sighting that changes nothing but the provenance (the same paper in a moved or
    renamed file, or in a second file adding nothing) leaves the record as it is:
    rewriting every record for a renamed file took 183 s at 112k papers, and the paths
    piled up with every move. New sightings join `sources` with the paper's next real
    change."""
    known = _StoredPapers(stored)
    plan = _Plan(stale=sorted(known.stale))
    for paper in corpus.papers:
        pid = known.match(paper)
        if pid is None:
            plan.to_embed.append((paper, chunk_key(paper, embedder)))
            report.new += 1
            continue
        old, old_key = stored[pid]
        paper = paper.model_copy(update={"paper_id": pid})
        if paper.same_but_provenance(old) and paper_id_for(old) == pid:
            report.unchanged += 1  # the common re-ingest: nothing to merge or move
            continue
        paper = merge_papers(old, paper)
        better = paper_id_for(paper)
        if better != pid:  # ids otherwise stay stable: links people saved keep working
            paper.paper_id = better
            plan.renamed[better] = pid
            plan.to_embed.append((paper, chunk_key(paper, embedder)))
            report.renamed += 1
            continue
        key = chunk_key(paper, embedder)
        if key != old_key:
            plan.to_embed.append((paper, key))
            report.updated += 1
        elif not paper.same_but_provenance(old):
            plan.metadata_only.append((paper, key))
            report.metadata_updated += 1
        else:
            report.unchanged += 1
    return plan


def _sweep_orphans(store: PaperStore, stored: dict[str, tuple[Paper, str]]) -> int:
    """Delete chunks no record claims (left by an interrupted ingest or a changed paper)."""
    orphans = [
        cid
        for cid, pid in store.chunk_index().items()
        if pid not in stored or cid.rsplit("::", 2)[1] != stored[pid][1][:12]
    ]
    store.delete_chunks(orphans)
    return len(orphans)


def _drop(store: PaperStore, paper_ids: list[str]) -> None:
    """Remove papers (record first: a chunk without a record is swept next time)."""
    if paper_ids:
        store.delete_records(paper_ids)
        store.delete_chunks(store.chunk_ids_of(set(paper_ids)))


Batch = list[tuple[Paper, str, list[Sentence], list[Chunk]]]
"""Papers chunked together: each with its chunk key, sentence spans and chunks."""


def _batches(plan: list[tuple[Paper, str]], embedder: Embedder) -> Iterator[Batch]:
    batch: Batch = []
    size = 0
    for paper, key in plan:
        spans = split_sentences(paper.abstract)
        chunks = chunk_paper(paper, embedder.window, embedder.count_tokens, key, spans)
        batch.append((paper, key, spans, chunks))
        size += len(chunks)
        if size >= BATCH_CHUNKS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _embedded(batches: Iterator[Batch], embedder: Embedder) -> Iterator[tuple[Batch, np.ndarray]]:
    """Each batch with its chunks' vectors, in order. The next batch is chunked (by the
    caller's thread) and embedded (by one worker) while the caller writes this one, so
    the cores are not left to one thread chunking and writing between batches, nor idle
    while a write waits on a Chroma server. The bundled ingest, three alternating runs
    each, 2 cores: ONNX fp32 33.3-34.3 chunks/s against 31.0-33.7 written in turn, 33.7-
    34.0 against 31.8-33.3 into a local `chroma run`; torch bf16 48.7-49.1 against
    44.9-49.1 (embedding is most of the time; the gain grows with a server's latency).
    A failed write stops the batches still queued; an embedding failure surfaces when
    its batch is due, after every batch before it was written."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="embed")
    try:
        pending: tuple[Batch, Future[np.ndarray]] | None = None
        for batch in batches:
            texts = [chunk.embed_text for *_, chunks in batch for chunk in chunks]
            queued = (batch, pool.submit(embedder.embed, texts))
            if pending is not None:
                yield pending[0], pending[1].result()
            pending = queued
        if pending is not None:
            yield pending[0], pending[1].result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def ingest(
    corpus: Corpus, store: PaperStore, embedder: Embedder, progress: Progress | None = None
) -> IngestReport:
    """Bring the index in line with `corpus` (adding to what is stored; never removing papers)."""
    started = time.perf_counter()
    report = IngestReport(
        files=len(corpus.files), entries=corpus.entries, skipped=list(corpus.skipped)
    )
    stored = store.load_records()
    report.orphans_removed = _sweep_orphans(store, stored)
    plan = _plan(corpus, stored, embedder, report)
    embedder = embedder.for_ingest(len(plan.to_embed))
    if plan.to_embed:
        backend = embedder.resolved_backend() if isinstance(embedder, LocalEmbedder) else ""
        report.embedded_with = f"{embedder.identity} ({backend})" if backend else embedder.identity
    papers_done = chunks_done = 0
    with closing(_embedded(_batches(plan.to_embed, embedder), embedder)) as embedded:
        for batch, vectors in embedded:
            chunks = [c for *_, paper_chunks in batch for c in paper_chunks]
            dates = [date_key(p) for p, *_, paper_chunks in batch for _ in paper_chunks]
            store.upsert_chunks(chunks, vectors, dates)
            fresh = {c.chunk_id for c in chunks}
            replaced = {p.paper_id for p, *_ in batch if p.paper_id in stored}
            store.delete_chunks([cid for cid in store.chunk_ids_of(replaced) if cid not in fresh])
            store.upsert_records(
                [p for p, *_ in batch], [k for _, k, *_ in batch], [s for _, _, s, _ in batch]
            )
            _drop(
                store, [plan.renamed[p.paper_id] for p, *_ in batch if p.paper_id in plan.renamed]
            )
            papers_done += len(batch)
            chunks_done += len(chunks)
            if progress:
                progress(papers_done, chunks_done)
    if plan.metadata_only:
        papers, keys = [p for p, _ in plan.metadata_only], [k for _, k in plan.metadata_only]
        store.upsert_records(papers, keys, [split_sentences(p.abstract) for p in papers])
    _drop(store, plan.stale)
    report.chunks_embedded = chunks_done
    if plan.to_embed or plan.metadata_only or plan.stale or report.orphans_removed:
        store.bump_generation()
    report.seconds = time.perf_counter() - started
    return report

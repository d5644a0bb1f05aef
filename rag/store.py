"""The Chroma-backed index: chunk vectors plus the full paper records.

Two collections per index: `<name>-chunks` (one vector per chunk, cosine space) and
`<name>-records` (one entry per paper: abstract as document, the record as JSON).
Keeping records in Chroma too means a Chroma server holds the whole index, so
several service replicas can share it.

Consistency rules the ingest relies on:
* a paper's record is written last, after its chunks; its `chunk_key` says which
  chunks are current, so chunks without a matching record are leftovers of an
  interrupted ingest and are swept;
* every write bumps the `generation` in the chunk collection's metadata, which is how
  readers (the BM25 index) notice the store changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError
from filelock import FileLock, Timeout

from rag.chunking import Chunk
from rag.config import Settings
from rag.errors import (
    ConfigError,
    EmbedderMismatchError,
    IndexMissingError,
    StoreBusyError,
    StoreDamagedError,
)
from rag.papers import Paper

_DAMAGED = re.compile(r"not a database|malformed|code: (11|26)\b", re.IGNORECASE)
PAGE_ROWS = 5000
"""Rows per read of a whole collection (see `PaperStore._rows`)."""
PAPERS_PER_LOOKUP = 1000
"""Paper ids per `$in` filter, for the same SQL-variable limit."""
_PLACEHOLDER_VECTOR = [1.0]  # records are fetched by id, never by similarity


@dataclass(frozen=True)
class StoredChunk:
    chunk_id: str
    paper_id: str
    text: str
    """The embed text (title + abstract slice)."""
    start: int
    end: int
    date_key: int


def _stored_paper(document: str | None, metadata: Any) -> Paper:
    """A record row back as a `Paper`: the abstract is the row's document, the rest JSON."""
    return Paper(**json.loads(str(metadata["record"])), abstract=document or "")


def date_key(paper: Paper) -> int:
    """`YYYYMMDD` as an int, 0 when unknown: Chroma filters compare numbers only."""
    return int(paper.date.strftime("%Y%m%d")) if paper.date else 0


def make_client(settings: Settings) -> ClientAPI:
    """Embedded persistent client, or an HTTP client when `RAG_CHROMA_URL` is set."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in {"http", "https"} or not url.hostname:
            raise ConfigError(
                f"RAG_CHROMA_URL must look like http://host:port, got {url.geturl()!r}"
            )
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    except ChromaError as exc:
        SharedSystemClient.clear_system_cache()  # drop the half-started system it cached
        if _DAMAGED.search(str(exc)):  # SQLite's "not a database" (26), "malformed" (11)
            raise StoreDamagedError(settings.chroma_dir / "chroma.sqlite3", str(exc)) from None
        raise


class PaperStore:
    """Read and write one index (chunks + records) in a Chroma client."""

    def __init__(
        self,
        client: ClientAPI,
        name: str,
        embedder_identity: str,
        reconnect: Callable[[], ClientAPI] | None = None,
    ) -> None:
        self.client = client
        self.name = name
        self.embedder_identity = embedder_identity
        self._reconnect = reconnect
        """Makes a fresh embedded client: see `refresh`. None for a Chroma server."""
        self._chunks: Collection | None = None
        self._records: Collection | None = None

    # -- collections -------------------------------------------------------------------

    @property
    def chunks_name(self) -> str:
        return f"{self.name}-chunks"

    @property
    def records_name(self) -> str:
        return f"{self.name}-records"

    def exists(self) -> bool:
        names = {c.name for c in self.client.list_collections()}
        return self.chunks_name in names and self.records_name in names

    def open(self, create: bool = False) -> PaperStore:
        """Open (or create) the collections and check the embedder matches."""
        if not create and not self.exists():
            raise IndexMissingError("the index is empty: run `rag ingest` first")
        self._chunks = self.client.get_or_create_collection(
            self.chunks_name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedder": self.embedder_identity, "generation": 0},
            embedding_function=None,
        )
        self._records = self.client.get_or_create_collection(
            self.records_name, metadata={"kind": "paper-records"}, embedding_function=None
        )
        stored = (self._chunks.metadata or {}).get("embedder")
        if stored != self.embedder_identity:
            raise EmbedderMismatchError(str(stored), self.embedder_identity)
        return self

    @property
    def chunks(self) -> Collection:
        if self._chunks is None:
            raise RuntimeError("PaperStore.open() first")
        return self._chunks

    @property
    def records(self) -> Collection:
        if self._records is None:
            raise RuntimeError("PaperStore.open() first")
        return self._records

    def drop(self) -> None:
        for name in (self.chunks_name, self.records_name):
            if name in {c.name for c in self.client.list_collections()}:
                self.client.delete_collection(name)
        self._chunks = self._records = None

    def replace(self, other: PaperStore) -> None:
        """Make `other`'s collections this store's (used to swap in a finished rebuild).
        The old collections are renamed aside first and deleted last, so the live names
        are missing only between two renames; readers retry across that moment."""
        retired = PaperStore(self.client, f"{self.name}-retired", self.embedder_identity)
        retired.drop()
        if self.exists():
            for name, aside in (
                (self.chunks_name, retired.chunks_name),
                (self.records_name, retired.records_name),
            ):
                self.client.get_collection(name, embedding_function=None).modify(name=aside)
        other.chunks.modify(name=self.chunks_name)
        other.records.modify(name=self.records_name)
        self._chunks, self._records = other.chunks, other.records
        retired.drop()

    # -- first-start seeding -------------------------------------------------------------

    def seeding(self) -> str:
        """ "started" while a service's first-start ingest has not finished (even if that
        process was killed), "done" after it, "none" for an index seeded otherwise."""
        fresh = self.client.get_collection(self.records_name, embedding_function=None)
        return str((fresh.metadata or {}).get("seeding", "none"))

    def mark_seeding(self, state: str) -> None:
        fresh = self.client.get_collection(self.records_name, embedding_function=None)
        fresh.modify(metadata={**(fresh.metadata or {}), "seeding": state})

    # -- generation --------------------------------------------------------------------

    def generation(self) -> int:
        """Changes whenever the index is written; cheap enough to poll."""
        fresh = self.client.get_collection(self.chunks_name, embedding_function=None)
        return int((fresh.metadata or {}).get("generation", 0))

    def version(self) -> tuple[str, int]:
        """(chunk collection id, generation): changes on every write and on a rebuild's
        swap (a new collection, whose generation may equal the old one's)."""
        fresh = self.client.get_collection(self.chunks_name, embedding_function=None)
        return str(fresh.id), int((fresh.metadata or {}).get("generation", 0))

    def refresh(self) -> None:
        """See what other processes wrote. An embedded client keeps each collection's
        vector index in memory and never reloads it, so vectors another process added
        stay invisible (0 of 50 new papers found by dense search) and deleted ones break
        queries ("Error finding id"). Chroma caches one `System` per path, so a fresh
        client needs that cache cleared first; it then loads the index as stored.
        A Chroma server needs no reconnect: only the collection handles are renewed."""
        if self._reconnect is not None:
            SharedSystemClient.clear_system_cache()
            self.client = self._reconnect()
        self._chunks = self._records = None
        self.open()

    def bump_generation(self) -> None:
        metadata = dict(self.client.get_collection(self.chunks_name).metadata or {})
        metadata["generation"] = int(metadata.get("generation", 0)) + 1
        self.chunks.modify(metadata=metadata)

    # -- writes ------------------------------------------------------------------------

    def _batches(self, size: int) -> Iterator[slice]:
        step = min(self.client.get_max_batch_size(), 2000)
        for start in range(0, size, step):
            yield slice(start, start + step)

    def upsert_chunks(self, chunks: list[Chunk], vectors: np.ndarray, dates: list[int]) -> None:
        for part in self._batches(len(chunks)):
            batch = chunks[part]
            self.chunks.upsert(
                ids=[c.chunk_id for c in batch],
                embeddings=vectors[part],
                documents=[c.embed_text for c in batch],
                metadatas=[
                    {
                        "paper_id": c.paper_id,
                        "index": c.index,
                        "start": c.start,
                        "end": c.end,
                        "date_key": d,
                    }
                    for c, d in zip(batch, dates[part], strict=True)
                ],
            )

    def upsert_records(self, papers: list[Paper], chunk_keys: list[str]) -> None:
        for part in self._batches(len(papers)):
            batch = papers[part]
            self.records.upsert(
                ids=[p.paper_id for p in batch],
                embeddings=[_PLACEHOLDER_VECTOR] * len(batch),
                documents=[p.abstract for p in batch],
                metadatas=[
                    {"record": p.model_dump_json(exclude={"abstract"}), "chunk_key": key}
                    for p, key in zip(batch, chunk_keys[part], strict=True)
                ],
            )

    def delete_chunks(self, ids: list[str]) -> None:
        for part in self._batches(len(ids)):
            self.chunks.delete(ids=ids[part])

    def delete_records(self, paper_ids: list[str]) -> None:
        for part in self._batches(len(paper_ids)):
            self.records.delete(ids=paper_ids[part])

    # -- reads -------------------------------------------------------------------------

    @staticmethod
    def _rows(collection: Collection, include: list[str]) -> Iterator[tuple[str, Any, Any]]:
        """(id, document, metadata) of every row, read `PAGE_ROWS` at a time: Chroma 1.5
        refuses a `get()` returning more than 32,766 rows ("too many SQL variables"), which
        used to stop a 20k-paper index from loading at all."""
        offset = 0
        while True:
            got = collection.get(include=include, limit=PAGE_ROWS, offset=offset)  # type: ignore[arg-type]
            ids = got["ids"]
            documents = got["documents"] or [None] * len(ids)
            metadatas = got["metadatas"] or [None] * len(ids)
            yield from zip(ids, documents, metadatas, strict=True)
            if len(ids) < PAGE_ROWS:
                return
            offset += PAGE_ROWS

    def load_records(self) -> dict[str, tuple[Paper, str]]:
        """Every stored paper with its chunk key."""
        result: dict[str, tuple[Paper, str]] = {}
        for pid, doc, meta in self._rows(self.records, ["documents", "metadatas"]):
            result[pid] = (_stored_paper(doc, meta), str(meta["chunk_key"]))
        return result

    def record(self, paper_id: str) -> Paper | None:
        """One stored paper by its exact id, or None."""
        got = self.records.get(ids=[paper_id], include=["documents", "metadatas"])  # type: ignore[list-item]
        if not got["ids"]:
            return None
        return _stored_paper((got["documents"] or [""])[0], (got["metadatas"] or [{}])[0])

    def paper_ids(self) -> set[str]:
        """Ids of every stored paper (no abstracts read)."""
        return {pid for pid, _, _ in self._rows(self.records, [])}

    def chunk_index(self) -> dict[str, str]:
        """chunk id -> paper id, for every stored chunk (for the orphan sweep)."""
        return {cid: str(m["paper_id"]) for cid, _, m in self._rows(self.chunks, ["metadatas"])}

    def chunk_ids_of(self, paper_ids: set[str]) -> list[str]:
        wanted, found = sorted(paper_ids), []
        for part in range(0, len(wanted), PAPERS_PER_LOOKUP):
            where = {"paper_id": {"$in": wanted[part : part + PAPERS_PER_LOOKUP]}}
            found += self.chunks.get(where=where, include=[])["ids"]  # type: ignore[arg-type]
        return found

    def all_chunks(self) -> list[StoredChunk]:
        return [
            StoredChunk(
                cid,
                str(m["paper_id"]),
                doc or "",
                int(m["start"]),
                int(m["end"]),
                int(m["date_key"]),
            )
            for cid, doc, m in self._rows(self.chunks, ["documents", "metadatas"])
        ]

    def sample_vectors(self, size: int) -> tuple[np.ndarray, list[str]]:
        """Vectors and paper ids of up to `size` chunks spread evenly over the sorted chunk
        ids: the same sample for every reader of the same index contents."""
        ids = sorted(cid for cid, _, _ in self._rows(self.chunks, []))
        chosen = ids[:: max(1, len(ids) // size)][:size] if ids else []
        if not chosen:
            return np.zeros((0, 0), dtype=np.float32), []
        got = self.chunks.get(ids=chosen, include=["embeddings", "metadatas"])
        vectors = np.asarray(got["embeddings"], dtype=np.float32)
        return vectors, [str(m["paper_id"]) for m in got["metadatas"] or []]

    def query(
        self, vector: np.ndarray, n: int, where: dict[str, Any] | None
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the `n` nearest chunks (`n` at most the number
        of chunks: the caller knows it from its snapshot)."""
        if n <= 0:
            return []
        got = self.chunks.query(
            query_embeddings=[vector], n_results=n, where=where, include=["distances"]
        )
        return [
            (cid, 1.0 - float(d))
            for cid, d in zip(got["ids"][0], (got["distances"] or [[]])[0], strict=True)
        ]

    def size_on_disk(self, settings: Settings) -> int | None:
        if settings.chroma_url:
            return None
        return sum(p.stat().st_size for p in settings.chroma_dir.rglob("*") if p.is_file())


@contextmanager
def writer_lock(settings: Settings, wait_seconds: float = 0.0) -> Iterator[None]:
    """One writer per data directory; a second one gets a clear error, not a corrupt index."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(settings.data_dir / "ingest.lock"))
    try:
        lock.acquire(timeout=wait_seconds)
    except Timeout:
        raise StoreBusyError(
            f"another ingest is writing to {settings.data_dir} (lock {lock.lock_file}); "
            "wait for it to finish"
        ) from None
    try:
        yield
    finally:
        lock.release()

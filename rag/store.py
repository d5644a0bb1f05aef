"""The Chroma-backed index: chunk vectors plus the full paper records.

Three collections per index: `<name>-chunks` (one vector per chunk, cosine space),
`<name>-records` (one entry per paper: the record as JSON, the abstract beside it) and
`<name>-changes` (what each generation wrote: see `bump_generation`). Keeping records
in Chroma too means a Chroma server holds the whole index, so several service replicas
can share it.

Texts are stored as metadata, not as Chroma documents: Chroma indexes every document
for full-text search, which nothing here uses and which made writes 2-3x slower (10k
records: 11 s as documents, 3.5 s as metadata; 10k chunks: 13.7 s and 6.4 s). Indexes
written before, with documents, are read as they are.

Consistency rules the ingest relies on:
* a paper's record is written last, after its chunks; its `chunk_key` says which
  chunks are current, so chunks without a matching record are leftovers of an
  interrupted ingest and are swept;
* every write bumps the `generation` in the chunk collection's metadata, which is how
  readers (the BM25 index) notice the store changed, and first records which chunks and
  records it touched, so readers update their search state instead of re-reading all.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI, ServerAPI
from chromadb.api.client import Client
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from chromadb.config import System
from chromadb.errors import ChromaError
from chromadb.telemetry.product import ProductTelemetryClient
from filelock import FileLock, Timeout

from rag.chunking import Chunk, Sentence
from rag.config import Settings
from rag.errors import (
    ConfigError,
    EmbedderMismatchError,
    IndexMissingError,
    StoreBusyError,
    StoreDamagedError,
)
from rag.keyword import ChunkRow
from rag.papers import Paper

_DAMAGED = re.compile(r"not a database|malformed|code: (11|26)\b", re.IGNORECASE)
PAGE_ROWS = 5000
"""Rows per read of a whole collection (see `PaperStore._rows`)."""
PAPERS_PER_LOOKUP = 1000
"""Paper ids per `$in` filter, for the same SQL-variable limit."""
RETIRE_SECONDS = 2.0
"""How long after a refresh the replaced embedded client is garbage-collected (searches
still running on it keep it alive until they end)."""
_PLACEHOLDER_VECTOR = [1.0]  # records and changes are fetched by id, never by similarity
FILE_PREFIX = "file:"
"""Records-collection metadata keys naming ingested corpus files (`mark_ingested`)."""
SKIPS_PREFIX = "skips:"
"""Beside a file's key: how many of its entries were skipped when it was read."""
FILES_KEPT = 2000
CHANGES_KEPT = 1000
"""Generations whose changes stay in the log; a reader further behind re-reads the index."""
CHANGED_IDS_MAX = 50_000
"""Ids one generation may list; a bigger commit is logged as "re-read everything" (it is
about as cheap then, and the log row stays small)."""


log = logging.getLogger("rag.store")
LOCKED_RETRIES = 10
LOCKED_WAIT_SECONDS = 0.2
"""Tries at bringing an older index to `SEARCH_EF` while another writer holds SQLite's
write lock ("database is locked"), and the wait between them; then it is searched as it
is and brought up on a later open. The fast suite failed on it once under load."""
SEARCH_EF = 600
"""HNSW candidates Chroma explores per query (its default is 100; a query for more chunks
explores that many). A search asks for 200 chunks (`retrieval.DENSE_DEPTH`), and with 200
explored the 200 returned were approximate and differed from one process to the next
(Chroma builds the graph of recent chunks as it opens the index): "I want to learn about
HNSW" had the HNSW paper 5th in one process and out of the top 5 in the next, and 3 of 200
held-out phrasing questions changed their top 5 between two runs. At 600 the 200 returned
are the exact nearest ones (the same as with 1,000, identical across processes)."""


def _search_exactly(chunks: Collection) -> None:
    """Bring `chunks` to `SEARCH_EF`, waiting out a write lock another writer holds (an
    ingest in another process): opening the index never fails for a setting."""
    for attempt in range(LOCKED_RETRIES):
        try:
            chunks.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
            return
        except ChromaError as exc:
            if "locked" not in str(exc):
                raise
            if attempt < LOCKED_RETRIES - 1:
                time.sleep(LOCKED_WAIT_SECONDS)
    log.warning(
        "the index is locked by another writer: searched with its own ef_search until "
        "it is opened again"
    )


@dataclass
class Changes:
    """Ids written and deleted since the last generation bump."""

    chunks_added: set[str] = field(default_factory=set)
    chunks_deleted: set[str] = field(default_factory=set)
    records_written: set[str] = field(default_factory=set)
    records_deleted: set[str] = field(default_factory=set)
    full: bool = False
    """Too many to list: readers re-read the whole index."""

    def __bool__(self) -> bool:
        return self.full or any(
            (self.chunks_added, self.chunks_deleted, self.records_written, self.records_deleted)
        )

    def add(self, added: set[str], deleted: set[str], kind: str) -> None:
        """Record ids of `kind` ("chunks" or "records") written and deleted, in that order."""
        written = self.chunks_added if kind == "chunks" else self.records_written
        removed = self.chunks_deleted if kind == "chunks" else self.records_deleted
        written.difference_update(deleted)
        written.update(added)
        removed.difference_update(added)
        removed.update(deleted)

    def as_json(self) -> str:
        lists = {k: sorted(v) for k, v in vars(self).items() if k != "full"}
        if self.full or sum(map(len, lists.values())) > CHANGED_IDS_MAX:
            return json.dumps({"full": True})
        return json.dumps(lists)

    @classmethod
    def from_json(cls, text: str) -> Changes:
        data = json.loads(text)
        if data.get("full"):
            return cls(full=True)
        return cls(**{k: set(v) for k, v in data.items()})

    def then(self, later: Changes) -> Changes:
        """These changes followed by `later`'s."""
        if self.full or later.full:
            return Changes(full=True)
        merged = Changes(**{k: set(v) for k, v in vars(self).items() if k != "full"})
        merged.add(later.chunks_added, later.chunks_deleted, "chunks")
        merged.add(later.records_written, later.records_deleted, "records")
        return merged


def _encoded_sentences(spans: list[Sentence]) -> str:
    """A record's sentence spans as metadata: "0-118 119-260 ..."."""
    return " ".join(f"{s.start}-{s.end}" for s in spans)


def _stored_sentences(metadata: Any, abstract: str) -> list[Sentence] | None:
    """A record's sentence spans as ingest stored them, or None where it stored none
    (records written before) or they do not fit the abstract (never trusted blindly: a
    wrong span would quote a cut sentence)."""
    spans = []
    for pair in str(metadata.get("sentences") or "").split():
        start, _, end = pair.partition("-")
        if not (start.isdigit() and end.isdigit()):
            return None
        spans.append(Sentence(int(start), int(end)))
    ends = [0, *(edge for s in spans for edge in (s.start, s.end)), len(abstract)]
    if not spans or any(s.start == s.end for s in spans) or any(a > b for a, b in pairwise(ends)):
        return None  # in order, not empty, within the abstract
    return spans


def _stored_paper(document: str | None, metadata: Any) -> Paper:
    """A record row back as a `Paper`: the record JSON and the abstract, both metadata
    (indexes written before kept the abstract as the row's document)."""
    abstract = metadata.get("abstract", document) or ""
    return Paper(**json.loads(str(metadata["record"])), abstract=abstract)


def date_key(paper: Paper) -> int:
    """`YYYYMMDD` as an int, 0 when unknown: Chroma filters compare numbers only."""
    return int(paper.date.strftime("%Y%m%d")) if paper.date else 0


def _collect_retired() -> None:
    """Free a retired embedded client's `System` (its vector indexes' memory). It is
    not `stop()`ped: with another System open on the same path, stopping one made the
    process die with SIGSEGV at exit in about one run in five; dropped by the garbage
    collector (a System and its components reference each other), it did not. The
    memory then goes back to the system (glibc keeps freed arenas otherwise: +40 MB of
    RSS per refresh at 50k papers)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def make_client(settings: Settings) -> ClientAPI:
    """Embedded persistent client, or an HTTP client when `RAG_CHROMA_URL` is set.

    Every embedded client gets a Chroma `System` of its own, like a client in another
    process: Chroma would otherwise hand all clients of one path a single cached
    `System`, whose vector indexes never reload (see `PaperStore.refresh`). A client no
    longer referenced is freed by the garbage collector (see `_collect_retired`)."""
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
    chroma_settings.is_persistent = True
    chroma_settings.persist_directory = str(settings.chroma_dir)
    system = System(chroma_settings)
    try:
        system.instance(ProductTelemetryClient)
        system.instance(ServerAPI)
        system.start()
    except ChromaError as exc:
        if _DAMAGED.search(str(exc)):  # SQLite's "not a database" (26), "malformed" (11)
            raise StoreDamagedError(settings.chroma_dir / "chroma.sqlite3", str(exc)) from None
        raise
    return Client.from_system(system)


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
        self._changes: Collection | None = None
        self.pending = Changes()
        """Written since the last `bump_generation` (logged by it)."""

    # -- collections -------------------------------------------------------------------

    @property
    def chunks_name(self) -> str:
        return f"{self.name}-chunks"

    @property
    def records_name(self) -> str:
        return f"{self.name}-records"

    @property
    def changes_name(self) -> str:
        return f"{self.name}-changes"

    def exists(self, client: ClientAPI | None = None) -> bool:
        names = {c.name for c in (client or self.client).list_collections()}
        return self.chunks_name in names and self.records_name in names

    def open(self, create: bool = False) -> PaperStore:
        """Open (or create) the collections and check the embedder matches."""
        self._chunks, self._records, self._changes = self._collections(self.client, create)
        return self

    def _collections(
        self, client: ClientAPI, create: bool
    ) -> tuple[Collection, Collection, Collection]:
        if not create and not self.exists(client):
            raise IndexMissingError("the index is empty: run `rag ingest` first")
        chunks = client.get_or_create_collection(
            self.chunks_name,
            configuration={"hnsw": {"space": "cosine", "ef_search": SEARCH_EF}},
            metadata={"embedder": self.embedder_identity, "generation": 0},
            embedding_function=None,
        )
        hnsw = (chunks.configuration or {}).get("hnsw") or {}
        if hnsw.get("ef_search") != SEARCH_EF:  # an index made before: searched the same
            _search_exactly(chunks)
        records = client.get_or_create_collection(
            self.records_name, metadata={"kind": "paper-records"}, embedding_function=None
        )
        changes = client.get_or_create_collection(
            self.changes_name, metadata={"kind": "change-log"}, embedding_function=None
        )
        stored = (chunks.metadata or {}).get("embedder")
        if stored != self.embedder_identity:
            raise EmbedderMismatchError(str(stored), self.embedder_identity)
        return chunks, records, changes

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

    @property
    def changes(self) -> Collection:
        if self._changes is None:
            raise RuntimeError("PaperStore.open() first")
        return self._changes

    def drop(self) -> None:
        for name in (self.chunks_name, self.records_name, self.changes_name):
            if name in {c.name for c in self.client.list_collections()}:
                self.client.delete_collection(name)
        self._chunks = self._records = self._changes = None

    def replace(self, other: PaperStore) -> None:
        """Make `other`'s collections this store's (used to swap in a finished rebuild).
        The old collections are renamed aside first and deleted last, so the live names
        are missing only between two renames; readers retry across that moment."""
        retired = PaperStore(self.client, f"{self.name}-retired", self.embedder_identity)
        retired.drop()
        names = {c.name for c in self.client.list_collections()}
        if self.exists():
            for name, aside in (
                (self.chunks_name, retired.chunks_name),
                (self.records_name, retired.records_name),
                (self.changes_name, retired.changes_name),
            ):
                if name in names:
                    self.client.get_collection(name, embedding_function=None).modify(name=aside)
        other.chunks.modify(name=self.chunks_name)
        other.records.modify(name=self.records_name)
        other.changes.modify(name=self.changes_name)
        self._chunks, self._records, self._changes = other.chunks, other.records, other.changes
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

    # -- files already ingested ------------------------------------------------------

    def ingested_files(self) -> dict[str, int]:
        """Keys of the corpus files (`rag.corpus.file_key`) this index holds all it could
        use of, each with how many of its entries were skipped: an ingest does not read
        them again (their skipped entries are counted, not listed, unless asked)."""
        meta = self.client.get_collection(self.records_name, embedding_function=None).metadata
        meta = meta or {}
        keys = [k.removeprefix(FILE_PREFIX) for k in meta if k.startswith(FILE_PREFIX)]
        return {key: int(meta.get(SKIPS_PREFIX + key, 0)) for key in keys}

    def mark_ingested(self, files: dict[str, int]) -> None:
        """Record files (key -> entries skipped) as ingested, with the time (the newest
        `FILES_KEPT` are kept: a file appended to daily gets a new key each day). Kept in
        the records collection's metadata, so a rebuild's swap and a Chroma server carry
        them."""
        fresh = self.client.get_collection(self.records_name, embedding_function=None)
        meta = dict(fresh.metadata or {})
        now = time.time_ns()
        for key, skipped in files.items():
            meta[FILE_PREFIX + key] = now
            meta.pop(SKIPS_PREFIX + key, None)
            if skipped:
                meta[SKIPS_PREFIX + key] = skipped
        known = sorted((k for k in meta if k.startswith(FILE_PREFIX)), key=lambda k: meta[k])
        for key in known[: max(0, len(known) - FILES_KEPT)]:
            del meta[key]
            meta.pop(SKIPS_PREFIX + key.removeprefix(FILE_PREFIX), None)
        fresh.modify(metadata=meta)

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
        queries ("Error finding id"). So a client with a Chroma `System` of its own is
        opened beside the current one, its vector index loaded by one query, and then
        swapped in; searches meanwhile use the old client, freed `RETIRE_SECONDS` later.
        (Clearing Chroma's system cache instead stopped the client under running
        searches, and the next search loaded the index: 1.6 s at 50k papers.)
        A Chroma server needs no reconnect: only the collection handles are renewed."""
        client = self._reconnect() if self._reconnect is not None else self.client
        chunks, records, changes = self._collections(client, create=False)
        if client is not self.client:
            sample = chunks.get(limit=1, include=["embeddings"])["embeddings"]
            if sample is not None and len(sample):
                chunks.query(query_embeddings=[sample[0]], n_results=1, include=[])
        retired = self.client
        self.client, self._chunks, self._records, self._changes = client, chunks, records, changes
        if retired is not client:
            del retired  # searches still running on it keep it alive until they end
            timer = threading.Timer(RETIRE_SECONDS, _collect_retired)
            timer.daemon = True
            timer.start()

    def bump_generation(self) -> None:
        """Commit: log what was written since the last bump under the next generation,
        then publish that generation. Logged first, so a reader that sees generation G
        finds G's changes; a writer killed in between leaves a row that the next commit
        extends rather than overwrites."""
        metadata = dict(self.client.get_collection(self.chunks_name).metadata or {})
        generation = int(metadata.get("generation", 0)) + 1
        row = self._change_id(generation)
        earlier = self.changes.get(ids=[row], include=["documents"])
        changes = self.pending
        if earlier["ids"]:
            changes = Changes.from_json((earlier["documents"] or [""])[0] or "{}").then(changes)
        self.changes.upsert(
            ids=[row],
            embeddings=[_PLACEHOLDER_VECTOR],
            documents=[changes.as_json()],
            metadatas=[{"generation": generation}],
        )
        metadata["generation"] = generation
        self.chunks.modify(metadata=metadata)
        self.pending = Changes()
        self.changes.delete(where={"generation": {"$lt": generation - CHANGES_KEPT}})

    def _change_id(self, generation: int) -> str:
        return f"{self.chunks.id}:{generation:012d}"

    def changes_between(self, after: int, upto: int) -> Changes | None:
        """What generations `after`+1 .. `upto` changed, or None when the log cannot say
        (too far behind, a row missing, or a commit too big to list)."""
        if upto - after > CHANGES_KEPT:
            return None
        wanted = [self._change_id(g) for g in range(after + 1, upto + 1)]
        got = self.changes.get(ids=wanted, include=["documents"])
        rows = dict(zip(got["ids"], got["documents"] or [], strict=True))
        if set(rows) != set(wanted):
            return None
        total = Changes()
        for row in wanted:
            total = total.then(Changes.from_json(rows[row] or "{}"))
        return None if total.full else total

    # -- writes ------------------------------------------------------------------------

    def _batches(self, size: int) -> Iterator[slice]:
        step = min(self.client.get_max_batch_size(), 2000)
        for start in range(0, size, step):
            yield slice(start, start + step)

    def upsert_chunks(self, chunks: list[Chunk], vectors: np.ndarray, dates: list[int]) -> None:
        self.pending.add({c.chunk_id for c in chunks}, set(), "chunks")
        for part in self._batches(len(chunks)):
            batch = chunks[part]
            self.chunks.upsert(
                ids=[c.chunk_id for c in batch],
                embeddings=vectors[part],
                metadatas=[
                    {
                        "paper_id": c.paper_id,
                        "index": c.index,
                        "start": c.start,
                        "end": c.end,
                        "date_key": d,
                        "text": c.embed_text,
                    }
                    for c, d in zip(batch, dates[part], strict=True)
                ],
            )

    def upsert_records(
        self, papers: list[Paper], chunk_keys: list[str], sentences: list[list[Sentence]]
    ) -> None:
        """Write paper records, each with its chunk key and its abstract's sentence spans
        (`rag.chunking.split_sentences`, computed while chunking: a search or a quote
        then never splits an abstract again; `stored_papers`)."""
        self.pending.add({p.paper_id for p in papers}, set(), "records")
        for part in self._batches(len(papers)):
            rows = zip(papers[part], chunk_keys[part], sentences[part], strict=True)
            self.records.upsert(
                ids=[p.paper_id for p in papers[part]],
                embeddings=[_PLACEHOLDER_VECTOR] * len(papers[part]),
                metadatas=[
                    {
                        "record": p.model_dump_json(exclude={"abstract"}),
                        "abstract": p.abstract,
                        "chunk_key": key,
                        "sentences": _encoded_sentences(spans),
                    }
                    for p, key, spans in rows
                ],
            )

    def delete_chunks(self, ids: list[str]) -> None:
        self.pending.add(set(), set(ids), "chunks")
        for part in self._batches(len(ids)):
            self.chunks.delete(ids=ids[part])

    def delete_records(self, paper_ids: list[str]) -> None:
        self.pending.add(set(), set(paper_ids), "records")
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
        return self.papers([paper_id]).get(paper_id)

    def paper_ids(self) -> set[str]:
        """Ids of every stored paper (no abstracts read)."""
        return {pid for pid, _, _ in self._rows(self.records, [])}

    def chunk_index(self) -> dict[str, str]:
        """chunk id -> paper id, for every stored chunk (for the orphan sweep; ids only:
        a chunk id starts with its paper's id)."""
        return {cid: cid.rsplit("::", 2)[0] for cid, _, _ in self._rows(self.chunks, [])}

    def chunk_ids_of(self, paper_ids: set[str]) -> list[str]:
        wanted, found = sorted(paper_ids), []
        for part in range(0, len(wanted), PAPERS_PER_LOOKUP):
            where = {"paper_id": {"$in": wanted[part : part + PAPERS_PER_LOOKUP]}}
            found += self.chunks.get(where=where, include=[])["ids"]  # type: ignore[arg-type]
        return found

    def chunk_rows(self, ids: list[str] | None = None) -> Iterator[ChunkRow]:
        """Text and span of the chunks named by `ids` (those still stored), or of all."""
        include = ["documents", "metadatas"]
        if ids is None:
            rows = self._rows(self.chunks, include)
        else:
            rows = self._by_ids(self.chunks, ids, include)
        for cid, doc, m in rows:
            text = m.get("text", doc) or ""
            yield ChunkRow(cid, text, int(m["start"]), int(m["end"]), int(m["date_key"]))

    def papers(self, ids: list[str]) -> dict[str, Paper]:
        """The stored papers among `ids` (a few rows per search: records are not kept
        in memory, so a 200k-paper index does not cost a service 1 GB)."""
        return {pid: paper for pid, (paper, _) in self.stored_papers(ids).items()}

    def stored_papers(self, ids: list[str]) -> dict[str, tuple[Paper, list[Sentence] | None]]:
        """`papers`, each with its abstract's sentence spans as ingest stored them (None
        for records stored before they were)."""
        found = {}
        for pid, doc, meta in self._by_ids(self.records, ids, ["documents", "metadatas"]):
            paper = _stored_paper(doc, meta)
            found[pid] = (paper, _stored_sentences(meta, paper.abstract))
        return found

    def record_rows(self, ids: list[str] | None = None) -> Iterator[Paper]:
        """Stored papers without their abstracts (all, or those among `ids`): what the
        catalog of titles and ids needs, read without the abstracts' bulk."""
        rows = (
            self._rows(self.records, ["metadatas"])
            if ids is None
            else (self._by_ids(self.records, ids, ["metadatas"]))
        )
        for _, _, meta in rows:
            yield _stored_paper(None, meta)

    def vectors(self, chunk_ids: list[str]) -> tuple[np.ndarray, list[str]]:
        """Vectors and paper ids of these chunks (in the order stored)."""
        if not chunk_ids:
            return np.zeros((0, 0), dtype=np.float32), []
        got = self.chunks.get(ids=chunk_ids, include=["embeddings", "metadatas"])
        vectors = np.asarray(got["embeddings"], dtype=np.float32)
        return vectors, [str(m["paper_id"]) for m in got["metadatas"] or []]

    def _by_ids(
        self, collection: Collection, ids: list[str], include: list[str]
    ) -> Iterator[tuple[str, Any, Any]]:
        for start in range(0, len(ids), PAPERS_PER_LOOKUP):
            got = collection.get(ids=ids[start : start + PAPERS_PER_LOOKUP], include=include)  # type: ignore[arg-type]
            found = got["ids"]
            documents = got["documents"] or [None] * len(found)
            metadatas = got["metadatas"] or [None] * len(found)
            yield from zip(found, documents, metadatas, strict=True)

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

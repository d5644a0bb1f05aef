"""Opening the store with its embedder, and the ingest entry point.

`PaperRAG` opens its index through here, so every surface agrees on collection names,
locking and the rebuild procedure.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rag.config import Settings
from rag.embeddings import Embedder, LocalEmbedder, make_embedder
from rag.retrieval import Retriever
from rag.search_state import save_current, state_dir
from rag.store import PaperStore, make_client, writer_lock

if TYPE_CHECKING:
    from rag.corpus import Corpus
    from rag.formats import Format
    from rag.ingest import IngestReport, Progress

log = logging.getLogger("rag.index")
STAGING_SUFFIX = "-staging"


@dataclass
class Index:
    embedder: Embedder
    store: PaperStore
    state_dir: Path
    """Where the search state of this store is kept (`rag.search_state`)."""

    @classmethod
    def open(
        cls, settings: Settings, create: bool = False, embedder: Embedder | None = None
    ) -> Index:
        embedder = embedder or make_embedder(settings)
        reconnect = None if settings.chroma_url else (lambda: make_client(settings))
        store = PaperStore(make_client(settings), settings.collection, embedder.identity, reconnect)
        return cls(embedder, store.open(create=create), search_state_dir(settings))

    def retriever(self) -> Retriever:
        quotes = self.embedder.for_quotes() if isinstance(self.embedder, LocalEmbedder) else None
        return Retriever(self.store, self.embedder, self.state_dir, quote_embedder=quotes)


def search_state_dir(settings: Settings) -> Path:
    return state_dir(
        settings.data_dir, settings.collection, settings.chroma_url or str(settings.chroma_dir)
    )


def ingest_paths(
    settings: Settings,
    paths: list[Path],
    fmt: Format | None = None,
    year: int | None = None,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    on_parsed: Callable[[Corpus], None] | None = None,
    reread_skipped: bool = False,
) -> IngestReport:
    """Parse `paths` (default: the bundled corpus) and bring the index up to date.

    Parsing happens before the lock is taken and before anything is written, so bad
    input never touches the store. Files this index already holds, byte for byte
    (`PaperStore.ingested_files`), are not read again: a no-op re-ingest of 200k papers
    had spent 36 s parsing and comparing them. That includes files with skipped entries
    (a Zotero export's books and notes have no abstract: 241 of 680 entries in
    `../shared/external/bibtex`), whose skips are counted in `skipped_unread` from when
    they were read; `reread_skipped` reads such files again to list them. `rebuild`
    builds a fresh index in staging collections from every file and swaps it in only
    once complete.
    """
    from rag.corpus import bundled_corpus, expand_paths, file_key, load_corpus
    from rag.ingest import IngestReport, ingest

    started = time.perf_counter()
    files = expand_paths(paths or bundled_corpus())
    embedder = embedder or make_embedder(settings)
    client = make_client(settings)
    live = PaperStore(client, settings.collection, embedder.identity)
    keys = {path: key for path in files if (key := file_key(path, fmt, year, embedder.window))}
    done = {} if rebuild or not live.exists() else live.open().ingested_files()

    def unread(path: Path) -> bool:
        key = keys.get(path)
        return key in done and not (reread_skipped and done[key])

    to_read = [path for path in files if not unread(path)]
    skipped_unread = sum(done[keys[path]] for path in files if unread(path))
    if not to_read:
        return IngestReport(
            len(files),
            files_unchanged=len(files),
            skipped_unread=skipped_unread,
            seconds=time.perf_counter() - started,
        )
    corpus: Corpus = load_corpus(to_read, fmt=fmt, year=year)
    if on_parsed:
        on_parsed(corpus)
    with writer_lock(settings):
        if not rebuild:
            target = live.open(create=True)
        else:
            target = PaperStore(client, settings.collection + STAGING_SUFFIX, embedder.identity)
            target.drop()  # leftovers of an interrupted rebuild
            target.open(create=True)
        report = ingest(corpus, target, embedder, progress)
        target.mark_ingested({keys[p]: n for p, n in corpus.skips.items() if p in keys})
        if rebuild:
            live.replace(target)
    report.files, report.files_unchanged = len(files), len(files) - len(to_read)
    report.skipped_unread = skipped_unread
    try:  # services then load the search state rather than build it
        save_current(live, search_state_dir(settings))
    except Exception as exc:  # the papers are stored; a reader brings the state forward
        log.warning("could not update the search state (%s); searches will", exc)
    report.seconds = time.perf_counter() - started
    return report

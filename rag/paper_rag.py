"""The library API: one `PaperRAG` per index, under every surface.

The CLI, the HTTP service, the Slack bot and the benchmarks all go through this object:
it is the one place the system is assembled (settings -> embedder, store, retriever,
chat model, answerer) and the one place requests are checked against the configured
limits, so the same mistake gets the same `RagError` (and the same message) everywhere.

    rag = PaperRAG.open(Settings())
    rag.search("What is HNSW?")
    answer = await rag.answer("What is HNSW?")
    async for delta in (stream := rag.ask("What is HNSW?")): ...
    final = await stream.result()
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, Unpack

from pydantic import BaseModel

from rag import limits
from rag.author_papers import AUTHOR_DEPTH
from rag.authors import split_names
from rag.comparisons import searched
from rag.config import Settings, get_settings
from rag.embeddings import Embedder, LocalEmbedder
from rag.errors import CorpusError, InvalidQueryError, NotFoundError, StoreBusyError
from rag.index import Index, ingest_paths
from rag.lookup import find_paper_id
from rag.papers import Paper
from rag.relevance import is_citable
from rag.retrieval import Mode, SearchResult

if TYPE_CHECKING:  # the answering, LLM, citation and ingest modules load when first used:
    # `rag paper` and `rag stats` never need them (openai, llama-index, nltk: ~2 s)
    from rag.answering import Answer, Answerer, AnswerStream, Finish, Message
    from rag.cite import CiteResult
    from rag.corpus import Corpus
    from rag.formats import Format
    from rag.ingest import IngestReport, Progress
    from rag.llm import ChatModel, LLMObserver


class AskOptions(TypedDict, total=False):
    k: int | None
    """Papers used as sources (1 to `max_chat_k`); default `answer_k`."""
    since: dt.date | None
    """Only papers dated on or after."""
    until: dt.date | None
    """Only papers dated on or before."""


class TitleMatch(BaseModel):
    paper_id: str
    title: str
    date: dt.date | None
    score: float
    """Title similarity, 0-100."""


class IndexStats(BaseModel):
    papers: int
    chunks: int
    embedder: str
    store: str
    """The Chroma server's URL, or the embedded store's folder."""
    size_bytes: int | None
    """On disk (embedded store only)."""
    collections: list[str]
    background_mean: float
    background_std: float
    background_sample: int


class PaperRAG:
    """Search, paper lookup, citation lookup and cited answers over one index.

    Thread-safe and shared per process; the blocking methods (`search`, `paper`,
    `titles`, `cite`, `stats`, `ingest`) belong in a worker thread inside async code."""

    def __init__(
        self,
        settings: Settings,
        index: Index,
        llm: ChatModel | None,
        on_answer: Finish | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = index.embedder
        self._index = index
        self.retriever = index.retriever()
        self.llm = llm
        self._on_answer = on_answer

    @cached_property
    def _answerer(self) -> Answerer:
        from rag.answering import Answerer

        return Answerer(self.retriever, self.settings, llm=self.llm, on_answer=self._on_answer)

    @classmethod
    def open(
        cls,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        llm: ChatModel | None = None,
        create: bool = False,
        on_answer: Finish | None = None,
        llm_observer: LLMObserver | None = None,
    ) -> PaperRAG:
        """Open the configured index (`create`: an empty one if there is none yet).
        `embedder`/`llm` replace the configured ones (tests pass fakes); with `llm=None`
        the configured LLM is used if `Settings.llm_enabled`, else answers are extractive."""
        settings = settings or get_settings()
        index = Index.open(settings, create=create, embedder=embedder)
        if llm is None and settings.llm_enabled:
            from rag.llm import make_llm

            llm = make_llm(settings, llm_observer)
        return cls(settings, index, llm, on_answer)

    # -- lookup ------------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 10,
        since: dt.date | None = None,
        until: dt.date | None = None,
        mode: Mode = "hybrid",
        author: str | None = None,
    ) -> list[SearchResult]:
        """The `k` (1-100) most relevant papers for `query`, best first. A comparison
        ("HNSW vs SPANN") gets each side's papers in turn, as its answer does
        (`rag.comparisons.searched`): searched as one query, the HNSW paper was not in its
        first five results. With `author` ("Nadolsky", "P. M. Nadolsky", "Liu and
        Tegmark": all of them), only papers listing that author, among the 100 most
        relevant; `NotFoundError`, with the closest listed names, when no record lists it."""
        limits.check_text(query, "query", self.settings)
        if author is not None:
            return self._by_author(query, k, since, until, mode, author)
        if mode != "hybrid":
            return self.retriever.search(query, k, since, until, mode)
        results, _ = searched(self.retriever, query, k, is_citable, since, until)
        return [replace(result, rank=rank) for rank, result in enumerate(results[:k], 1)]

    def _by_author(
        self,
        query: str,
        k: int,
        since: dt.date | None,
        until: dt.date | None,
        mode: Mode,
        author: str,
    ) -> list[SearchResult]:
        limits.check_text(author, "author", self.settings)
        catalog = self.retriever.catalog
        names = split_names(author)
        ids = set(catalog.by_author(names))
        if not ids:
            close = [a for name in names for a in catalog.authors_like(name)]
            raise NotFoundError(
                f"no indexed paper lists an author named {author.strip()!r}",
                list(dict.fromkeys(close)),
                "closest listed authors",
            )
        found = self.retriever.search(query, AUTHOR_DEPTH, since, until, mode)
        mine = [result for result in found if result.paper_id in ids][:k]
        return [replace(result, rank=rank) for rank, result in enumerate(mine, 1)]

    def paper(self, id_or_title: str) -> Paper:
        """One paper by paper id, arXiv id (any version) or exact title; `NotFoundError`
        with the closest titles otherwise."""
        limits.check_text(id_or_title, "paper id or title", self.settings)
        if not self.retriever.loaded and (paper := self._index.store.record(id_or_title.strip())):
            return paper  # an exact id needs one row, not the search state loaded
        paper_id = find_paper_id(self.retriever.catalog, id_or_title)
        paper = self.retriever.paper(paper_id)
        if paper is None:  # deleted since the catalog was read
            raise NotFoundError(f"no paper with id or title {id_or_title.strip()!r}", [])
        return paper

    def titles(self, title: str, limit: int = 5) -> list[TitleMatch]:
        """Papers whose titles best match `title` (typos and partial titles welcome)."""
        limits.check_text(title, "title", self.settings)
        limits.check_range(limit, "limit", 1, limits.TITLES_MAX)
        matches = self.retriever.catalog.closest_titles(title, limit)
        papers = self.retriever.papers([pid for pid, _ in matches])
        return [
            TitleMatch(paper_id=pid, title=p.title, date=p.date, score=round(score, 1))
            for pid, score in matches
            if (p := papers.get(pid)) is not None
        ]

    def cite(self, text: str, k: int = 5) -> CiteResult:
        """Which papers support `text`, each with its verbatim supporting sentence."""
        limits.check_text(text, "text", self.settings)
        limits.check_range(k, "k", 1, limits.CITE_K_MAX)
        from rag.cite import find_support

        return find_support(self.retriever, text, k)

    def bibtex(self, ids_or_titles: list[str]) -> str:
        """BibTeX entries for these papers (a reference list, or one paper)."""
        limits.check_range(len(ids_or_titles), "number of papers", 1, limits.BIBTEX_MAX)
        from rag.export import bibtex

        return bibtex([self.paper(one) for one in ids_or_titles])

    def paper_count(self) -> int:
        return len(self.retriever.catalog)

    # -- answers -----------------------------------------------------------------------

    def ask(
        self,
        question: str,
        history: list[Message] | None = None,
        stream: bool = True,
        **options: Unpack[AskOptions],
    ) -> AnswerStream:
        """A cited answer in progress: iterate for text deltas, `await .result()` for the
        `Answer`. Checked against the limits before any work starts. `stream=False` asks
        the LLM for one completion instead of a stream (same text, same citations)."""
        k, since, until = options.get("k"), options.get("since"), options.get("until")
        limits.check_chat(question, history or [], k, self.settings)
        if since and until and since > until:
            raise InvalidQueryError(f"since ({since}) is after until ({until})")
        return self._answerer.ask(question, history, k, since, until, stream)

    async def answer(
        self, question: str, history: list[Message] | None = None, **options: Unpack[AskOptions]
    ) -> Answer:
        """The whole answer at once (`ask(...)` then `.result()`)."""
        return await self.ask(question, history, stream=False, **options).result()

    # -- the index ---------------------------------------------------------------------

    def ingest(
        self,
        paths: list[Path],
        fmt: Format | None = None,
        year: int | None = None,
        rebuild: bool = False,
        progress: Progress | None = None,
        on_parsed: Callable[[Corpus], None] | None = None,
        reread_skipped: bool = False,
    ) -> IngestReport:
        """Parse `paths` (none: the bundled corpus) and bring the index up to date; a
        running `PaperRAG` (this one or another process's) sees the papers within a second.
        Unchanged files are not read again, their skipped entries only counted
        (`IngestReport.skipped_unread`) unless `reread_skipped`."""
        return ingest_paths(
            self.settings,
            paths,
            fmt=fmt,
            year=year,
            rebuild=rebuild,
            embedder=self.embedder,
            progress=progress,
            on_parsed=on_parsed,
            reread_skipped=reread_skipped,
        )

    def seed(
        self,
        progress: Progress | None = None,
        on_parsed: Callable[[Corpus], None] | None = None,
    ) -> IngestReport | None:
        """First start: ingest `Settings.corpus` (default: the bundled corpus) when the
        index is empty, or when a previous seeding was interrupted (its "started" mark
        survives a kill, and ingest is incremental, so it resumes). None when the index
        was already seeded."""
        store = self._index.store
        previous = store.seeding()
        if store.records.count() and previous != "started":
            return None
        store.mark_seeding("started")
        try:
            report = self.ingest(self.settings.corpus, progress=progress, on_parsed=on_parsed)
        except (StoreBusyError, CorpusError):  # raised before anything was written
            store.mark_seeding(previous)
            raise
        store.mark_seeding("done")
        return report

    def prepare_to_serve(self, torch_threads: int) -> None:
        """Load the model and build BM25 now rather than on the first request, and give
        each embedding call `torch_threads` threads (ingest uses all cores). Also load
        what reading a question and quoting an abstract need: the sentence splitter
        (nltk's imports) and the English dictionaries of the typo and word-frequency
        rules had made a fresh service's first search take 1.5 s instead of 25 ms, and
        Chroma reads its vector index on the first query (80 ms on the bundled corpus).
        A CLI command loads those only when its question needs them."""
        from rag.chunking import split_sentences
        from rag.keyword import english_stems

        if isinstance(self.embedder, LocalEmbedder):
            self.embedder.serve(torch_threads)
        self.warm_up()
        split_sentences("Warm up. Go.")
        english_stems()
        self.retriever.search("warm-up", k=1)

    def warm_up(self) -> None:
        """Load the embedding models and read the index in (BM25, records) now."""
        self.embedder.embed(["warm-up"])
        self.retriever.quote_embedder.embed(["warm-up"])
        self.retriever.snapshot()

    def counts(self) -> tuple[int, int]:
        """(papers, chunks) as the store holds them now: a cheap reachability check."""
        store = self._index.store
        return store.records.count(), store.chunks.count()

    def paper_ids(self) -> set[str]:
        return self._index.store.paper_ids()

    def stats(self) -> IndexStats:
        store, settings = self._index.store, self.settings
        papers, chunks = self.counts()
        background = self.retriever.snapshot().background
        return IndexStats(
            papers=papers,
            chunks=chunks,
            embedder=self.embedder.identity,
            store=settings.chroma_url or str(settings.chroma_dir),
            size_bytes=store.size_on_disk(settings),
            collections=[store.chunks_name, store.records_name],
            background_mean=background.mean,
            background_std=background.std,
            background_sample=background.sample,
        )

"""Hybrid retrieval over a small real index: ranking per paper, filters, k bounds,
snippets, and BM25 staying consistent with the store."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from chromadb.errors import InternalError

from rag import store
from rag.config import Settings
from rag.errors import InvalidQueryError
from rag.index import Index, ingest_paths
from rag.retrieval import Retriever
from rag.store import SEARCH_EF
from tests.conftest import make_abstract, write_jsonl
from tests.fakes import fake_index


@pytest.fixture
def retriever(settings: Settings, embedder, small_corpus: Path) -> Retriever:
    ingest_paths(settings, [small_corpus], embedder=embedder)
    return Index.open(settings, embedder=embedder).retriever()


def test_finds_the_right_paper_in_each_mode(retriever: Retriever) -> None:
    for mode in ("hybrid", "dense", "keyword"):
        top = retriever.search("diffusion for generating audio", k=2, mode=mode)[0]
        assert top.title == "Diffusion Models for Audio Synthesis", mode
    results = retriever.search("robot grasping reinforcement learning", k=4)
    assert results[0].title == "Reinforcement Learning for Robot Grasping"
    assert [r.rank for r in results] == [1, 2, 3, 4]
    assert len({r.paper_id for r in results}) == len(results)  # one entry per paper
    assert results[0].score >= 0.5  # BM25's winner: its half at least
    assert all(0.0 <= r.score <= 1.0 for r in results)
    assert results == sorted(results, key=lambda r: -r.score)


def test_snippet_is_a_passage_of_the_abstract(retriever: Retriever) -> None:
    top = retriever.search("GraspRL robust to noise", k=1)[0]
    abstract = retriever.papers([top.paper_id])[top.paper_id].abstract
    assert top.snippet in abstract
    assert "GraspRL" in top.snippet


def test_sentences_are_split_at_ingest_and_read_with_their_paper(
    settings: Settings, embedder, small_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search's snippets and a paper's sentences come from the spans ingest stored with
    the record: nothing is split again. Spans that do not fit the abstract (a record
    written otherwise, or damaged) are not trusted: the abstract is split again."""
    from rag import retrieval
    from rag.chunking import split_sentences

    ingest_paths(settings, [small_corpus], embedder=embedder)
    index = Index.open(settings, embedder=embedder)
    records = index.store.records
    row = records.get(limit=1, include=["metadatas"])
    damaged, metadata = row["ids"][0], row["metadatas"][0]
    assert metadata["sentences"].startswith("0-") and len(metadata["sentences"].split()) > 1
    records.update(ids=[damaged], metadatas=[{**metadata, "sentences": "5-3 1-9999"}])
    split: list[str] = []

    def splitting(text: str) -> list:  # type: ignore[type-arg]
        split.append(text)
        return split_sentences(text)

    monkeypatch.setattr(retrieval, "split_sentences", splitting)
    retriever = index.retriever()
    hits = retriever.search("learning method", k=10)
    assert len(hits) > 2 and all(hit.snippet for hit in hits)
    papers = retriever.papers([hit.paper_id for hit in hits] + [damaged])
    for paper in papers.values():
        assert retriever.abstract_sentences(paper) == split_sentences(paper.abstract)
    assert split == [papers[damaged].abstract]  # the one whose stored spans did not fit


def test_date_filters(retriever: Retriever) -> None:
    titles = {r.title for r in retriever.search("learning method", k=10, since=date(2023, 1, 1))}
    assert titles == {
        "Reinforcement Learning for Robot Grasping",
        "Diffusion Models for Audio Synthesis",
    }
    titles = {r.title for r in retriever.search("learning method", k=10, until=date(2021, 12, 31))}
    assert titles == {"Graph Neural Networks for Molecules"}
    both = retriever.search("learning", k=10, since=date(2022, 1, 1), until=date(2022, 12, 31))
    assert [r.title for r in both] == ["Sparse Attention for Long Documents"]
    for mode in ("dense", "keyword"):
        filtered = retriever.search("audio diffusion", k=10, until=date(2020, 1, 1), mode=mode)
        assert filtered == []


@pytest.mark.parametrize("k", [0, 101, -3])
def test_k_out_of_bounds(retriever: Retriever, k: int) -> None:
    with pytest.raises(InvalidQueryError, match="between 1 and 100"):
        retriever.search("graphs", k=k)


def test_bad_ranges_and_empty_query(retriever: Retriever) -> None:
    with pytest.raises(InvalidQueryError, match="after"):
        retriever.search("graphs", since=date(2024, 1, 1), until=date(2023, 1, 1))
    with pytest.raises(InvalidQueryError, match="empty"):
        retriever.search("   ")


def test_keyword_index_follows_the_store(
    settings: Settings, embedder, retriever: Retriever, tmp_path: Path
) -> None:
    assert retriever.search("zymurgy fermentation", k=3, mode="keyword") == []
    extra = write_jsonl(
        tmp_path / "more.jsonl",
        [
            {
                "title": "Zymurgy with Neural Networks",
                "abstract": make_abstract("zymurgy and fermentation control", "BrewNet"),
            }
        ],
    )
    ingest_paths(settings, [extra], embedder=embedder)
    retriever.refresh_seconds = 0
    hits = retriever.search("zymurgy fermentation", k=3, mode="keyword")
    assert [h.title for h in hits] == ["Zymurgy with Neural Networks"]


def test_keyword_ranking_selects_the_top_chunks_without_sorting_them_all(
    sample_index, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag import retrieval

    _, rag = sample_index
    query = "graph neural networks for molecules"
    full = rag.retriever.search(query, k=10, mode="keyword")
    monkeypatch.setattr(retrieval, "KEYWORD_DEPTH", 25)  # of ~760 chunks with a score
    selected = rag.retriever.search(query, k=10, mode="keyword")
    assert [r.paper_id for r in selected] == [r.paper_id for r in full]
    assert [r.keyword_score for r in selected] == [r.keyword_score for r in full]
    snap = rag.retriever.snapshot()
    terms = snap.keyword.query_terms(query).known
    assert len(rag.retriever._keyword(snap, terms, None, None, k=10)) <= 25


def test_a_quote_embeds_only_the_sentences_sharing_most_of_the_claim(sample_index) -> None:
    from rag import retrieval

    _, rag = sample_index
    embedded: list[str] = []
    inner = rag.retriever.quote_embedder

    class Counting:
        def embed(self, texts: list[str]):  # type: ignore[no-untyped-def]
            embedded.extend(texts)
            return inner.embed(texts)

    rag.retriever.quote_embedder = Counting()  # type: ignore[assignment]
    try:
        sentences = [f"Sentence {i} is about unrelated matters number {i}." for i in range(12)]
        sentences[7] = "MobileOne reaches an inference time under one millisecond on an iPhone12."
        claim = "MobileOne inference time iPhone12"
        scores = rag.retriever.sentence_support(claim, sentences)
    finally:
        rag.retriever.quote_embedder = inner
    assert int(scores.argmax()) == 7
    # the claim too is embedded by the quote model: it is only compared with its vectors
    assert claim in embedded and sentences[7] in embedded
    assert len(set(embedded) - {claim}) <= retrieval.QUOTE_CANDIDATES


@pytest.mark.slow
def test_dense_search_returns_the_exact_nearest_chunks(real_sample_index) -> None:
    """The 200 chunks a search fuses are the nearest 200 of the bundled corpus's ~760,
    not Chroma's approximation, which differed from one process to the next and from
    the exact set (`store.SEARCH_EF`). Real vectors: the fake embedder's were found
    exactly even with Chroma's default."""
    _, rag = real_sample_index
    store = rag.retriever.store
    vectors = np.asarray(store.chunks.get(include=["embeddings"])["embeddings"])
    for text in ["I want to learn about HNSW", "What is KAN?", "papers on grokking"]:
        vector = rag.embedder.embed([text])[0]
        exact = np.sort(vectors @ vector)[::-1][:200]
        found = np.sort([similarity for _, similarity in store.query(vector, 200, None)])
        np.testing.assert_allclose(found[::-1], exact, atol=1e-4)


def test_an_index_made_before_is_searched_as_deep_as_a_new_one(
    settings: Settings, embedder, small_corpus: Path
) -> None:
    """`ef_search` is one of Chroma's mutable settings: an index created with Chroma's
    default is brought to `SEARCH_EF` when opened, so its searches are exact too."""
    ingest_paths(settings, [small_corpus], embedder=embedder)
    chunks = Index.open(settings, embedder=embedder).store.chunks
    assert chunks.configuration["hnsw"]["ef_search"] == SEARCH_EF
    chunks.modify(configuration={"hnsw": {"ef_search": 100}})  # as an older index was
    reopened = Index.open(settings, embedder=embedder).store.chunks
    assert reopened.configuration["hnsw"]["ef_search"] == SEARCH_EF


class _LockedChunks:
    """A collection whose writes fail as Chroma's do while another writer holds SQLite's
    lock, `fails` times."""

    def __init__(self, fails: int, error: str = "(code: 5) database is locked") -> None:
        self.fails, self.error, self.calls = fails, error, 0
        self.configuration: dict = {"hnsw": {"ef_search": 100}}

    def modify(self, configuration: dict) -> None:
        self.calls += 1
        if self.calls <= self.fails:
            raise InternalError(f"Database error: error returned from database: {self.error}")
        self.configuration = configuration


def test_an_index_locked_by_another_writer_still_opens(monkeypatch, caplog) -> None:
    """Bringing an older index to `SEARCH_EF` is a write, and the fast suite once failed
    with "database is locked" there (a background write of Chroma's after an ingest):
    opening waits for the lock, else opens the index as it is and says so."""
    monkeypatch.setattr(store, "LOCKED_WAIT_SECONDS", 0.0)
    waited = _LockedChunks(fails=3)
    store._search_exactly(waited)  # type: ignore[arg-type]
    assert waited.calls == 4 and waited.configuration["hnsw"]["ef_search"] == SEARCH_EF
    assert "locked" not in caplog.text
    held = _LockedChunks(fails=1_000)
    store._search_exactly(held)  # type: ignore[arg-type]
    assert held.calls == store.LOCKED_RETRIES and held.configuration["hnsw"]["ef_search"] == 100
    assert "locked by another writer" in caplog.text
    with pytest.raises(InternalError):  # anything else is no lock to wait out
        store._search_exactly(_LockedChunks(fails=1, error="disk I/O error"))  # type: ignore[arg-type]


PHRASE_ROWS = [
    {
        "title": "Chaos in the Kuramoto\u2013Sivashinsky Equation",
        "abstract": "The Kuramoto\u2013Sivashinsky equation is a model of flame fronts. We "
        "compute Kuramoto\u2013Sivashinsky Lyapunov spectra for a model on large domains, "
        "and the Kuramoto\u2013Sivashinsky attractor dimension grows with the domain.",
    },
    {
        "title": "Synchronization of Coupled Oscillators",
        "abstract": "We study the Kuramoto model of coupled phase oscillators and show how "
        "synchronization emerges as the coupling strength passes a critical value.",
    },
    {
        "title": "Knowledge Transfer Between Distant Tasks",
        "abstract": "Knowledge from one task helps another. We study distillation of wine "
        "as a running example of knowledge reuse, and of knowledge shared by many tasks.",
    },
    {
        "title": "Compressing Networks for Phones",
        "abstract": "We compress large networks with knowledge distillation: a small student "
        "learns from the outputs of a large teacher and runs on phones.",
    },
]


@pytest.fixture(scope="module")
def phrase_index(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return fake_index(tmp_path_factory.mktemp("phrases"), PHRASE_ROWS, "phrases")[1]


@pytest.mark.parametrize(
    ("question", "first"),
    [
        # the phrase written together outranks its words written apart
        ("What is knowledge distillation?", "Compressing Networks for Phones"),
        # a name with its kind: the name written as a word of its own, not inside
        # "Kuramoto-Sivashinsky", however often that is written
        ("What is the Kuramoto model?", "Synchronization of Coupled Oscillators"),
    ],
)
def test_papers_writing_the_asked_phrase_rank_first(phrase_index, question, first) -> None:
    assert phrase_index.search(question, k=4, mode="keyword")[0].title == first
    assert phrase_index.search(question, k=4)[0].title == first


def test_a_paper_named_by_its_title_comes_first(tmp_path: Path) -> None:
    """Over a Zotero library holding "Attention is all you need", that query opened with
    "Stand-Alone Self-Attention in Vision Models", whose abstract says "attention" more
    often. A title typed (a slip or two allowed), asked about, or held whole names its
    paper; a title of two words held inside a longer question does not ("why does deep
    learning work so well?")."""
    rows = [
        {
            "title": "Attention Is All You Need",
            "abstract": "We propose the Transformer, a network architecture based solely on "
            "attention mechanisms, dispensing with recurrence and convolutions entirely.",
        },
        {
            "title": "Stand-Alone Self-Attention in Vision Models",
            "abstract": "Attention is all we use: self-attention layers replace spatial "
            "convolutions, and attention alone is all a vision model needs, we show, with "
            "attention in every layer you need fewer parameters.",
        },
        {
            "title": "Deep Learning",
            "abstract": "Deep learning allows computational models composed of multiple "
            "processing layers to learn representations of data.",
        },
        {
            "title": "How Deep Learning Works in Practice",
            "abstract": "We study how deep learning works on real tasks: deep learning works "
            "when learning rates and deep networks are tuned, and how it works varies.",
        },
    ]
    _, rag = fake_index(tmp_path, rows, "titled")

    def first(query: str) -> str:
        return rag.search(query, k=3, mode="keyword")[0].title

    assert first("attention you need") == "Stand-Alone Self-Attention in Vision Models"
    for query in (
        "Attention is all you need",
        "attention is all you nead",  # a slip
        "summarise 'Attention Is All You Need' for me",
        "papers on attention is all you need",
    ):
        assert first(query) == "Attention Is All You Need", query
    assert first("why does deep learning work so well?") == "How Deep Learning Works in Practice"
    assert first("how does deep learning work?") == "Deep Learning"  # asks about the title


def test_a_title_held_names_its_paper_only_where_it_is_most_of_the_text() -> None:
    from rag.papers import holds_title as holds_normalised
    from rag.papers import normalize_title

    def holds_title(text: str, title: str) -> bool:
        return holds_normalised(normalize_title(text), normalize_title(title))

    assert holds_title("summarise 'Attention Is All You Need' for me", "Attention is all you need")
    assert holds_title(
        "what do you make of attention is all you need?", "Attention is all you need"
    )
    assert not holds_title("how does deep learning work?", "Deep learning")  # two words
    # a SciFact claim using a title's words is no request for that paper
    claim = "RAD52 is involved in break-induced DNA replication (BIR)."
    assert not holds_title(claim, "Break-induced DNA replication.")

"""Hybrid paper retrieval: dense (Chroma) + keyword (BM25), fused and ranked per paper.

Both retrievers score chunks; each is collapsed to papers (a paper's best chunk).
The two paper scores are fused as an equal-weight convex combination of normalised
scores (BM25 / its top score, cosine min-max over the candidates). Unlike reciprocal
rank fusion this keeps each retriever's confidence: a paper BM25 puts far ahead stays
ahead. On the dev questions RRF lost to BM25 alone on lookups; this fusion does not.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from datetime import date
from itertools import pairwise, product
from pathlib import Path
from string import ascii_lowercase, ascii_uppercase
from typing import Literal, TypeVar

import numpy as np
from cachetools import LRUCache
from filelock import Timeout

from rag.acronyms import (
    SHORT_FORM,
    Meaning,
    defined_as,
    meanings,
    phrase_pattern,
    phrase_words,
    singular,
)
from rag.catalog import Catalog
from rag.chunking import Sentence, split_sentences
from rag.definitions import ACRONYM, asked_term, named
from rag.embeddings import Embedder
from rag.errors import InvalidQueryError
from rag.everyday_words import SPECIALIST_ZIPF, zipf
from rag.keyword import (
    DASHES,
    HYPHENS,
    SPELLING_MAX_WORDS,
    Defined,
    KeywordIndex,
    QueryTerms,
    Spelling,
    TopicWeights,
    Unclipped,
    shared_letters,
    without_asking,
)
from rag.papers import (
    DatePrecision,
    Paper,
    holds_title,
    is_title,
    normalize_title,
    stated_precision,
)
from rag.relevance import DenseBackground, relevance
from rag.search_state import SearchState, sync
from rag.store import PaperStore

log = logging.getLogger("rag.retrieval")
T = TypeVar("T")
Mode = Literal["hybrid", "dense", "keyword"]
K_MIN, K_MAX = 1, 100
"""Papers per search: 100 is what recall@100 (`rag eval beir`) and a reranker need."""
KEYWORD_WEIGHT = 0.5
"""Share of the fused score from BM25; the rest from dense similarity."""
DENSE_FULL_EXCESS = 6.0
"""Background standard deviations of cosine (`DenseBackground`) at which a paper gets its
whole dense share in `fuse`; below, a proportional part. Min-max normalisation alone
gave the dense winner half the fused score even for an acronym the model does not know:
`rag search HNSW` showed two unrelated papers (cosine 0.6 SD above the background)
above the HNSW paper, which is now second. Measured against min-max alone (`rag eval
answers`, extractive): answers opening with a gold paper 88.8% -> 95.0% on
`eval/phrasing_questions.jsonl`, 85.8% -> 92.9% on the held-out phrasings, the short and
dev questions unchanged; dev retrieval R@5 0.989 -> 0.988, R@10 0.993 -> 0.995, MRR 1.0;
SciFact train nDCG@10 0.736 -> 0.739, cite with a gold abstract first 79.2% -> 80.1%.
At 3.0 answers did as well or better but R@5 fell to 0.980 (the target is 0.98); at 2.0
to 0.986 with one dev answer no longer opening with a gold paper."""
DENSE_DEPTH = 200
"""Chunks fetched from Chroma per query: deep enough that fusion sees every plausible paper."""
NUMBER_WEIGHT = 0.5
"""Weight of the claim's numbers found in a sentence when choosing a quote (see
`Retriever.sentence_support`; 1.0 measured 58.6%, 0.5 58.9%)."""
QUOTE_CANDIDATES = 6
"""Sentences per abstract embedded when choosing a quote: the ones sharing most of the
claim's terms and numbers (the rest score on those alone)."""
_NUMBER = re.compile(r"[^\W_]*\d[^\W_]*(?:\.\d+)?")
"""A number, or a word with digits taken whole ("CD4", "Word2Vec"): "Which paper introduced
Word2Vec?" shared the number 2 with "Image2Tweet" and quoted that sentence. On SciFact's
cite evaluation, rationale sentences quoted went from 172 of 332 (digits anywhere) to 173;
taking only the digits outside words lost one instead (171): gene names like "CD4" are
what a biomedical claim shares."""
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
PHRASE_WORDS = (2, 3)
"""Words of an asked phrase checked for being written together (`Retriever.asked_phrase`):
one word is a term of its own; four or more are a description, not a name."""
CAPITALS = re.compile(r"(?<![\w-])[A-Z]{3,}(?![\w-])")
"""A word typed in capitals, three letters or more ("CLIP", "SAM"; not "BRCA1",
"GPT-4"): a name, where papers may write the same letters as a word (`in_capitals`)."""


def _capitalised(word: str) -> re.Pattern[str]:
    """`word` (typed in capitals) written as a name: in capitals or with a capital first
    letter, a plural too ("CLIP", "CLIPs"; "Adam" for "ADAM"), not "clips". A plural
    typed in capitals is the name's plural ("GANS", "LLMS" for "GANs", "LLMs"): read
    as typed, "What are GANS?" and "What are LLMS?" were refused, no paper writing
    "GANS"."""
    forms = {word, word.title(), *_name_forms(word)}
    written = "|".join(map(re.escape, sorted(forms, key=len, reverse=True)))
    return re.compile(rf"(?<!\w)(?:{written})(?:e?s)?(?!\w)")


def _name_forms(word: str) -> set[str]:
    """What every text `_capitalised` finds `word` in holds one of: "GAN" or "Gan" for
    "GANS" (its forms are "GANS", "Gans", "GAN", "Gan", a plural ending after them)."""
    if len(word) > 3 and word.endswith("S"):
        return {word[:-1], word[:-1].title()}
    return {word, word.title()}


TYPED_CAPITALS = re.compile(r"(?<!\w)[A-Z]{2,}(?!\w)")
"""A word typed in capitals, two letters or more, hyphenated ones too ("ST" of "ST-ITO")."""
NAME_TYPED = re.compile(r"(?<![\w-])(?=[a-z]*[A-Z][a-z]*[A-Z])[A-Za-z]{3,40}(?![\w-])")
"""A word typed as a name: letters only, two of them capitals or more ("NIA", "nGT",
"DATS"; not "What"), at most 40 letters (each is tried with a letter put back)."""


def _name_fixes(typed: str) -> Iterator[str]:
    """`typed` as a singular ("CKDS": English stemmers keep the "s" of a word with no
    vowel), with one letter added anywhere, in capitals and in small letters, and with
    two letters side by side swapped ("KNA")."""
    if len(typed) > 3 and typed[-1] in "Ss":
        yield typed[:-1]
    for at in range(len(typed) + 1):
        for letter in ascii_uppercase + ascii_lowercase:
            yield typed[:at] + letter + typed[at:]
    for at in range(len(typed) - 1):
        yield typed[:at] + typed[at + 1] + typed[at] + typed[at + 2 :]


NameCase = Literal["name", "word", "both"]
"""How papers write a word typed in capitals (`_Snapshot.written_as`)."""
MEANING_PAPERS = 2
"""Papers that must define an acronym one way for that to be one of its meanings
(`Retriever.read_as_defined`): one paper's definition is often one author's wording of
another meaning, or a use the question does not mean. Of the SciFact abstracts read
for "ART", 13 define it as "antiretroviral therapy" and 1 as "antiretroviral
treatment"; "BMP" is "bone morphogenetic protein" in 8, "bone morphogenic proteins" in
1. Counting single papers, 62 of SciFact's 809 training claims were read by a meaning,
many wrongly ("ART substantially reduces ..." as the "treatment", the 13 papers on
"therapy" counted as meaning something else; "decreased CSF levels of hypocretin" as
granulocyte colony-stimulating factor); with two, 1 ("RA activation of ... cells" as
retinoic acid, not rheumatoid arthritis), and of the bundled questions none."""
MEANING_MARGIN = 2.0
"""How many times better one meaning must go with a question than any other to be read
as the one meant (`Retriever.meaning_fits`): "ANN search with graphs" fits "approximate
nearest neighbor" 0.55 and "artificial neural network" 0.05; the SciFact claims fitting
two about as well ("MEK inhibitors ...": "mitogen-activated protein kinase kinase" 0.67,
"MAP kinase kinase" 0.54, one meaning in two wordings) are left as typed."""
PHRASE_PAPERS = 50
"""Papers read, at most, to find one that writes an asked phrase."""
SPLIT_MIN = 3
"""Letters of each word a joined word splits into (`Retriever.spelled_both_ways`):
"pre", "non", "sub"."""
NAME_SPLIT_MIN = 2
"""The same for a word typed as a name (`NAME_TYPED`): its parts may be names of two
letters ("MNISTNd" for "MNIST-Nd", "STITO" for "ST-ITO"; both were refused)."""
CLIPPED_JOINED_MAX = 5
"""Most letters of a clipped word joined to the word before it ("norm" of "batchnorm",
"aug" of "dataaug"; `Retriever.unclipped`): each split looks up longer forms in the
vocabulary, and trying every split of a long unknown word doubled the time to read a
question ("cardiomyopathyneuropathy in adults": 0.9 -> 1.8 ms on SciFact's vocabulary;
0.7 ms with this bound)."""


CLIPPED_MAX_WORDS = 3
"""Words no paper writes that one query may have read as clipped (`Retriever.unclipped`):
each costs a scan of the stems with its initial and a read of the papers holding its
completions; a typed question has one or two."""

TITLE_TOPIC_DEPTH = 10
"""Results read for a title holding the whole topic (`Retriever._title_topic_first`),
however few are asked for: the first result is the same for any `k`."""
COMMON_IDF = float(np.log(2))
"""The IDF of a term most chunks hold (Lucene's IDF is below log 2 exactly then)."""
WHOLE_TOPIC = 0.999
"""A coverage that holds the whole topic (1.0 but for rounding)."""
TITLED_DEPTH = 20
"""Papers read for one whose title the query is (`Retriever._titled_first`): a title
typed as it is shares nearly every word with its paper, which both retrievers rank high."""

PHRASE_FORMS = 4
"""Forms of an asked phrase read for it (`_phrase_forms`): as typed, then with its words'
other forms."""


def _listed(names: Sequence[str]) -> str:
    """'"a"', '"a" and "b"', '"a", "b" and "c"'."""
    quoted = [f'"{name}"' for name in names]
    return " and ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)


_JOINERS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015")
"""The characters of `DASHES`, as a set."""


def _writes_apart(text: str, first: str, second: str) -> bool:
    """Whether `text` writes `first` at a word's start, then a blank or a dash, then
    `second`, in any case: what the pattern `(?<!\\w)first[\\s-]second` finds, read
    with `str.find`. A pattern compiled for each new pair of words cost a first search
    ~0.5 ms (135 compilations over `bench/ingest_search.py`'s 200 queries)."""
    text, first, second = text.lower(), first.lower(), second.lower()
    at = text.find(first)
    while at >= 0:
        end = at + len(first)
        before = text[at - 1] if at else " "
        if (
            not (before.isalnum() or before == "_")
            and end < len(text)
            and (text[end].isspace() or text[end] in _JOINERS)
            and text.startswith(second, end + 1)
        ):
            return True
        at = text.find(first, at + 1)
    return False


def _phrase_forms(phrase: tuple[int, ...], topic: QueryTerms) -> list[tuple[int, ...]]:
    """`phrase` as typed, then with each word's other forms (`QueryTerms.variants`): "batch
    normalisation" is written where a paper writes "batch normalization", and "What is
    batch normalisation?" was refused as a phrase no paper writes. A word papers write
    both joined and apart (`Spelling`) is written either way: "hyper-parameter tuning"
    opened with three papers naming it in passing and none of the five that "hyperparameter
    tuning" opens with, all on tuning hyperparameters."""
    forms = [
        [term, *sorted(next((v.terms for v in topic.variants if term in v.terms), ()))]
        for term in phrase
    ]
    every = dict.fromkeys(product(*(dict.fromkeys(f) for f in forms)))
    for spelling in topic.spellings:
        if spelling.joined is None or spelling.apart is None:
            continue
        for form in list(every):
            every[_respelled(form, spelling.apart, (spelling.joined,))] = None
            every[_respelled(form, (spelling.joined,), spelling.apart)] = None
    return list(every)[:PHRASE_FORMS]


def _respelled(
    form: tuple[int, ...], typed: tuple[int, ...], other: tuple[int, ...]
) -> tuple[int, ...]:
    """`form` with its first run of `typed` terms written as `other`; as it is without one."""
    for start in range(len(form) - len(typed) + 1):
        if form[start : start + len(typed)] == typed:
            return form[:start] + other + form[start + len(typed) :]
    return form


def _as_indexed(keyword: KeywordIndex, term: str, topic: QueryTerms) -> str:
    """`term` with each `Spelling` in it written as the index can hold it: as typed where
    it can, else joined, else as two words. "realtime rendering" (no paper writes
    "realtime") is then the phrase "real time rendering", refused where no paper writes
    it, as "real-time rendering" was, not answered from "real" and "time" anywhere."""
    for spelling in topic.spellings:
        pattern = rf"(?<!\w){re.escape(spelling.first)}[\s{DASHES}]?{re.escape(spelling.second)}\w*"
        typed = re.search(pattern, term, re.IGNORECASE)
        if typed is None or keyword.compound_noun(typed[0]) is not None:
            continue
        rest = re.sub(f"^[\\s{HYPHENS}]+", "", typed[0][len(spelling.first) :])
        written = spelling.first + ("" if spelling.joined else " ") + rest
        term = term[: typed.start()] + written + term[typed.end() :]
    return term


PHRASE_BATCH = 10
"""Papers read from the store at a time while looking for the phrase. Of the 24 written
phrases measured on the bundled corpus (`eval/phrase_questions.jsonl` and "neural
networks", "deep learning", ...; up to 425 papers holding the words), the first paper
writing one was among the first 5 holding its words, so one batch is read; the whole
check took 0.1-12 ms."""
KEYWORD_DEPTH = 300
"""BM25 chunks considered per query, selected with `argpartition` instead of sorting
every scored chunk: the fused top 10 only ever draws on the best few hundred, and a
full sort plus merge cost ~160 ms per query at 112k chunks (6 ms selected)."""
INLINE_MAX_CHUNKS = 5_000
"""A change to an index of at most this many chunks is taken in inside the search that
notices it (a new paper is searchable at once; the bundled 497 papers: ~0.1 s). A
bigger index is refreshed and its new snapshot built in the background while searches
use the previous one: at 10k chunks doing it inline made one search take 0.5 s, at
112k papers rebuilding inline blocked every search for 40 s."""
SWAP_RETRIES = 4
SWAP_WAIT_SECONDS = 0.25
"""A dense query that fails while the index changes is retried after 0, 0.25, 0.5 s: a
rebuild's swap leaves the live collection names missing for milliseconds."""
SNIPPET_CHARS = 320
SENTENCE_CACHE_SIZE = 50_000
"""Abstract-sentence vectors kept for quoting (384 floats each: about 75 MB when full)."""
PREFETCH_PAPERS = 1_000
"""An index of at most this many papers has all its records read in with its first
snapshot (497 bundled papers: 0.13 s), so no search waits on Chroma for one (each read
added ~0.7 ms to a bundled search). Bigger ones fill the cache as searches go."""
PAPER_CACHE_SIZE = 5_000
"""Papers (and their sentences and terms) kept per snapshot: the ones searches show
again and again; about 15 MB, whatever the size of the corpus."""


@dataclass(frozen=True)
class SearchResult:
    rank: int
    paper_id: str
    title: str
    score: float
    """Fused score in [0, 1], relative to this query's best papers: 1.0 = top paper for
    both retrievers, with a cosine clearly above the index's background (`fuse`). It
    orders results; it does not say whether the top paper is any good (the only loosely
    related paper to an off-topic question can score 1.0): see `relevance`.
    For a comparison (`rag.comparisons`), relative to the query of its side."""
    date: date | None
    snippet: str
    dense_score: float
    """Cosine similarity of the paper's best chunk (0 when dense retrieval missed it)."""
    keyword_score: float
    """BM25 score of the paper's best chunk."""
    coverage: float
    """IDF-weighted share of the query's topic terms found in the paper (0..1)."""
    relevance: float
    """Calibrated relevance, comparable across queries and corpora (`rag.relevance`):
    >= 0.5 good enough to answer from and cite, < 0.4 most likely off-topic."""
    date_precision: DatePrecision = "day"

    def as_json(self) -> dict[str, object]:
        return {
            "rank": self.rank,
            "paper_id": self.paper_id,
            "title": self.title,
            "score": round(self.score, 4),
            "relevance": round(self.relevance, 4),
            "date": self.date.isoformat() if self.date else None,
            "date_precision": stated_precision(self.date, self.date_precision),
            "snippet": self.snippet,
        }


def validate_query(query: str, k: int, since: date | None, until: date | None) -> None:
    if not query.strip():
        raise InvalidQueryError("the query is empty")
    if not K_MIN <= k <= K_MAX:
        raise InvalidQueryError(f"k must be between {K_MIN} and {K_MAX}, got {k}")
    if since and until and since > until:
        raise InvalidQueryError(f"since ({since}) is after until ({until})")


def _date_where(since: date | None, until: date | None) -> dict[str, object] | None:
    clauses: list[dict[str, object]] = []
    if since or until:
        clauses.append({"date_key": {"$gt": 0}})  # undated papers fall outside any range
    if since:
        clauses.append({"date_key": {"$gte": int(since.strftime("%Y%m%d"))}})
    if until:
        clauses.append({"date_key": {"$lte": int(until.strftime("%Y%m%d"))}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def fuse(
    dense: dict[str, tuple[float, str]],
    keyword: dict[str, tuple[float, str]],
    keyword_weight: float,
    background: DenseBackground | None = None,
) -> dict[str, float]:
    """Convex combination of normalised per-paper scores (missing from a list = 0).

    Dense scores are min-max normalised, which gives the dense winner its full share
    however weakly it matches; with the index's `background`, each is also scaled by how
    far its cosine stands above the background, in `DENSE_FULL_EXCESS` steps."""
    fused: dict[str, float] = {}
    if keyword:
        top = max(score for score, _ in keyword.values())
        for paper_id, (score, _) in keyword.items():
            fused[paper_id] = keyword_weight * score / top
    if dense:
        scores = [score for score, _ in dense.values()]
        low, span = min(scores), (max(scores) - min(scores)) or 1.0
        for paper_id, (score, _) in dense.items():
            normalised = (score - low) / span
            if background is not None:
                normalised *= min(1.0, max(0.0, background.excess(score)) / DENSE_FULL_EXCESS)
            fused[paper_id] = fused.get(paper_id, 0.0) + (1 - keyword_weight) * normalised
    return fused


class _Snapshot:
    """One version of the index as searches see it: its search state (keyword index,
    catalog, dense background) plus bounded caches of what searches read from the store.
    Papers are read for the results only (`papers`), never all at once."""

    def __init__(
        self, state: SearchState, store: PaperStore, previous: _Snapshot | None = None
    ) -> None:
        self.state = state
        self.version = state.version
        self.keyword = keyword = state.keyword
        built = (keyword.position, keyword.paper_codes, keyword.date_keys, keyword.norms)
        for _ in (*built, keyword.stems_by_length, keyword.stems_by_initial, keyword.words_by_term):
            pass  # built here (maybe in the background), not inside the next search
        self.catalog = state.catalog
        self.background = state.background
        self._store = store
        self._papers: LRUCache[str, Paper] = LRUCache(PAPER_CACHE_SIZE)
        self._paper_terms: LRUCache[str, frozenset[int]] = LRUCache(PAPER_CACHE_SIZE)
        self._sentences: LRUCache[str, list[Sentence]] = LRUCache(PAPER_CACHE_SIZE)
        self._terms: LRUCache[str, frozenset[int]] = LRUCache(SENTENCE_CACHE_SIZE)
        self._regions: LRUCache[str, list[tuple[str, frozenset[int]]]] = LRUCache(PAPER_CACHE_SIZE)
        self._apart: LRUCache[str, bool] = LRUCache(SENTENCE_CACHE_SIZE)
        self._written: LRUCache[str, bool] = LRUCache(SENTENCE_CACHE_SIZE)
        self._name_cases: LRUCache[str, NameCase] = LRUCache(SENTENCE_CACHE_SIZE)
        self._in_capitals: LRUCache[str, bool] = LRUCache(SENTENCE_CACHE_SIZE)
        self._meanings: LRUCache[str, list[Meaning]] = LRUCache(SENTENCE_CACHE_SIZE)
        self._lock = threading.Lock()
        if previous is not None and previous.version == state.moved_from:
            with previous._lock:  # unchanged papers stay cached across an ingest
                kept = [(k, v, previous._sentences.get(k)) for k, v in previous._papers.items()]
            self._keep({pid: (p, s) for pid, p, s in kept if pid not in state.changed_records})
        elif previous is None and len(state.catalog) <= PREFETCH_PAPERS:
            self._keep(store.stored_papers(list(state.catalog)))

    # Memoised per snapshot: tokenising sentences again for every snippet and quote cost
    # more than the rest of a search. Races only recompute.

    def papers(self, paper_ids: list[str]) -> dict[str, Paper]:
        """The stored papers among `paper_ids` (absent ones were deleted: never invented)."""
        with self._lock:
            found = {pid: self._papers[pid] for pid in paper_ids if pid in self._papers}
        missing = [pid for pid in dict.fromkeys(paper_ids) if pid not in found]
        if missing:
            fresh = self._store.stored_papers(missing)
            self._keep(fresh)
            found.update((pid, paper) for pid, (paper, _) in fresh.items())
        return found

    def _keep(self, papers: dict[str, tuple[Paper, list[Sentence] | None]]) -> None:
        """Cache papers read from the store, with their sentence spans where known."""
        with self._lock:
            for pid, (paper, spans) in papers.items():
                self._papers[pid] = paper
                if spans is not None:
                    self._sentences[pid] = spans

    def paper(self, paper_id: str) -> Paper | None:
        return self.papers([paper_id]).get(paper_id)

    def _memo(self, cache: LRUCache[str, T], key: str, compute: Callable[[], T]) -> T:
        with self._lock:
            value = cache.get(key)
        if value is None:
            value = compute()
            with self._lock:
                cache[key] = value
        return value

    def paper_terms(self, paper: Paper) -> frozenset[int]:
        """Vocabulary ids of a paper's title and abstract (what its chunks index), read
        with its sentences' (`sentence_terms`, kept for its snippet and quotes) in one
        pass of the tokenizer (`KeywordIndex.terms_of`: 40 passes per SciFact search
        before, 6.5 now). A sentence's URL words are the paper's (not the sentence's)."""

        def read() -> frozenset[int]:
            abstract = paper.abstract
            spans = self.abstract_sentences(paper)
            sentences = [abstract[s.start : s.end] for s in spans]
            linked = [s for s in sentences if _URL.search(s)]
            ends, starts = [0, *(s.end for s in spans)], [*(s.start for s in spans), None]
            between = " ".join(  # what no sentence holds (blanks, as a rule)
                abstract[end:start] for end, start in zip(ends, starts, strict=True)
            )
            found = self.keyword.terms_of(
                [paper.title, between, *linked, *(_URL.sub(" ", s) for s in sentences)]
            )
            with self._lock:
                for sentence, terms in zip(sentences, found[2 + len(linked) :], strict=True):
                    self._terms[sentence] = frozenset(terms)
            return frozenset().union(*found)

        return self._memo(self._paper_terms, paper.paper_id, read)

    def abstract_sentences(self, paper: Paper) -> list[Sentence]:
        """The sentence spans of a paper's abstract: as ingest stored them, read with the
        paper (`papers`), else split here (punkt: ~0.4 ms per abstract, ~1.5 ms of a
        chat's CPU when split again for every quote)."""
        return self._memo(self._sentences, paper.paper_id, lambda: split_sentences(paper.abstract))

    def region(self, paper: Paper, chunk_id: str) -> list[tuple[str, frozenset[int]]]:
        """The sentences of a chunk's span of the abstract (the whole abstract if unknown)
        with their terms (`sentence_terms`), memoised per chunk: one lookup per snippet, not
        one per sentence (0.04 ms of a `bench/ingest_search.py` search)."""
        return self._memo(
            self._regions,
            chunk_id,
            lambda: [(s, self.sentence_terms(s)) for s in self._region_sentences(paper, chunk_id)],
        )

    def _region_sentences(self, paper: Paper, chunk_id: str) -> list[str]:
        """The abstract's sentences cut at the chunk's span's ends (a sentence too long
        for one chunk was cut between chunks). Splitting each chunk's span again cost a
        search 0.7 ms of 13."""
        position = self.keyword.position.get(chunk_id)
        start, end = (0, len(paper.abstract))
        if position is not None:
            start, end = self.keyword.span(position)
        found = [
            paper.abstract[max(s.start, start) : min(s.end, end)]
            for s in self.abstract_sentences(paper)
            if s.start < end and s.end > start
        ]
        return found or [paper.abstract[start:end]]

    def holders(self, terms: Iterable[int]) -> Iterator[Paper]:
        """The first `PHRASE_PAPERS` papers holding every one of `terms`, read from the
        store `PHRASE_BATCH` at a time (a phrase is found in the first batch or none)."""
        readable = self.keyword.papers_holding(terms)[:PHRASE_PAPERS]
        for start in range(0, len(readable), PHRASE_BATCH):
            yield from self.papers(readable[start : start + PHRASE_BATCH]).values()

    def writer(self, phrase: tuple[int, ...]) -> bool:
        """Whether one of the `holders` of `phrase`'s terms writes it (`KeywordIndex.writes`;
        memoised)."""
        return self._memo(
            self._written,
            " ".join(map(str, phrase)),
            lambda: any(self.keyword.writes(paper.text, phrase) for paper in self.holders(phrase)),
        )

    def written_as(self, term: int, word: str) -> NameCase:
        """How the `holders` of `term` write `word` (typed in capitals): as a name, in
        capitals or with a capital first letter ("CLIP"; "Adam" for "ADAM"), only as a
        word in small letters ("video clips"), or some one way and some the other.
        Memoised."""

        def read() -> NameCase:
            name = _capitalised(word)
            cases = {name.search(paper.text) is not None for paper in self.holders((term,))}
            return "both" if len(cases) == 2 else "name" if True in cases else "word"

        return self._memo(self._name_cases, word, read)

    def named_in_capitals(self, word: str) -> bool:
        """Whether the `holders` of (lowercase) `word` write it as a name, with a capital
        after its first letter ("HESSO", "LoRA", "KAN"), at least as often as not: a name
        however it is typed ("hesso pruning"). Memoised."""
        term = self.keyword.indexed_word(word)

        def read() -> bool:
            pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
            cases = [
                not found[0][1:].islower()
                for paper in self.holders((term,) if term is not None else ())
                for found in pattern.finditer(paper.text)
            ]
            return bool(cases) and 2 * sum(cases) >= len(cases)

        return term is not None and self._memo(self._in_capitals, word, read)

    def meanings(self, acronym: str, terms: AbstractSet[int]) -> list[Meaning]:
        """What the `holders` of each of `terms` (the acronym's, its plural's) define
        `acronym` as (`rag.acronyms.meanings`), most papers first. Memoised."""

        def read() -> list[Meaning]:
            papers = {p.paper_id: p for term in sorted(terms) for p in self.holders((term,))}
            found = [
                (paper_id, form)
                for paper_id, paper in papers.items()
                for form in defined_as(paper.text, acronym)
            ]
            return meanings(self.keyword, found)

        return self._memo(self._meanings, acronym, read)

    def says_together(self, paper: Paper, terms: AbstractSet[int]) -> bool:
        """Whether one sentence of `paper` (its title counting as one) holds all `terms`."""
        sentences = [paper.abstract[s.start : s.end] for s in self.abstract_sentences(paper)]
        return any(terms <= self.sentence_terms(s) for s in [paper.title, *sentences])

    def writes_apart(self, first: str, second: str, terms: tuple[int, int]) -> bool:
        """Whether a paper holding both `terms` writes `first` and `second` (its shared
        letters) as two words: "fine-tuning" or "fine tuning" (`Spelling`). The first
        `PHRASE_PAPERS` such papers are read; memoised."""

        def find() -> bool:
            return any(_writes_apart(paper.text, first, second) for paper in self.holders(terms))

        return self._memo(self._apart, f"{first} {second}", find)

    def sentence_terms(self, sentence: str) -> frozenset[int]:
        """Vocabulary ids of an abstract sentence, leaving out the words of its URLs: "We
        make our code publicly available at https://github.com/sIncerass/powernorm" does
        not say what PowerNorm is, and had been quoted for "What is PowerNorm?"."""
        return self._memo(
            self._terms, sentence, lambda: frozenset(self.keyword.terms(_URL.sub(" ", sentence)))
        )


class Retriever:
    """Thread-safe; share one per process (it holds the model and the BM25 index)."""

    def __init__(
        self,
        store: PaperStore,
        embedder: Embedder,
        state_dir: Path,
        refresh_seconds: float = 1.0,
        quote_embedder: Embedder | None = None,
    ):
        self.store = store
        self.state_dir = state_dir
        """Where the search state is kept (`rag.search_state`)."""
        self.embedder = embedder
        self.quote_embedder = quote_embedder or embedder
        """Embeds abstract sentences for quotes (see `LocalEmbedder.for_quotes`)."""
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._checked_at = 0.0
        self.build_seconds = 0.0
        """How long the last snapshot took (refresh, search state, caches)."""
        self._builder: threading.Thread | None = None
        self._cache_lock = threading.Lock()
        self._sentence_cache: LRUCache[str, np.ndarray] = LRUCache(SENTENCE_CACHE_SIZE)

    def snapshot(self, force: bool = False) -> _Snapshot:
        """The current snapshot, rebuilt when the store's version moved (checked at most
        every `refresh_seconds`, or now with `force`). When the store cannot say (a
        rebuild is swapping collections), the previous snapshot is served meanwhile.
        Above `INLINE_MAX_CHUNKS` the new snapshot is built in the background and
        swapped in when done; searches keep the previous snapshot until then."""
        now = time.monotonic()
        with self._lock:
            due = now - self._checked_at >= self.refresh_seconds
            if self._snapshot is not None and not (due or force):
                return self._snapshot
            try:
                version = self.store.version()
            except Exception as exc:
                if self._snapshot is None:
                    raise
                log.warning("index changing (%s); serving the previous snapshot", exc)
                return self._snapshot
            if self._snapshot is None:
                self._snapshot = self._build()
            elif version != self._snapshot.version:
                if force or self._snapshot.keyword.size <= INLINE_MAX_CHUNKS:
                    try:
                        self._snapshot = self._build(wait_seconds=0)
                    except Timeout:  # another process is writing the state: not here
                        self._build_in_background()
                else:
                    self._build_in_background()
            self._checked_at = now
            return self._snapshot

    def _build(self, wait_seconds: float = -1) -> _Snapshot:
        """The snapshot of the store as it is now. After the first, the store is
        refreshed first (see vectors written by other processes)."""
        started = time.monotonic()
        previous = self._snapshot.state if self._snapshot is not None else None
        if previous is not None:
            self.store.refresh()
        state = sync(self.store, self.state_dir, previous, wait_seconds)
        snap = _Snapshot(state, self.store, self._snapshot)
        self.build_seconds = time.monotonic() - started
        return snap

    def _build_in_background(self) -> None:
        """Start building the snapshot of the store's version unless a build is already
        running (the next check after it finishes picks up anything newer)."""
        if self._builder is not None and self._builder.is_alive():
            return
        replacing = self._snapshot

        def build() -> None:
            try:
                snap = self._build()
            except Exception as exc:  # the next check retries; searches keep the old one
                log.warning("rebuilding the search snapshot failed (%s); will retry", exc)
                return
            with self._lock:
                if self._snapshot is replacing:  # not already replaced by a forced rebuild
                    self._snapshot = snap
            log.info("search snapshot swapped in (%.1f s to build)", self.build_seconds)

        self._builder = threading.Thread(target=build, name="snapshot-build", daemon=True)
        self._builder.start()

    @property
    def loaded(self) -> bool:
        """Whether a snapshot of the index has been read in (searches load one)."""
        return self._snapshot is not None

    def papers(self, paper_ids: list[str]) -> dict[str, Paper]:
        """The stored papers among `paper_ids`."""
        return self.snapshot().papers(paper_ids)

    def paper(self, paper_id: str) -> Paper | None:
        return self.snapshot().paper(paper_id)

    @property
    def catalog(self) -> Catalog:
        """Titles and ids of every paper (`rag.catalog`)."""
        return self.snapshot().catalog

    # -- per-retriever paper rankings --------------------------------------------------

    def _dense(
        self, vector: np.ndarray, depth: int, where: dict[str, object] | None
    ) -> dict[str, tuple[float, str]]:
        """paper id -> (best cosine similarity, chunk id), best first."""
        best: dict[str, tuple[float, str]] = {}
        for chunk_id, similarity in self.store.query(vector, depth, where):
            paper_id = chunk_id.rsplit("::", 2)[0]
            if paper_id not in best:
                best[paper_id] = (similarity, chunk_id)
        return best

    def _dense_retrying(
        self, vector: np.ndarray, depth: int, since: date | None, until: date | None
    ) -> dict[str, tuple[float, str]]:
        """Dense ranking; when the store changed under it (another process's ingest, a
        rebuild's swap), refresh and try again rather than fail the request."""
        for attempt in range(SWAP_RETRIES):
            try:
                return self._dense(vector, depth, _date_where(since, until))
            except Exception as exc:
                if attempt == SWAP_RETRIES - 1:
                    raise
                log.info("dense query failed (%s); refreshing the index and retrying", exc)
                time.sleep(SWAP_WAIT_SECONDS * attempt)
                self.snapshot(force=True)
        raise AssertionError("unreachable")

    def _keyword(
        self,
        snap: _Snapshot,
        terms: frozenset[int],
        since: date | None,
        until: date | None,
        k: int = 10,
    ) -> dict[str, tuple[float, str]]:
        """paper id -> (best BM25 score, chunk id) over the top `KEYWORD_DEPTH` chunks."""
        scores = snap.keyword.scores(terms)
        if since or until:
            date_keys = snap.keyword.date_keys
            mask = date_keys > 0
            if since:
                mask &= date_keys >= int(since.strftime("%Y%m%d"))
            if until:
                mask &= date_keys <= int(until.strftime("%Y%m%d"))
            scores = np.where(mask, scores, 0.0)
        depth = max(KEYWORD_DEPTH, 2 * k)
        if len(scores) > depth:  # select the top chunks, never sort the whole corpus
            top = np.argpartition(-scores, depth - 1)[:depth]
            ranked = top[np.argsort(-scores[top], kind="stable")]
        else:
            ranked = np.argsort(-scores, kind="stable")
        ranked = ranked[scores[ranked] > 0]
        _, first = np.unique(snap.keyword.paper_codes[ranked], return_index=True)
        best_chunks = ranked[np.sort(first)]  # each paper's best chunk, best first
        chunk_ids, paper_ids = snap.keyword.chunk_ids, snap.keyword.paper_ids
        return {
            paper_ids[i]: (score, chunk_ids[i])
            for i, score in zip(best_chunks.tolist(), scores[best_chunks].tolist(), strict=True)
        }

    @staticmethod
    def _written_out_first(
        snap: _Snapshot, keyword: dict[str, tuple[float, str]], topic: QueryTerms
    ) -> dict[str, tuple[float, str]]:
        """Keyword candidates with each `Compound` of the query they write out, each of
        its `names` they write as typed (as a word of its own), and each asked phrase they
        write (`phrases`), scored `max_idf` higher, as if it were a term they hold: BM25
        on its parts alone ranked the Seq2Seq paper third for "seq2seq learning", below
        two papers that only say "sequence" and "learning", and the question was
        refused; on "neuron", the stem of "NeuroNER", the NeuroNER paper was not among
        the first five."""
        papers = snap.papers(list(keyword))
        bonus = snap.keyword.max_idf
        named = [  # what each text must hold for the pattern to match, and the pattern
            (_name_forms(name), _capitalised(name))
            if CAPITALS.fullmatch(name)
            else (  # "Kuramoto" is not written in "Kuramoto–Sivashinsky"
                {name},
                re.compile(rf"(?<![\w{DASHES}]){re.escape(name)}(?![\w{DASHES}])", re.IGNORECASE),
            )
            for name in topic.names
        ]
        texts = {pid: paper.text if (paper := papers.get(pid)) else "" for pid in keyword}
        written = dict.fromkeys(keyword, 0)  # unit by unit: 0.25 ms less than paper by paper
        for compound in topic.compounds:
            for paper_id, text in texts.items():
                written[paper_id] += compound.written_out_in(text)
        blind = [bool(name.flags & re.IGNORECASE) for _, name in named]
        lowered = {pid: text.lower() for pid, text in texts.items()} if any(blind) else {}
        for (forms, name), is_blind in zip(named, blind, strict=True):  # forms first: 1 µs
            case_blind = {form.lower() for form in forms} if is_blind else None  # pattern 21
            for paper_id, text in texts.items():
                held = (
                    any(form in text for form in forms)
                    if case_blind is None
                    else any(form in lowered[paper_id] for form in case_blind)
                )
                written[paper_id] += held and name.search(text) is not None
        for phrases, writes in [
            (topic.phrases, snap.keyword.writes),
            (topic.spaced, snap.keyword.writes_near),
        ]:
            for phrase in phrases:
                for paper_id in texts.keys() & set(snap.keyword.papers_holding(phrase)):
                    written[paper_id] += writes(texts[paper_id], phrase)
        return {
            paper_id: (score + bonus * written[paper_id], chunk_id)
            for paper_id, (score, chunk_id) in keyword.items()
        }

    @staticmethod
    def read_as_corrected(snap: _Snapshot, query: str, topic: QueryTerms) -> str:
        """`query` with each typo (`QueryTerms.corrected`) written as the word it was read
        as, for the rules that read words, not terms (`spelled_both_ways`,
        `asked_phrase`): "BERT's vocablary size" was answered from a paper holding the
        words apart, the phrase not being read in it, and "hyper-paramter tuning" opened
        with an optimizer paper, "hyper-parameter" not being read as "hyperparameter"."""
        for typed, term in topic.corrected:
            word = snap.keyword.read_as(term, typed)
            if word is not None:
                query = re.sub(rf"(?<!\w){re.escape(typed)}(?!\w)", word, query, flags=re.I)
        return query

    @staticmethod
    def spelled_both_ways(snap: _Snapshot, query: str, topic: QueryTerms) -> QueryTerms:
        """`topic` with each word asked about that papers write both joined and as two
        words read as one `Spelling`, in place of its forms' terms: two words whose
        joining the index holds ("fine tuning", "hyper-parameters"), or one word that
        splits into two indexed words that a paper writes apart ("finetuning",
        "multihead"). Read as typed, "hyperparameters" missed the papers writing
        "hyper-parameters", and "What is selfattention?" was refused. A name and its
        number typed apart that papers write joined ("Ranger 21", "FBNet V3": one of the
        two words unknown) are read as one too: both had been refused. ("IL 6", a name
        and one character, is not: read as "IL-6" is, two SciFact claims on "PGE 2"
        opened with another prostaglandin paper before their gold one, train nDCG@10
        0.7481 -> 0.7472, though "What does IL 6 do in atherosclerosis?" then opened
        with the IL-6 paper instead of two on IL-18.)"""
        keyword = snap.keyword

        def spelling(first: str, second: str) -> Spelling:
            parts = keyword.indexed_word(first), keyword.indexed_word(second)
            return Spelling(
                first,
                shared_letters(second, keyword.word_stem(second)),
                keyword.indexed_word(first + second),
                (parts[0], parts[1]) if parts[0] and parts[1] else None,
            )

        text = without_asking(query.lower())
        words = list(re.finditer(r"[a-z]+", text))
        found: list[tuple[Spelling, list[str]]] = []  # with the words typed
        for left, right in pairwise(words):
            if (
                keyword.is_content_word(left[0])
                and keyword.is_content_word(right[0])
                and re.fullmatch(f"[ {HYPHENS}]", text[left.end() : right.start()])
                and keyword.indexed_word(left[0] + right[0]) is not None
                and (not found or found[-1][1][-1] != left[0])
            ):
                found.append((spelling(left[0], right[0]), [left[0], right[0]]))
        tokens = list(re.finditer(r"[a-z0-9]+", text))
        for left, right in pairwise(tokens):  # "Ranger 21", "FBNet V3": one name
            if (
                re.search(r"\d", left[0] + right[0])
                and re.fullmatch(f"[ {HYPHENS}]", text[left.end() : right.start()])
                and {keyword.word_stem(left[0]), keyword.word_stem(right[0])} & topic.unknown
                and keyword.indexed_word(left[0] + right[0]) is not None
            ):
                found.append((spelling(left[0], right[0]), [left[0], right[0]]))
        taken = {word for _, typed in found for word in typed}
        names = {name.lower() for name in NAME_TYPED.findall(query)}
        for word in (match[0] for match in words):
            if word in taken or not keyword.is_content_word(word):
                continue
            for cut in keyword.cuts(word, NAME_SPLIT_MIN if word in names else SPLIT_MIN):
                split = spelling(word[:cut], word[cut:])
                if split.apart and snap.writes_apart(split.first, split.second, split.apart):
                    found.append((split, [word]))
                    break
        for split, typed in found:
            topic = replace(
                topic,
                known=topic.known - split.terms - {keyword.indexed_word(w) for w in typed},
                unknown=topic.unknown - {keyword.word_stem(w) for w in typed},
            )
        return replace(topic, spellings=tuple(split for split, _ in found)) if found else topic

    @staticmethod
    def asked_phrase(
        snap: _Snapshot, query: str, topic: QueryTerms, term: str | None = None
    ) -> QueryTerms:
        """`topic` with what it learns from the phrase `query` asks about (`asked_term`:
        "What are depth maps?", "Which papers use knowledge graphs?") when that is a
        compound of two or three indexed words (`KeywordIndex.compound_noun`):

        - No paper writes it (its words next to each other, either way round): it is
          marked `unwritten`. Such a question is about something the papers do not
          discuss: read word by word, "What is beam search?" was answered from a
          particle-accelerator paper ("beam time") and "What is label smoothing?" from
          "interpolating smooth ground-truth functions". The first `PHRASE_PAPERS`
          papers holding all the words are read; none writing the phrase counts as none.
          A phrase holding a name (`ACRONYM`) is written where one sentence holds all
          its words: "What is LoRA pre-training?" and "papers on fine-tuning LLMs" were
          refused, their papers writing "extending LoRA to model pre-training" and
          "fine-tuning ... LLMs" apart, while "BERT's vocabulary size" stays unwritten.
          A word papers write as a name counts as one however it is typed (`_Snapshot.
          named_in_capitals`): "hesso pruning" and "lora pretraining" were refused.
        - No paper writes it, but one does with a word read as a longer word papers
          write in its place (`_unclipped`: "batch norm", "batch normalization"): it is
          read so.
        - Papers write it: they rank first (`phrases`). "What is knowledge distillation?"
          opened with a paper holding both words apart; on `eval/phrase_questions.jsonl`
          answers opening with a gold paper went from 95.0% to 100%, gold papers cited
          from 54.7% to 61.3%.
        - A name with its kind ("the Lion optimizer", `named`) asks about the name:
          papers writing the name as a word of its own rank first (`names`; "the
          Kuramoto model" opened with a paper on the Kuramoto-Sivashinsky equation), and
          where no paper writes name and kind together, the name alone is checked."""
        term = term or asked_term(query)
        name = named(term) if term else None
        if name is not None and name not in topic.names:
            topic = replace(topic, names=(*topic.names, name))
        indexed = _as_indexed(snap.keyword, term, topic) if term else ""
        phrase = snap.keyword.compound_noun(indexed) if indexed else None
        if phrase is None or not PHRASE_WORDS[0] <= len(set(phrase)) <= PHRASE_WORDS[1]:
            return topic
        if set(phrase) <= frozenset().union(*(s.terms for s in topic.spellings)):  # one word
            return topic
        words = snap.keyword.tokenizer.splitter(indexed.lower())
        acronym = term is not None and ACRONYM.search(term) is not None

        def loose() -> bool:  # a name, typed so or in small letters; read only if needed
            return acronym or any(map(snap.named_in_capitals, words))

        together = spaced = False
        written: list[tuple[int, ...]] = []  # every form some paper writes
        for form in _phrase_forms(tuple(phrase), topic):
            for paper in snap.holders(form):
                if snap.keyword.writes(paper.text, form):
                    written.append(form)
                    break
                together = together or (loose() and snap.says_together(paper, set(form)))
                spaced = spaced or snap.keyword.writes_spaced(paper.text, form)
        if written:  # "Adam optimizer" written is no sign of a paper about Adam
            return replace(topic, phrases=(*topic.phrases, *(() if name else written)))
        if name is not None:
            return Retriever.asked_phrase(snap, query, topic, name)
        if together:
            return topic
        if spaced:
            return replace(topic, spaced=(*topic.spaced, tuple(phrase)))
        last_first = range(len(words) - 1, -1, -1)  # "batch norm": the noun is clipped
        unwritten = replace(topic, unwritten=(*topic.unwritten, frozenset(phrase)))
        return Retriever._unclipped(snap, words, topic, last_first) or unwritten

    @staticmethod
    def unclipped(snap: _Snapshot, query: str, topic: QueryTerms) -> QueryTerms:
        """`topic` with each word no paper writes (`QueryTerms.unknown`, at most
        `CLIPPED_MAX_WORDS`) read as a longer word papers write in its place next to the
        word before or after it (`_unclipped`): "hyperparam tuning" is "hyperparameter
        tuning", "data aug" "data augmentation", "what is layer norm?" over abstracts
        that write "layer normalization" and never "norm"; a word joined with the word
        before it too ("What is BatchNorm?", refused while "What is batch norm?" was
        answered). A word whose longer forms no paper writes there stays missing:
        "sourdough bread" is no "sourdough breadth"."""
        keyword = snap.keyword
        words = keyword.tokenizer.splitter(without_asking(query.lower()))
        tried = 0
        for at, word in enumerate(words):
            if tried == CLIPPED_MAX_WORDS:
                break
            if keyword.word_stem(word) not in topic.unknown or not keyword.is_content_word(word):
                continue
            tried += 1
            before, after = (words[at - 1 : at + 1] if at else []), words[at : at + 2]
            cuts = range(max(SPLIT_MIN, len(word) - CLIPPED_JOINED_MAX), len(word) - 1)
            joined = [[word[:cut], word[cut:]] for cut in cuts]
            for pair, clipped in ((before, 1), (after, 0), *((pair, 1) for pair in joined)):
                if len(pair) != 2 or not all(map(keyword.is_content_word, pair)):
                    continue
                if (read := Retriever._unclipped(snap, pair, topic, [clipped])) is not None:
                    topic = replace(read, unknown=read.unknown - {keyword.word_stem(word)})
                    break
        return topic

    @staticmethod
    def _unclipped(
        snap: _Snapshot, words: Sequence[str], topic: QueryTerms, clipped: Iterable[int]
    ) -> QueryTerms | None:
        """`topic` with the first of the `clipped` words of `words` (a run of content
        words) that reads as a longer word papers write in its place, making a phrase
        some paper writes ("norm" in "batch norm": "batch normalization"), read so: as
        the longer word alone (with "norm" too, "what is layer norm?" opened with a
        paper on "layer normalization in any Lp-norm"), its phrase's writers ranked
        first (`phrases`); None where no word reads so. Without it "What is batch
        norm?" was refused over the bundled abstracts (four of them on batch
        normalization), as a phrase no paper writes."""
        keyword = snap.keyword
        terms = [keyword.indexed_word(word) for word in words]
        for at in clipped:
            others = [*terms[:at], *terms[at + 1 :]]
            if None in others:
                continue
            for longer in keyword.longer_forms(words[at]):
                form = tuple(t for t in (*terms[:at], longer, *terms[at + 1 :]) if t is not None)
                if snap.writer(form):
                    unwritten = words[at] if terms[at] is None else " ".join(words)
                    beside = words[at - 1] if at else words[at + 1]
                    read = Unclipped(words[at], beside, unwritten, longer)
                    return replace(
                        topic,
                        known=topic.known - {terms[at]} | {longer},
                        unknown=topic.unknown - {keyword.word_stem(words[at])},
                        phrases=(*topic.phrases, form),
                        unclipped=(*topic.unclipped, read),
                    )
        return None

    @staticmethod
    def read_as_a_name(snap: _Snapshot, query: str, topic: QueryTerms) -> QueryTerms:
        """`topic` with each name typed with a letter dropped or two letters swapped read
        as the name the papers write (`_name_fixes`): a word typed as a name (two
        capitals or more: "NIA", "nGT", "DATS", "KNA") that the index has never seen,
        where putting one letter back or swapping two side by side gives exactly one
        word the papers write as a name (`_Snapshot.written_as`: in capitals, "NIMA",
        "nGPT", "DARTS", "KAN"). Below `SLIP_MIN_CHARS` letters and where the fix is
        ambiguous (`KeywordIndex.unslipped`: "DATS" is "darts" or "dates") a dropped
        letter was not put back, nor two swapped letters in a 3-letter name, and "What
        is NIA?" and "What is KNA?" were refused though the NIMA and KAN papers are
        indexed; what the papers write only as a word is no name ("dates"). A changed
        letter is not tried: short names are one change from many others ("SPNN" and
        "SNN", "BART" and "BERT").
        A plural typed in capitals is read so too where the stemmer keeps its "s"
        ("What are CKDS?", "TSPS": no vowel). At most `SPELLING_MAX_WORDS` names are
        tried, as for typos: each costs ~100 lookups and may read its fixes' papers."""
        keyword = snap.keyword
        written = keyword.tokenizer.word_to_stem  # every word the papers write, and more
        looked_up = 0
        for typed in dict.fromkeys(NAME_TYPED.findall(query)):
            stem = keyword.word_stem(typed.lower())
            if stem not in topic.unknown or zipf(typed.lower()) >= SPECIALIST_ZIPF:
                continue
            if looked_up == SPELLING_MAX_WORDS:  # a paste of unknown names: the first few
                break
            looked_up += 1
            found: set[int] = set()
            for fixed in _name_fixes(typed):
                if fixed.lower() not in written:
                    continue
                term = keyword.indexed_word(fixed.lower())
                if term is None or term in found:
                    continue
                if snap.written_as(term, fixed) != "word":
                    found.add(term)
            if len(found) == 1:
                (term,) = found
                topic = replace(
                    topic,
                    known=topic.known | {term},
                    unknown=topic.unknown - {stem},
                    corrected=(*topic.corrected, (typed.lower(), term)),
                )
        return topic

    @staticmethod
    def in_capitals(snap: _Snapshot, query: str, topic: QueryTerms) -> QueryTerms:
        """`topic` with each word typed in capitals ("What is CLIP?") that papers write
        only in small letters marked `unwritten`: the question names something they do
        not. Over a Zotero library without the CLIP paper, "What is CLIP?" was answered
        from a deepfake dataset's "real clips, synthesized clips". Where some papers
        write it as a name and others only as a word, it is one of the `names`, and the
        papers naming it rank first: with the CLIP paper added to that library, the
        question opened with the deepfake dataset, then a video paper's "clip features",
        then CLIP; on SciFact's claims (17 such words: "STING", "ART", "TRAP", "PGE" ...)
        hybrid nDCG@10 went from 0.7470 to 0.7481 (BM25 alone 0.6982 -> 0.6991). (Ranking
        every name's papers first, however all its papers write it, took the dev
        questions' recall@5 from 1.000 to 0.990.) A question typed all in capitals
        ("WHAT IS CLIP") says nothing by it. The check reads the papers holding the word
        once per snapshot: ten acronym questions searched in 5.9-7.1 ms (p50, first
        time; 3.3-3.6 ms again) with it and 4.8-5.4 ms (2.8-3.6 ms) without, three runs
        each."""
        typed = CAPITALS.findall(query)
        if len(typed) > 1 and not re.search("[a-z]", query):
            return topic
        keyword = snap.keyword
        for word in dict.fromkeys(typed):
            term = keyword.indexed_word(word.lower())
            if term not in topic.known:
                continue
            written = snap.written_as(term, word)
            if written == "word":
                topic = replace(topic, unwritten=(*topic.unwritten, frozenset({term})))
            elif written == "both":  # the papers naming it rank first (`names`)
                topic = replace(topic, names=(*topic.names, word))
        return topic

    @staticmethod
    def typed_as_names(snap: _Snapshot, query: str, topic: QueryTerms) -> QueryTerms:
        """`topic` with each `underused` word typed in capitals that papers write as a
        name ("GOLD" of "GOLD-NAS", "ST" of "ST-ITO") counted whole: it names what the
        papers name, not the everyday word a corpus barely uses. "What is GOLD NAS?"
        and "What is ST-ITO?" were refused, "gold" and "st" counting a quarter and a
        sixth where the papers hold them. A question typed all in capitals says nothing
        by it."""
        if not topic.underused or not re.search("[a-z]", query):
            return topic
        underused = dict(topic.underused)
        for word in dict.fromkeys(TYPED_CAPITALS.findall(query)):
            term = snap.keyword.indexed_word(word.lower())
            if term in underused and snap.written_as(term, word) != "word":
                del underused[term]
        return replace(topic, underused=tuple(underused.items()))

    @staticmethod
    def read_as_defined(snap: _Snapshot, query: str, topic: QueryTerms) -> QueryTerms:
        """`topic` with each acronym typed in capitals that the papers define in more
        than one way (`rag.acronyms`) read as the meaning the question's other topic
        terms go with: the one whose defining papers hold most of them, IDF-weighted, on
        average. It counts where a text writes that meaning's long form or the acronym
        without defining it as another (`Defined`), and BM25 ranks by the long form's
        terms too. "ANN search with graphs" had opened with a paper tuning artificial
        neural networks ("ANN"), the HNSW paper, which writes "approximate nearest
        neighbor" and never "ANN", not among the first five; on
        `eval/acronym_questions.jsonl` answers opening with a gold paper went from 58.3%
        to 91.7%. A question with nothing else to go by ("What is ANN?"), or that fits
        two meanings about as well (`MEANING_MARGIN`), is left as typed. So is an
        acronym the papers define one way only: read as its long form too ("What is MoE?"
        then found "Mixture of Experts Soften the Curse of Dimensionality ..."), 4 bundled
        sets lost an answer opening with a gold paper and 1 gained one, the dev questions
        lost 2 gold citations and an origin near-miss was answered. At most
        `SPELLING_MAX_WORDS` acronyms are read per question, as for typos: a paste of 35
        took 45 ms to search the first time with each read, 28 with 8 (20 before)."""
        keyword = snap.keyword
        indexed: list[tuple[str, int]] = []
        for typed in dict.fromkeys(SHORT_FORM.findall(query)):
            term = keyword.indexed_word(typed.lower())
            if term is not None and term in topic.known:
                indexed.append((typed, term))
        for typed, term in indexed[:SPELLING_MAX_WORDS]:  # a paste of acronyms: the first
            acronym = singular(typed)
            forms = {acronym, f"{acronym}s"}  # "SNNs" stems to "snns" ("snn" has no vowel)
            written = {t for form in forms if (t := keyword.indexed_word(form.lower()))}
            found = snap.meanings(acronym, written)
            found = [meaning for meaning in found if len(meaning.papers) >= MEANING_PAPERS]
            if len(found) < 2 or defined_as(query, acronym):  # the question says which
                continue
            fits = Retriever.meaning_fits(snap, topic, term, found)
            best = max(fits, default=0.0)
            if best <= 0 or sorted(fits)[-2] * MEANING_MARGIN > best:
                meant = (typed, tuple(meaning.forms[0] for meaning in found))
                topic = replace(topic, undecided=(*topic.undecided, meant))
                continue
            meaning = found[fits.index(best)]
            others = [form for other in found if other is not meaning for form in other.forms]
            unit = Defined(
                acronym,
                meaning.forms[0],
                tuple(other.forms[0] for other in found if other is not meaning),
                term,
                frozenset(written.union(*(keyword.terms(form) for form in meaning.forms))),
                "|".join(phrase_pattern(form, keyword) for form in meaning.forms),
                frozenset(phrase_words(form, keyword)[0] for form in meaning.forms),
                "|".join(phrase_pattern(form, keyword) for form in others),
            )
            topic = replace(  # written as a name or not, it counts as the unit
                topic,
                known=topic.known - written,
                compounds=(*topic.compounds, unit),
                names=tuple(name for name in topic.names if name not in (typed, acronym)),
            )
        return topic

    @staticmethod
    def meaning_fits(
        snap: _Snapshot, topic: QueryTerms, term: int, found: list[Meaning]
    ) -> list[float]:
        """How well each meaning of an acronym (its `term`) goes with the rest of the
        question: the IDF-weighted share of the question's other topic terms that the
        papers defining it hold, on average (0..1)."""
        keyword = snap.keyword
        context = topic.known - topic.asking - {term}
        weights = {t: keyword.idf(t) for t in context}
        total = sum(weights.values())
        if not total:
            return [0.0] * len(found)
        fits = []
        for meaning in found:
            papers = snap.papers(list(meaning.papers)).values()
            held = [sum(weights[t] for t in snap.paper_terms(p) & context) for p in papers]
            fits.append(sum(held) / len(held) / total if held else 0.0)
        return fits

    @staticmethod
    def topic(snap: _Snapshot, query: str) -> QueryTerms:
        """What `query` asks about, as searches read it: its terms (`query_terms`), its
        typos read as the words they slip from, words written joined or apart, clipped
        words and the phrase it asks about."""
        topic = snap.keyword.query_terms(query)
        topic = Retriever.in_capitals(snap, query, topic)
        topic = Retriever.typed_as_names(snap, query, topic)
        topic = Retriever.read_as_a_name(snap, query, topic)
        read = Retriever.read_as_corrected(snap, query, topic)
        topic = Retriever.spelled_both_ways(snap, read, topic)
        topic = Retriever.asked_phrase(snap, read, Retriever.unclipped(snap, read, topic))
        return Retriever.read_as_defined(snap, query, topic)

    # -- public ------------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 10,
        since: date | None = None,
        until: date | None = None,
        mode: Mode = "hybrid",
        vector: np.ndarray | None = None,
    ) -> list[SearchResult]:
        """The `k` most relevant papers for `query`, best first. Pass `vector` when the
        caller has already embedded `query` (citation lookup needs it too)."""
        validate_query(query, k, since, until)
        snap = self.snapshot()
        depth = min(max(DENSE_DEPTH, 2 * k), snap.keyword.size)
        topic = self.topic(snap, query)
        dense: dict[str, tuple[float, str]] = {}
        if mode != "keyword":
            vector = self.embedder.embed([query])[0] if vector is None else vector
            dense = self._dense_retrying(vector, depth, since, until)
        keyword = self._keyword(snap, topic.searched, since, until, k) if mode != "dense" else {}
        if topic.compounds or topic.names or topic.phrases or topic.spaced:
            keyword = self._written_out_first(snap, keyword, topic)
        weight = {"hybrid": KEYWORD_WEIGHT, "keyword": 1.0, "dense": 0.0}[mode]
        fused = fuse(dense, keyword, weight, snap.background)
        ranked = sorted(fused.items(), key=lambda item: -item[1])
        ordered = self._titled_first(snap, query, ranked)[: max(k, TITLE_TOPIC_DEPTH)]
        papers = snap.papers([paper_id for paper_id, _ in ordered])
        covered, found = (
            snap.keyword.weighed(topic, unknown_missing=True),
            snap.keyword.weighed(topic),
        )
        ordered = self._title_topic_first(snap, ordered, papers, covered)[:k]
        results = []
        for paper_id, score in ordered:
            paper = papers.get(paper_id)
            if paper is None:  # a record deleted since the snapshot: skip, never invent
                continue
            chunk_id = (dense.get(paper_id) or keyword[paper_id])[1]
            coverage = covered.share(paper.text, snap.paper_terms(paper))
            cosine = dense[paper_id][0] if paper_id in dense else None
            passing = mode != "keyword" and cosine is None and self.in_passing(snap, topic, paper)
            results.append(
                SearchResult(
                    rank=len(results) + 1,
                    paper_id=paper_id,
                    title=paper.title,
                    score=score,
                    date=paper.date,
                    snippet=self._snippet(snap, paper, chunk_id, found),
                    dense_score=dense.get(paper_id, (0.0, ""))[0],
                    keyword_score=keyword.get(paper_id, (0.0, ""))[0],
                    coverage=coverage,
                    relevance=relevance(coverage, cosine, snap.background, passing),
                    date_precision=paper.date_precision,
                )
            )
        return results

    @staticmethod
    def in_passing(snap: _Snapshot, topic: QueryTerms, paper: Paper) -> bool:
        """Whether `paper` holds the question's topic (its `known` terms, nothing read
        otherwise) only as one word of English written once in its abstract, not in its
        title: "photosynthesis" in a vitamin D abstract. A word of English, because the
        embedding model reads it, so a paper about it is among the chunks closest to the
        question (`rag.relevance.relevance` asks this only of papers dense retrieval did
        not reach); a name it does not know says nothing by cosine: the HNSW paper writes
        "HNSW" once, and "Who wrote the HNSW paper?" reads 2.3 standard deviations below
        the background."""
        if topic.compounds or topic.spellings or topic.variants or topic.names:
            return False
        if topic.phrases or topic.spaced or topic.unwritten:
            return False
        held = (topic.known - topic.asking) & snap.paper_terms(paper)
        if len(held) != 1:
            return False
        (term,) = held
        keyword = snap.keyword
        if term in keyword.terms(paper.title) or keyword.terms(paper.abstract).count(term) > 1:
            return False
        return keyword.is_english_term(term)

    @staticmethod
    def _title_topic_first(
        snap: _Snapshot,
        ordered: list[tuple[str, float]],
        papers: dict[str, Paper],
        covered: TopicWeights,
    ) -> list[tuple[str, float]]:
        """`ordered` with the first paper whose title holds the whole topic of the query
        (its coverage, `KeywordIndex.weighed`) moved first, with the first score, where
        the first paper's title does not: a title naming all of it says what the paper
        is about. Over the ControlNet Zotero library "video super resolution survey"
        opened with "Deep Learning for Image Super-resolution: A Survey", whose abstract
        mentions video, before "Video Super Resolution Based on Deep Learning: A
        Comprehensive Survey". Answers opening with a gold paper rose in 10 bundled
        sets (short questions 97.9% -> 100%, `eval/phrasing_blind.jsonl` 94.6% -> 95.4%,
        one question more in eight others), none fell; on SciFact's training claims,
        whose topic no title holds whole, hybrid and BM25 nDCG@10 are unchanged (dense
        alone 0.6799 -> 0.6803).

        Words most chunks hold (`COMMON_IDF`) are no part of the topic here: they say
        nothing about which paper a title names. Counted, "I want to learn about
        grokking" (in `eval/phrasing_heldout.jsonl`, the one answer this rule had lost)
        opened with "Deep Learning Through A Telescoping Lens: ... Insights On Grokking
        ..." for its "Learning", before the Grokking paper ("learn" is in 324 of the 497
        bundled abstracts; "video", in 92 of the ControlNet library's 213, counts)."""

        keyword = snap.keyword
        common = {t for t in covered.weights if keyword.idf(t) < COMMON_IDF}
        topic = replace(
            covered,
            weights={t: w for t, w in covered.weights.items() if t not in common},
            total=covered.total - sum(map(keyword.idf, common)),
        )

        def whole(paper_id: str) -> bool:
            paper = papers.get(paper_id)
            if paper is None or topic.total <= 0:
                return False
            return topic.share(paper.title, snap.sentence_terms(paper.title)) >= WHOLE_TOPIC

        if not ordered or whole(ordered[0][0]):
            return ordered
        at = next((i for i, (paper_id, _) in enumerate(ordered) if whole(paper_id)), None)
        if at is None:
            return ordered
        return [(ordered[at][0], ordered[0][1]), *ordered[:at], *ordered[at + 1 :]]

    @staticmethod
    def _titled_first(
        snap: _Snapshot, query: str, ordered: list[tuple[str, float]]
    ) -> list[tuple[str, float]]:
        """`ordered` with the paper whose title the query is, as typed or as the topic it
        asks about (`is_title`: "Attention is all you need", "papers on attention is all
        you need"), or holds whole (`holds_title`: "summarise attention is all you need"),
        moved first when it is among the first `TITLED_DEPTH`: a pasted title is a
        request for that paper. Over a Zotero library holding "Attention is all you
        need", that query opened with "Stand-Alone Self-Attention in Vision Models"."""
        typed = normalize_title(query)
        asked = {typed, normalize_title(asked_term(query) or "")} - {""}
        for at, (paper_id, _) in enumerate(ordered[:TITLED_DEPTH]):
            if paper_id not in snap.catalog:  # written after this snapshot: not yet known
                continue
            title = snap.catalog.normalised_title(paper_id)
            if holds_title(typed, title) or any(is_title(text, title) for text in asked):
                top = ordered[0][1]
                return [(paper_id, top), *ordered[:at], *ordered[at + 1 :]]
        return ordered

    def sentence_support(
        self, claim: str, sentences: list[str], claim_vector: np.ndarray | None = None
    ) -> np.ndarray:
        """How strongly each sentence supports `claim`: cosine similarity plus the
        IDF-weighted share of the claim's topic terms it contains (`query_terms`: how a
        question is asked, "what", "which papers", is no topic; "what", rare in
        abstracts, had carried 46% of "What is NeRF?"'s weight), plus half the share of the
        claim's numbers it states (0..2.5). Used to pick the verbatim quote behind a
        citation and for citation lookup. Pass `claim_vector` when the caller already
        has it (`claim_vectors` embeds several claims in one batch).

        The numbers term prefers the sentence carrying the claim's specifics ("... 40%
        ...", "... 2.5-fold ..."): on SciFact's supported training claims, given the gold
        abstract, the quote is an annotated rationale sentence 58.9% of the time with it
        and 56.8% without (cosine alone 53.0%, terms alone 56.5%)."""
        overlap = self.term_share(claim, sentences)
        wanted = set(_NUMBER.findall(claim.lower()))
        numbers = np.asarray(
            [
                len(wanted & set(_NUMBER.findall(s.lower()))) / len(wanted) if wanted else 0.0
                for s in sentences
            ]
        )
        lexical = overlap + NUMBER_WEIGHT * numbers
        chosen = np.argsort(-lexical, kind="stable")[:QUOTE_CANDIDATES]
        if claim_vector is None:
            claim_vector = self.claim_vectors([claim])[0]
        cosine = np.zeros(len(sentences))
        cosine[chosen] = self._sentence_vectors([sentences[i] for i in chosen]) @ claim_vector
        return np.asarray(cosine + lexical, dtype=np.float64)

    def title_support(self, question: str, paper: Paper) -> float:
        """IDF-weighted share of the question's terms in the paper's title (0..1): a
        title names what the abstract's "we propose" is about."""
        return float(self.term_share(question, [paper.title])[0])

    def holding_specific(self, query: str, results: Sequence[SearchResult]) -> list[SearchResult]:
        """The `results` whose papers hold a term of art the query names
        (`KeywordIndex.specific_terms`: "HNSW" in "HNSW pros and cons")."""
        keyword = self.snapshot().keyword
        terms = keyword.specific_terms(keyword.content_words(query))
        holders = {paper for term in terms for paper in keyword.papers_holding([term])}
        return [result for result in results if result.paper_id in holders]

    def has_topic(self, text: str) -> bool:
        """Whether `text` has a topic term (`query_terms`): "What is it about?" has none."""
        query = self.snapshot().keyword.query_terms(text)
        return bool(query.known or query.unknown or query.compounds or query.variants)

    def term_share(self, text: str, others: list[str]) -> np.ndarray:
        """IDF-weighted share of `text`'s topic terms (`query_terms`) found in each of
        `others` (0..1 each; `KeywordIndex.shares`)."""
        snap = self.snapshot()
        query = self.spelled_both_ways(snap, text, snap.keyword.query_terms(text))
        query = self.unclipped(snap, text, query)
        return np.asarray(
            snap.keyword.shares(query, others, [snap.sentence_terms(o) for o in others])
        )

    def write_a_phrase_of(self, question: str, first: Paper, others: list[Paper]) -> list[bool]:
        """Whether each of `others` writes a phrase of `question` that `first` writes
        (two of its topic terms side by side: "dataset distillation"); all True where
        `first` writes none. A paper saying "knowledge distillation" and "dataset"
        elsewhere shares the words of "papers on dataset distillation", not its topic."""
        keyword = self.snapshot().keyword
        topic = keyword.query_terms(question)
        asked = topic.known | topic.variant_terms
        wanted = keyword.adjacent_pairs(
            without_asking(question.lower()), asked
        ) & keyword.adjacent_pairs(first.text)
        if not wanted:
            return [True] * len(others)
        return [bool(wanted & keyword.adjacent_pairs(paper.text, asked)) for paper in others]

    def readings(
        self, query: str, results: list[SearchResult]
    ) -> list[tuple[str, str | None, str]]:
        """Each typo, clipped word and acronym of `query` read otherwise than typed: as
        typed, what it was read as (as the results write it), and why ("MoblieOne",
        "MobileOne", 'no paper uses "MoblieOne"'; "norm", "normalization", 'no paper
        uses "batch norm"'; "ANN", "approximate nearest neighbor", 'papers here also
        use it for "artificial neural networks"'); an acronym the question leaves
        undecided is read as typed (None) and the meanings said. Without them a misread
        rare word ("remolding" as "refold" on SciFact) answers a question the user did
        not ask, and nothing says so."""
        snap = self.snapshot()
        topic = self.topic(snap, query)
        read: list[tuple[str, str | None, str, int]] = [
            (word, None, word, term) for word, term in topic.corrected
        ] + [(u.word, u.beside, u.unwritten, u.term) for u in topic.unclipped]
        found: list[tuple[str, str | None, str]] = [
            (typed[0], unit.meaning, f"papers here also use it for {_listed(unit.others)}")
            for unit in topic.compounds
            if isinstance(unit, Defined)
            and (typed := re.search(rf"(?<!\w){re.escape(unit.acronym)}s?(?!\w)", query))
        ]
        found += [
            (typed, None, f"the papers here use it for {_listed(meanings)}; say which you mean")
            for typed, meanings in topic.undecided
        ]
        if not read:
            return found
        papers = snap.papers([r.paper_id for r in results])
        texts = [paper.text for paper in papers.values()]
        for word, beside, unwritten, term in read:
            typed = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", query, re.IGNORECASE)
            written = snap.keyword.written_as(term, texts, word, beside)
            phrase = r"[\W_]+".join(map(re.escape, unwritten.split()))
            as_typed = re.search(rf"(?<!\w){phrase}(?!\w)", query, re.IGNORECASE)
            if typed and written and as_typed:
                found.append((typed[0], written, f'no paper uses "{as_typed[0]}"'))
        return found

    def claim_vectors(self, claims: list[str]) -> np.ndarray:
        """Vectors of claims to find quotes for, from the quote embedder: a claim is
        only compared with abstract sentences embedded by it, and with ONNX int8 a
        claim takes 1.6 ms where fp32 took 4.8 ms (one of a chat's two model calls).
        Given the gold abstract of SciFact's 370 supported (claim, abstract) training
        pairs, the quote is a rationale sentence 58.4% of the time either way."""
        return self.quote_embedder.embed(claims)

    def abstract_sentences(self, paper: Paper) -> list[Sentence]:
        """The sentence spans of `paper`'s abstract (cached with the snapshot)."""
        return self.snapshot().abstract_sentences(paper)

    def _sentence_vectors(self, sentences: list[str]) -> np.ndarray:
        """Vectors of abstract sentences, through an LRU cache.

        Quoting re-reads the same abstracts again and again: without the cache, embedding
        ~10 sentences per cited paper made citations cost ~100 ms each on 2 cores.
        """
        with self._cache_lock:
            cached = {s: self._sentence_cache[s] for s in sentences if s in self._sentence_cache}
        missing = [s for s in dict.fromkeys(sentences) if s not in cached]
        fresh = self.quote_embedder.embed(missing) if missing else []
        with self._cache_lock:
            for sentence, vector in zip(missing, fresh, strict=True):
                self._sentence_cache[sentence] = vector
        known = {**cached, **dict(zip(missing, fresh, strict=True))}
        return np.vstack([known[s] for s in sentences])

    @staticmethod
    def _snippet(snap: _Snapshot, paper: Paper, chunk_id: str, topic: TopicWeights) -> str:
        """The sentence of the best chunk that shares most query terms (plus the next one
        while it fits), so the snippet shows why the paper matched."""
        region = snap.region(paper, chunk_id)
        sentences = [sentence for sentence, _ in region]
        best = 0
        if len(region) > 1:  # the first of the best
            scores = [topic.share(sentence, terms) for sentence, terms in region]
            best = scores.index(max(scores))
        snippet = sentences[best]
        for following in sentences[best + 1 :]:
            if len(snippet) + len(following) + 1 > SNIPPET_CHARS:
                break
            snippet = f"{snippet} {following}"
        if len(snippet) > SNIPPET_CHARS:
            snippet = snippet[: SNIPPET_CHARS - 1].rsplit(" ", 1)[0] + "…"
        return snippet

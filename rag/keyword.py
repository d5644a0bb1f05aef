"""BM25 keyword index over the stored chunks (bm25s), rebuilt from what Chroma holds.

Built from the store rather than from ingest input, so it can never disagree with
the dense index: the retriever rebuilds it whenever the store's generation changes.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import bm25s
import numpy as np
import Stemmer
from bm25s.tokenization import Tokenizer

QUERY_FILLER = frozenset(
    {
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "is",
        "are",
        "was",
        "were",
        "do",
        "does",
        "did",
        "can",
        "could",
        "would",
        "should",
        "any",
        "anyone",
        "anything",
        "some",
        "there",
        "paper",
        "papers",
        "work",
        "works",
        "study",
        "studies",
        "studied",
        "tell",
        "me",
        "about",
        "i",
        "we",
        "you",
        "find",
        "looking",
        "look",
        "seen",
        "know",
        "recommend",
    }
)
"""Words of the way people ask ("What is X?", "Which papers study X?", "any work on X?")
that carry no topic. Abstracts rarely contain "what" or "which", so BM25 gives them a
high IDF: they would count as missing terms of every short question (without this list
"What is HNSW?" matched only 58% of its informative terms in the HNSW paper itself), and
BM25 would rank a paper that says "we study" above the one about the question's topic."""


@dataclass(frozen=True)
class QueryTerms:
    """A query's informative terms: vocabulary ids, and stems the index has never seen."""

    known: frozenset[int]
    unknown: frozenset[str]


class KeywordIndex:
    """BM25 over a fixed list of texts; scores come back aligned with that list."""

    def __init__(self, texts: list[str]) -> None:
        self._tokenizer = Tokenizer(stemmer=Stemmer.Stemmer("english"), stopwords="en")
        corpus = self._tokenizer.tokenize(texts, return_as="ids", show_progress=False)
        self._bm25 = bm25s.BM25()
        self._size = len(texts)
        if texts:
            self._bm25.index(corpus, show_progress=False)
        self.text_terms: list[frozenset[int]] = [frozenset(ids) - {0} for ids in corpus]
        """Vocabulary ids of each indexed text, aligned with the texts."""
        doc_freq = np.zeros(len(self._tokenizer.get_vocab_dict()) + 1, dtype=np.float64)
        for terms in self.text_terms:
            doc_freq[list(terms)] += 1
        self._idf = np.log1p((len(texts) - doc_freq + 0.5) / (doc_freq + 0.5))
        self.max_idf = float(np.log1p((len(texts) + 0.5) / 0.5))
        """IDF of a term no indexed text contains: how informative an unknown word is."""

    def terms(self, text: str) -> list[int]:
        """Vocabulary ids of the known, non-stopword stems in `text`."""
        ids = self._tokenizer.tokenize(
            [text], update_vocab=False, return_as="ids", show_progress=False
        )[0]
        return [i for i in ids if i != 0]  # 0 is bm25s's empty token

    def query_terms(self, query: str) -> QueryTerms:
        """The query's topic terms (stopwords and `QUERY_FILLER` dropped), split into
        vocabulary ids and unknown stems. Unknown stems matter: "sourdough" in a corpus
        of ML abstracts is the most telling word of the question."""
        tokenizer = self._tokenizer
        known: set[int] = set()
        unknown: set[str] = set()
        for word in tokenizer.splitter(query.lower()):
            if word in tokenizer.stopwords or word in QUERY_FILLER:
                continue
            stem = tokenizer.stemmer(word) if tokenizer.stemmer else word
            term = tokenizer.stem_to_sid.get(stem)
            if term:
                known.add(term)
            else:
                unknown.add(stem)
        return QueryTerms(frozenset(known), frozenset(unknown))

    def idf(self, term: int) -> float:
        return float(self._idf[term])

    def scores(self, terms: AbstractSet[int]) -> np.ndarray:
        """BM25 score of every indexed text for a query's topic terms (`query_terms().known`;
        zeros when nothing matches)."""
        if not terms or self._size == 0:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(sorted(terms)), dtype=np.float32)

    def overlap(self, query_terms: set[int], text_terms: AbstractSet[int]) -> float:
        """IDF-weighted share of the query's terms found among a text's terms (`terms()`),
        for snippets and quotes."""
        if not query_terms:
            return 0.0
        found = query_terms & text_terms
        total = sum(self._idf[t] for t in query_terms)
        return float(sum(self._idf[t] for t in found) / total) if total else 0.0

    def coverage(self, query: QueryTerms, text_terms: AbstractSet[int]) -> float:
        """IDF-weighted share of the query's topic terms found in a text, unknown stems
        counted as missing at `max_idf` (0..1). Comparable across queries and corpora:
        0.8 means the text holds terms carrying 80% of the query's information."""
        total = sum(self._idf[t] for t in query.known) + self.max_idf * len(query.unknown)
        if not total:
            return 0.0
        return float(sum(self._idf[t] for t in query.known & text_terms) / total)

"""BM25 keyword index over the stored chunks (bm25s), rebuilt from what Chroma holds.

Built from the store rather than from ingest input, so it can never disagree with
the dense index: the retriever rebuilds it whenever the store's generation changes.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet

import bm25s
import numpy as np
import Stemmer
from bm25s.tokenization import Tokenizer


class KeywordIndex:
    """BM25 over a fixed list of texts; scores come back aligned with that list."""

    def __init__(self, texts: list[str]) -> None:
        self._tokenizer = Tokenizer(stemmer=Stemmer.Stemmer("english"), stopwords="en")
        corpus = self._tokenizer.tokenize(texts, return_as="ids", show_progress=False)
        self._bm25 = bm25s.BM25()
        self._size = len(texts)
        if texts:
            self._bm25.index(corpus, show_progress=False)
        doc_freq = np.zeros(len(self._tokenizer.get_vocab_dict()) + 1, dtype=np.float64)
        for ids in corpus:
            doc_freq[np.unique(np.asarray(ids, dtype=np.int64))] += 1
        self._idf = np.log1p((len(texts) - doc_freq + 0.5) / (doc_freq + 0.5))

    def terms(self, text: str) -> list[int]:
        """Vocabulary ids of the known, non-stopword stems in `text`."""
        ids = self._tokenizer.tokenize(
            [text], update_vocab=False, return_as="ids", show_progress=False
        )[0]
        return [i for i in ids if i != 0]  # 0 is bm25s's empty token

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every indexed text for `query` (zeros when nothing matches)."""
        terms = self.terms(query)
        if not terms or self._size == 0:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)

    def overlap(self, query_terms: set[int], text_terms: AbstractSet[int]) -> float:
        """IDF-weighted share of the query's terms found among a text's terms (`terms()`),
        for snippets and quotes."""
        if not query_terms:
            return 0.0
        found = query_terms & text_terms
        total = sum(self._idf[t] for t in query_terms)
        return float(sum(self._idf[t] for t in found) / total) if total else 0.0

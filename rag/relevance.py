"""How relevant is a paper to a question? One number, comparable across queries and corpora.

`relevance = coverage + dense_excess / 8`, where

* `coverage` (0..1) is the IDF-weighted share of the question's topic terms found in the
  paper's title and abstract, words the index has never seen counting as missing at the
  highest IDF (`KeywordIndex.weighed`), words the question asks with counting not at
  all (`KeywordIndex.asking_words`), and words these papers use less than English does
  held only by that share (`QueryTerms.underused`). It needs no scale: short questions ("What is
  HNSW?") reach 1.0 on the paper that names the term, off-topic ones stay low because
  their rarest words are missing.
* `dense_excess` is the paper's cosine similarity in standard deviations above this
  index's own background: the mean and spread of cosine similarity between chunks of
  different papers, measured on a sample of the index whenever it changes
  (`DenseBackground`, shown by `rag stats`). The same cosine means different things in a
  corpus of mixed ML papers (background 0.35 +- 0.11) and of biomedical abstracts
  (SciFact: 0.12 +- 0.12).

No constant here depends on a corpus: the two thresholds and the weight were chosen once,
on pooled questions over two unrelated corpora (the bundled ML corpus with
`eval/short_questions.jsonl` and the dev questions, and SciFact with its training claims
and off-topic questions; see `rag eval answers`). There, `ANSWER_MIN = 0.5` kept false
abstention at 0.3% (SciFact), 2.1% (short questions) and 4.3% (dev questions) while
abstaining on 87-93% of off-topic questions; coverage alone, at its best, managed 67-80%
on off-topic questions for the same false-abstention budget, and the earlier absolute
BM25 gate refused about 70% of short questions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np

DENSE_WEIGHT = 1 / 8
"""Weight of one background standard deviation of cosine, relative to full coverage."""
ANSWER_MIN = 0.5
"""Least relevance of a paper to answer from it extractively, or to cite it: below this
an answer would quote a paper that does not address the question."""
ON_TOPIC_MIN = 0.4
"""Least relevance of the best paper for a question to reach the LLM at all. Lower than
`ANSWER_MIN`: the LLM reads the sources and says itself when they do not answer, so the
gate only stops what is clearly off-topic (0% false abstention on SciFact, the dev and the
short questions)."""
MIN_BACKGROUND_STD = 0.02
"""Least spread of a background worth measuring against: a few near-identical abstracts
(a templated test corpus) measured 1e-7, so a cosine 0.1 below their mean read as
-1,000,000 standard deviations and refused everything; two papers give one pair and no
spread at all. Below it there is no background, as with one paper (cosine taken as it
is). Real corpora spread 0.11-0.12 (`rag stats`)."""
BACKGROUND_SAMPLE = 512
"""Chunks sampled to measure the dense background (130k pairs: the mean is stable to
+-0.002 across samples of the bundled corpus)."""


class HasRelevance(Protocol):
    """A search result, as far as deciding answerability goes."""

    @property
    def relevance(self) -> float: ...

    @property
    def dense_score(self) -> float: ...

    @property
    def keyword_score(self) -> float: ...


R = TypeVar("R", bound=HasRelevance)


@dataclass(frozen=True)
class DenseBackground:
    """Cosine similarity between chunks of different papers in one index."""

    mean: float
    std: float
    sample: int
    """How many chunks the figures were measured on."""

    @classmethod
    def measure(cls, vectors: np.ndarray, paper_ids: list[str]) -> DenseBackground:
        """Mean and spread of cosine over all pairs of sampled chunks from different papers.
        Fewer than two papers, or less spread than `MIN_BACKGROUND_STD`, give no
        background: cosine is then taken as it is."""
        if len(vectors) < 2 or len(set(paper_ids)) < 2:
            return cls(mean=0.0, std=1.0, sample=len(vectors))
        similarity = vectors @ vectors.T
        ids = np.asarray(paper_ids)
        different = ids[:, None] != ids[None, :]
        values = similarity[different]
        if float(values.std()) < MIN_BACKGROUND_STD:
            return cls(mean=0.0, std=1.0, sample=len(vectors))
        return cls(mean=float(values.mean()), std=float(values.std()), sample=len(vectors))

    def excess(self, cosine: float) -> float:
        """`cosine` in background standard deviations above the background mean."""
        return (cosine - self.mean) / self.std


def relevance(
    coverage: float, cosine: float | None, background: DenseBackground, in_passing: bool = False
) -> float:
    """The paper's relevance to a question (about 0..1.5; see the module docstring).
    `cosine` is None when dense retrieval did not reach the paper: it then counts as
    the background mean (no evidence either way).

    A paper that dense retrieval did not reach and that mentions the question's topic
    only `in_passing` (one word of English, once in its abstract:
    `rag.retrieval.Retriever.in_passing`) holds it at most `ON_TOPIC_MIN`: an LLM may
    read it, an extractive answer does not quote it. Over SciFact, 39 of the 40
    off-topic questions answered were "what is photosynthesis?" in its phrasings, all
    from "Vitamin D and prevention of colorectal cancer" ("Inadequate photosynthesis or
    oral intake of Vitamin D ..."), 2,157th of 10,293 chunks for the question by
    cosine. Cosine itself does not tell: a short question reads far from every abstract,
    and over a Zotero library the dropout paper ("Random 'dropout' gives big
    improvements ...") reads 0.26 against a background of 0.36 +- 0.14 for "What is
    dropout?", but second of its 295 chunks."""
    if in_passing and cosine is None:
        coverage = min(coverage, ON_TOPIC_MIN)
    excess = background.excess(cosine) if cosine is not None else 0.0
    return coverage + DENSE_WEIGHT * excess


def deciding(results: Sequence[R]) -> list[R]:
    """The results that decide whether a question is answered: the first and each
    retriever's best. Where the two retrievers disagree, their winners both count: an
    acronym the embedding model does not know makes the dense winner noise ("tell me
    more about HNSW" ranked a paper at cosine 0.38, background 0.35, relevance 0.27,
    first), while BM25's winner uses "HNSW" throughout (0.75). Papers ranked after them
    do not count, however relevant they read: one matching a single rare word of an
    off-topic question would answer it ("I need papers on the French Revolution"
    citing "Neural Scene Flow Prior" at 0.50, which mentions a "revolution"). This was
    "the first two results" while fusion put the two winners there; once weak dense
    matches weighed less in fusion (`DENSE_FULL_EXCESS`) that answered 7 of the 120
    off-topic phrasings of `eval/phrasing_questions.jsonl` and 4 held-out ones, this
    none."""
    if not results:
        return []
    found = [
        results[0],
        max(results, key=lambda result: result.dense_score),
        max(results, key=lambda result: result.keyword_score),
    ]
    return [result for at, result in enumerate(found) if result not in found[:at]]


def best_relevance(results: Sequence[HasRelevance]) -> float:
    """The best relevance among the `deciding` results: what decides whether a question
    is answered."""
    return max((result.relevance for result in deciding(results)), default=0.0)


def is_citable(score: float) -> bool:
    """Relevant enough to answer from and to cite."""
    return score >= ANSWER_MIN


def is_on_topic(score: float) -> bool:
    """Relevant enough to let an LLM judge whether the sources answer."""
    return score >= ON_TOPIC_MIN

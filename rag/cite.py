"""Citation lookup ("which paper says this?"): the papers whose abstracts support a text.

A paper qualifies by the same decision that lets an answer cite it (`rag.relevance`:
term coverage plus dense similarity above the index's background, no per-corpus
constant), and matches keep the retriever's order. Each match carries the abstract
sentence that best supports the text, verbatim with its offsets, so the claim can be
checked against the stored abstract.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from pydantic import BaseModel, Field

from rag.citations import best_quote
from rag.errors import InvalidQueryError
from rag.papers import Dated, DatePrecision
from rag.relevance import is_citable
from rag.retrieval import Retriever

CANDIDATES = 10
"""Papers retrieved and checked for support before the best `k` are kept."""
NO_SUPPORT = "No indexed paper supports this text."


class Support(Dated):
    paper_id: str
    title: str
    date: date | None
    date_precision: DatePrecision = "day"
    sentence: str
    """The abstract sentence that best supports the text, verbatim."""
    start: int
    end: int
    """Character offsets of `sentence` in the paper's stored abstract."""
    score: float
    """The paper's relevance to the text (`rag.relevance`: >= 0.5 for every match)."""


class CiteResult(BaseModel):
    text: str
    matches: list[Support] = Field(default_factory=list)
    message: str | None = None
    """Set when nothing supports the text."""


def find_support(retriever: Retriever, text: str, k: int = 5) -> CiteResult:
    """Papers supporting `text`, best supported first (blocking: call from a thread)."""
    if not text.strip():
        raise InvalidQueryError("the text to cite is empty")
    matches = []
    claim_vector = retriever.embedder.embed([text])[0]  # once: for search and every quote

    def support(claim: str, sentences: list[str]) -> np.ndarray:
        return retriever.sentence_support(claim, sentences, claim_vector)

    for result in retriever.search(text, k=max(k, CANDIDATES), vector=claim_vector):
        if len(matches) == k:
            break  # quoting costs a model call per abstract: only for what is returned
        if not is_citable(result.relevance):
            continue
        paper = retriever.paper(result.paper_id)
        if paper is None:
            continue
        quote = best_quote(paper.abstract, retriever.abstract_sentences(paper), text, support)
        matches.append(
            Support(
                paper_id=paper.paper_id,
                title=paper.title,
                date=paper.date,
                date_precision=paper.date_precision,
                sentence=quote.text,
                start=quote.start,
                end=quote.end,
                score=round(result.relevance, 4),
            )
        )
    return CiteResult(text=text, matches=matches, message=None if matches else NO_SUPPORT)

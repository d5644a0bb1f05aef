"""Citation lookup ("which paper says this?"): the papers whose abstracts support a text.

A paper qualifies when it passes the same relevance gate as the answer step and one of
its abstract sentences supports the text strongly enough (`Settings.cite_min_support`,
calibrated on the dev claims: the right paper's best sentence scored >= 0.83 on all of
them, while most unrelated papers stay below 0.8). Each match carries that sentence
verbatim with its offsets, so the claim can be checked against the stored abstract.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from rag.answering import is_relevant
from rag.citations import best_quote
from rag.config import Settings
from rag.errors import InvalidQueryError
from rag.retrieval import Retriever

CANDIDATES = 10
"""Papers retrieved and checked for support before the best `k` are kept."""
NO_SUPPORT = "No indexed paper supports this text."


class Support(BaseModel):
    paper_id: str
    title: str
    date: date | None
    sentence: str
    """The abstract sentence that best supports the text, verbatim."""
    start: int
    end: int
    """Character offsets of `sentence` in the paper's stored abstract."""
    score: float
    """Support of the sentence for the text: cosine similarity + share of rare terms (0-2)."""


class CiteResult(BaseModel):
    text: str
    matches: list[Support] = Field(default_factory=list)
    message: str | None = None
    """Set when nothing supports the text."""


def find_support(retriever: Retriever, settings: Settings, text: str, k: int = 5) -> CiteResult:
    """Papers supporting `text`, best supported first (blocking: call from a thread)."""
    if not text.strip():
        raise InvalidQueryError("the text to cite is empty")
    matches = []
    for result in retriever.search(text, k=max(k, CANDIDATES)):
        if not is_relevant(result, settings):
            continue
        paper = retriever.papers.get(result.paper_id)
        if paper is None:
            continue
        quote = best_quote(paper.abstract, text, retriever.sentence_support)
        if quote.score >= settings.cite_min_support:
            matches.append(
                Support(
                    paper_id=paper.paper_id,
                    title=paper.title,
                    date=paper.date,
                    sentence=quote.text,
                    start=quote.start,
                    end=quote.end,
                    score=round(quote.score, 4),
                )
            )
    matches.sort(key=lambda m: -m.score)
    return CiteResult(text=text, matches=matches[:k], message=None if matches else NO_SUPPORT)

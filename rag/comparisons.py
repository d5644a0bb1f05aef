"""Questions comparing two things: "HNSW vs SPANN", "compare Adam and AMSGrad", "what is
the difference between KAN and XNet?", "MobileOne or EfficientDet: which is faster?".

No paper need cover both sides, and most do not: asked as one query, "HNSW vs SPANN" was
refused, because the SPANN paper covers half of the question's terms and the HNSW paper
the other half. Each side is searched on its own (`searched`), for search results and
answers alike, and answered by its own papers (`rag.answering`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from rag.relevance import best_relevance
from rag.retrieval import Retriever, SearchResult

ASKED_SIDE = "What is {}?"
"""How each side of a comparison is searched and answered: "HNSW vs
SPANN" as "What is HNSW?" and "What is SPANN?", each answered by the paper defining it
first (`rag.definitions`). On `eval/comparison_questions.jsonl` (extractive) the gold
papers cited were 76.9% (20/26) with each side searched and answered as itself, 88.5%
(23/26) this way; answers opening with a gold paper 78.6% and 100% (14/14): searched for
"HNSW" alone, the paper introducing it was not among the first three."""
SIDE_WORDS = 4
"""Longest side taken for a name or a short topic. Longer ones are not two things
compared but a question holding "and" or "or" ("... extended to Adam, second-order
optimizers, or learned optimizers?")."""

_SIDE = r"([^?:,;]+?)"
_END = r"[\s?.!]*$"
_WHAT_IS = r"(?:what\s+(?:is|are)|what's)"
COMPARISONS = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # "(what is the) difference(s) between X and Y", "compare X with Y", "X vs Y?"
        r"^\s*(?:(?:what\s+(?:is|are)\s+|what's\s+)?(?:the\s+)?(?:main\s+)?differences?\s+"
        r"between|(?:(?:can|could)\s+you\s+)?(?:please\s+)?compare|comparing"
        rf"|(?:a\s+)?comparison\s+(?:of|between))\s+{_SIDE}\s+(?:and|with|to|against|vs\.?"
        rf"|versus)\s+{_SIDE}{_END}",
        rf"^\s*how\s+(?:does|do|did)\s+{_SIDE}\s+compare\s+(?:to|with|against)\s+{_SIDE}{_END}",
        rf"^\s*how\s+(?:does|do|did)\s+{_SIDE}\s+and\s+{_SIDE}\s+differ{_END}",
        # two questions in one: "what is HNSW and what is KAN?", "what's X, and what's Y?"
        rf"^\s*{_WHAT_IS}\s+{_SIDE}\s*,?\s+and\s+{_WHAT_IS}\s+{_SIDE}{_END}",
        # "X vs Y", "which is better, X or Y?", "X or Y: which is faster?"; "or" only in a
        # question ("RUNX1 is downregulated or mutated in TLX1 T-ALL." compares nothing)
        rf"^\s*{_SIDE}\s+(?:vs\.?|versus)\s+{_SIDE}\s*(?:[?:!.].*)?$",
        r"^\s*(?:which\s+(?:one\s+)?(?:is|was)\s+(?:better|faster|best|more\s+\w+)\W+)?"
        rf"{_SIDE}\s+or\s+{_SIDE}\s*(?:\?|:.*)$",
    )
]
_AROUND_SIDE = re.compile(r"^\W*(?:(?:the|a|an)\s+)?|[\"'()\[\]*_]+$", re.IGNORECASE)
"""What a side loses: an article, and quotes, brackets or emphasis around it."""


def compared_sides(question: str) -> tuple[str, str] | None:
    """The two things `question` compares, or None when it compares nothing (or
    something longer than `SIDE_WORDS` words a side)."""
    for pattern in COMPARISONS:
        if (match := pattern.match(question.strip())) is not None:
            first, second = (_AROUND_SIDE.sub("", side.strip()) for side in match.groups())
            short = all(0 < len(side.split()) <= SIDE_WORDS for side in (first, second))
            return (first, second) if short and first.lower() != second.lower() else None
    return None


def searched(
    retriever: Retriever,
    question: str,
    k: int,
    gate: Callable[[float], bool],
    since: date | None = None,
    until: date | None = None,
) -> tuple[list[SearchResult], list[tuple[str, list[SearchResult]]]]:
    """The results `question` is answered from, and for a comparison (`compared_sides`)
    each side with its own: both sides' results `merged` when `gate` passes each side's,
    else the question's own ("Python vs Java": a paper on a Python package answers
    neither)."""
    sides = compared_sides(question)
    compared = [
        (side, retriever.search(ASKED_SIDE.format(side), k, since, until)) for side in sides or ()
    ]
    if compared and all(found and gate(best_relevance(found)) for _, found in compared):
        return merged([found for _, found in compared]), compared
    return retriever.search(question, k, since, until), []


def merged(rankings: list[list[SearchResult]]) -> list[SearchResult]:
    """The best paper of each side first (the answerability decision reads the first
    two), then the other papers of all sides by relevance (calibrated, so comparable
    across the sides' queries), each paper once. Taking the sides' papers in turn showed
    each side's noise (relevance 0.04 and -0.10 for "HNSW vs SPANN") above the HNSW
    paper (0.82)."""
    firsts = [ranking[0] for ranking in rankings if ranking]
    rest = sorted((r for ranking in rankings for r in ranking[1:]), key=lambda r: -r.relevance)
    unique: dict[str, SearchResult] = {}
    for result in firsts + rest:
        unique.setdefault(result.paper_id, result)
    return list(unique.values())

"""Questions comparing two things: "HNSW vs SPANN", "compare Adam and AMSGrad", "what is
the difference between KAN and XNet?", "MobileOne or EfficientDet: which is faster?".

No paper need cover both sides, and most do not: asked as one query, "HNSW vs SPANN" was
refused, because the SPANN paper covers half of the question's terms and the HNSW paper
the other half. Each side is searched on its own and answered by its own papers
(`rag.answering`).
"""

from __future__ import annotations

import re

SIDE_WORDS = 4
"""Longest side taken for a name or a short topic. Longer ones are not two things
compared but a question holding "and" or "or" ("... extended to Adam, second-order
optimizers, or learned optimizers?")."""

_SIDE = r"([^?:,;]+?)"
_END = r"[\s?.!]*$"
COMPARISONS = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # "(what is the) difference(s) between X and Y", "compare X with Y", "X vs Y?"
        r"^\W*(?:(?:what\s+(?:is|are)\s+|what's\s+)?(?:the\s+)?(?:main\s+)?differences?\s+"
        r"between|(?:(?:can|could)\s+you\s+)?(?:please\s+)?compare|comparing"
        rf"|(?:a\s+)?comparison\s+(?:of|between))\s+{_SIDE}\s+(?:and|with|to|against|vs\.?"
        rf"|versus)\s+{_SIDE}{_END}",
        rf"^\W*how\s+(?:does|do|did)\s+{_SIDE}\s+compare\s+(?:to|with|against)\s+{_SIDE}{_END}",
        rf"^\W*how\s+(?:does|do|did)\s+{_SIDE}\s+and\s+{_SIDE}\s+differ{_END}",
        # "X vs Y", "which is better, X or Y?", "X or Y: which is faster?"; "or" only in a
        # question ("RUNX1 is downregulated or mutated in TLX1 T-ALL." compares nothing)
        rf"^\W*{_SIDE}\s+(?:vs\.?|versus)\s+{_SIDE}\s*(?:[?:!.].*)?$",
        r"^\W*(?:which\s+(?:one\s+)?(?:is|was)\s+(?:better|faster|best|more\s+\w+)\W+)?"
        rf"{_SIDE}\s+or\s+{_SIDE}\s*(?:\?|:.*)$",
    )
]
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)


def compared_sides(question: str) -> tuple[str, str] | None:
    """The two things `question` compares, or None when it compares nothing (or
    something longer than `SIDE_WORDS` words a side)."""
    for pattern in COMPARISONS:
        if (match := pattern.match(question.strip())) is not None:
            first, second = (_ARTICLE.sub("", side.strip()) for side in match.groups())
            short = all(0 < len(side.split()) <= SIDE_WORDS for side in (first, second))
            return (first, second) if short and first.lower() != second.lower() else None
    return None

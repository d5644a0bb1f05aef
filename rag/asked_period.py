"""A period a question asks papers from ("papers on KAN from 2024", "what was published
on grokking since 2022?", "HNSW work in the last two years"): read as the search's date
range, not as words of its topic.

"papers on KAN from 2024" and "KAN papers published in 2024" were refused: "2024" counted
as a topic word the KAN papers do not write. A year only sets a range where the question
asks for papers or publications (`_ASKS_FOR_PAPERS`): a claim "In 2015, obesity
prevalence rose" is about 2015, not a request for papers dated then.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar

LATEST = r"\b(?:the\s+)?(?:latest|newest|most\s+recent|recent)\b"
"""Asking for the newest papers: those relevant enough to cite are ordered by date, newest
first (`newest_first`; all results reordered, a citable one ranked lower became the first
result, which decides answerability: `rag.relevance.best_relevance`), and the words are
no topic (`rag.keyword.ASKING_PHRASES`): "What are the latest papers on KAN?" was
refused, no KAN paper writing "latest"."""

_YEAR = r"((?:19|20)\d\d)"
_VERB = r"(?:(?:published|released|posted|written|submitted|appeared|came\s+out)\s+)?"
_COUNT = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10}

_ASKS_FOR_PAPERS = re.compile(
    r"\b(?:papers?|works?|research|studies|articles?|publications?|preprints?|literature"
    r"|published|released|posted|came\s+out)\b",
    re.IGNORECASE,
)


_PUBLISHING = re.compile(
    r"\b(?:(?:was|were|has\s+been|have\s+been|got|been)\s+)?(?:published|released|posted"
    r"|submitted)\b",
    re.IGNORECASE,
)
"""Asking what was published, once a period is read: "What was published on DeepONet in
2019?" is about DeepONet (as a topic word "published" refused it: its abstract does not
say it)."""


@dataclass(frozen=True)
class AskedPeriod:
    """The question without its period, and the period as a date range."""

    question: str
    since: date | None
    until: date | None
    said: str
    """The period as the question wrote it ("from 2024")."""

    def note(self) -> str:
        """What the user is told: how the period was read, and what it leaves out."""
        bounds = f"from {self.since}" if self.since else ""
        bounds += f"{' ' if bounds else ''}until {self.until}" if self.until else ""
        return f'Read "{self.said}" as papers dated {bounds} (undated papers left out)'


def _year_range(first: int, last: int) -> tuple[date, date]:
    """The years from `first` to `last`, either way round ("between 2024 and 2020")."""
    return date(min(first, last), 1, 1), date(max(first, last), 12, 31)


class _Dated(Protocol):
    @property
    def date(self) -> date | None: ...


T = TypeVar("T", bound=_Dated)

Bounds = Callable[[re.Match[str]], tuple[date | None, date | None]]


def _periods(today: date) -> list[tuple[re.Pattern[str], Bounds]]:
    """(pattern, match -> (since, until)) in the order tried."""
    ago = today.year
    return [
        (
            re.compile(rf"\b{_VERB}between\s+{_YEAR}\s+and\s+{_YEAR}\b", re.I),
            lambda m: _year_range(int(m[1]), int(m[2])),
        ),
        (re.compile(rf"\b{_VERB}since\s+{_YEAR}\b", re.I), lambda m: (date(int(m[1]), 1, 1), None)),
        (
            re.compile(rf"\b{_VERB}(?:from\s+)?{_YEAR}\s+on(?:wards?)?\b", re.I),
            lambda m: (date(int(m[1]), 1, 1), None),
        ),
        (
            re.compile(rf"\b{_VERB}after\s+{_YEAR}\b", re.I),
            lambda m: (date(int(m[1]) + 1, 1, 1), None),
        ),
        (
            re.compile(rf"\b{_VERB}before\s+{_YEAR}\b", re.I),
            lambda m: (None, date(int(m[1]) - 1, 12, 31)),
        ),
        (
            re.compile(rf"\b{_VERB}(?:until|through|up\s+to)\s+{_YEAR}\b", re.I),
            lambda m: (None, date(int(m[1]), 12, 31)),
        ),
        (
            re.compile(rf"\b{_VERB}(?:in|from|during|of)\s+{_YEAR}\b", re.I),
            lambda m: _year_range(int(m[1]), int(m[1])),
        ),
        (
            re.compile(
                rf"\b{_VERB}(?:from\s+|in\s+|over\s+)?(?:the\s+)?(?:last|past)\s+"
                rf"(\d{{1,2}}|{'|'.join(_COUNT)})\s+years?\b",
                re.I,
            ),
            lambda m: (date(ago - int(_COUNT.get(m[1].lower(), m[1])), 1, 1), None),
        ),
        (
            re.compile(rf"\b{_VERB}(?:from\s+|in\s+)?this\s+year\b", re.I),
            lambda m: (date(ago, 1, 1), None),
        ),
        (
            re.compile(rf"\b{_VERB}(?:from\s+|in\s+)?last\s+year\b", re.I),
            lambda m: _year_range(ago - 1, ago - 1),
        ),
        (
            re.compile(rf"\b{_YEAR}\s+(?=papers?\b)", re.I),
            lambda m: _year_range(int(m[1]), int(m[1])),
        ),
    ]


def asked_period(question: str, today: date) -> AskedPeriod | None:
    """The period `question` asks papers from, or None (no period, or no request for
    papers: `_ASKS_FOR_PAPERS`)."""
    if not _ASKS_FOR_PAPERS.search(question):
        return None
    for pattern, bounds in _periods(today):
        if (match := pattern.search(question)) is not None:
            since, until = bounds(match)
            rest = f"{question[: match.start()]} {question[match.end() :]}"
            rest = " ".join(_PUBLISHING.sub(" ", rest).split())
            rest = re.sub(r"\s+([?.!,;:])", r"\1", rest)  # "grokking ?" -> "grokking?"
            return AskedPeriod(rest, since, until, " ".join(match[0].split()))
    return None


def asks_latest(question: str) -> bool:
    """Whether `question` asks for the newest papers (`LATEST`)."""
    return re.search(LATEST, question, re.IGNORECASE) is not None


def newest_first(results: list[T]) -> list[T]:
    """`results` newest first, undated last (otherwise as ranked)."""
    return sorted(results, key=lambda r: -r.date.toordinal() if r.date else 1)

"""Citation markers: parse, validate, renumber, and pick the supporting quote.

The LLM cites sources as `[n]`, `[n, m]` or `[n][m]` with n in 1..k. Users see
citations numbered 1, 2, ... in order of first use; markers outside 1..k are dropped
(with the space before them) and never reach the user.

`CitationRewriter` works on a stream: it holds back a possibly unfinished marker and
trailing whitespace, so no partial marker is ever emitted. The non-streamed path
feeds the whole text through the same rewriter, so both produce identical text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rag.chunking import Sentence, split_sentences

_NUMBER = r"\s*\d+(?:\s*[-–—]\s*\d+)?\s*"
MARKER = re.compile(rf"(\s*)\[({_NUMBER}(?:,{_NUMBER})*)\]")
"""Anything that reads as a citation marker: `[3]`, `[1, 2]`, `[1000]`, `[0001]`, `[1-3]`,
`[2–4]`. Each is renumbered or dropped, so no marker-like text that is not ours survives."""
_UNFINISHED = re.compile(r"\[[\d,\s\-–—]{0,40}$")
_UNFINISHED_WITH_SPACE = re.compile(r"\s*\[[\d,\s\-–—]{0,40}$")
RANGE_LIMIT = 10
"""A range marker (`[1-3]`) cites each source in it, if it spans at most this many."""


def marker_sources(inside: str) -> list[int]:
    """The source numbers a marker's inside (`1, 3-4`) names; empty for a nonsense range."""
    sources: list[int] = []
    for part in inside.split(","):
        ends = [int(n) for n in re.split(r"[-–—]", part)]
        low, high = ends[0], ends[-1]
        if low <= high and high - low < RANGE_LIMIT:
            sources.extend(range(low, high + 1))
    return sources


def defuse_markers(text: str) -> str:
    """Source text shown inside an answer, with its own bracketed numbers written in
    parentheses (`[12]` -> `(12)`), so they cannot be read as our citations."""
    return MARKER.sub(lambda m: f"{m.group(1)}({m.group(2).strip()})", text)


class CitationRewriter:
    """Renumbers markers in order of first use; remembers which source each number is."""

    def __init__(self, num_sources: int) -> None:
        self.num_sources = num_sources
        self.order: list[int] = []
        """Source numbers (1-based) in order of first citation; citation n = order[n-1]."""
        self._pending = ""

    def _number(self, source: int) -> int:
        if source not in self.order:
            self.order.append(source)
        return self.order.index(source) + 1

    def _replace(self, match: re.Match[str]) -> str:
        numbers: list[int] = []
        for source in marker_sources(match.group(2)):
            if 1 <= source <= self.num_sources:
                number = self._number(source)
                if number not in numbers:
                    numbers.append(number)
        if not numbers:
            return ""
        return f"{match.group(1)}[{', '.join(map(str, numbers))}]"

    def feed(self, delta: str) -> str:
        """Rewrite what can be decided now; keep the undecidable tail for later."""
        buffer = self._pending + delta
        cut = len(buffer)
        if unfinished := _UNFINISHED.search(buffer):
            cut = unfinished.start()
        while cut > 0 and buffer[cut - 1].isspace():
            cut -= 1  # whitespace may precede a marker that will be dropped
        self._pending = buffer[cut:]
        return MARKER.sub(self._replace, buffer[:cut])

    def flush(self) -> str:
        """End of text: rewrite the rest; an unfinished marker at the very end is dropped."""
        rest, self._pending = self._pending, ""
        rest = MARKER.sub(self._replace, rest)
        return _UNFINISHED_WITH_SPACE.sub("", rest)


def citing_sentences(text: str) -> dict[int, str]:
    """For each citation number, the sentence (markers removed) where it first appears."""
    found: dict[int, str] = {}
    for span in split_sentences(text):
        sentence = text[span.start : span.end]
        plain = MARKER.sub("", sentence).strip()
        for match in MARKER.finditer(sentence):
            for number in marker_sources(match.group(2)):
                found.setdefault(number, plain)
    return found


SentenceScorer = Callable[[str, list[str]], np.ndarray]
"""(claim, candidate sentences) -> support score per candidate (higher = better)."""


@dataclass(frozen=True)
class Quote:
    text: str
    start: int
    end: int
    score: float
    """The scorer's support for the claim (comparable only between calls of one scorer)."""


def best_quote(abstract: str, spans: list[Sentence], claim: str, score: SentenceScorer) -> Quote:
    """The sentence of `abstract` (split into `spans`) that best supports `claim`,
    verbatim with its offsets."""
    if not spans:
        return Quote(abstract, 0, len(abstract), float(score(claim, [abstract])[0]))
    sentences = [abstract[s.start : s.end] for s in spans]
    scores = score(claim, sentences)
    best = int(np.argmax(scores))
    return Quote(sentences[best], spans[best].start, spans[best].end, float(scores[best]))

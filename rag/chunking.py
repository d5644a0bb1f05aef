"""Sentence-aware chunking sized for the embedding model's window.

Each chunk is a run of whole sentences of one abstract whose embedding text
(`title` + newline + chunk) fits the model's window in word pieces. Chunks keep
character offsets into the abstract so later steps can quote exact sentences.
Consecutive chunks share one sentence of overlap so no claim is cut from its context.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import ConfigError
from rag.papers import Paper

if TYPE_CHECKING:
    from nltk.tokenize.punkt import PunktTokenizer

CHUNKER_VERSION = "s4"
"""Bump when chunking changes, so stored papers are re-chunked on the next ingest."""

SPECIAL_TOKENS = 2  # [CLS] and [SEP]
MIN_BUDGET = 32

TokenCounter = Callable[[str], int]


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    paper_id: str
    index: int
    start: int
    end: int
    text: str
    """The abstract slice `abstract[start:end]`."""
    embed_text: str
    """What is embedded and keyword-indexed: the title as context, then the slice."""


JOINS_ALWAYS = re.compile(r"\b(?:e\.g|i\.e|cf|vs|viz)\.$", re.IGNORECASE)
"""Abbreviations that never end a sentence: the next piece always continues it."""
JOINS_UNLESS_CAPITAL = re.compile(
    r"\b(?:et al|etc|figs?|eqs?|refs?|sec|approx|resp|no|ca)\.$", re.IGNORECASE
)
"""Abbreviations that end a sentence only when a capital follows ("..., etc. We show")."""
_WORD = re.compile(r"\w")


@lru_cache(maxsize=1)
def _punkt() -> PunktTokenizer:
    """Punkt's trained English model, which llama-index-core ships with its NLTK data
    (offline). NLTK reads models only from folders on `nltk.data.path`, so that folder
    is added to it. Imported here, not at start-up: nltk costs ~0.8 s of every CLI
    command's start otherwise, and most commands never split a sentence."""
    import nltk
    from nltk.tokenize.punkt import PunktTokenizer

    spec = importlib.util.find_spec("llama_index.core")
    folder = Path(next(iter(spec.submodule_search_locations or []), "")) if spec else Path()
    data = str(folder / "_static" / "nltk_cache")
    if data not in nltk.data.path:
        nltk.data.path.append(data)
    try:
        return PunktTokenizer("english")
    except LookupError:
        raise ConfigError(
            f"punkt's English sentence model is missing from {data}; reinstall llama-index-core"
        ) from None


def split_sentences(text: str) -> list[Sentence]:
    """Sentence spans of `text`: punkt's English model, then pieces that it cut after an
    abbreviation joined back. On the bundled and SciFact abstracts (5,680) the untrained
    punkt used before cut 349 sentences after "e.g.", "i.e.", "et al.", "Fig." and the
    like, the trained model alone 163, this 0 (30 cuts after "(ref." in SciFact were
    found later and fixed in chunker s4); it costs about 0.4 ms per abstract.

    A piece with no letter or digit is no sentence: punkt cuts "(physics, biology,
    engineering sciences,. . .)." into "...sciences,.", "." and ".).", and "(Funded by
    the MRC.)." leaves ")."; such a piece joins the sentence before it (or, at the
    start, the one after), so it is never quoted on its own. That happens in 27 of
    SciFact's 5,183 abstracts and 3 of a 439-paper Zotero library, none of the bundled
    ones. Chunks stored before are still whole-sentence slices of their abstracts, so
    this is not a new chunker version (one would re-embed every stored paper)."""
    spans: list[Sentence] = []
    orphan: int | None = None  # start of leading pieces with no word character
    for start, end in _punkt().span_tokenize(text):
        if not _WORD.search(text, start, end):
            if spans:
                spans[-1] = Sentence(spans[-1].start, end)
            elif orphan is None:
                orphan = start
            continue
        if orphan is not None:
            start, orphan = orphan, None
        if spans:
            previous = text[spans[-1].start : spans[-1].end]
            joins = JOINS_ALWAYS.search(previous) or (
                JOINS_UNLESS_CAPITAL.search(previous) and not text[start : start + 1].isupper()
            )
            if joins:
                spans[-1] = Sentence(spans[-1].start, end)
                continue
        spans.append(Sentence(start, end))
    if orphan is not None:  # nothing but punctuation: one span, as punkt gave it
        spans.append(Sentence(orphan, len(text.rstrip())))
    return spans


def _split_long(text: str, span: Sentence, budget: int, count: TokenCounter) -> list[Sentence]:
    """Cut a sentence longer than the budget at word boundaries."""
    pieces: list[Sentence] = []
    start = span.start
    words = text[span.start : span.end].split(" ")
    cursor = span.start
    end = start
    for word in words:
        word_end = cursor + len(word)
        if end > start and count(text[start:word_end]) > budget:
            pieces.append(Sentence(start, end))
            start = cursor
        end = word_end
        cursor = word_end + 1
    pieces.append(Sentence(start, span.end))
    return pieces


def chunk_paper(
    paper: Paper,
    window: int,
    count: TokenCounter,
    key: str,
    spans: list[Sentence] | None = None,
) -> list[Chunk]:
    """Chunks of `paper`'s abstract; ids are deterministic in (paper, content key, index).
    `spans`: the abstract's `split_sentences`, when the caller has them already."""
    title_cost = count(paper.title) + 1  # the newline separator costs about one piece
    budget = max(MIN_BUDGET, window - SPECIAL_TOKENS - title_cost)
    abstract = paper.abstract
    sentences: list[tuple[Sentence, int]] = []  # each with its word pieces, counted once
    for span in split_sentences(abstract) if spans is None else spans:
        cost = count(abstract[span.start : span.end])
        if cost > budget:
            pieces = _split_long(abstract, span, budget, count)
            sentences.extend((p, count(abstract[p.start : p.end])) for p in pieces)
        else:
            sentences.append((span, cost))

    # Word pieces add up over whitespace-separated sentences (the tokenizer splits on
    # whitespace first), so a group costs the sum of its sentences: counting each
    # sentence once instead of every growing group cut chunking time by ~3x.
    groups: list[list[Sentence]] = []
    current: list[tuple[Sentence, int]] = []
    for sentence, cost in sentences:
        if current and sum(c for _, c in current) + cost > budget:
            groups.append([s for s, _ in current])
            overlap = current[-1:] if len(current) > 1 else []
            fits = overlap and overlap[0][1] + cost <= budget
            current = [*overlap, (sentence, cost)] if fits else [(sentence, cost)]
        else:
            current.append((sentence, cost))
    if current:
        groups.append([s for s, _ in current])

    chunks = []
    for index, group in enumerate(groups):
        start, end = group[0].start, group[-1].end
        text = abstract[start:end]
        chunks.append(
            Chunk(
                chunk_id=f"{paper.paper_id}::{key[:12]}::{index}",
                paper_id=paper.paper_id,
                index=index,
                start=start,
                end=end,
                text=text,
                embed_text=f"{paper.title}\n{text}",
            )
        )
    return chunks

"""Sentence-aware chunking sized for the embedding model's window.

Each chunk is a run of whole sentences of one abstract whose embedding text
(`title` + newline + chunk) fits the model's window in word pieces. Chunks keep
character offsets into the abstract so later steps can quote exact sentences.
Consecutive chunks share one sentence of overlap so no claim is cut from its context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from llama_index.core.utils import globals_helper

from rag.papers import Paper

CHUNKER_VERSION = "s2"
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


ABBREVIATIONS = {"vs", "cf", "approx", "fig", "figs", "eq", "eqs", "resp", "sec", "no"}
"""Abbreviations common in abstracts that punkt's English model would end a sentence on
("96.53% vs. 97.22%")."""


@lru_cache(maxsize=1)
def _punkt():  # type: ignore[no-untyped-def]
    """llama-index ships the punkt model, so sentence splitting works offline."""
    tokenizer = globals_helper.punkt_tokenizer
    tokenizer._params.abbrev_types.update(ABBREVIATIONS)
    return tokenizer


def split_sentences(text: str) -> list[Sentence]:
    """Sentence spans of `text` (punkt: knows `e.g.`, `et al.`, decimals)."""
    return [Sentence(start, end) for start, end in _punkt().span_tokenize(text)]


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


def chunk_paper(paper: Paper, window: int, count: TokenCounter, key: str) -> list[Chunk]:
    """Chunks of `paper`'s abstract; ids are deterministic in (paper, content key, index)."""
    title_cost = count(paper.title) + 1  # the newline separator costs about one piece
    budget = max(MIN_BUDGET, window - SPECIAL_TOKENS - title_cost)
    abstract = paper.abstract
    sentences: list[Sentence] = []
    for span in split_sentences(abstract):
        if count(abstract[span.start : span.end]) > budget:
            sentences.extend(_split_long(abstract, span, budget, count))
        else:
            sentences.append(span)

    groups: list[list[Sentence]] = []
    current: list[Sentence] = []
    for sentence in sentences:
        candidate = [*current, sentence]
        if current and count(abstract[candidate[0].start : sentence.end]) > budget:
            groups.append(current)
            overlap = current[-1:] if len(current) > 1 else []
            fits = overlap and count(abstract[overlap[0].start : sentence.end]) <= budget
            current = [*overlap, sentence] if fits else [sentence]
        else:
            current = candidate
    if current:
        groups.append(current)

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

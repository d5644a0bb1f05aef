"""Fakes for fast tests and benchmarks: `HashEmbedder` (the `Embedder` protocol) and
`FakeLLM` (the `ChatModel` protocol): no model file, no network, deterministic."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections import deque
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
from bm25s.stopwords import STOPWORDS_EN

from rag.keyword import KeywordIndex, QueryTerms

_WORD = re.compile(r"\w+")
_STOPWORDS = frozenset(STOPWORDS_EN)


class HashEmbedder:
    """Deterministic bag-of-words vectors: each lower-cased word (English stopwords
    left out) is hashed to a signed position of a 384-dim vector. Texts sharing topic
    words get a high cosine, unrelated texts about 0, so retrieval and relevance behave
    as with a (very literal) real model, in microseconds and with no model file. (With
    stopwords kept, the bundled corpus's background cosine was 0.44 and a matching
    chunk barely rose above it.)"""

    identity = "fake:hash-384"
    window = 256
    dims = 384

    def count_tokens(self, text: str) -> int:
        return len(_WORD.findall(text))

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dims), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                if word in _STOPWORDS:
                    continue
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                index = int.from_bytes(digest[:4], "little") % self.dims
                vectors[row, index] += 1.0 if digest[4] % 2 else -1.0
            norm = float(np.linalg.norm(vectors[row]))
            if norm:
                vectors[row] /= norm
        return vectors

    def for_ingest(self, papers: int) -> HashEmbedder:
        return self


class FakeLLM:
    """A chat model that replies from a queue and records every prompt it was sent.

    A reply is text (streamed in `chunk`-character deltas, after `delay` seconds) or an
    exception to raise (an `LLMError` to simulate the provider failing); when the queue
    is empty it repeats its last reply."""

    model = "fake-llm"

    def __init__(self, *replies: str | Exception, chunk: int = 7, delay: float = 0.0) -> None:
        self.replies: deque[str | Exception] = deque(replies)
        self.prompts: list[list[dict[str, str]]] = []
        self.chunk, self.delay = chunk, delay
        self.cancelled = 0

    def _next(self, messages: list[dict[str, str]]) -> str:
        self.prompts.append(messages)
        reply = self.replies.popleft() if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply

    async def complete(self, messages: list[dict[str, str]], meter: object = None) -> str:
        try:
            await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return self._next(messages)

    async def stream(
        self, messages: list[dict[str, str]], meter: object = None
    ) -> AsyncIterator[str]:
        text = await self.complete(messages)
        for start in range(0, len(text), self.chunk):
            yield text[start : start + self.chunk]


def fake_index(folder: Path, rows: list[dict[str, str]], collection: str):  # type: ignore[no-untyped-def]
    """(settings, PaperRAG) over `rows` (JSONL paper objects) ingested with `HashEmbedder`
    into `folder`: a real embedded Chroma index in a fraction of a second."""
    from rag.config import Settings
    from rag.paper_rag import PaperRAG

    corpus = folder / f"{collection}.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    settings = Settings(data_dir=folder / "data", collection=collection, llm="none")
    rag = PaperRAG.open(settings, embedder=HashEmbedder(), create=True)
    rag.ingest([corpus])
    return settings, rag


def covered(index: KeywordIndex, query: QueryTerms, terms: frozenset[int], text: str) -> float:
    """The text's coverage of the query (`KeywordIndex.weighed`, unknown words missing)."""
    return index.weighed(query, unknown_missing=True).share(text, terms)

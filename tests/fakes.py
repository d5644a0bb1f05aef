"""Fakes that stand in for the real model in fast tests (they implement `Embedder`)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np

_WORD = re.compile(r"\w+")


class HashEmbedder:
    """Deterministic bag-of-words vectors: each lower-cased word is hashed to a signed
    position of a 384-dim vector. Texts sharing words get a high cosine, unrelated texts
    about 0, so retrieval and relevance behave as with a (very literal) real model, in
    microseconds and with no model file."""

    identity = "fake:hash-384"
    window = 256
    dims = 384

    def count_tokens(self, text: str) -> int:
        return len(_WORD.findall(text))

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dims), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                index = int.from_bytes(digest[:4], "little") % self.dims
                vectors[row, index] += 1.0 if digest[4] % 2 else -1.0
            norm = float(np.linalg.norm(vectors[row]))
            if norm:
                vectors[row] /= norm
        return vectors


def fake_index(folder: Path, rows: list[dict[str, str]], collection: str):  # type: ignore[no-untyped-def]
    """(settings, retriever) over `rows` (JSONL paper objects) ingested with `HashEmbedder`
    into `folder`: a real embedded Chroma index in a fraction of a second."""
    from rag.config import Settings
    from rag.index import Index, ingest_paths

    corpus = folder / f"{collection}.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    settings = Settings(data_dir=folder / "data", collection=collection, llm="none")
    ingest_paths(settings, [corpus], embedder=HashEmbedder())
    return settings, Index.open(settings, embedder=HashEmbedder()).retriever()

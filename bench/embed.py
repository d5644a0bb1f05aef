"""Benchmark the local embedding backends; prints one table.

For each backend and device available here: texts/s (chunk-sized texts from the bundled
corpus, every core, each backend's default batch), query latency at batch 1 (p50, one thread, as
a serving process runs it) and cosine agreement with torch fp32 on the same texts.
Retrieval quality per backend is measured with `rag eval beir` (see the README).

Run: `python bench/embed.py` (about a minute; builds the ONNX graphs in a temporary
model cache first).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from rag.chunking import chunk_paper
from rag.corpus import bundled_corpus, load_corpus
from rag.embeddings import CPU_BACKEND, LocalEmbedder
from rag.ingest import chunk_key

TEXTS = 256
QUERIES = 100


def _measure(embedder: LocalEmbedder, texts: list[str], queries: list[str]) -> tuple:  # type: ignore[type-arg]
    embedder.use_threads(os.cpu_count() or 1)
    embedder.embed(texts[:8])  # load and warm up
    started = time.perf_counter()
    vectors = embedder.embed(texts)
    rate = len(texts) / (time.perf_counter() - started)
    embedder.use_threads(1)
    embedder.embed(queries[:5])
    latency = []
    for query in queries:
        started = time.perf_counter()
        embedder.embed([query])
        latency.append(time.perf_counter() - started)
    return vectors, rate, statistics.median(latency) * 1e3


def main() -> None:
    corpus = load_corpus(bundled_corpus(), year=2025)
    probe = LocalEmbedder()
    texts = [
        c.embed_text
        for p in corpus.papers[:TEXTS]
        for c in chunk_paper(p, probe.window, probe.count_tokens, chunk_key(p, probe))
    ][:TEXTS]
    queries = [p.title for p in corpus.papers[-QUERIES:]]
    cache = Path(tempfile.mkdtemp(prefix="rag-models-"))
    runs: list[tuple[str, LocalEmbedder]] = [
        ("torch fp32, cpu", LocalEmbedder(backend="torch", device="cpu")),
        ("onnx fp32, cpu", LocalEmbedder(backend="onnx", model_cache=cache)),
        ("onnx int8, cpu", LocalEmbedder(backend="onnx-int8", model_cache=cache)),
    ]
    try:
        import torch

        if torch.cuda.is_available():
            runs.append(("torch fp32, cuda", LocalEmbedder(backend="torch", device="cuda")))
    except ImportError:
        pass
    table = Table(title=f"Local embedding backends ({os.cpu_count()} cores, {len(texts)} chunks)")
    for column in ("backend", "chunks/s", "vs torch", "query p50", "cosine to torch fp32"):
        table.add_column(column, justify="left" if column == "backend" else "right")
    reference, base_rate = None, 0.0
    for label, embedder in runs:
        vectors, rate, p50 = _measure(embedder, texts, queries)
        if reference is None:
            reference, base_rate = vectors, rate
        cosine = (vectors * reference).sum(axis=1)
        table.add_row(
            label,
            f"{rate:.0f}",
            f"{rate / base_rate:.2f}x",
            f"{p50:.1f} ms",
            f"{np.mean(cosine):.4f} (min {np.min(cosine):.4f})",
        )
    Console().print(table)
    print(f"default on this machine: {probe.resolved_backend()} (CPU default {CPU_BACKEND})")


if __name__ == "__main__":
    main()

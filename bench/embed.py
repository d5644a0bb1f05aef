"""Benchmark the local embedding backends; prints one table.

For each backend and device available here: chunks/s (chunk-sized texts from the
bundled corpus, every core) at the default batch and at 64, query latency at batch 1
(p50, one thread, as a serving process runs it) and cosine agreement with torch fp32 on
the same texts (torch bf16 too: fast only on a CPU that multiplies bf16 in hardware,
emulated elsewhere). With `--scifact DIR` (a BEIR folder with a train split) also each
backend's nDCG@10 on SciFact's training claims, dense alone and hybrid: the corpus is
ingested once per backend into a temporary data dir (about 10 minutes on 2 cores).

Run: `python bench/embed.py [--scifact ../shared/external/scifact]` (about a minute
without; builds the ONNX graphs in a temporary model cache first).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from rag import beir
from rag.bf16_model import native_bf16
from rag.chunking import chunk_paper
from rag.config import Settings
from rag.corpus import bundled_corpus, load_corpus
from rag.embeddings import BULK_MIN_PAPERS, CPU_BACKEND, LocalEmbedder
from rag.ingest import chunk_key
from rag.onnx_model import usable_cores
from rag.paper_rag import PaperRAG

TEXTS = 256
QUERIES = 100


def _rate(embedder: LocalEmbedder, texts: list[str], batch: int) -> tuple[np.ndarray, float]:
    default, embedder.batch_size = embedder.batch_size, batch
    try:
        started = time.perf_counter()
        vectors = embedder.embed(texts)
        return vectors, len(texts) / (time.perf_counter() - started)
    finally:
        embedder.batch_size = default


def _measure(embedder: LocalEmbedder, texts: list[str], queries: list[str]) -> tuple:  # type: ignore[type-arg]
    embedder.use_threads(usable_cores())
    embedder.embed(texts[:8])  # load and warm up
    vectors, rate = _rate(embedder, texts, embedder.batch_size)
    _, rate64 = _rate(embedder, texts, 64)
    embedder.use_threads(1)
    embedder.embed(queries[:5])
    latency = []
    for query in queries:
        started = time.perf_counter()
        embedder.embed([query])
        latency.append(time.perf_counter() - started)
    return vectors, rate, rate64, statistics.median(latency) * 1e3


def _scifact(embedder: LocalEmbedder, folder: Path) -> dict[str, float]:
    """nDCG@10 on SciFact's training claims, dense alone and hybrid, with `embedder`."""
    data = beir.BeirFolder.at(folder, "train")
    qrels = beir.read_qrels(data.qrels)
    queries = beir.read_queries(data.queries, set(qrels))
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="rag-embed-")), llm="none")
    rag = PaperRAG.open(settings, embedder=embedder, create=True)
    rag.ingest([data.corpus], fmt="jsonl")
    mapping = beir.doc_ids(rag.retriever, data.corpus)
    return {
        mode: beir.score(qrels, beir.run(rag.retriever, queries, mapping, mode))["nDCG@10"]
        for mode in ("dense", "hybrid")
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scifact", type=Path, help="A BEIR SciFact folder (train split).")
    args = parser.parse_args()
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
        ("torch bf16, cpu", LocalEmbedder(backend="torch-bf16")),
    ]
    try:
        import torch

        if torch.cuda.is_available():
            runs.append(("torch fp32, cuda", LocalEmbedder(backend="torch", device="cuda")))
    except ImportError:
        pass
    table = Table(title=f"Local embedding backends ({usable_cores()} cores, {len(texts)} chunks)")
    columns = ["backend", "chunks/s", "vs torch", "at batch 64", "query p50", "cosine to fp32"]
    if args.scifact:
        columns += ["SciFact nDCG@10 dense", "hybrid"]
    for column in columns:
        table.add_column(column, justify="left" if column == "backend" else "right")
    reference, base_rate = None, 0.0
    for label, embedder in runs:
        vectors, rate, rate64, p50 = _measure(embedder, texts, queries)
        if reference is None:
            reference, base_rate = vectors, rate
        cosine = (vectors * reference).sum(axis=1)
        row = [
            label,
            f"{rate:.0f} (batch {embedder.batch_size})",
            f"{rate / base_rate:.2f}x",
            f"{rate64:.0f}",
            f"{p50:.1f} ms",
            f"{np.mean(cosine):.4f} (min {np.min(cosine):.4f})",
        ]
        if args.scifact:
            embedder.use_threads(usable_cores())
            quality = _scifact(embedder, args.scifact)
            row += [f"{quality['dense']:.3f}", f"{quality['hybrid']:.3f}"]
        table.add_row(*row)
    Console(width=160).print(table)
    bulk = probe.for_ingest(BULK_MIN_PAPERS)
    print(
        f"default on this machine: {probe.resolved_backend()} (CPU default {CPU_BACKEND}); "
        f"ingests of {BULK_MIN_PAPERS:,}+ papers: {bulk.resolved_backend()}"
        + ("" if native_bf16() else " (this CPU does not multiply bf16 in hardware: emulated)")
    )


if __name__ == "__main__":
    main()

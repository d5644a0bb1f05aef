"""Benchmark ingest and search on the bundled sample corpus; prints one table.

Every target is a ratio against a baseline measured in the same run on the same
machine, so the figures are comparable across machines:

* ingest throughput with the default local backend vs a raw torch fp32
  `SentenceTransformer.encode` of the same chunk texts at the same batch size (8 on a
  CPU, torch's best too; target: >= 1.6x, the ONNX backend's gain over torch; it was
  >= 0.85 of raw when torch was the default); on a CPU that multiplies bf16 in
  hardware, also the same ingest with what an ingest of `BULK_MIN_PAPERS` or more runs
  on (`LocalEmbedder.for_ingest`: torch in bf16), loaded before the timing;
* search p50 vs query embedding + a raw Chroma query (target: <= 1.5x).

Run: `python bench/ingest_search.py` (uses a temporary data dir; ~2 minutes).
"""

from __future__ import annotations

import resource
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from rag.chunking import chunk_paper
from rag.config import Settings
from rag.corpus import bundled_corpus, load_corpus
from rag.embeddings import BULK_MIN_PAPERS, LocalEmbedder
from rag.ingest import chunk_key
from rag.paper_rag import PaperRAG

SEARCHES = 200


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def main() -> None:
    embedder = LocalEmbedder()  # the default backend, as users run it
    embedder.embed(["warm-up"])  # load the model before anything is timed
    torch_fp32 = LocalEmbedder(backend="torch")
    torch_fp32.embed(["warm-up"])
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="rag-bench-")), collection="bench")

    # Raw encoder baseline on exactly the texts the pipeline embeds.
    corpus = load_corpus(bundled_corpus(), year=2025)
    texts = [
        c.embed_text
        for p in corpus.papers
        for c in chunk_paper(p, embedder.window, embedder.count_tokens, chunk_key(p, embedder))
    ]
    started = time.perf_counter()
    torch_fp32.model.encode(texts, batch_size=embedder.batch_size, normalize_embeddings=True)
    raw_seconds = time.perf_counter() - started

    rag = PaperRAG.open(settings, embedder=embedder, create=True)
    started = time.perf_counter()
    report = rag.ingest([], year=2025)
    ingest_seconds = time.perf_counter() - started
    started = time.perf_counter()
    rag.ingest([], year=2025)
    noop_seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    papers = [paper for paper, _ in rag.retriever.store.load_records().values()]
    queries = [f"{p.title.split(':')[0]} {p.abstract.split('.')[0][:80]}" for p in papers]
    queries = (queries * (SEARCHES // len(queries) + 1))[:SEARCHES]
    rag.search(queries[0])  # build the BM25 snapshot outside the timing
    chunks = rag.retriever.store.chunks  # the baseline: one Chroma query, nothing else

    ours, raw = [], []
    for query in queries:
        started = time.perf_counter()
        rag.search(query, k=10)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        vector = embedder.embed([query])[0]
        chunks.query(query_embeddings=[vector], n_results=10)
        raw.append(time.perf_counter() - started)

    bulk = embedder.for_ingest(BULK_MIN_PAPERS)
    bulk_rate = None
    if bulk is not embedder:  # what an ingest of a thousand papers or more runs on here
        bulk.embed(texts[:16])  # loaded before the timing, as the default model was
        bulk_settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="rag-bench-")))
        bulk_rag = PaperRAG.open(bulk_settings, embedder=bulk, create=True)
        started = time.perf_counter()
        bulk_report = bulk_rag.ingest([], year=2025)
        bulk_rate = bulk_report.chunks_embedded / (time.perf_counter() - started)

    pipeline_rate = report.chunks_embedded / ingest_seconds
    raw_rate = len(texts) / raw_seconds
    table = Table(title="paper-rag benchmark (bundled corpus, this machine)")
    for column in ("measure", "value", "baseline (same run)", "ratio", "target"):
        table.add_column(column)
    table.add_row("ingest papers/s", f"{report.new / ingest_seconds:.1f}", "", "", "")
    table.add_row(
        "ingest chunks/s",
        f"{pipeline_rate:.1f}",
        f"raw torch encode {raw_rate:.1f}",
        f"{pipeline_rate / raw_rate:.2f}",
        ">= 1.6",
    )
    if bulk_rate is not None:
        table.add_row(
            f"ingest chunks/s, {BULK_MIN_PAPERS:,}+ papers ({bulk.backend})",
            f"{bulk_rate:.1f}",
            f"raw torch encode {raw_rate:.1f}",
            f"{bulk_rate / raw_rate:.2f}",
            ">= 1.6",
        )
    table.add_row("no-op re-ingest", f"{noop_seconds:.2f} s", "", "", "<= 2 s")
    table.add_row("peak memory (RSS)", f"{peak_mb:.0f} MB", "", "", "")
    p50, p95 = statistics.median(ours) * 1e3, _percentile(ours, 95) * 1e3
    raw50, raw95 = statistics.median(raw) * 1e3, _percentile(raw, 95) * 1e3
    table.add_row(
        "search p50",
        f"{p50:.1f} ms",
        f"embed+chroma {raw50:.1f} ms",
        f"{p50 / raw50:.2f}x",
        "<= 1.5x",
    )
    table.add_row(
        "search p95", f"{p95:.1f} ms", f"embed+chroma {raw95:.1f} ms", f"{p95 / raw95:.2f}x", ""
    )
    Console().print(table)
    print(
        f"{len(texts)} chunks, {report.new} papers, {SEARCHES} searches, "
        f"backend {embedder.resolved_backend()}"
    )


if __name__ == "__main__":
    main()

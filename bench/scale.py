"""Benchmark how the pipeline scales with the corpus; prints one table.

Synthetic corpora (titles and abstracts assembled from sentences of the bundled
corpus's real abstracts) are ingested with the deterministic fake embedder of the
tests, so the pipeline (chunking, Chroma, BM25, snapshots), not the model, is timed.
Per size: ingest papers/s and chunks/s, a no-op re-ingest, a fresh process's cold
start to a searching snapshot, its RSS after 200 searches (Chroma's vector index
loaded; `ru_maxrss` would count the benchmark's own peak, inherited across fork+exec),
search p50/p95, and how long after another process's ingest of 100 papers commits
(bumps the store's generation) they are searchable, with the slowest search meanwhile.
The last columns extrapolate the growth per paper to 1M papers.

Run: `python bench/scale.py [--sizes 10000 50000 200000]` (10k and 50k: about 4 minutes
on 2 cores, 200k another 11; each size in its own temporary data dir).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.chunking import split_sentences  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.corpus import bundled_corpus, load_corpus  # noqa: E402
from rag.paper_rag import PaperRAG  # noqa: E402
from tests.fakes import HashEmbedder  # noqa: E402

SEARCHES = 200

SERVE = """
import json, statistics, sys, time, subprocess
import psutil
sys.path.insert(0, {root!r})
from pathlib import Path
from rag.config import Settings
from rag.paper_rag import PaperRAG
from tests.fakes import HashEmbedder
started = time.perf_counter()
settings = Settings(data_dir=Path({data!r}), collection="scale", llm="none")
rag = PaperRAG.open(settings, embedder=HashEmbedder())
rag.retriever.snapshot()
ready = time.perf_counter() - started
queries = {queries!r}
times = []
for query in queries:
    t = time.perf_counter(); rag.search(query, k=10); times.append(time.perf_counter() - t)
rss = psutil.Process().memory_info().rss / 2**20  # serving: Chroma's vector index loaded too
before = rag.retriever.store.version()
ingest = subprocess.Popen([sys.executable, "-c", {ingest!r}])
commit = found_at = None
slowest, deadline = 0.0, time.perf_counter() + 600
while found_at is None and time.perf_counter() < deadline:
    t = time.perf_counter()
    hits = rag.search("zyxwvut quasar marmalade", k=3)
    slowest = max(slowest, time.perf_counter() - t)
    if commit is None and rag.retriever.store.version() != before:
        commit = time.perf_counter()  # the other process's generation bump
    if commit is not None and any(h.title.startswith("Extra") for h in hits):
        found_at = time.perf_counter() - commit
    time.sleep(0.05)
q = statistics.quantiles(times, n=100)
print(json.dumps({{"ready": ready, "rss": rss, "p50": statistics.median(times), "p95": q[94],
                  "fresh": found_at, "slowest": slowest}}))
"""

INGEST = """
import sys
sys.path.insert(0, {root!r})
from pathlib import Path
from rag.config import Settings
from rag.index import ingest_paths
from tests.fakes import HashEmbedder
settings = Settings(data_dir=Path({data!r}), collection="scale", llm="none")
ingest_paths(settings, [Path({extra!r})], embedder=HashEmbedder())
"""


def sentences() -> list[str]:
    papers = load_corpus(bundled_corpus(), year=2025).papers
    found = [p.abstract[s.start : s.end] for p in papers for s in split_sentences(p.abstract)]
    return [sentence for sentence in found if len(sentence.split()) >= 6]


def corpus(path: Path, count: int, pool: list[str], rng: random.Random, prefix: str) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            body = " ".join(rng.sample(pool, rng.randint(4, 8)))
            title = " ".join(rng.sample(body.split(), 6)).strip(".,;:")
            row = {"id": f"{prefix}{i}", "title": f"{prefix} {title}", "abstract": body}
            out.write(json.dumps(row) + "\n")
    return path


def measure(size: int, pool: list[str]) -> dict[str, float]:
    rng = random.Random(size)
    folder = Path(tempfile.mkdtemp(prefix=f"rag-scale-{size}-"))
    source = corpus(folder / "corpus.jsonl", size, pool, rng, "Paper")
    extra = folder / "extra.jsonl"
    extra.write_text(
        "\n".join(
            json.dumps(
                {
                    "id": f"extra{i}",
                    "title": f"Extra zyxwvut quasar marmalade {i}",
                    "abstract": " ".join(rng.sample(pool, 5)) + " zyxwvut quasar marmalade.",
                }
            )
            for i in range(100)
        )
        + "\n",
        encoding="utf-8",
    )
    settings = Settings(data_dir=folder / "data", collection="scale", llm="none")
    rag = PaperRAG.open(settings, embedder=HashEmbedder(), create=True)
    started = time.perf_counter()
    report = rag.ingest([source])
    ingest_s = time.perf_counter() - started
    started = time.perf_counter()
    rag.ingest([source])
    noop_s = time.perf_counter() - started
    queries = [" ".join(rng.sample(rng.choice(pool).split(), 5)) for _ in range(SEARCHES)]
    script = SERVE.format(
        root=str(ROOT),
        data=str(settings.data_dir),
        queries=queries,
        ingest=INGEST.format(root=str(ROOT), data=str(settings.data_dir), extra=str(extra)),
    )
    command = [sys.executable, "-X", "faulthandler", "-c", script]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(
            f"the service process failed at {size} papers (exit {done.returncode}):\n"
            f"{done.stdout[-1000:]}\n{done.stderr[-3000:]}"
        )
    served = json.loads(done.stdout.strip().splitlines()[-1])
    disk = sum(p.stat().st_size for p in settings.data_dir.rglob("*") if p.is_file())
    return {
        "papers": size,
        "papers_s": size / ingest_s,
        "chunks_s": report.chunks_embedded / ingest_s,
        "noop_s": noop_s,
        "ready_s": served["ready"],
        "rss_mb": served["rss"],
        "p50_ms": served["p50"] * 1e3,
        "p95_ms": served["p95"] * 1e3,
        "fresh_s": served["fresh"] if served["fresh"] is not None else float("nan"),
        "slowest_ms": served["slowest"] * 1e3,
        "disk_mb": disk / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    sizes = parser.parse_args().sizes
    pool = sentences()
    rows = []
    for size in sizes:
        rows.append(measure(size, pool))
        print(json.dumps(rows[-1]), flush=True)  # kept even if a later size fails
    table = Table(title=f"Scale with the fake embedder ({len(pool)} real sentences sampled)")
    columns = {
        "papers": "{:,.0f}",
        "papers_s": "{:.0f}",
        "chunks_s": "{:.0f}",
        "noop_s": "{:.1f} s",
        "ready_s": "{:.1f} s",
        "rss_mb": "{:.0f} MB",
        "p50_ms": "{:.1f} ms",
        "p95_ms": "{:.1f} ms",
        "fresh_s": "{:.1f} s",
        "slowest_ms": "{:.0f} ms",
        "disk_mb": "{:.0f} MB",
    }
    headers = {
        "papers": "papers",
        "papers_s": "ingest papers/s",
        "chunks_s": "chunks/s",
        "noop_s": "no-op re-ingest",
        "ready_s": "cold start",
        "rss_mb": "RSS serving",
        "p50_ms": "search p50",
        "p95_ms": "search p95",
        "fresh_s": "+100 searchable after",
        "slowest_ms": "slowest search then",
        "disk_mb": "data dir",
    }
    for key in columns:
        table.add_column(headers[key], justify="right")
    for row in rows:
        table.add_row(*(fmt.format(row[key]) for key, fmt in columns.items()))
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        span = last["papers"] - first["papers"]
        grow = {
            k: first[k] + (last[k] - first[k]) * (1_000_000 - first["papers"]) / span
            for k in ("noop_s", "ready_s", "rss_mb", "disk_mb")
        }
        table.add_row(
            "1,000,000 (linear)",
            "",
            "",
            *(columns[k].format(grow[k]) for k in ("noop_s", "ready_s", "rss_mb")),
            *([""] * 4),  # latencies do not grow linearly with the corpus
            columns["disk_mb"].format(grow["disk_mb"]),
        )
    Console(width=200).print(table)


if __name__ == "__main__":
    main()

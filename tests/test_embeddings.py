"""The OpenAI-compatible embedder against a respx-mocked `/embeddings` endpoint."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import pytest
import respx

from rag.config import Settings
from rag.embeddings import OpenAIEmbedder, make_embedder
from rag.errors import RagError

BASE = "http://127.0.0.1:9/v1"


def test_batches_requests_and_normalises_vectors() -> None:
    settings = Settings(
        embedder="openai",
        openai_api_key="sk-test",
        openai_base_url=BASE,
        embed_batch_size=2,
        embed_model="nomic-embed-text",
    )
    seen: list[list[str]] = []

    def reply(request: httpx.Request) -> httpx.Response:
        body = __import__("json").loads(request.content)
        assert body["model"] == "nomic-embed-text"
        assert request.headers["authorization"] == "Bearer sk-test"
        seen.append(body["input"])
        data = [
            {"object": "embedding", "index": i, "embedding": [3.0, 4.0]}
            for i in reversed(range(len(body["input"])))
        ]
        return httpx.Response(
            200,
            json={
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            },
        )

    with respx.mock(assert_all_mocked=True) as router:
        router.post(f"{BASE}/embeddings").mock(side_effect=reply)
        embedder = make_embedder(settings)
        vectors = embedder.embed(["a", "b", "c"])
    assert isinstance(embedder, OpenAIEmbedder)
    assert embedder.identity == "openai:nomic-embed-text"
    assert seen == [["a", "b"], ["c"]]
    np.testing.assert_allclose(vectors, [[0.6, 0.8]] * 3, rtol=1e-6)


def test_batch_size_follows_the_device_unless_set() -> None:
    from rag.embeddings import CPU_BATCH, ENDPOINT_BATCH, LocalEmbedder

    assert LocalEmbedder().batch_size == CPU_BATCH == 8  # measured best on a CPU
    assert LocalEmbedder(batch_size=32).batch_size == 32
    endpoint = Settings(embedder="openai", openai_api_key="sk-test", openai_base_url=BASE)
    assert OpenAIEmbedder(endpoint).batch_size == ENDPOINT_BATCH
    chosen = endpoint.model_copy(update={"embed_batch_size": 100})
    assert OpenAIEmbedder(chosen).batch_size == 100


def test_cores_are_those_this_process_may_run_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.onnx_model import usable_cores

    monkeypatch.setattr("os.cpu_count", lambda: 64)
    monkeypatch.setattr("os.sched_getaffinity", lambda _: {3, 7})  # a pinned container
    assert usable_cores() == 2
    monkeypatch.delattr("os.sched_getaffinity")  # macOS, Windows
    assert usable_cores() == 64


def test_openai_embedder_without_key_or_url_is_a_clear_error() -> None:
    with pytest.raises(RagError, match="OPENAI_API_KEY"):
        make_embedder(Settings(embedder="openai", openai_api_key=None, openai_base_url=None))


def test_embeddings_can_use_their_own_server() -> None:
    """Chat on one OpenAI-compatible server, embeddings on another (e.g. a local TEI)."""
    settings = Settings(
        embedder="openai",
        openai_api_key="sk-chat",
        openai_base_url="http://127.0.0.1:9/v1",
        embed_base_url="http://127.0.0.1:10/v1",
        embed_api_key="ek",
        embed_model="bge-small",
    )
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        chat = router.post("http://127.0.0.1:9/v1/embeddings")
        own = router.post("http://127.0.0.1:10/v1/embeddings").mock(
            return_value=httpx.Response(
                200, json={"data": [{"index": 0, "embedding": [1.0, 0.0]}], "model": "bge-small"}
            )
        )
        make_embedder(settings).embed(["x"])
    assert own.call_count == 1 and chat.call_count == 0
    assert own.calls.last.request.headers["authorization"] == "Bearer ek"


def test_device_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from rag.embeddings import pick_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device("auto") == "cuda" and pick_device("cpu") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert pick_device("auto") == "mps"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert pick_device("auto") == "cpu"
    with pytest.raises(RagError, match="RAG_EMBED_DEVICE=cuda but torch sees no such GPU"):
        pick_device("cuda")


def test_backend_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    from rag import embeddings
    from rag.embeddings import CPU_BACKEND, LocalEmbedder

    monkeypatch.setattr(embeddings, "_gpu_likely", lambda: False)
    assert LocalEmbedder().resolved_backend() == CPU_BACKEND == "onnx"
    assert LocalEmbedder(device="cuda").resolved_backend() == "torch"  # ONNX here is CPU-only
    assert LocalEmbedder(backend="onnx-int8").resolved_backend() == "onnx-int8"
    with pytest.raises(RagError, match="RAG_EMBED_BACKEND=onnx runs on the CPU"):
        LocalEmbedder(backend="onnx", device="cuda").resolved_backend()
    monkeypatch.setattr(embeddings, "_gpu_likely", lambda: True)
    assert LocalEmbedder().resolved_backend() == "torch"
    assert LocalEmbedder(device="cpu").resolved_backend() == "onnx"
    settings = Settings(embed_backend="torch", model_cache="/tmp/elsewhere")
    made = make_embedder(settings)
    assert (made.backend, str(made.model_cache)) == ("torch", "/tmp/elsewhere")


def test_big_ingests_run_in_bf16_where_the_cpu_multiplies_it(monkeypatch, tmp_path) -> None:
    from rag import embeddings
    from rag.embeddings import BULK_MIN_PAPERS, LocalEmbedder

    monkeypatch.setattr(embeddings, "_gpu_likely", lambda: False)
    monkeypatch.setattr(embeddings, "native_bf16", lambda: True)
    main = LocalEmbedder(model_cache=tmp_path)
    assert main.for_ingest(BULK_MIN_PAPERS - 1) is main  # not worth loading torch for
    bulk = main.for_ingest(BULK_MIN_PAPERS)
    assert bulk is not main and bulk.backend == "torch-bf16" and bulk.device == "cpu"
    assert main.for_ingest(50_000) is bulk and main.for_quotes() is not bulk
    main.serve(1, lock_slice=4)
    assert (bulk.threads, bulk.lock_slice, bulk._slots) == (1, 4, main._slots)
    for chosen in ("onnx", "onnx-int8", "torch"):  # a backend the user set is kept
        explicit = LocalEmbedder(backend=chosen)  # type: ignore[arg-type]
        assert explicit.for_ingest(50_000) is explicit
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)  # torch removed
    assert LocalEmbedder().for_ingest(50_000).backend == "auto"
    monkeypatch.undo()
    monkeypatch.setattr(embeddings, "_gpu_likely", lambda: False)
    monkeypatch.setattr(embeddings, "native_bf16", lambda: False)  # bf16 emulated: slower
    plain = LocalEmbedder()
    assert plain.for_ingest(50_000) is plain
    monkeypatch.setattr(embeddings, "_gpu_likely", lambda: True)  # a GPU: torch already
    assert LocalEmbedder().for_ingest(50_000).backend == "auto"
    with pytest.raises(RagError, match="RAG_EMBED_BACKEND=torch-bf16 runs on the CPU"):
        LocalEmbedder(backend="torch-bf16", device="cuda").resolved_backend()


def test_native_bf16_is_read_from_the_cpu_flags(tmp_path) -> None:
    from rag.bf16_model import native_bf16

    def flags(line: str) -> Path:
        path = tmp_path / f"cpuinfo-{len(line)}"
        path.write_text(f"processor\t: 0\nflags\t\t: fpu sse2 {line} avx2\n\n")
        return path

    assert native_bf16(flags("avx512f avx512_bf16 avx512_vnni"))
    assert native_bf16(flags("amx_bf16 amx_tile"))
    assert not native_bf16(flags("avx512f avx512bw avx512_vnni"))  # bf16 would be emulated
    assert not native_bf16(tmp_path / "missing")  # macOS, Windows: no such file


def test_an_onnx_build_that_cannot_run_says_what_to_do(monkeypatch, tmp_path) -> None:
    from rag import onnx_model

    def no_onnx(weights, target):  # type: ignore[no-untyped-def]
        raise ModuleNotFoundError("No module named 'onnx'", name="onnx")

    monkeypatch.setattr(onnx_model, "build_bert_graph", no_onnx)
    with pytest.raises(RagError, match=r"needs onnx .*RAG_EMBED_BACKEND=torch"):
        onnx_model.model_file(tmp_path, "fp32")
    assert not list(tmp_path.rglob("*.onnx"))  # nothing half-built left to be trusted


WITHOUT_TORCH = """
import sys
class NoTorch:  # as if torch, transformers and sentence-transformers were not installed
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("torch", "transformers", "sentence_transformers"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NoTorch())
"""


def test_damaged_model_files_say_what_to_do(monkeypatch, tmp_path) -> None:
    from rag import onnx_model

    weights = tmp_path / "weights"
    weights.mkdir()
    (weights / "config.json").write_text('{"model_type": "bert", "hidden_act": "gelu"}')
    (weights / "model.safetensors").write_bytes(b"\x10" + b"\x00" * 7 + b"not a header")
    monkeypatch.setattr(onnx_model, "_weights", lambda: weights)
    cache = tmp_path / "cache"
    with pytest.raises(RagError, match=r"cannot read the model files .*reinstall gt-all-"):
        onnx_model.model_file(cache, "fp32")
    assert not list(cache.rglob("*.onnx"))


def test_the_cpu_path_ingests_and_searches_without_torch(tmp_path, small_corpus) -> None:
    """With torch unimportable, a fresh model cache gets its ONNX graph written from the
    shipped weights, and an ingest and a search run on it: the CPU path (every ingest and
    service without a GPU) never needs torch."""
    script = (
        WITHOUT_TORCH
        + f"""
from rag.cli import app
app(["ingest", {str(small_corpus)!r}], standalone_mode=False)
app(["search", "robots that learn to grasp", "--json", "-k", "1"], standalone_mode=False)
"""
    )
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(tmp_path / "data"),
        "RAG_MODEL_CACHE": str(tmp_path / "models"),
        "RAG_EMBED_DEVICE": "auto",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"title": "Reinforcement Learning for Robot Grasping"' in done.stdout
    assert [g.name for g in (tmp_path / "models").rglob("*.onnx")] == ["model.onnx"]
    assert "torch" not in done.stderr


def test_without_torch_a_gpu_request_says_what_to_install(monkeypatch, tmp_path) -> None:
    from rag import embeddings
    from rag.embeddings import LocalEmbedder, pick_device
    from rag.onnx_model import OnnxEncoder

    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    assert pick_device("auto") == pick_device("cpu") == "cpu"
    with pytest.raises(RagError, match=r"RAG_EMBED_DEVICE=cuda needs torch .*paper-rag\[torch\]"):
        pick_device("cuda")
    with pytest.raises(RagError, match=r"RAG_EMBED_BACKEND=torch needs torch"):
        _ = LocalEmbedder(backend="torch", device="cpu").model
    # a machine with an NVIDIA driver but no torch: `auto` runs on the CPU, as without one
    monkeypatch.setattr(embeddings, "_gpu_likely", lambda: True)
    automatic = LocalEmbedder(model_cache=tmp_path)
    assert isinstance(automatic.model, OnnxEncoder) and automatic.backend == "onnx"


@pytest.mark.slow
def test_onnx_backends_agree_with_torch_and_build_once(tmp_path) -> None:
    import numpy as np

    from rag.embeddings import LocalEmbedder

    texts = [
        "What is HNSW?",
        "Hierarchical navigable small world graphs give logarithmic search complexity.",
        "We fine-tune quantized networks with zeroth-order optimization; 3.5 hours.",
    ]
    reference = LocalEmbedder(backend="torch").embed(texts)
    fp32 = LocalEmbedder(backend="onnx", model_cache=tmp_path).embed(texts)
    int8 = LocalEmbedder(backend="onnx-int8", model_cache=tmp_path).embed(texts)
    assert np.allclose((fp32 * reference).sum(axis=1), 1.0, atol=1e-5)
    assert ((int8 * reference).sum(axis=1) > 0.98).all()
    bf16 = LocalEmbedder(backend="torch-bf16").embed(texts)
    assert ((bf16 * reference).sum(axis=1) > 0.999).all()
    graphs = sorted(tmp_path.rglob("*.onnx"))
    assert [g.name for g in graphs] == ["model-int8.onnx", "model.onnx"]
    built = graphs[1].stat().st_mtime_ns
    LocalEmbedder(backend="onnx", model_cache=tmp_path).embed(texts[:1])
    assert graphs[1].stat().st_mtime_ns == built  # reused, not rebuilt

    # an ingest-sized call: batches of 8 run side by side, one thread each, and every
    # vector lands back on its own text
    many = [f"{text} Variant {i}." for i in range(7) for text in texts]
    parallel = LocalEmbedder(backend="onnx", model_cache=tmp_path)
    parallel.use_threads(2)
    alone = LocalEmbedder(backend="onnx", model_cache=tmp_path)
    alone.use_threads(1)
    assert parallel.batch_size == 8 and len(many) > 2 * parallel.batch_size
    assert np.allclose(parallel.embed(many), alone.embed(many), atol=1e-5)
    assert np.allclose(parallel.embed(many[:1]), alone.embed(many[:1]), atol=1e-5)
    bulk = LocalEmbedder(backend="torch-bf16")  # side by side too, each text in its place
    assert ((bulk.embed(many) * alone.embed(many)).sum(axis=1) > 0.999).all()


def test_quotes_use_the_int8_sibling_of_onnx_fp32(tmp_path) -> None:
    from rag.embeddings import LocalEmbedder

    main = LocalEmbedder(backend="onnx", device="cpu", model_cache=tmp_path)
    quotes = main.for_quotes()
    assert quotes is not main and quotes.backend == "onnx-int8"
    assert quotes.model_cache == tmp_path and main.for_quotes() is quotes
    main.serve(1, lock_slice=4)
    assert (quotes.threads, quotes.lock_slice) == (1, 4)  # served like the main model
    assert quotes._slots is main._slots  # the cores are shared, whichever model runs
    torch_backed = LocalEmbedder(backend="torch")
    assert torch_backed.for_quotes() is torch_backed  # GPUs: one model for everything


def test_serving_runs_as_many_embedding_calls_at_once_as_fit_the_cores(monkeypatch) -> None:
    import threading
    import time

    from rag.embeddings import LocalEmbedder

    monkeypatch.setattr("os.sched_getaffinity", lambda _: {0, 1, 2, 3})
    running, peak, guard = 0, 0, threading.Lock()

    class SlowModel:  # a sentence-transformers-like model that records overlapping calls
        def encode(self, texts, **_):  # type: ignore[no-untyped-def]
            nonlocal running, peak
            with guard:
                running += 1
                peak = max(peak, running)
            time.sleep(0.05)
            with guard:
                running -= 1
            return np.ones((len(texts), 384), dtype=np.float32)

    def peak_of(embedder: LocalEmbedder) -> int:
        nonlocal peak
        peak = 0
        embedder.__dict__["model"] = SlowModel()  # the loaded model (a cached property)
        calls = [threading.Thread(target=embedder.embed, args=(["q"],)) for _ in range(8)]
        for call in calls:
            call.start()
        for call in calls:
            call.join()
        return peak

    ingest = LocalEmbedder(backend="torch", device="cpu")
    assert peak_of(ingest) == 1  # a call may use every core: one at a time
    served = LocalEmbedder(backend="torch", device="cpu")
    served.serve(2)
    assert peak_of(served) == 2  # 4 cores, 2 threads per call

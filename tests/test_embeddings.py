"""The OpenAI-compatible embedder against a respx-mocked `/embeddings` endpoint."""

from __future__ import annotations

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

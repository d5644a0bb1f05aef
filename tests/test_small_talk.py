"""Greetings, thanks and "what can you do?" are answered with what the bot does."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.paper_rag import PaperRAG
from rag.small_talk import small_talk_reply
from tests.fakes import FakeLLM, HashEmbedder, fake_index

TITLES = ["KAN: Kolmogorov-Arnold Networks", "A Survey of Things", "HNSW: Graphs for Search"]


@pytest.mark.parametrize(
    "message", ["hi", "Hello there!", "what can you do?", "help", "How many papers do you have?"]
)
def test_a_greeting_or_a_request_for_help_says_what_to_ask(message: str) -> None:
    reply = small_talk_reply(message, 1234, TITLES)
    assert reply is not None and "1,234 paper abstracts" in reply
    assert "\u201cWhat is KAN?\u201d, \u201cWhat is HNSW?\u201d" in reply  # from the index


@pytest.mark.parametrize(
    "message",
    [
        "What is HNSW?",
        "what can you do with KANs?",
        "hi-res image synthesis",
        "hello world programs",
    ],
)
def test_questions_are_not_small_talk(message: str) -> None:
    assert small_talk_reply(message, 3, TITLES) is None


async def test_small_talk_is_not_searched_nor_sent_to_the_llm(tmp_path: Path) -> None:
    rows = [{"title": TITLES[0], "abstract": "We propose KANs with learnable activations " * 3}]
    settings, _ = fake_index(tmp_path, rows, "talk")
    llm = FakeLLM("never used [1].")
    rag = PaperRAG.open(settings, embedder=HashEmbedder(), llm=llm)
    hello = await rag.answer("hi")
    assert (
        not hello.abstained
        and not hello.citations
        and "the 1 paper abstract indexed" in hello.answer
    )
    thanks = await rag.answer("thanks!")
    assert thanks.answer.startswith("You're welcome") and not llm.prompts

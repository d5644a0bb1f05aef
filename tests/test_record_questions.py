"""Questions a paper's record answers ("who wrote KAN?", "when was it published?"): read,
answered from the record of the paper they name, refused when no paper is that one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.answering import RECORD_NOTE, Answer, Message
from rag.paper_rag import PaperRAG
from rag.record_questions import record_question
from tests.fakes import FakeLLM, HashEmbedder, fake_index

ROWS = [
    {
        "title": "KAN: Kolmogorov-Arnold Networks",
        "abstract": "Inspired by the Kolmogorov-Arnold representation theorem, we propose "
        "Kolmogorov-Arnold Networks (KAN) as alternatives to multi-layer perceptrons, with "
        "learnable activation functions on edges and splines instead of linear weights.",
        "authors": ["Ziming Liu", "Max Tegmark"],
        "date": "2024-04-30",
    },
    {
        "title": "D-KAN: Dynamic Kolmogorov-Arnold Networks for Time Series",
        "abstract": "We introduce D-KAN, which extends KAN to time series forecasting with "
        "dynamic spline grids, and compare it with recurrent networks on ten benchmarks.",
        "authors": ["Ann Other"],
        "date": "2024-09-01",
    },
    {
        "title": "Batch Normalization: Accelerating Deep Network Training",
        "abstract": "Training deep networks is slowed by shifting layer input distributions; "
        "normalizing each mini-batch of layer inputs fixes this and allows higher learning "
        "rates, reaching the same accuracy with fourteen times fewer training steps.",
        "authors": ["Sergey Ioffe", "Christian Szegedy"],
        "date": "2015",
    },
    {
        "title": "Layer Normalization for Recurrent Networks",
        "abstract": "A recently introduced technique called batch normalization depends on "
        "the mini-batch; we normalize over the summed inputs of each layer instead, which "
        "works for recurrent networks and at batch size one, and speeds up training.",
        "authors": ["Jimmy Ba [2]", "Geoffrey Hinton"],
        "date": "2016-07",
    },
    {
        "title": "Parallel Low-Rank Adapters for Pretraining [3]",
        "abstract": "Methods like low-rank adaptation (LoRA) made finetuning cheap; we extend "
        "low-rank adapters to pretraining by training several of them in parallel on "
        "separate workers and merging them, matching full pretraining at lower memory.",
        "date": "2024-02-01",
    },
]


@pytest.fixture
def rag(tmp_path: Path) -> PaperRAG:
    settings, _ = fake_index(tmp_path, ROWS, "records")
    return PaperRAG.open(settings, embedder=HashEmbedder())


@pytest.mark.parametrize(
    ("question", "field", "term"),
    [
        ("Who wrote the KAN paper?", "authors", "KAN"),
        ("who authored KAN?", "authors", "KAN"),
        ("Who are the authors of Potfit?", "authors", "Potfit"),
        ("authors of the paper on batch normalization", "authors", "batch normalization"),
        ("Who are KAN's authors?", "authors", "KAN"),
        ("who are its authors?", "authors", "it"),
        ("When was KAN published?", "date", "KAN"),
        ("What year was the potfit program released?", "date", "potfit program"),
        ("when did the HNSW paper come out?", "date", "HNSW"),
        (
            'the publication date of "Attention Is All You Need"',
            "date",
            "Attention Is All You Need",
        ),
    ],
)
def test_questions_about_a_record_are_read_with_the_paper_they_name(
    question: str, field: str, term: str
) -> None:
    asked = record_question(question)
    assert asked is not None and (asked.field, asked.term) == (field, term)


@pytest.mark.parametrize(
    "question", ["Who proposed Adam?", "What is KAN?", "When was dropout useful?", "who wrote"]
)
def test_other_questions_are_not_about_a_record(question: str) -> None:
    assert record_question(question) is None


def _checked(answer: Answer, rag: PaperRAG) -> None:
    """Answered from the record, with one verbatim quote per citation and no marker of
    the record's own text left as one."""
    assert not answer.abstained and answer.answer.startswith(RECORD_NOTE)
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers == {c.n for c in answer.citations}
    for citation in answer.citations:
        assert citation.quote in rag.paper(citation.paper_id).abstract


async def test_who_wrote_a_paper_is_answered_from_its_record(rag: PaperRAG) -> None:
    answer = await rag.answer("Who wrote the KAN paper?")
    _checked(answer, rag)
    assert "is by Ziming Liu and Max Tegmark." in answer.answer
    assert [c.title for c in answer.citations] == ["KAN: Kolmogorov-Arnold Networks"]
    assert answer.citations[0].quote.startswith("Inspired by")  # where it is introduced
    derived = await rag.answer("who wrote D-KAN?")  # KAN is not the KAN of "D-KAN"
    assert "is by Ann Other." in derived.answer


async def test_when_a_paper_appeared_keeps_its_sources_precision(rag: PaperRAG) -> None:
    assert "is dated 2024-04-30." in (await rag.answer("When was KAN published?")).answer
    year_only = await rag.answer("What year was the batch normalization paper published?")
    _checked(year_only, rag)
    assert "is dated 2015." in year_only.answer  # not 2015-01-01


async def test_a_named_technique_in_another_abstract_does_not_name_the_paper(
    rag: PaperRAG,
) -> None:
    """ "a recently introduced technique called batch normalization" is a mention."""
    answer = await rag.answer("Who wrote the paper on batch normalization?")
    assert "Sergey Ioffe and Christian Szegedy" in answer.answer
    assert "Hinton" not in answer.answer


async def test_what_a_record_lacks_is_said_not_guessed(rag: PaperRAG) -> None:
    answer = await rag.answer("Who wrote Parallel Low-Rank Adapters for Pretraining?")
    _checked(answer, rag)
    assert "names no authors" in answer.answer
    assert "(3)" in answer.answer  # the title's own "[3]" is no citation marker


async def test_record_text_cannot_forge_a_citation(rag: PaperRAG) -> None:
    answer = await rag.answer("Who are the authors of Layer Normalization for Recurrent Networks?")
    _checked(answer, rag)
    assert "Jimmy Ba (2) and Geoffrey Hinton" in answer.answer


@pytest.mark.parametrize("question", ["Who wrote the LoRA paper?", "Who wrote Hamlet?"])
async def test_no_paper_of_that_name_is_an_abstention(rag: PaperRAG, question: str) -> None:
    """LoRA is used by one abstract, introduced by none: its users did not write it."""
    answer = await rag.answer(question)
    assert answer.abstained and not answer.citations


async def test_with_an_llm_the_record_still_answers_and_the_llm_is_not_called(
    tmp_path: Path,
) -> None:
    """The LLM would read the same record from the source header (ten authors at most);
    a question the record does not settle still goes to it."""
    settings, _ = fake_index(tmp_path, ROWS, "records-llm")
    llm = FakeLLM("Several papers use low-rank adapters [1].")
    rag = PaperRAG.open(settings, embedder=HashEmbedder(), llm=llm)
    answer = await rag.answer("Who wrote the KAN paper?")
    _checked(answer, rag)
    assert "Ziming Liu and Max Tegmark" in answer.answer and not llm.prompts
    assert answer.mode == "extractive" and answer.model is None
    await rag.answer("Who wrote the paper on splines?")  # KAN uses them; no title names them
    assert llm.prompts


@pytest.mark.parametrize(
    ("before", "follow_up", "expected"),
    [
        ("What is KAN?", "who are its authors?", "is by Ziming Liu and Max Tegmark."),
        # "Who wrote KAN?" has no term `asked_term` reads; the record question has one
        ("Who wrote the KAN paper?", "and when was it published?", "is dated 2024-04-30."),
    ],
)
async def test_a_follow_up_asks_about_the_paper_asked_about_before(
    rag: PaperRAG, before: str, follow_up: str, expected: str
) -> None:
    history = [
        Message(role="user", content=before),
        Message(role="assistant", content="KAN puts learnable activations on edges [1]."),
    ]
    answer = await rag.answer(follow_up, history=history)
    _checked(answer, rag)
    assert expected in answer.answer

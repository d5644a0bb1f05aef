"""Questions comparing two things: told from others, and answered side by side."""

from __future__ import annotations

import pytest

from rag.comparisons import compared_sides
from rag.paper_rag import PaperRAG
from tests.fakes import FakeLLM, HashEmbedder, fake_index
from tests.test_relevance import PAPERS


@pytest.fixture(scope="module")
def papers_index(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    rows = [{"title": t, "abstract": a} for t, a in PAPERS]
    return fake_index(tmp_path_factory.mktemp("comparisons"), rows, "comparisons")


@pytest.mark.parametrize(
    ("question", "sides"),
    [
        ("HNSW vs SPANN", ("HNSW", "SPANN")),
        ("cats vs. dogs", ("cats", "dogs")),
        ("compare Adam and AMSGrad", ("Adam", "AMSGrad")),
        ("What is the difference between KAN and XNet?", ("KAN", "XNet")),
        ("differences between the SPANN paper and HNSW", ("SPANN paper", "HNSW")),
        ("How does Lion compare to Adam?", ("Lion", "Adam")),
        ("How do SPANN and HNSW differ?", ("SPANN", "HNSW")),
        ("Which is better, Adam or SGD?", ("Adam", "SGD")),
        ("MobileOne or EfficientDet: which is faster?", ("MobileOne", "EfficientDet")),
        ("What is HNSW?", None),
        ("papers on grokking?", None),
        ("HNSW vs HNSW", None),
        ("RUNX1 is downregulated or mutated in TLX1 T-ALL.", None),  # a claim, not a question
        (
            "Has maximal-update parametrization been extended beyond plain SGD, e.g. to Adam, "
            "second-order optimizers, or learned optimizers?",
            None,
        ),
        ("what are the pros and cons of HNSW", None),
    ],
)
def test_the_two_things_a_question_compares(question: str, sides: tuple[str, str] | None) -> None:
    assert compared_sides(question) == sides


async def test_a_comparison_is_answered_from_a_paper_on_each_side(papers_index) -> None:
    """No paper covers both HNSW and KAN: asked as one query, the question was answered
    from the KAN paper alone. Each side is answered by the paper defining it, and a side
    no paper covers leaves the question to the usual decision (refused here)."""
    _, rag = papers_index
    answer = await rag.answer("HNSW vs KAN")
    assert not answer.abstained, answer.answer
    titles = [c.title for c in answer.citations]
    assert titles[0].startswith("Efficient and robust approximate nearest neighbor")
    assert titles[1] == "KAN: Kolmogorov-Arnold Networks"
    lines = [line for line in answer.answer.splitlines() if line.startswith("- ")]
    assert lines[0].startswith("- We present a new approach") and lines[0].endswith("[1]")
    assert any("we propose Kolmogorov-Arnold Networks" in line for line in lines)
    for citation in answer.citations:
        assert citation.quote in rag.paper(citation.paper_id).abstract

    assert (await rag.answer("HNSW vs sourdough")).abstained  # one side answers nothing
    assert (await rag.answer("cats vs dogs")).abstained


async def test_an_llm_is_sent_both_sides_of_a_comparison(papers_index) -> None:
    settings, _ = papers_index
    llm = FakeLLM("HNSW builds proximity graphs [1]; KANs learn spline activations [2].")
    rag = PaperRAG.open(settings, embedder=HashEmbedder(), llm=llm)
    answer = await rag.answer("compare HNSW and KAN")
    sent = llm.prompts[0][1]["content"]
    assert "Hierarchical Navigable Small World" in sent and "KAN: Kolmogorov-Arnold" in sent
    assert not answer.abstained and len(answer.citations) == 2

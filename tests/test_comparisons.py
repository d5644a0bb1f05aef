"""Questions comparing two things, told from others (answered side by side: `test_relevance`)."""

from __future__ import annotations

import pytest

from rag.comparisons import compared_sides


@pytest.mark.parametrize(
    ("question", "sides"),
    [
        ("HNSW vs SPANN", ("HNSW", "SPANN")),
        ('"HNSW" vs (SPANN)', ("HNSW", "SPANN")),
        ("[" * 2000, None),  # linear: 110 ms with a leading \W* (quadratic backtracking)
        ("cats vs. dogs", ("cats", "dogs")),
        ("compare Adam and AMSGrad", ("Adam", "AMSGrad")),
        ("What is the difference between KAN and XNet?", ("KAN", "XNet")),
        ("differences between the SPANN paper and HNSW", ("SPANN paper", "HNSW")),
        ("How does Lion compare to Adam?", ("Lion", "Adam")),
        ("How do SPANN and HNSW differ?", ("SPANN", "HNSW")),
        ("Which is better, Adam or SGD?", ("Adam", "SGD")),
        ("MobileOne or EfficientDet: which is faster?", ("MobileOne", "EfficientDet")),
        ("What is HNSW and what is KAN?", ("HNSW", "KAN")),  # two questions in one
        ("what's Adam, and what's Adafactor?", ("Adam", "Adafactor")),
        ("What is HNSW and how does it work?", None),
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


def test_a_compared_follow_up_names_what_it_points_at() -> None:
    """ "What is HNSW?", then "how does it compare to SPANN?": without an LLM to rewrite
    it, "it" is the topic of the previous question (joined to it, it was refused)."""
    from rag.answering import Message, condense_rule

    history = [Message(role="user", content="What is HNSW?")]
    assert condense_rule("how does it compare to SPANN?", history) == "HNSW vs SPANN"
    assert condense_rule("compare SPANN with this method", history) == "SPANN vs HNSW"
    assert condense_rule("and SPANN?", history) == "What is HNSW? and SPANN?"
    assert condense_rule("how does it compare to SPANN?", [
        Message(role="user", content="Which papers study NER?")
    ]) == "NER vs SPANN"  # fmt: skip
    unnamed = [Message(role="user", content="How small are networks made by meta networks?")]
    assert condense_rule("how does it compare to SPANN?", unnamed).startswith("How small")


def test_each_side_leads_with_its_best_paper_then_all_by_relevance() -> None:
    from rag.comparisons import merged
    from rag.retrieval import SearchResult

    def result(paper_id: str, relevance: float) -> SearchResult:
        return SearchResult(1, paper_id, paper_id, 1.0, None, "", 0.4, 0.0, 0.0, relevance)

    hnsw = [result("impacts", 0.75), result("noise-a", 0.04), result("hnsw", 0.82)]
    spann = [result("spann", 0.81), result("noise-b", -0.10), result("impacts", 0.6)]
    assert [r.paper_id for r in merged([hnsw, spann])] == [
        "impacts", "spann", "hnsw", "noise-a", "noise-b"
    ]  # fmt: skip

"""Questions comparing two things, told from others (answered side by side: `test_relevance`)."""

from __future__ import annotations

import pytest

from rag.comparisons import compared_sides


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

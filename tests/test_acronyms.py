"""Acronyms read as the papers define them: the definitions found, the meanings told
apart, and a question read by the meaning its other words go with."""

from __future__ import annotations

import pytest

from rag.acronyms import defined_as, long_form, meanings
from tests.fakes import fake_index

ARTIFICIAL = [
    (
        "Optimizing Neural Network Hyperparameters for Dialog Act Classification",
        "Artificial neural networks (ANNs) classify dialog acts well, but an ANN has many "
        "hyperparameters, chosen by grid or random search. We tune the ANN hyperparameters "
        "with Gaussian processes and report the ANN accuracy on two dialog act corpora.",
    ),
    (
        "Pruning Artificial Neural Networks for Tabular Data",
        "We prune an artificial neural network (ANN) trained on tabular data. The pruned "
        "ANN keeps its accuracy with a tenth of its weights, and ANN training is faster.",
    ),
]
APPROXIMATE = [
    (
        "Efficient and robust approximate nearest neighbor search using Hierarchical "
        "Navigable Small World graphs",
        "We present a new approach for approximate nearest neighbor search based on "
        "navigable small world graphs with controllable hierarchy. The search starts from "
        "the upper layer of a multi-layer graph and descends greedily.",
    ),
    (
        "Filtered Vector Search at Scale",
        "Approximate nearest neighbour (ANN) search answers vector queries in large "
        "collections. We add attribute filters to ANN search and keep its recall.",
    ),
    (
        "Quantized Indexes for Billion-Scale Vector Retrieval",
        "Approximate nearest neighbor (ANN) indexes over billions of vectors must be "
        "compact. We quantize the vectors and search an ANN index kept on disk.",
    ),
]
OTHERS = [
    (
        "Graph Neural Networks for Molecules",
        "We learn molecular properties with graph neural networks that pass messages "
        "between atoms, and search the space of molecules for better candidates.",
    ),
]


def test_a_long_form_is_the_words_the_letters_begin() -> None:
    assert long_form("ANN", "we study approximate nearest neighbor") == (
        "approximate nearest neighbor"
    )
    assert long_form("KNN", "a classifier based on k-nearest neighbors") == "k-nearest neighbors"
    assert long_form("SSL", "pretrained with self-supervised learning") == (
        "self-supervised learning"
    )
    assert long_form("LoRA", "fine-tuned with Low-Rank Adaptation") == "Low-Rank Adaptation"
    assert long_form("GS", "on dense Graphs") is None  # one word holding the letters
    assert long_form("XYZ", "approximate nearest neighbor") is None


def test_definitions_are_read_either_way_round_and_in_the_plural() -> None:
    text = (
        "Artificial neural networks (ANNs; also nets) are common. Our ANN (artificial "
        "neural network) is small. The ANN (see Section 2 for approximate nearest "
        "neighbors) is not defined here."
    )
    assert defined_as(text, "ANN") == ["Artificial neural networks", "artificial neural network"]


def test_spellings_of_one_meaning_are_one_and_other_meanings_apart(tmp_path) -> None:
    _, rag = fake_index(tmp_path, [{"title": "t", "abstract": "neural networks " * 8}], "m")
    keyword = rag.retriever.snapshot().keyword
    found = meanings(
        keyword,
        [
            ("a", "artificial neural networks"),
            ("b", "approximate nearest neighbour"),
            ("c", "approximate nearest neighbor search"),
            ("d", "artificial neural network"),
            ("e", "artificial neural network"),
        ],
    )
    assert [m.papers for m in found] == [("a", "d", "e"), ("b", "c")]
    assert found[1].forms == (
        "approximate nearest neighbour",
        "approximate nearest neighbor search",
    )


@pytest.fixture(scope="module")
def acronym_index(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    rows = [{"title": t, "abstract": a} for t, a in ARTIFICIAL + APPROXIMATE + OTHERS]
    return fake_index(tmp_path_factory.mktemp("acronyms"), rows, "acronyms")


@pytest.mark.parametrize(
    ("question", "meant", "not_meant"),
    [
        ("ANN search", APPROXIMATE, ARTIFICIAL),
        ("ANN search with graphs", APPROXIMATE, ARTIFICIAL),
        ("What is graph-based ANN search?", APPROXIMATE, ARTIFICIAL),
        ("ANNs for dialog act classification", ARTIFICIAL, APPROXIMATE),
        ("pruning an ANN", ARTIFICIAL, APPROXIMATE),
    ],
)
def test_an_acronym_is_read_as_the_meaning_the_question_goes_with(
    acronym_index, question: str, meant: list[tuple[str, str]], not_meant: list[tuple[str, str]]
) -> None:
    """The HNSW paper never writes "ANN", and a paper on artificial neural networks
    writes it five times and "random search" too: "ANN search" lists the papers on
    search first all the same (read as typed, both papers on artificial neural networks
    came before the HNSW paper; over the bundled abstracts "ANN search with graphs"
    opened with one)."""
    _, rag = acronym_index
    titles = [result.title for result in rag.search(question, k=len(ARTIFICIAL + APPROXIMATE))]
    meant_titles, other_titles = {t for t, _ in meant}, {t for t, _ in not_meant}
    assert titles[0] in meant_titles
    assert max(titles.index(t) for t in meant_titles if t in titles) < min(
        titles.index(t) for t in other_titles if t in titles
    ), titles


async def test_an_acronym_with_nothing_to_go_by_is_read_as_typed(acronym_index) -> None:
    """ "What is ANN?" fits both meanings: it is answered, from papers writing "ANN"."""
    _, rag = acronym_index
    topic = rag.retriever.topic(rag.retriever.snapshot(), "What is ANN?")
    assert not topic.compounds
    answer = await rag.answer("What is ANN?")
    assert not answer.abstained
    assert "ANN" in answer.citations[0].quote
    assert answer.warnings[0] == (  # and the user is told it means two things here
        '"ANN": the papers here use it for "artificial neural networks" and "approximate '
        'nearest neighbour"; say which you mean'
    )


async def test_the_reading_of_an_acronym_is_told(acronym_index) -> None:
    _, rag = acronym_index
    answer = await rag.answer("ANN search")
    assert answer.warnings[0] == (
        'Read "ANN" as "approximate nearest neighbour": papers here also use it for '
        '"artificial neural networks"'
    )
    assert answer.citations[0].title in {title for title, _ in APPROXIMATE}


def test_an_acronym_the_question_defines_or_a_name_holds_is_read_as_typed(acronym_index) -> None:
    _, rag = acronym_index
    retriever = rag.retriever
    for question in ("artificial neural network (ANN) search", "G-ANN search", "P/ANN search"):
        assert not retriever.topic(retriever.snapshot(), question).compounds, question


def test_papers_writing_only_the_plural_define_a_meaning_too(tmp_path) -> None:
    """The stemmer keeps the "s" of "SNNs" (no vowel): papers writing only "SNNs" hold
    another term than "SNN", and their meaning was missed."""
    rows = [
        (
            "Spiking Neural Networks on Chips",
            "Spiking neural networks (SNNs) compute with "
            "spikes. SNNs run on neuromorphic chips and use little energy.",
        ),
        (
            "Training Spiking Networks",
            "Spiking neural networks (SNNs) are hard to train. We "
            "train SNNs with surrogate gradients and cut their energy use.",
        ),
        (
            "Sparse Neural Network Pruning",
            "A sparse neural network (SNN) keeps few weights "
            "after pruning. We prune each SNN layer by weight magnitude.",
        ),
        (
            "Lottery Tickets in Sparse Networks",
            "Sparse neural networks (SNN) found by pruning "
            "train as well as dense ones. We prune the SNN again and again.",
        ),
    ]
    _, rag = fake_index(tmp_path, [{"title": t, "abstract": a} for t, a in rows], "plural")
    retriever = rag.retriever
    for question, meaning in (("SNN energy use", "spiking"), ("SNN pruning", "sparse")):
        (unit,) = retriever.topic(retriever.snapshot(), question).compounds
        assert unit.meaning.startswith(meaning), question  # type: ignore[union-attr]
        assert rag.search(question, k=1)[0].title.lower().startswith(meaning), question

"""A word papers write both joined and as two words ("finetuning", "fine-tuning", "fine
tuning") is one word to search: `Retriever.spelled_both_ways`, `rag.keyword.Spelling`; so
is a word and its other forms that stemmers keep apart (British and American spellings,
"-ity" nouns): `rag.keyword.variants`.

Keyword mode on a fake-embedder index: relevance is then coverage alone, so the figures
below are what the spelling rule makes of each paper's words."""

from __future__ import annotations

import pytest

from rag.keyword import variants
from rag.paper_rag import PaperRAG
from rag.retrieval import Retriever, _writes_apart
from tests.fakes import fake_index

ROWS = [
    {
        "title": "Cheap Finetuning of Large Models",
        "abstract": "Finetuning every weight of a large model is costly. We finetune only "
        "the biases and match full finetuning on eight benchmarks.",
    },
    {
        "title": "Low-Rank Adapters for Language Models",
        "abstract": "Fine-tuning large language models is memory hungry. Adapters of low "
        "rank make fine-tuning fit on one consumer graph card.",
    },
    {
        "title": "Grid Search Revisited",
        "abstract": "Fine grids waste compute. Hyperparameter tuning by random search finds "
        "good settings with fewer trials than a fine grid.",
    },
    {
        "title": "Transformers Without Softmax",
        "abstract": "Self-attention weighs every token against every other. We replace the "
        "softmax of self-attention by a linear kernel.",
    },
    {
        "title": "Casting a Wide Net",
        "abstract": "A wide net; our work shows that wider networks generalise, and the "
        "networks we train need no regularisation.",
    },
]

FINETUNING = {"Cheap Finetuning of Large Models", "Low-Rank Adapters for Language Models"}


@pytest.fixture(scope="module")
def rag(tmp_path_factory: pytest.TempPathFactory) -> PaperRAG:
    return fake_index(tmp_path_factory.mktemp("spellings"), ROWS, "spellings")[1]


@pytest.mark.parametrize(
    "question", ["What is finetuning?", "What is fine-tuning?", "papers on fine tuning"]
)
def test_each_spelling_finds_the_papers_writing_any_other(rag: PaperRAG, question) -> None:
    """Read as typed, "finetuning" found only the paper writing it so, "fine-tuning"
    ranked first the one writing both words and the grid-search paper writing "fine
    grids" and "tuning" covered it as fully."""
    results = rag.search(question, k=5, mode="keyword")
    assert {r.title for r in results[:2]} == FINETUNING
    assert all(r.relevance == 1.0 for r in results[:2])
    grid = next(r for r in results if r.title == "Grid Search Revisited")
    assert grid.relevance < 0.5


def test_a_joined_word_the_index_lacks_is_read_as_the_two_words_papers_write(
    rag: PaperRAG,
) -> None:
    """ "selfattention" is in no paper; "self-attention" is: it was refused."""
    first = rag.search("What is selfattention?", k=3, mode="keyword")[0]
    assert (first.title, first.relevance) == ("Transformers Without Softmax", 1.0)


def test_a_word_splitting_into_words_no_paper_writes_apart_stays_one_word(
    rag: PaperRAG,
) -> None:
    """ "networks" splits into "net" and "works", both indexed; "net; our work" is no
    way of writing "networks" (the punctuation between), so nothing changes."""
    snap = rag.retriever.snapshot()
    topic = snap.keyword.query_terms("wider networks")
    assert Retriever.spelled_both_ways(snap, "wider networks", topic) == topic
    spelled = Retriever.spelled_both_ways(
        snap, "What is fine tuning?", snap.keyword.query_terms("What is fine tuning?")
    )
    assert [(s.first, s.second) for s in spelled.spellings] == [("fine", "tun")]


def test_a_phrase_holding_a_spelling_is_one_phrase_however_typed(tmp_path) -> None:
    """ "realtime rendering" (no paper writes "realtime") was answered from a paper
    holding "real-time" and "rendering" apart, while "real-time rendering" was refused
    as a phrase no paper writes; both are that phrase now (`_as_indexed`), answered
    once a paper writes it."""
    apart = {
        "title": "Real-Time Inference on Phones",
        "abstract": "We run real-time inference of detectors on phones. Rendering of the "
        "boxes happens on the device after detection.",
    }
    written = {
        "title": "Neural Scene Rendering",
        "abstract": "Our method enables real-time rendering of scenes from sparse views. "
        "A small network predicts colour and density, and a cache of its outputs keeps "
        "every frame under ten milliseconds.",
    }
    questions = ("What is realtime rendering?", "What is real-time rendering?")
    _, rag = fake_index(tmp_path, [*ROWS, apart], "apart")
    assert [rag.search(q, k=3, mode="keyword")[0].relevance for q in questions] == [0.0, 0.0]
    _, rag = fake_index(tmp_path, [*ROWS, apart, written], "written")
    found = [rag.search(q, k=3, mode="keyword")[0] for q in questions]
    assert [(r.title, r.relevance) for r in found] == [("Neural Scene Rendering", 1.0)] * 2


@pytest.mark.parametrize(
    "question",
    ["What is hyper-parameter tuning?", "What is hyper-paramter tuning?"],
)
def test_a_phrase_is_written_with_its_spelling_either_way_and_its_typo_undone(
    tmp_path, question: str
) -> None:
    """ "hyper-parameter tuning" is written where a paper writes "hyperparameter tuning"
    (`_phrase_forms`); read as typed it was a phrase no paper writes (the other paper
    holds "hyper" and "parameter" apart). With a typo in it, the rules that read words
    read the corrected one (`read_as_corrected`)."""
    apart = {
        "title": "Hyper Networks Predict Weights",
        "abstract": "A hyper network predicts every parameter of a target network, and "
        "the parameter count of the target shrinks tenfold after tuning the predictor.",
    }
    _, rag = fake_index(tmp_path, [*ROWS, apart], "apart")
    first = rag.search(question, k=3, mode="keyword")[0]
    assert (first.title, first.relevance) == ("Grid Search Revisited", 1.0)


FORMS_ROWS = [
    {
        "title": "A Curvature View of Training Instability",
        "abstract": "Training instability in deep networks follows the sharpness of the "
        "loss. Warmup keeps the sharpness low and the training stable.",
    },
    {
        "title": "Pruning at Initialization",
        "abstract": "Sparsity chosen before training matches dense accuracy: we prune "
        "nine weights in ten at initialization.",
    },
    {
        "title": "Labels Are Expensive",
        "abstract": "Supervised learning needs labels for every training example; we "
        "train with labels for one example in a hundred.",
    },
    {
        "title": "Batch Normalization Revisited",
        "abstract": "Batch normalization rescales each layer's activations by their batch "
        "statistics; we show why it lets networks train with larger learning rates.",
    },
    {
        "title": "Kernel Machines, Deep and Convolutional",
        "abstract": "Deep kernel machines stack kernels as networks stack layers. We add "
        "a normalisation of the Gram matrix and train them at the scale of networks.",
    },
    {
        "title": "Who Gets Labelled",
        "abstract": "Annotators prejudiced against a dialect label the posts of its "
        "speakers as toxic more often than other posts; we measure how often, in four "
        "datasets of hate speech.",
    },
]


@pytest.mark.parametrize(
    ("word", "forms"),
    [
        ("normalisation", {"normalization"}),
        ("optimizers", {"optimisers"}),
        ("analysed", {"analyzed"}),
        ("behaviour", {"behavior"}),
        ("neighbors", {"neighbours"}),
        ("unstable", {"instability"}),
        ("instability", {"unstable"}),
        ("stable", {"stability"}),
        ("stability", {"stable"}),
        ("sparse", {"sparsity"}),
        ("sparsity", {"sparse"}),
    ],
)
def test_the_forms_stemmers_keep_apart(word: str, forms: set[str]) -> None:
    assert set(variants(word)) >= forms


@pytest.mark.parametrize("word", ["unit", "pare", "ce", "four", "size"])
def test_a_short_word_has_no_other_forms(word: str) -> None:
    """Not "init" from "unit", nor "parity" from "pare", "city" from "ce", "for" from
    "four", "sise" from "size"."""
    assert variants(word) == []


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("Why is training unstable?", "A Curvature View of Training Instability"),
        ("sparse weights at initialisation", "Pruning at Initialization"),
        ("What is batch normalisation?", "Batch Normalization Revisited"),
    ],
)
def test_a_word_finds_the_papers_writing_another_form_of_it(
    tmp_path, question: str, title: str
) -> None:
    """ "unstable" and "instability" stem to "unstabl" and "instabl", "sparse" and
    "sparsity" to "spars" and "sparsiti", "normalisation" and "normalization" to
    "normalis" and "normal": "what makes deep learning training unstable" opened with
    papers holding "unstable" anywhere, not with the paper on training instability, and
    "What is batch normalisation?" with a kernel paper writing "normalisation"."""
    _, rag = fake_index(tmp_path, FORMS_ROWS, "forms")
    first = rag.search(question, k=3, mode="keyword")[0]
    assert (first.title, first.relevance) == (title, 1.0)


def test_a_negated_word_is_not_the_word_it_negates(tmp_path) -> None:
    """Only "un" and "in" are exchanged: "unsupervised" is never "supervised"."""
    _, rag = fake_index(tmp_path, FORMS_ROWS, "negated")
    snap = rag.retriever.snapshot()
    assert not snap.keyword.query_terms("What is unsupervised learning?").variants
    labels = next(r for r in rag.search("unsupervised learning", k=3, mode="keyword"))
    assert labels.relevance < 0.5


def test_another_form_must_be_one_the_papers_write(tmp_path) -> None:
    """ "prejudicity" stems as "prejudiced" does ("prejud"), but no paper writes it: "Who
    wrote Pride and Prejudice?" passed SciFact's pre-LLM gate through it."""
    _, rag = fake_index(tmp_path, FORMS_ROWS, "written")
    snap = rag.retriever.snapshot()
    prejudiced = snap.keyword.indexed_word("prejudiced")
    assert prejudiced is not None and snap.keyword.indexed_word("prejudicity") == prejudiced
    assert not snap.keyword.query_terms("Who wrote Pride and Prejudice?").variants


def test_a_word_with_other_forms_weighs_as_its_commonest_form(tmp_path) -> None:
    """A few papers writing "optimiser" made "optimizer" weigh as that rare form, and
    outweigh the name in "What is the Lion optimizer?" (the kind set's answers cited two
    more papers of no gold)."""
    rows = [
        {
            "title": f"Optimizer Study {n}",
            "abstract": f"We tune the optimizer of model {n} and compare every optimizer "
            "on image classification, language modelling and speech recognition tasks.",
        }
        for n in range(4)
    ] + [
        {
            "title": "A British Optimiser",
            "abstract": "Our optimiser uses signs of momentum, and the optimiser matches "
            "AdamW on vision transformers with a third of its memory.",
        },
        {
            "title": "Momentum Everywhere",
            "abstract": "Momentum speeds up gradient descent on ill-conditioned problems; we "
            "study heavy-ball momentum on quadratics and on deep networks alike.",
        },
    ]
    _, rag = fake_index(tmp_path, rows, "weights")
    keyword = rag.retriever.snapshot().keyword
    topic = keyword.query_terms("momentum optimizer")
    optimizer, momentum = keyword.indexed_word("optimizer"), keyword.indexed_word("momentum")
    assert topic.variants and optimizer in topic.variants[0].terms
    share = keyword.idf(momentum) / (keyword.idf(momentum) + keyword.idf(optimizer))
    assert keyword.shares(topic, ["momentum"], [{momentum}]) == [pytest.approx(share)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We fine-tune the model.", True),
        ("we Fine tune it", True),
        ("fine\u2013tuning", True),  # an en dash
        ("refine-tune", False),  # not at a word's start
        ("finetune", False),  # joined, not apart
        ("fine, tune", False),
        ("fine-", False),
    ],
)
def test_words_written_apart_are_found_as_the_pattern_finds_them(text: str, expected: bool) -> None:
    assert _writes_apart(text, "fine", "tun") is expected

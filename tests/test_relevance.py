"""The answerability decision on a small fixture corpus, with the deterministic fake embedder.

Short and acronym questions must be answered from the paper that names the term,
off-topic questions refused with the closest papers, unsupported claims left without a
match, and extractive answers must not quote papers that do not address the question.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rag.answering import LISTING_QUESTION, NOT_COVERED
from rag.keyword import SPELLING_MAX_WORDS, ChunkRow, KeywordIndex
from rag.paper_rag import PaperRAG
from rag.relevance import (
    ANSWER_MIN,
    MIN_BACKGROUND_STD,
    ON_TOPIC_MIN,
    DenseBackground,
    best_relevance,
    is_citable,
    is_on_topic,
    relevance,
)
from rag.retrieval import COMMON_IDF, PHRASE_PAPERS, Retriever, SearchResult
from tests.fakes import FakeLLM, HashEmbedder, covered, fake_index

PAPERS = [
    (
        "Efficient and robust approximate nearest neighbor search using Hierarchical "
        "Navigable Small World graphs",
        "We present a new approach for approximate nearest neighbor search based on "
        "navigable small world graphs with controllable hierarchy (Hierarchical NSW, HNSW). "
        "HNSW incrementally builds a multi-layer structure of proximity graphs. "
        "The search starts from the upper layer and uses the scale separation of links.",
    ),
    (
        "KAN: Kolmogorov-Arnold Networks",
        "Inspired by the Kolmogorov-Arnold representation theorem, we propose "
        "Kolmogorov-Arnold Networks (KANs) as alternatives to multi-layer perceptrons. "
        "KANs have learnable activation functions on edges instead of fixed activations "
        "on nodes, and every weight parameter is replaced by a univariate spline.",
    ),
    (
        "NeuroNER: an easy-to-use program for named-entity recognition",
        "Named-entity recognition (NER) aims at identifying entities of interest in text. "
        "NeuroNER is an easy-to-use named-entity recognition tool based on artificial "
        "neural networks, and users can annotate entities with a graphical interface.",
    ),
    (
        "MobileOne: An Improved One millisecond Mobile Backbone",
        "Efficient neural network backbones for mobile devices are often optimized for "
        "FLOPs or parameter count. We design an efficient backbone MobileOne, with "
        "variants achieving an inference time under 1 ms on an iPhone12 with 75.9% top-1 "
        "accuracy on ImageNet. MobileOne is also strong on detection and segmentation.",
    ),
    (
        "TCNCA: Temporal Convolution Network with Chunked Attention",
        "We replace the linear recurrence of a state space model with a temporal "
        "convolution network and chunked attention for long sequences. On synthetic tasks "
        "TCNCA reaches a speed-up of 7.07x and 2.86x over parallel scans at 131k tokens.",
    ),
    (
        "Adam: A Method for Stochastic Optimization",
        "We introduce Adam, an algorithm for first-order gradient-based optimization of "
        "stochastic objective functions, based on adaptive estimates of lower-order "
        "moments. The method is straightforward to implement and computationally efficient.",
    ),
    (
        "Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets",
        "We study generalization of neural networks on small algorithmically generated "
        "datasets. Networks can suddenly generalize long after overfitting the training "
        "data, a phenomenon we call grokking, well past the point of memorization.",
    ),
    (
        "Wasserstein GAN",
        "We introduce a new algorithm named WGAN, an alternative to traditional GAN "
        "training. We show that the stability of learning improves, mode collapse is "
        "reduced, and the Wasserstein distance gives meaningful learning curves.",
    ),
    (
        "MobileStyleGAN: A Lightweight Convolutional Network for Image Synthesis",
        "We distill a GAN generator for high-fidelity image synthesis into a lightweight "
        "convolutional network with wavelet-based upsampling for mobile devices. It keeps "
        "the image quality while reducing the computational cost by a factor of 9.5.",
    ),
    (
        "High-Resolution Complex Scene Synthesis with Transformers",
        "Synthesizing complex scenes from layouts remains hard for current generators. "
        "We hypothesize that engineered auxiliary losses and mask generators cause this. "
        "We instead train a generative model with pure likelihood and no extra objectives. "
        "We improve the FID score on COCO-Stuff and Visual Genome by up to 19% and 53%.",
    ),
    (
        "EMNIST: an extension of MNIST to handwritten letters",
        "Handwritten digit benchmarks have shaped the evaluation of classifiers for decades. "
        "EMNIST converts the whole NIST handwriting collection into letters and digits with "
        "the same image format. Our code is available at https://github.com/example/emnist.",
    ),
]


PAPERS_TEXT = " ".join(f"{title} {abstract}" for title, abstract in PAPERS)


@pytest.fixture(scope="module")
def fixture_index(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    rows = [{"title": t, "abstract": a} for t, a in PAPERS]
    return fake_index(tmp_path_factory.mktemp("relevance"), rows, "fixture")


@pytest.mark.parametrize(
    ("question", "title_start"),
    [
        ("What is HNSW?", "Efficient and robust approximate nearest neighbor"),
        ("What is KAN?", "KAN: Kolmogorov-Arnold Networks"),
        ("Which papers study NER?", "NeuroNER"),
        ("papers on grokking?", "Grokking"),
        ("Wasserstein GAN?", "Wasserstein GAN"),
    ],
)
async def test_short_and_acronym_questions_are_answered(
    fixture_index, question: str, title_start: str
) -> None:
    _, rag = fixture_index
    answer = await rag.answer(question)
    assert not answer.abstained, answer.answer
    assert answer.citations and answer.citations[0].title.startswith(title_start)
    for citation in answer.citations:
        assert citation.quote in rag.paper(citation.paper_id).abstract
    assert not answer.warnings  # nothing was misspelled, so nothing was read otherwise


@pytest.mark.parametrize(
    "question",
    [
        "please list papers on grokking",
        "can you explain HNSW briefly?",
        "explain KAN like I'm five",
        "what do the papers say about MobileOne?",
        "I need papers on NER",
        "give me an overview of Wasserstein GAN",
        "what are the main ideas behind KAN?",
        "what problem does HNSW solve?",
        "key findings on MobileOne",
        "I keep hearing about KAN, what is it?",
        "the gist of grokking?",
        "HNSW in a nutshell",
        "key takeaways about MobileOne",
        "can someone explain HNSW?",
        "what is Wasserstein GAN good for?",
        "can u explain HNSW pls",  # chat spellings
        "btw how does KAN work, thx",
        # what is good and bad about it, and who it is explained to
        "HNSW pros and cons",
        "what are the strengths and weaknesses of KAN?",
        "limitations of MobileOne?",
        "explain the intuition behind grokking",
        "give me the lowdown on HNSW",
        "how would you describe KAN to a colleague?",
        "can you break down HNSW for me?",
        "why is MobileOne useful?",
        "what's interesting about HNSW?",
        "what do researchers think about grokking?",
        # what it is about, what came of it, how long an answer, where to look
        "what's the core insight of HNSW?",
        "what's the motivation behind KAN?",
        "what's the takeaway on grokking?",
        "remind me what MobileOne is",
        "so what exactly is HNSW?",
        "summarise KAN in one sentence",
        "does the collection have anything on grokking?",
        "what has been published on Wasserstein GAN?",
        # the asker's situation
        "I'm writing a report on KAN, which papers should I cite?",
        "I'm confused about grokking, can you clarify?",
        "I have a meeting about HNSW tomorrow, what do I need to know?",
        "looking into MobileOne, any pointers?",
        "give me some context on NER",
        "KAN 101",
        "HNSW: the basics",
        "grokking literature review",
        "how does HNSW relate to other work?",
        "what are the open questions about KAN?",
        # casual requests
        "fill me in on HNSW",
        "bring me up to speed on KAN",
        "educate me on grokking",
        "can I get an explanation of MobileOne?",
        "what the heck is HNSW?",
        "wtf is KAN",
        "what's EMNIST again?",
        "HNSW - thoughts?",
        "do you have info on KAN?",
        "info about grokking",
        "high-level overview of EMNIST",
        # around the question
        "i dont get KAN",
        "Hi. I'm a student. What is HNSW?",
        "question about grokking",
        "MobileOne explanation needed",
        "HNSW -- explain",
        "what's KAN, in short?",
        "grokking, the thing everyone talks about?",
    ],
)
async def test_the_way_a_question_is_asked_is_no_missing_topic(
    fixture_index, question: str
) -> None:
    """Words of asking ("please", "list", "explain", "briefly", "like I'm five") are in no
    abstract; counted as the question's topic they had refused every one of these."""
    _, rag = fixture_index
    answer = await rag.answer(question)
    assert not answer.abstained, answer.answer
    assert rag.search(question)[0].coverage == 1.0
    off_topic = await rag.answer("can you explain sourdough bread briefly, like I'm five?")
    assert off_topic.abstained


@pytest.mark.parametrize(
    ("question", "title_start"),
    [
        ("is reading about HNSW worth it?", "Efficient and robust approximate nearest neighbor"),
        ("what do people think of grokking?", "Grokking"),
        ("why does EMNIST matter to people?", "EMNIST"),
    ],
)
async def test_everyday_words_around_a_term_of_art_are_no_missing_topic(
    fixture_index, question: str, title_start: str
) -> None:
    """Ways of asking no list names ("is reading about X worth it?", "what do people
    think of"): its everyday words, which abstracts barely use, count neither as found
    nor as missing where the question names a term of art the papers hold
    (`asking_words`)."""
    _, rag = fixture_index
    assert rag.search(question)[0].coverage == 1.0
    answer = await rag.answer(question)
    assert not answer.abstained, answer.answer
    assert answer.citations[0].title.startswith(title_start)
    assert (await rag.answer("is reading about sourdough bread worth it?")).abstained


@pytest.mark.parametrize(
    "question",
    [
        "got anything on image synthesis?",
        "how did image synthesis come about?",
        "what's the history of image synthesis?",
        "how do people use image synthesis?",
        "what is image synthesis trying to achieve?",
        "what should I know before reading about image synthesis?",
        "I'm new to image synthesis, where do I start?",
    ],
)
async def test_everyday_words_around_a_plain_topic_are_no_missing_topic(
    fixture_index, question: str
) -> None:
    """Around a topic of common words ("image synthesis": no term of art, so
    `asking_words` reads none) the ways of asking are listed (`ASKING_PHRASES`): "got",
    "come about", "history" had counted as words no abstract holds, and "got anything on
    contrastive learning?" was refused over the bundled corpus."""
    _, rag = fixture_index
    answer = await rag.answer(question)
    assert not answer.abstained, answer.answer
    assert rag.search(question)[0].coverage == 1.0
    assert (await rag.answer(question.replace("image synthesis", "sourdough bread"))).abstained


@pytest.mark.parametrize(
    ("question", "title_start"),
    [
        ("Kolmogorov-Arnold netwroks?", "KAN: Kolmogorov-Arnold Networks"),
        ("What is MoblieOne?", "MobileOne"),
        ("papers on grokkking?", "Grokking"),
        ("named-entity recogntion", "NeuroNER"),
    ],
)
async def test_a_misspelled_topic_word_is_read_as_the_indexed_term(
    fixture_index, question: str, title_start: str
) -> None:
    """One typo in the topic word refused 77% of the short questions
    (`eval/typo_questions.jsonl`): the word counted as one no paper contains."""
    _, rag = fixture_index
    assert rag.search(question)[0].coverage == 1.0
    answer = await rag.answer(question)
    assert not answer.abstained, answer.answer
    assert answer.citations[0].title.startswith(title_start)
    (reading,) = answer.warnings  # the user is told what was read, as the papers write it
    typo = next(word for word in re.findall(r"[\w-]+", question) if f'"{word}"' in reading)
    assert reading.startswith(f'Read "{typo}" as "') and reading.split('"')[3] in PAPERS_TEXT


async def test_a_misspelled_name_is_answered_as_the_name(fixture_index) -> None:
    """Its sentences are chosen for the word it was read as: "What is MoblieOne?" had
    opened with a sentence that never names MobileOne, the definition found for no name."""
    _, rag = fixture_index
    misspelled = await rag.answer("What is MoblieOne?")
    spelled = await rag.answer("What is MobileOne?")
    assert misspelled.answer == spelled.answer and misspelled.citations == spelled.citations
    assert "design an efficient backbone MobileOne" in misspelled.answer.splitlines()[2]


async def test_off_topic_question_abstains_and_lists_the_closest_papers(fixture_index) -> None:
    _, rag = fixture_index
    answer = await rag.answer("best sourdough recipe")
    assert answer.abstained and not answer.citations
    assert answer.answer.startswith(NOT_COVERED)
    assert answer.related
    for related in answer.related:  # every closest paper is named, with its id
        assert f"{related.title} (`{related.paper_id}`)" in answer.answer


async def test_extractive_answer_does_not_pad_with_off_topic_papers(fixture_index) -> None:
    _, rag = fixture_index
    answer = await rag.answer("What top-1 accuracy does MobileOne reach?")
    assert [c.title for c in answer.citations] == [
        "MobileOne: An Improved One millisecond Mobile Backbone"
    ]
    assert "75.9% top-1" in answer.answer and "TCNCA" not in answer.answer


async def test_a_paper_titled_for_the_topic_outranks_a_passing_mention(fixture_index) -> None:
    """Both abstracts say "GAN"; only one paper is about a Wasserstein GAN (its title says
    so), and the answer quotes only that one."""
    _, rag = fixture_index
    answer = await rag.answer("Wasserstein GAN?")
    assert [c.title for c in answer.citations] == ["Wasserstein GAN"]
    assert "MobileStyleGAN" in [r.title.split(":")[0] for r in rag.search("Wasserstein GAN?")]


async def test_a_passing_mention_is_quoted_without_the_sentences_around_it(
    fixture_index,
) -> None:
    """The only paper saying "FID" is not about FID: its one sentence using the term
    answers, the sentences around it (filler for this question) are not quoted."""
    _, rag = fixture_index
    answer = await rag.answer("What is FID?")
    assert [c.title for c in answer.citations] == [
        "High-Resolution Complex Scene Synthesis with Transformers"
    ]
    bullets = [line for line in answer.answer.splitlines() if line.startswith("- ")]
    assert bullets == [
        "- We improve the FID score on COCO-Stuff and Visual Genome by up to 19% and 53%. [1]"
    ]
    assert answer.citations[0].quote == bullets[0][2:-4]


async def test_the_quote_is_the_first_sentence_naming_the_topic_not_its_url(
    fixture_index,
) -> None:
    """A paper titled for the topic is quoted in full (its three sentences), and its
    citation quotes the sentence that says what EMNIST is: not the first sentence, which
    does not name it, nor the one naming it only inside a URL."""
    _, rag = fixture_index
    answer = await rag.answer("What is EMNIST?")
    assert answer.citations[0].title.startswith("EMNIST")
    assert answer.citations[0].quote.startswith("EMNIST converts the whole NIST")
    assert "Handwritten digit benchmarks" in answer.answer


def test_digits_inside_a_word_are_no_number_and_a_url_no_mention(fixture_index) -> None:
    """Quote support counts numbers the claim shares and the claim's terms; "Word2Vec"
    shares no number with "Image2Tweet", and a URL ending in /emnist names nothing."""
    _, rag = fixture_index
    retriever = rag.retriever
    word2vec = retriever.sentence_support(
        "Which paper introduced Word2Vec?",
        ["We evaluate on Image2Tweet.", "We evaluate on ImageTweet."],
    )
    assert word2vec[0] == pytest.approx(word2vec[1], abs=0.05)
    shares = retriever.term_share("EMNIST", ["Code: https://github.com/x/emnist.", "EMNIST."])
    assert shares.tolist() == [0.0, 1.0]


def test_search_scores_say_what_they_mean(fixture_index) -> None:
    _, rag = fixture_index
    off_topic = rag.search("best sourdough recipe", k=3)
    assert off_topic[0].score > 0.0  # the best of a list of poor matches orders it
    assert off_topic[0].relevance < ON_TOPIC_MIN  # calibrated: not relevant at all
    on_topic = rag.search("What is HNSW?", k=3)
    assert on_topic[0].relevance >= ANSWER_MIN
    assert on_topic[0].as_json()["relevance"] == round(on_topic[0].relevance, 4)


def test_citation_lookup_matches_supported_claims_only(fixture_index) -> None:
    _, rag = fixture_index
    supported = rag.cite("KANs put learnable activation functions on edges instead of nodes.")
    assert supported.matches and supported.matches[0].title.startswith("KAN:")
    match = supported.matches[0]
    assert rag.paper(match.paper_id).abstract[match.start : match.end] == match.sentence
    assert "edges" in match.sentence
    unsupported = rag.cite("Sourdough bread needs a long cold fermentation.")
    assert unsupported.matches == [] and unsupported.message


async def test_an_abbreviation_joined_by_two_is_answered_where_it_is_written_out(
    tmp_path,
) -> None:
    """ "seq2seq" is in no abstract; read as "sequence" alone it was answered from any
    paper about sequences, and BM25 on its parts ranked the Seq2Seq paper below them."""
    rows = [{"title": t, "abstract": a} for t, a in PAPERS]
    rows += [
        {
            "title": "Sequence to Sequence Learning with Neural Networks",
            "abstract": "We present a general end-to-end approach to sequence learning. "
            "A multilayered LSTM maps the input sequence to a vector and another LSTM "
            "decodes the target sequence from the vector, for English to French.",
        },
        {
            "title": "Entropy Estimation of Symbol Sequences",
            "abstract": "We estimate the entropy of finite symbol sequences with long "
            "range correlations: a sequence of symbols, and the sequences it is part of.",
        },
    ]
    _, rag = fake_index(tmp_path, rows, "seq2seq")
    answer = await rag.answer("seq2seq learning")
    assert not answer.abstained, answer.answer
    assert answer.citations[0].title.startswith("Sequence to Sequence")
    assert all(not c.title.startswith("Entropy") for c in answer.citations)
    (tmp_path / "without").mkdir()
    _, without = fake_index(tmp_path / "without", rows[:-2] + rows[-1:], "no-seq2seq")
    assert (await without.answer("seq2seq")).abstained


def test_how_a_question_is_asked_does_not_pick_its_quote(tmp_path) -> None:
    """ "What" is rare in abstracts, so its IDF is high; it must not count as a topic
    term when a sentence is chosen to answer "What is HNSW?" (it carried 46% of the
    question's weight in a BibTeX library's index)."""
    rows = [{"title": t, "abstract": a} for t, a in PAPERS]
    rows.append(
        {
            "title": "Schedules for Training",
            "abstract": "What matters most in training is the schedule of the learning rate. "
            "We compare cosine, linear and step schedules on image classification benchmarks.",
        }
    )
    _, rag = fake_index(tmp_path, rows, "filler")
    asked = "What is HNSW?"
    sentences = ["What matters most in training is the schedule.", "HNSW is a graph index."]
    lexical_only = rag.retriever.sentence_support(asked, sentences, np.zeros(HashEmbedder.dims))
    assert lexical_only.tolist() == [0.0, 1.0]


def test_a_claim_is_quoted_from_the_findings_not_the_background(tmp_path) -> None:
    """The background sentence repeats the claim almost word for word; the finding that
    supports it comes last. Citation lookup quotes the finding (`FINDINGS_WEIGHT`)."""
    abstract = (
        "Whether metformin slows tumour growth in mice has been debated for years. "
        "We treated four hundred mice with metformin or placebo for twelve weeks. "
        "Tumour volume was measured weekly by two blinded observers. "
        "Metformin slowed tumour growth in treated mice by forty percent against placebo."
    )
    rows = [{"title": "Metformin in murine tumour models", "abstract": abstract}]
    rows += [{"title": t, "abstract": a} for t, a in PAPERS]
    _, rag = fake_index(tmp_path, rows, "findings")
    match = rag.cite("Metformin slows tumour growth in mice.").matches[0]
    assert match.title == "Metformin in murine tumour models"
    assert match.sentence.startswith("Metformin slowed tumour growth in treated mice")


async def test_llm_mode_gate_lets_borderline_through_and_stops_off_topic(fixture_index) -> None:
    settings, _ = fixture_index
    llm = FakeLLM("INSUFFICIENT_EVIDENCE")
    answerer = PaperRAG.open(settings, embedder=HashEmbedder(), llm=llm)
    refused = await answerer.answer("How do I renew my passport?")
    assert llm.prompts == [] and refused.abstained
    judged = await answerer.answer("Which optimizer uses adaptive moment estimates?")
    assert len(llm.prompts) == 1  # on topic: the LLM decides, and here it declines
    assert judged.abstained and judged.mode == "llm" and not judged.citations
    sent = llm.prompts[0][1]["content"]
    assert "Adam: A Method for Stochastic Optimization" in sent


@pytest.mark.parametrize(
    "question",
    ["HNSW deletions, sharding and concurrency?", "HNSW lowdown pros cons colleague"],
)
async def test_llm_mode_gate_lets_a_named_term_of_art_through(fixture_index, question) -> None:
    """A question naming a term of art the papers hold reaches the LLM however little of
    its other wording they share, with the paper holding it among the sources (its
    relevance alone is below the gate's); the same words around a topic no paper holds
    do not."""
    settings, rag = fixture_index
    assert not is_on_topic(best_relevance(rag.search(question)))
    llm = FakeLLM("INSUFFICIENT_EVIDENCE")
    answerer = PaperRAG.open(settings, embedder=HashEmbedder(), llm=llm)
    await answerer.answer(question)
    assert len(llm.prompts) == 1
    assert "Hierarchical Navigable Small World" in llm.prompts[0][1]["content"]
    await answerer.answer("sourdough lowdown pros cons colleague")
    assert len(llm.prompts) == 1


def _result(rank: int, relevance: float, dense: float, keyword: float) -> SearchResult:
    return SearchResult(
        rank, f"p{rank}", f"Paper {rank}", 1.0 / rank, None, "", dense, keyword, 0.0, relevance
    )


def test_the_first_result_and_each_retrievers_best_decide_and_no_other() -> None:
    """A noise dense winner first must not refuse the question the keyword winner
    answers, wherever fusion ranks that winner, and a chance match that neither retriever
    ranks best must not answer an off-topic question."""
    noise_first = [_result(1, 0.27, 0.38, 0.0), _result(2, 0.75, 0.1, 9.0)]
    assert is_citable(best_relevance(noise_first))
    keyword_third = [*noise_first[:1], _result(2, 0.1, 0.3, 1.0), _result(3, 0.8, 0.1, 9.0)]
    assert is_citable(best_relevance(keyword_third))
    chance_third = [_result(1, 0.2, 0.5, 3.0), _result(2, 0.1, 0.3, 2.0), _result(3, 0.9, 0.1, 1.0)]
    assert not is_citable(best_relevance(chance_third))
    assert best_relevance([]) == 0.0


def test_coverage_counts_unknown_words_as_missing_and_ignores_how_people_ask() -> None:
    texts = ["graph neural networks for molecules", "sparse attention"]
    index = KeywordIndex.build(
        [ChunkRow(f"p{i}::key::0", text, 0, len(text), 0) for i, text in enumerate(texts)]
    )
    first = frozenset(index.terms(texts[0]))
    asked = index.query_terms("Which papers study graph networks?")
    assert covered(index, asked, first, texts[0]) == pytest.approx(1.0)
    topical = index.query_terms("the main problem graph networks solve in molecules")
    assert len(topical.unknown) == 3  # "main", "problem", "solve": asked about nothing here
    with_unknown = index.query_terms("graph sourdough")
    assert with_unknown.unknown == {"sourdough"}
    assert 0.0 < covered(index, with_unknown, first, texts[0]) < 0.5
    # "how long" asks for a quantity: "long" is no topic ("it has long been recognized")
    quantity = index.query_terms("How long should I boil sparse graph networks?")
    assert (
        quantity.unknown == {"boil"}
        and quantity.known == index.query_terms("boil sparse graph networks").known
    )


def test_dense_background_is_measured_between_different_papers() -> None:
    vectors = np.asarray([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    background = DenseBackground.measure(vectors, ["a", "a", "b"])
    assert background.mean == pytest.approx(0.0)  # the identical pair is one paper's
    assert relevance(0.5, background.mean, background) == pytest.approx(0.5)
    alone = DenseBackground.measure(vectors[:1], ["a"])
    assert (alone.mean, alone.std) == (0.0, 1.0)
    same = np.asarray([[1.0, 0.0], [0.99999, 0.00447], [0.99998, 0.00632]], dtype=np.float32)
    flat = DenseBackground.measure(same, ["a", "b", "c"])  # templated: no spread to speak of
    assert (flat.mean, flat.std) == (0.0, 1.0) and flat.excess(0.4) == pytest.approx(0.4)
    assert MIN_BACKGROUND_STD < 0.11  # real corpora are measured against


@pytest.mark.parametrize(
    "name", ["short_questions.jsonl", "phrasing_questions.jsonl", "phrasing_heldout.jsonl"]
)
def test_question_sets_are_well_formed(name: str) -> None:
    path = Path(__file__).resolve().parents[1] / "eval" / name
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    answerable = [r for r in rows if r["type"] != "none"]
    assert len(answerable) >= 40 and all(r["gold_titles"] for r in answerable)
    assert sum(r["type"] == "none" for r in rows) >= 15
    assert len({r["id"] for r in rows}) == len(rows)


def test_typo_questions_are_the_short_ones_with_one_word_misspelled() -> None:
    folder = Path(__file__).resolve().parents[1] / "eval"
    short = {
        r["id"]: r
        for r in map(json.loads, (folder / "short_questions.jsonl").read_text().splitlines())
    }
    typos = [
        json.loads(line) for line in (folder / "typo_questions.jsonl").read_text().splitlines()
    ]
    assert (
        sum(r["type"] != "none" for r in typos) >= 35
        and sum(r["type"] == "none" for r in typos) >= 15
    )
    for row in typos:
        original = short[row["id"].replace("T", "S")]
        assert (row["type"], row["gold_titles"]) == (original["type"], original["gold_titles"])
        word, typo = row["typo"].split(" (")[0].split(" -> ")
        assert (
            row["question"] == original["question"].replace(word, typo, 1) != original["question"]
        )


async def test_a_what_is_question_opens_with_the_paper_defining_it(tmp_path) -> None:
    """The paper using HNSW most ranks first, but "What is HNSW?" is answered by the
    one introducing it: its defining sentence opens the answer and is its quote."""
    rows = [
        {
            "title": "Recall in Hierarchical Navigable Small Worlds under Real Data",
            "abstract": "Vector search systems often rely on the Hierarchical Navigable Small "
            "Worlds (HNSW) algorithm. However, the behaviour of HNSW on real data remains "
            "under-explored. We show that HNSW recall depends on the insertion order, and "
            "that HNSW indexes built in another order lose up to 12% recall.",
        },
        {
            "title": "Efficient and robust approximate nearest neighbor search using "
            "Hierarchical Navigable Small World graphs",
            "abstract": "Approximate nearest neighbor search matters for many applications. "
            "We present a new approach for approximate nearest neighbor search based on "
            "navigable small world graphs with controllable hierarchy (Hierarchical NSW, "
            "HNSW). The search starts from the upper layer of a multi-layer graph.",
        },
        {
            "title": "PowerNorm: Rethinking Batch Normalization in Transformers",
            "abstract": "Layer normalization is the standard in natural language processing. "
            "In this paper, we study why batch normalization fails for transformers. "
            "To address this, we propose Power Normalization (PN), a novel normalization "
            "scheme with a running quadratic mean. PN outperforms layer normalization.",
        },
    ]
    _, rag = fake_index(tmp_path, rows, "definitions")
    assert rag.search("What is HNSW?")[0].title.startswith("Recall in Hierarchical")
    answer = await rag.answer("What is HNSW?")
    first = next(line for line in answer.answer.splitlines() if line.startswith("- "))
    assert first.startswith("- We present a new approach") and first.endswith("[1]")
    assert answer.citations[0].title.startswith("Efficient and robust")
    assert answer.citations[0].quote == first[2:-4]

    listed = await rag.answer("which articles discuss HNSW?")  # a list opens with it too
    assert listed.citations[0].title.startswith("Efficient and robust")
    assert listed.citations[0].quote == answer.citations[0].quote

    answer = await rag.answer("what is PowerNorm?")  # named in its title, not its abstract
    first = next(line for line in answer.answer.splitlines() if line.startswith("- "))
    assert first.startswith("- To address this, we propose Power Normalization (PN)")


LISTED = [
    (
        "The DeepFake Detection Challenge Dataset",
        "We release the DFDC dataset, the largest public face swap video dataset. "
        "It holds over one hundred thousand clips that detectors can use for training.",
    ),
    (
        "Vision Transformers for Deepfake Detection",
        "We detect manipulated faces in video with a vision transformer. "
        "Trained using the DFDC dataset, the model reaches an AUC of 0.95.",
    ),
    (
        "Audio-Visual Dissonance for Deepfake Detection",
        "Deepfake videos often mismatch their audio and their lip motion. "
        "Experiments on DFDC show that using the dissonance score beats visual detectors.",
    ),
    (
        "Affective Cues Reveal Deepfakes",
        "Emotions expressed by the face and by the voice disagree in deepfake videos. "
        "We use both and report a per-video AUC of 84.4% on the DFDC benchmark.",
    ),
    (
        "Curriculum Dataset Distillation",
        "Dataset distillation condenses a large training set into a few synthetic images. "
        "We schedule the synthetic images from simple to complex to scale it up.",
    ),
    (
        "Trajectory Matching for Dataset Distillation",
        "We distill a dataset by matching the training trajectories of networks "
        "trained on real and synthetic data, a dataset distillation method that scales.",
    ),
    (
        "Teacher Geometry for Knowledge Distillation",
        "Knowledge distillation trains a small student network from a large teacher. "
        "We weigh each training example of the dataset by the geometry of their outputs.",
    ),
]


async def test_a_question_asking_for_papers_is_answered_with_each_of_them(tmp_path) -> None:
    """ "papers on DFDC?" is answered with a sentence from every paper using DFDC (four:
    more than the three papers another question draws on), not only the best one; and
    "papers on dataset distillation" does not list the paper on knowledge distillation
    that also says "dataset" (`LISTED_SHARE`, `Retriever.write_a_phrase_of`)."""
    rows = [{"title": t, "abstract": a} for t, a in PAPERS + LISTED]
    _, rag = fake_index(tmp_path, rows, "listing")
    answer = await rag.answer("papers on DFDC?")
    assert not answer.abstained, answer.answer
    assert {c.title for c in answer.citations} == {t for t, a in LISTED if "DFDC" in a}
    lines = answer.answer.splitlines()[2:]
    assert len(lines) == 4 and all("DFDC" in line for line in lines), lines
    for citation in answer.citations:
        assert "DFDC" in citation.quote and citation.quote in rag.paper(citation.paper_id).abstract

    answer = await rag.answer("papers on dataset distillation?")
    titles = [c.title for c in answer.citations]
    assert sorted(titles) == [
        "Curriculum Dataset Distillation",
        "Trajectory Matching for Dataset Distillation",
    ]


@pytest.mark.parametrize(
    ("question", "listing"),
    [
        ("Which papers use ImageNet?", True),
        ("papers on grokking?", True),
        ("any work on job-shop scheduling with RL?", True),
        ("please list the studies about NER", True),
        ("what are the papers on KAN?", True),
        ("What does the paper 'KAN' propose?", False),
        ("Which paper introduced ResNet?", False),
        ("What is HNSW?", False),
    ],
)
def test_a_question_asking_for_papers_is_told_from_one_about_a_paper(
    question: str, listing: bool
) -> None:
    assert (LISTING_QUESTION.search(question) is not None) is listing


async def test_a_comparison_is_answered_from_a_paper_on_each_side(fixture_index) -> None:
    """No paper covers both HNSW and KAN: asked as one query, the question was answered
    from the KAN paper alone. Each side is answered by the paper defining it, and a side
    no paper covers leaves the question to the usual decision (refused here)."""
    _, rag = fixture_index
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

    found = rag.search("HNSW vs KAN", k=4)  # search shows both sides' papers first too
    assert {r.title[:3] for r in found[:2]} == {"Eff", "KAN"}
    assert [r.rank for r in found] == [1, 2, 3, 4]
    assert [r.relevance for r in found[2:]] == sorted(
        (r.relevance for r in found[2:]), reverse=True
    )
    assert rag.search("What is HNSW?") == rag.retriever.search("What is HNSW?", 10)


async def test_an_llm_is_sent_both_sides_of_a_comparison(fixture_index) -> None:
    settings, _ = fixture_index
    llm = FakeLLM("HNSW builds proximity graphs [1]; KANs learn spline activations [2].")
    rag = PaperRAG.open(settings, embedder=HashEmbedder(), llm=llm)
    answer = await rag.answer("compare HNSW and KAN")
    sent = llm.prompts[0][1]["content"]
    assert "Hierarchical Navigable Small World" in sent and "KAN: Kolmogorov-Arnold" in sent
    assert not answer.abstained and len(answer.citations) == 2


async def test_only_a_paper_introducing_a_name_says_where_it_comes_from(tmp_path) -> None:
    """ "Who proposed LSTM?" was answered from a paper that only uses an LSTM; "Which
    paper introduced HNSW?" was refused, "introduced" counting as a missing topic word."""
    rows = [{"title": t, "abstract": a} for t, a in PAPERS]
    rows.append(
        {
            "title": "Sequence to Sequence Learning with Neural Networks",
            "abstract": "We present a general end-to-end approach to sequence learning. "
            "A multilayered LSTM maps the input sequence to a vector and another LSTM "
            "decodes the target sequence from the vector, for English to French.",
        }
    )
    _, rag = fake_index(tmp_path, rows, "origins")
    introduced = await rag.answer("Which paper introduced HNSW?")
    assert introduced.citations[0].title.startswith("Efficient and robust")
    assert introduced.citations[0].quote.startswith("We present a new approach")
    assert (await rag.answer("Which paper introduced LSTM?")).abstained
    proposed = await rag.answer("Who proposed LSTM?")
    assert proposed.abstained and "Sequence to Sequence" in proposed.answer  # closest papers
    assert (await rag.answer("Who discovered LSTM?")).abstained


async def test_a_paper_named_by_what_it_introduced_leads_the_answer(tmp_path) -> None:
    """ "summarize the HNSW paper" opened with a paper measuring HNSW's recall (HNSW in its
    title and three times in its abstract), the paper introducing HNSW second: "paper"
    read as a way of asking, the question was about HNSW in other words."""
    rows = [{"title": t, "abstract": a} for t, a in PAPERS]
    rows.append(
        {
            "title": "Recall in Hierarchical Navigable Small Worlds (HNSW) Indexes",
            "abstract": "Vector databases rely on HNSW indexes. We measure how the recall "
            "of HNSW depends on the data and the insertion order, and tune HNSW "
            "parameters for hierarchical navigable small worlds in practice.",
        }
    )
    _, rag = fake_index(tmp_path, rows, "named_paper")
    for question in ("summarize the HNSW paper", "what does the HNSW paper propose?"):
        answer = await rag.answer(question)
        assert answer.citations[0].title.startswith("Efficient and robust"), question
    listed = await rag.answer("HNSW recall")  # about HNSW, no paper named: as before
    assert listed.citations[0].title.startswith("Recall in")


async def test_a_name_ending_in_one_character_is_asked_whole(tmp_path) -> None:
    """ "What is GPT4?" was answered and "What is GPT-4?" refused, over papers writing
    "GPT4" and "GPT-4o": "GPT-4" was read as a phrase of "GPT" and "GPT4" that no paper
    writes."""
    rows = [{"title": t, "abstract": a} for t, a in PAPERS]
    rows += [
        {
            "title": "Language Models for Engineering Design",
            "abstract": "We represent text prompts by a bag of words and by the byte pair "
            "encoding of GPT4, and optimize the designs with an evolutionary search.",
        },
        {
            "title": "Optimizing Prompts through Textual Gradients",
            "abstract": "Textual gradients improve the zero-shot accuracy of GPT-4o on "
            "question answering, and optimize prompts and code with feedback.",
        },
    ]
    _, rag = fake_index(tmp_path, rows, "named_whole")
    for question in ("What is GPT4?", "What is GPT-4?"):
        answer = await rag.answer(question)
        assert not answer.abstained, question
        assert answer.citations[0].title == "Language Models for Engineering Design", question


def test_a_name_the_stemmer_changes_finds_the_paper_writing_it(tmp_path) -> None:
    """Snowball stems "NeuroNER" to "neuron": BM25 ranked papers on neurons above the
    NeuroNER paper (`STEMMED_NAME`)."""
    rows = [{"title": t, "abstract": a} for t, a in PAPERS]
    rows += [
        {
            "title": f"Spiking Neurons, Part {part}",
            "abstract": "Neurons fire when their membrane potential crosses a threshold. "
            "We model each neuron with leaky integration, and networks of neurons with "
            f"sparse synapses between the neurons of {part} layers.",
        }
        for part in ("One", "Two", "Three")
    ]
    _, rag = fake_index(tmp_path, rows, "stemmed")
    assert rag.retriever.snapshot().keyword.query_terms("NeuroNER").names == ("NeuroNER",)
    assert rag.search("NeuroNER", k=3, mode="keyword")[0].title.startswith("NeuroNER")
    assert rag.retriever.snapshot().keyword.query_terms("neuroner miRNAs").names == ()


def _keyword_first(
    tmp_path: Path, rows: list[dict[str, str]], name: str
) -> Callable[[str], SearchResult]:
    """The first keyword-mode result for a question, over `PAPERS` and `rows`."""
    _, rag = fake_index(tmp_path, [{"title": t, "abstract": a} for t, a in PAPERS] + rows, name)
    return lambda question: rag.search(question, k=3, mode="keyword")[0]


def test_a_phrase_no_paper_writes_counts_as_missing_not_as_its_words(tmp_path) -> None:
    """ "What is beam search?" was answered from a physics paper on "beam time" whose
    next sentence said "search": each word is indexed, the phrase is written nowhere.
    (Keyword mode: relevance is then coverage alone, free of the fake embedder's cosine;
    the real model's answer is checked in `tests/test_sample_corpus.py`.)"""
    cheetah = {
        "title": "Cheetah: Differentiable Beam Dynamics for Accelerators",
        "abstract": "The limited availability of beam time makes accelerator tuning "
        "costly. We introduce Cheetah, a differentiable beam dynamics code that makes "
        "the search for good settings orders of magnitude faster.",
    }
    first = _keyword_first(tmp_path, [cheetah], "without")

    for question in ("What is beam search?", "Which papers study beam search?"):
        assert first(question).title.startswith("Cheetah")  # still the closest paper
        assert first(question).relevance == 0.0, question
    for question in ("beam search", "beam search pros and cons", "why is beam search useful?"):
        assert first(question).relevance == 0.0, question  # a topic alone, as asked
    assert first("why is beam dynamics useful?").relevance == 1.0
    assert first("beam dynamics search").relevance > ANSWER_MIN  # three words: described
    assert first("What is beam dynamics?").relevance == 1.0  # written together
    assert first("What is HNSW used for?").relevance > ANSWER_MIN  # a description

    decoding = {
        "title": "Decoding Strategies for Sequence Models",
        "abstract": "Beam search keeps the best partial outputs at each decoding step. "
        "We compare search widths and show that wider beams can hurt output quality.",
    }
    first = _keyword_first(tmp_path, [cheetah, decoding], "with")
    found = first("What is beam search?")
    assert (found.title, found.relevance) == ("Decoding Strategies for Sequence Models", 1.0)


def test_a_name_typed_in_capitals_is_missing_where_papers_write_only_the_word(
    tmp_path,
) -> None:
    """ "What is CLIP?" over a Zotero library without the CLIP paper was answered from a
    deepfake dataset's "real clips, synthesized clips"; with it, the paper naming it
    ranks first (keyword mode: relevance is coverage alone)."""
    kodf = {
        "title": "KoDF: A Large-Scale Korean DeepFake Detection Dataset",
        "abstract": "We release real clips, synthesized clips and clips with adversarial "
        "attacks, so that deepfake detectors can be trained and compared.",
    }
    first = _keyword_first(tmp_path, [kodf], "without")
    for question in ("What is CLIP?", "CLIP", "papers on CLIP", "What are CLIPS?"):
        assert first(question).title.startswith("KoDF")  # still the closest paper
        assert first(question).relevance == 0.0, question
    assert first("which datasets release clips?").relevance > ANSWER_MIN
    assert first("WHAT IS CLIP").relevance > ANSWER_MIN  # all in capitals: no name
    assert first("What is ADAM?").title.startswith("Adam")  # written "Adam": a name
    assert first("What is ADAM?").relevance > ANSWER_MIN

    clip = {
        "title": "Learning Transferable Visual Models From Natural Language Supervision",
        "abstract": "We present CLIP, which learns image representations from raw text "
        "about images and transfers to downstream tasks without fine-tuning.",
    }
    first = _keyword_first(tmp_path, [kodf, clip], "with")
    for question in ("What is CLIP?", "What are CLIPS?"):  # the plural typed in capitals
        found = first(question)  # the paper naming it first, though KoDF says "clips"
        assert found.title.startswith("Learning Transferable") and found.relevance == 1.0


def _assert_found_first(rag: PaperRAG, cases: list[tuple[str, str]]) -> None:
    """Each question's first keyword-mode result is the paper titled so, answerable."""
    for question, title in cases:
        found = rag.search(question, k=3, mode="keyword")[0]
        assert found.title.startswith(title) and found.relevance > ANSWER_MIN, question


def test_a_name_typed_with_a_letter_dropped_is_read_as_the_one_name_it_fits(
    tmp_path,
) -> None:
    """ "What is NIA?" was refused over a corpus holding the NIMA paper, and "What is
    DATS?" though DARTS is a name and "dates" only a word (keyword mode: relevance is
    coverage alone); "What is CDK?" (two letters swapped in a 3-letter name). Where a
    letter put back gives two names, or only a word the papers write in small letters,
    or the typed word is everyday English, nothing is read."""
    rows = [
        {
            "title": "NIMA: Neural Image Assessment",
            "abstract": "NIMA predicts the distribution of human opinion scores of an "
            "image with a deep convolutional network, for aesthetic and technical quality.",
        },
        {
            "title": "DARTS: Differentiable Architecture Search",
            "abstract": "DARTS relaxes the search space of network architectures to be "
            "continuous, so that the architecture is found by gradient descent.",
        },
        {
            "title": "A Calendar of Conference Deadlines",
            "abstract": "We record the dates of submission deadlines and the clips of "
            "talks, and release the calendar for planning the year.",
        },
        {
            "title": "SPANN and SPAIN: Two Billion-Scale Indexes",
            "abstract": "SPANN keeps centroids in memory and postings on disk; SPAIN "
            "partitions the data by learned clusters. CART trees route the queries.",
        },
    ]
    rows.append(
        {
            "title": "CKD: Cross-Task Knowledge Distillation",
            "abstract": "CKD distills a teacher trained on one task into a student for "
            "another, aligning their features through a learned projection.",
        }
    )
    _, rag = fake_index(tmp_path, rows, "letter")
    cases = [("What is NIA?", "NIMA"), ("What is DATS?", "DARTS"), ("papers on DATS?", "DARTS")]
    cases += [("What are CKDS?", "CKD"), ("What is CDK?", "CKD")]  # "s" kept; two swapped
    _assert_found_first(rag, cases)
    snap = rag.retriever.snapshot()
    noise = " ".join(f"ZQ{letter}XV" for letter in "ABCDEFGHIJ")  # names no paper writes
    within = Retriever.topic(snap, f"{noise[: 6 * (SPELLING_MAX_WORDS - 1)]} NIA")
    beyond = Retriever.topic(snap, f"{noise[: 6 * SPELLING_MAX_WORDS]} NIA")
    assert [typed for typed, _ in within.corrected] == ["nia"]  # the first few are tried
    assert not beyond.corrected
    for question in ("What is SPAN?", "What is CLP?", "What is CAT?", "What is nia?"):
        found = rag.search(question, k=3, mode="keyword")  # two names; a word; English; typed
        assert all(r.relevance == 0.0 for r in found), question


def test_a_name_is_read_as_papers_write_it_however_it_is_typed(tmp_path) -> None:
    """Names typed otherwise than the papers write them were refused: "What is GOLD
    NAS?" and "What is ST-ITO?" ("gold" and "st" are everyday words this corpus barely
    uses, counted at a fraction where a paper holds them), "STITO" (typed joined, its
    first part of two letters), "hesso pruning" (a name in
    small letters in a phrase no paper writes), "Ranger 21" and "FBNet V3" (papers write
    the name and its number joined). Keyword mode: relevance is coverage alone."""
    rows = [
        {
            "title": "GOLD-NAS: Gradual, One-Level, Differentiable",
            "abstract": "GOLD-NAS searches network architectures in one level with a "
            "gradual pruning of candidate operators, without any hand-designed prior.",
        },
        {
            "title": "ST-ITO: Controlling Audio Effects for Style Transfer",
            "abstract": "ST-ITO optimizes the parameters of audio effects at inference "
            "time so that a recording takes on the style of a reference.",
        },
        {
            "title": "HESSO: Automatic Training and Pruning of Any Network",
            "abstract": "HESSO trains a network and removes redundant structures in one "
            "run, with a hybrid efficient structured sparse optimizer.",
        },
        {
            "title": "Ranger21: a synergistic deep learning optimizer",
            "abstract": "Ranger21 combines AdamW with eight components that each improve "
            "training, such as gradient centralization and positive-negative momentum.",
        },
        {
            "title": "FBNetV3: Joint Architecture-Recipe Search",
            "abstract": "FBNetV3 searches the network architecture together with its "
            "training recipe, and finds models that are faster and more accurate.",
        },
        {
            "title": "Gold Prices and Street Markets",
            "abstract": "The price of gold rose on the street markets this year, and the "
            "mining companies paid higher wages to their workers.",
        },
    ]
    _, rag = fake_index(tmp_path, rows, "typed")
    _assert_found_first(
        rag,
        [
            ("What is GOLD NAS?", "GOLD-NAS"),
            ("What is ST-ITO?", "ST-ITO"),
            ("What is STITO?", "ST-ITO"),  # joined: a name of two letters, then one
            ("hesso pruning", "HESSO"),
            ("HESSO pruning", "HESSO"),
            ("Ranger 21", "Ranger21"),
            ("What is FBNet V3?", "FBNetV3"),
        ],
    )
    found = rag.search("Which papers are about gold?", k=3, mode="keyword")[0]
    assert found.title.startswith("Gold Prices")  # the everyday word, in small letters

    snap = rag.retriever.snapshot()  # a corpus this small uses every word it holds often
    gold = snap.keyword.indexed_word("gold")
    for question, counted in [
        ("What is GOLD NAS?", ()),  # typed as the papers name it: counted whole
        ("What is gold nas?", ((gold, 0.25),)),  # the everyday word
        ("WHAT IS GOLD NAS", ((gold, 0.25),)),  # all in capitals: says nothing
    ]:
        topic = replace(Retriever.topic(snap, question), underused=((gold, 0.25),))
        assert Retriever.typed_as_names(snap, question, topic).underused == counted, question


def test_a_phrase_holding_a_name_is_written_where_one_sentence_holds_it(tmp_path) -> None:
    """A name with a word ("LoRA pre-training") is no compound noun papers write as such:
    its paper says "extending LoRA to model pre-training". One sentence holding all its
    words writes it; "BERT's vocabulary size", words no sentence holds together, stays
    unwritten (keyword mode: relevance is coverage alone)."""
    rows = [
        {
            "title": "Training Networks from Scratch with Parallel Low-Rank Adapters",
            "abstract": "Low-rank adaptation made finetuning cheap. This paper explores "
            "extending LoRA to model pre-training, training many low-rank heads in parallel "
            "and merging them, which matches full training at a fraction of the memory.",
        },
        {
            "title": "Large Batch Optimization: Training BERT in 76 Minutes",
            "abstract": "Large batches speed up training of attention models such as BERT. "
            "With a layerwise adaptive optimizer the batch size grows to 32k, and the "
            "vocabulary of tokens seen per second rises with it.",
        },
    ]
    first = _keyword_first(tmp_path, rows, "names")
    lora = first("What is LoRA pre-training?")
    assert lora.title.startswith("Training Networks") and lora.relevance == 1.0
    assert first("What is BERT's vocabulary size?").relevance < ANSWER_MIN


def test_a_clipped_word_is_read_as_the_word_papers_write_in_its_phrase(tmp_path) -> None:
    """ "What is batch norm?" was refused as a phrase no paper writes, and "what is layer
    norm?" where no abstract writes "norm" at all: a word read as a longer word papers
    write in its place ("normalization") makes the phrase they write, also joined to
    the word before it ("BatchNorm"). A clipped word
    whose completion no paper writes in the phrase stays missing."""
    rows = [
        {
            "title": "Layer Normalization",
            "abstract": "Layer normalization computes the mean and variance used for "
            "normalization from all of the summed inputs to the neurons in a layer, so "
            "recurrent networks train faster than with batch normalization.",
        },
        {
            "title": "Weight Decay and the Norm of Deep Networks",
            "abstract": "We bound the generalization gap by the norm of the weights of each "
            "layer and show that weight decay keeps the spectral norm small.",
        },
    ]
    first = _keyword_first(tmp_path, rows, "clipped")
    for question in ("what is layer norm?", "What is batch norm?", "What is BatchNorm?"):
        found = first(question)
        assert (found.title, found.relevance) == ("Layer Normalization", 1.0), question
    assert first("What is layer normalization?").title == "Layer Normalization"
    assert first("what is dropout norm?").relevance < ANSWER_MIN  # "dropout" nowhere
    _, rag = fake_index(
        tmp_path, [{"title": t, "abstract": a} for t, a in PAPERS] + rows, "clipped"
    )
    joined = rag.search("What is DropoutNorm?", k=3, mode="keyword")
    assert all(r.relevance < ANSWER_MIN for r in joined)  # no paper writes "dropout" at all
    results = rag.search("What is batch norm?", k=3, mode="keyword")
    assert rag.retriever.readings("What is batch norm?", results) == [
        ("norm", "normalization", 'no paper uses "batch norm"')  # told, as a typo is
    ]

    _, rag = fake_index(tmp_path, rows[:1], "clipped-only")
    keyword = rag.retriever.snapshot().keyword
    assert keyword.query_terms("layer norm").unknown == {"norm"}  # no abstract writes it
    for question in ("what is layer norm?", "how does layer norm help recurrent networks?"):
        found = rag.search(question, k=1, mode="keyword")[0]
        assert found.relevance == 1.0, question
    found = rag.search("Layer Norm", k=1, mode="keyword")[0]
    [(typed, read, why)] = rag.retriever.readings("Layer Norm", [found])
    assert (typed, read.lower(), why) == ("Norm", "normalization", 'no paper uses "Norm"')
    assert rag.search("layer norms of bread", k=1, mode="keyword")[0].relevance < ANSWER_MIN


def test_a_phrase_written_with_one_more_word_counts_only_where_so_written(tmp_path) -> None:
    """ "What are self-normalizing networks?" was refused: its paper writes
    "self-normalizing neural networks", and no paper "self-normalizing networks". A phrase
    written with one more word between two of its words counts, for the papers so writing it
    alone; "the fixed-point theorem, we prove" writes no "theorem proving" (a clause ends
    at the comma), and a paper holding the words apart covers nothing of the phrase."""
    rows = [
        {
            "title": "Self-Normalizing Neural Networks",
            "abstract": "We introduce self-normalizing neural networks, whose activations "
            "converge to zero mean and unit variance. Using the fixed-point theorem, we "
            "prove that this holds even under noise, so very deep networks train stably.",
        },
        {
            "title": "Normalizing Flows for Density Estimation",
            "abstract": "Normalizing flows map a simple density to a complex one. Our "
            "networks learn the map by self-supervised training on unlabelled samples.",
        },
    ]
    rows.append(
        {
            "title": "XNOR-Net: ImageNet Classification Using Binary Convolutional Networks",
            "abstract": "We propose binary convolutional neural networks whose filters and "
            "inputs are binary, giving 58 times faster convolutions and 32 times less "
            "memory at a small cost in accuracy.",
        }
    )
    first = _keyword_first(tmp_path, rows, "spaced")
    found = first("What are self-normalizing networks?")
    assert (found.title, found.relevance) == ("Self-Normalizing Neural Networks", 1.0)
    found = first("What are binary neural networks?")  # one more word after the first
    assert found.title.startswith("XNOR-Net") and found.relevance == 1.0
    assert first("Which papers are about theorem proving?").relevance == 0.0

    flows = [row for row in rows if row["title"].startswith("Normalizing")]
    alone = _keyword_first(tmp_path, flows, "flows")
    assert alone("What are self-normalizing networks?").relevance == 0.0


def test_a_hyphenated_name_counts_only_where_its_words_are_written_in_a_row(tmp_path) -> None:
    """ "papers on Once-for-All from 2023" was answered from a 2023 paper holding "once"
    and "all" apart: a name of hyphenated words holding a stopword is found where its
    words stand in a row, hyphens or spaces between (`HyphenatedName`)."""
    rows = [
        {
            "title": "Once-for-All: Train One Network and Specialize It",
            "abstract": "We train a once-for-all network that supports diverse architectural "
            "settings, then pick a specialized sub-network for each device without "
            "retraining, cutting the cost of deployment on many phones.",
        },
        {
            "title": "Hopfield Networks Revisited",
            "abstract": "Once trained, the network stores patterns as attractors. We show "
            "that all stored patterns remain stable when the load stays below a threshold "
            "set by the signal-to-noise ratio.",
        },
        {
            "title": "Reasoning Step by Step",
            "abstract": "Chain of thought prompting asks a language model to write out its "
            "reasoning before the answer, which improves arithmetic and symbolic tasks "
            "for large models.",
        },
    ]
    first = _keyword_first(tmp_path, rows, "hyphenated")
    found = first("papers on Once-for-All")
    assert (found.title, found.relevance) == (rows[0]["title"], 1.0)
    _, rag = fake_index(tmp_path, rows, "hyphenated-alone")
    hopfield = next(r for r in rag.search("Once-for-All", k=5, mode="keyword") if "Hop" in r.title)
    assert hopfield.relevance == 0.0
    written = first("What is chain-of-thought prompting?")
    assert (written.title, written.relevance) == ("Reasoning Step by Step", 1.0)


def _hashed_where(word: str, count: int) -> list[str]:
    """`count` made-up words `HashEmbedder` puts where it puts `word` (same position and
    sign), so a text of a few of them reads closer to `word` than a long abstract
    naming it once."""
    target = HashEmbedder().embed([word])[0]
    found: list[str] = []
    for n in range(20_000):
        candidate = f"zq{n}x"
        if float(HashEmbedder().embed([candidate])[0] @ target) > 0.99:
            found.append(candidate)
            if len(found) == count:
                return found
    raise AssertionError(f"fewer than {count} words hash where {word!r} does")


async def test_a_passing_mention_dense_retrieval_missed_is_not_quoted(tmp_path) -> None:
    """Over SciFact "what is photosynthesis?" was answered from a vitamin D abstract
    holding the word once ("Inadequate photosynthesis or oral intake of Vitamin D"),
    one of the last papers by cosine. Here 480 papers read closer to the question for
    the fake embedder, so dense retrieval (200 chunks deep) misses that abstract: it is
    listed as the closest paper, not quoted, and an LLM still gets to read it. Naming the
    word in its title, or twice, is no passing mention."""
    vitamin = {
        "title": "Vitamin D and prevention of colorectal cancer",
        "abstract": "Inadequate photosynthesis or oral intake of vitamin D are associated "
        "with high incidence rates of colorectal cancer, but the dose-response relationship "
        "has not been established in trials of supplements in older adults.",
    }
    words = np.random.default_rng(0).integers(0, 5_000, size=(480, 3))
    fillers = [
        {
            "title": f"Survey {n} of the {word} registry",
            "abstract": f"The {word} registry lists measurements for cohort "
            + " ".join(f"w{w}" for w in row)
            + " of the survey with counts per district and the schedule of each clinic.",
        }
        for n, (row, word) in enumerate(
            zip(words, _hashed_where("photosynthesis", 4) * 120, strict=True)
        )
    ]
    _, rag = fake_index(tmp_path, [vitamin, *fillers], "passing")
    answer = await rag.answer("What is photosynthesis?")
    assert answer.abstained and not answer.citations
    assert answer.related[0].title == vitamin["title"]
    found = next(r for r in rag.search("What is photosynthesis?") if r.title == vitamin["title"])
    assert found.coverage == 1.0 and found.relevance == ON_TOPIC_MIN
    assert is_on_topic(found.relevance) and not is_citable(found.relevance)
    retriever = rag.retriever
    snap = retriever.snapshot()
    topic = retriever.topic(snap, "What is photosynthesis?")
    paper = rag.paper(found.paper_id)
    assert retriever.in_passing(snap, topic, paper)
    twice = paper.model_copy(update={"abstract": paper.abstract + " Photosynthesis too."})
    titled = paper.model_copy(update={"title": "Photosynthesis and vitamin D"})
    assert not retriever.in_passing(snap, topic, twice)
    assert not retriever.in_passing(snap, topic, titled)


async def test_a_name_written_once_is_no_passing_mention(fixture_index) -> None:
    """The HNSW paper writes "HNSW" once; the embedding model does not know the name, so
    its cosine says nothing and the name is no word of English read in passing."""
    _, rag = fixture_index
    retriever = rag.retriever
    snap = retriever.snapshot()
    hnsw = rag.search("What is HNSW?")[0]
    assert "HNSW" in rag.paper(hnsw.paper_id).abstract
    topic = retriever.topic(snap, "What is HNSW?")
    assert not retriever.in_passing(snap, topic, rag.paper(hnsw.paper_id))


def test_a_phrase_of_common_words_is_found_among_many_papers_holding_them(tmp_path) -> None:
    """Papers are read for an asked phrase up to `PHRASE_PAPERS` of those holding its
    words, the ones using them most first: in index order the bundled papers writing
    "learned optimizers" came 186th and 198th of 205 holding both words, and "What are
    learned optimizers?" was refused as asking about a phrase no paper writes."""
    holding_apart = [
        {
            "title": f"Schedules study {n}",
            "abstract": f"In study {n} the step sizes were learned from data and then handed "
            "to several optimizers, whose tuning budgets were compared on small image tasks.",
        }
        for n in range(PHRASE_PAPERS + 10)
    ]
    writer = {
        "title": "Versatile Learned Optimizers",
        "abstract": "Learned optimizers replace hand-designed update rules with a small "
        "network trained across thousands of tasks; our learned optimizers need no tuning.",
    }
    first = _keyword_first(tmp_path, [*holding_apart, writer], "learned-optimizers")
    found = first("What are learned optimizers?")
    assert (found.title, found.relevance) == (writer["title"], 1.0)


def test_a_slip_of_a_way_of_asking_is_no_topic(tmp_path) -> None:
    """ "waht is HNSW" over papers one of which writes "what": the slip is read as "what"
    and, like it, asks; counted as a topic word it had refused the question."""
    rows = [
        {
            "title": "What Matters in Nearest Neighbor Benchmarks",
            "abstract": "We study what makes approximate nearest neighbor benchmarks hard "
            "and which dataset properties decide the ranking of index structures.",
        }
    ]
    first = _keyword_first(tmp_path, rows, "slip")
    found = first("waht is HNSW")
    assert (found.title.startswith("Efficient and robust"), found.relevance) == (True, 1.0)


def test_a_paper_titled_with_the_whole_topic_comes_first(tmp_path) -> None:
    """A survey of image super-resolution that mentions video, and writes
    "super-resolution" four times, outranked the survey titled for video
    super-resolution on "video super resolution survey"."""
    rows = [
        {
            "title": "Deep Learning for Image Super-Resolution: A Survey",
            "abstract": "Image super-resolution (SR) recovers high-resolution images from "
            "low-resolution images. This survey reviews deep learning super-resolution "
            "methods, super-resolution benchmarks and super-resolution losses, and notes "
            "where they apply to video as well.",
        },
        {
            "title": "Video Super-Resolution Based on Deep Learning: A Survey",
            "abstract": "We review deep learning methods that restore high-resolution frames "
            "from low-resolution clips, grouping them by how they align neighbouring frames.",
        },
        {
            "title": "Face Super-Resolution with Facial Priors",
            "abstract": "We super-resolve faces with landmark priors and a face parsing "
            "network, improving face super-resolution.",
        },
    ]
    others = [{"title": t, "abstract": a} for t, a in PAPERS]  # "video" in few papers
    _, rag = fake_index(tmp_path, rows + others, "titled-topic")
    found = rag.search("video super resolution survey", k=3)
    assert [r.title.split()[0] for r in found[:2]] == ["Video", "Deep"]
    assert found[0].score == found[1].score  # moved first with the first score
    assert [r.rank for r in found] == list(range(1, len(found) + 1))
    assert rag.search("video super resolution survey", k=1)[0].title.startswith("Video")
    for question in ("super-resolution survey", "image super-resolution"):  # both titled
        assert rag.search(question, k=1)[0].title.startswith("Deep Learning for Image")


def test_a_word_most_papers_hold_is_no_part_of_a_titled_topic(tmp_path) -> None:
    """ "learn", in most abstracts, names no paper: "I want to learn about grokking"
    opened with a paper titled "Deep Learning ... Insights on Grokking ..." before the
    Grokking paper, its title holding "Learning" too."""
    rows = [
        {
            "title": "Grokking: Generalization Beyond Overfitting on Small Datasets",
            "abstract": "We study grokking: learning networks suddenly generalize long after "
            "overfitting small algorithmic datasets. Grokking appears past memorization, "
            "and learning continues.",
        },
        {
            "title": "Deep Learning Through a Telescoping Lens: Insights on Grokking and Boosting",
            "abstract": "A simple model of deep learning explains several phenomena of "
            "training, among them double descent and gradient boosting.",
        },
        {
            "title": "Learning Rate Schedules",
            "abstract": "We compare learning rate schedules for learning deep networks on "
            "image and text tasks, and find that cosine decay works best overall.",
        },
        {
            "title": "Curriculum Learning",
            "abstract": "Learning from easy examples first speeds up learning, and we show "
            "when a curriculum helps deep networks train faster on noisy data.",
        },
    ] + [
        {
            "title": f"{kind} Learning",
            "abstract": f"{kind} learning trains models on data held in many places, and we "
            "study how this kind of learning behaves as the data grows larger.",
        }
        for kind in ("Federated", "Active", "Contrastive", "Online")
    ]
    _, rag = fake_index(tmp_path, rows, "common-word")
    keyword = rag.retriever.snapshot().keyword
    assert keyword.idf(keyword.indexed_word("learn")) < COMMON_IDF  # held by most
    assert keyword.idf(keyword.indexed_word("grokking")) > COMMON_IDF
    for question in ("I want to learn about grokking", "grokking"):
        for k in (1, 3):  # the first result is the same however many are asked for
            assert rag.search(question, k=k)[0].title.startswith("Grokking:"), question

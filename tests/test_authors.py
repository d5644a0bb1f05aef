"""Papers by an author ("papers by Tegmark", "what has Ziming Liu written on splines?"):
read from the question, found by the names the records list, answered from the records."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.answering import RECORD_NOTE, Answer
from rag.authors import PersonName, author_question
from rag.errors import NotFoundError
from rag.paper_rag import PaperRAG
from tests.fakes import FakeLLM, HashEmbedder, fake_index

ROWS = [
    {
        "title": "KAN: Kolmogorov-Arnold Networks",
        "abstract": "Inspired by the Kolmogorov-Arnold representation theorem, we propose "
        "Kolmogorov-Arnold Networks (KAN) as alternatives to multi-layer perceptrons, with "
        "learnable activation functions on edges and splines instead of linear weights.",
        "authors": ["Ziming Liu", "Yixuan Wang", "Max Tegmark"],
        "date": "2024-04-30",
    },
    {
        "title": "KAN 2.0: Kolmogorov-Arnold Networks Meet Science",
        "abstract": "We extend Kolmogorov-Arnold networks with multiplication nodes and a "
        "compiler from symbolic formulas, so that spline networks discover conserved "
        "quantities and Lagrangians from data in physics problems.",
        "authors": ["Ziming Liu", "Pingchuan Ma", "Max Tegmark"],
        "date": "2024-08-19",
    },
    {
        "title": "Omnigrok: Grokking Beyond Algorithmic Data",
        "abstract": "Grokking, generalization long after overfitting, is explained by the "
        "mismatch between training and test loss landscapes as a function of weight norm; "
        "we induce and eliminate grokking on images, language and molecules.",
        "authors": ["Liu, Ziming", "Michaud, Eric J.", "Tegmark, Max"],
        "date": "2022-10",
    },
    {
        "title": "Accurate Diphoton Cross Sections at Hadron Colliders",
        "abstract": "A fully differential calculation in perturbative quantum chromodynamics "
        "is presented for the production of massive photon pairs at hadron colliders, with "
        "all next-to-leading order contributions and resummed gluon radiation.",
        "authors": ["C. Balázs", "P. M. Nadolsky", "C. -P. Yuan [2]"],
        "date": "2007-04-02",
    },
    {
        "title": "Visualizing Data using t-SNE",
        "abstract": "We present a new technique called t-SNE that visualizes high-dimensional "
        "data by giving each datapoint a location in a two or three-dimensional map, a "
        "variation of stochastic neighbor embedding that is much easier to optimize.",
        "authors": ["Laurens van der Maaten", "Geoffrey Hinton"],
        "date": "2008",
    },
]


@pytest.fixture
def rag(tmp_path: Path) -> PaperRAG:
    return fake_index(tmp_path, ROWS, "authors")[1]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("question", "names", "topic"),
    [
        ("papers by Tegmark", ("Tegmark",), None),
        ("Papers by Max Tegmark?", ("Max Tegmark",), None),
        ("show me all the papers written by P. M. Nadolsky", ("P. M. Nadolsky",), None),
        ("what has Ziming Liu written on splines?", ("Ziming Liu",), "splines"),
        ("Which papers did Geoffrey E. Hinton co-author?", ("Geoffrey E. Hinton",), None),
        ("Tegmark's papers about grokking", ("Tegmark",), "grokking"),
        ("anything by van der Maaten?", ("van der Maaten",), None),
        ("are there any papers by Yann LeCun in the index?", ("Yann LeCun",), None),
        ("do you have papers by Kaiming He?", ("Kaiming He",), None),
        ("papers by Liu, Tegmark and Michaud", ("Liu", "Tegmark", "Michaud"), None),
        ("papers by Smith, J. and Doe, A. B.", ("Smith, J.", "Doe, A. B."), None),
        ("papers by Nadolsky, please", ("Nadolsky",), None),
    ],
)
def test_questions_asking_for_an_authors_papers_are_read(
    question: str, names: tuple[str, ...], topic: str | None
) -> None:
    asked = author_question(question)
    assert asked is not None and asked.names == names and asked.topic == topic


@pytest.mark.parametrize(
    "question",
    [
        "what has been published on KAN?",
        "papers by year",
        "papers by the authors of KAN",
        "is dropout used by transformers?",
        "What have researchers written on grokking?",
        "papers on KAN",
        "Who wrote the KAN paper?",
    ],
)
def test_other_questions_ask_for_no_author(question: str) -> None:
    assert author_question(question) is None


@pytest.mark.parametrize(
    ("typed", "written", "same"),
    [
        ("Nadolsky", "P. M. Nadolsky", True),
        ("Pavel Nadolsky", "P. M. Nadolsky", True),
        ("P. Nadolsky", "Pavel M. Nadolsky", True),
        ("Paul Nadolsky", "Pavel Nadolsky", False),
        ("Balazs", "C. Balázs", True),
        ("C.-P. Yuan", "C. -P. Yuan", True),
        ("Tegmark", "Tegmark, Max", True),
        ("Max Tegmark", "Tegmark, Max", True),
        ("Smith, J.", "John Smith", True),
        ("van der Maaten", "Laurens van der Maaten", True),
        ("Maaten", "Laurens van der Maaten", True),
        ("Hinton", "Geoffrey Hinton", True),
        ("Hinto", "Geoffrey Hinton", False),
        ("Liu", "Ziming Liu", True),
        ("Ziming", "Ziming Liu", False),  # a given name alone is no surname
    ],
)
def test_a_name_matches_as_people_write_it(typed: str, written: str, same: bool) -> None:
    name, author = PersonName.parse(typed), PersonName.parse(written)
    assert name is not None and author is not None
    assert name.matches(author) is same


def _checked(answer: Answer, rag: PaperRAG) -> list[str]:
    """The titles cited, after checking every marker is a citation quoting its paper."""
    assert not answer.abstained and answer.answer.startswith(RECORD_NOTE)
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers == {c.n for c in answer.citations}
    for citation in answer.citations:
        assert citation.quote in rag.paper(citation.paper_id).abstract
    return [c.title for c in answer.citations]


async def test_an_authors_papers_are_listed_from_their_records_newest_first(
    rag: PaperRAG,
) -> None:
    answer = await rag.answer("papers by Tegmark")
    assert _checked(answer, rag) == [
        "KAN 2.0: Kolmogorov-Arnold Networks Meet Science",
        "KAN: Kolmogorov-Arnold Networks",
        "Omnigrok: Grokking Beyond Algorithmic Data",  # "Tegmark, Max" in BibTeX order
    ]
    assert "3 indexed papers list an author named \u201cTegmark\u201d:" in answer.answer
    assert "(2024-08-19) is by Ziming Liu, Pingchuan Ma and Max Tegmark." in answer.answer
    assert "(2022-10)" in answer.answer  # the source's precision, not a made-up day
    assert answer.citations[0].quote.startswith("We extend")  # its abstract's opening
    assert answer.related == []


async def test_a_name_written_otherwise_finds_the_same_papers(rag: PaperRAG) -> None:
    for question in ("What has Pavel Nadolsky written?", "papers by Balazs", "papers by Yuan"):
        answer = await rag.answer(question)
        assert _checked(answer, rag) == ["Accurate Diphoton Cross Sections at Hadron Colliders"]
        assert "C. -P. Yuan (2)" in answer.answer  # the record's "[2]" is no citation marker


async def test_co_authors_must_all_be_listed(rag: PaperRAG) -> None:
    answer = await rag.answer("papers by Liu and Michaud")
    assert _checked(answer, rag) == ["Omnigrok: Grokking Beyond Algorithmic Data"]
    assert "authors named \u201cLiu\u201d and \u201cMichaud\u201d" in answer.answer


async def test_a_topic_narrows_the_listing_or_is_said_to_match_none(rag: PaperRAG) -> None:
    narrowed = await rag.answer("Tegmark's papers on grokking")
    assert _checked(narrowed, rag) == ["Omnigrok: Grokking Beyond Algorithmic Data"]
    assert "1 of the 3 indexed papers listing an author named" in narrowed.answer
    off = await rag.answer("papers by Nadolsky about grokking")
    assert _checked(off, rag) == ["Accurate Diphoton Cross Sections at Hadron Colliders"]
    assert "is not on \u201cgrokking\u201d" in off.answer


async def test_a_name_no_record_lists_is_said_with_the_closest_names(rag: PaperRAG) -> None:
    answer = await rag.answer("papers by Nadolksy")
    assert answer.abstained and not answer.citations
    assert any(
        "an author named \u201cNadolksy\u201d (closest: P. M. Nadolsky)" in w
        for w in answer.warnings
    )
    topic = await rag.answer("papers by Kingma on grokking")  # the topic is still answered
    assert any("Kingma" in w for w in topic.warnings)
    assert "Omnigrok: Grokking Beyond Algorithmic Data" in [c.title for c in topic.citations]


async def test_a_date_range_applies_to_the_listing(rag: PaperRAG) -> None:
    answer = await rag.answer("papers by Tegmark from 2024")
    assert len(_checked(answer, rag)) == 2
    none = await rag.answer("papers by Nadolsky from 2024")
    assert none.abstained
    assert any("is dated in the range asked" in w for w in none.warnings)


async def test_records_without_authors_say_so(tmp_path: Path) -> None:
    rows = [{k: v for k, v in row.items() if k != "authors"} for row in ROWS]
    rag = fake_index(tmp_path, rows, "no-authors")[1]
    answer = await rag.answer("papers by Tegmark")
    assert answer.abstained
    assert any("records lists authors" in w for w in answer.warnings)


async def test_with_an_llm_the_records_still_answer_and_the_llm_is_not_called(
    tmp_path: Path,
) -> None:
    settings, _ = fake_index(tmp_path, ROWS, "authors-llm")
    llm = FakeLLM("KAN puts splines on edges [1].")
    rag = PaperRAG.open(settings, embedder=HashEmbedder(), llm=llm)
    answer = await rag.answer("papers by van der Maaten")
    assert _checked(answer, rag) == ["Visualizing Data using t-SNE"]
    assert answer.mode == "extractive" and not llm.prompts


def test_search_keeps_an_authors_papers(rag: PaperRAG) -> None:
    found = rag.search("Kolmogorov-Arnold networks", author="Tegmark")
    assert [r.title for r in found][:2] == [
        "KAN: Kolmogorov-Arnold Networks",
        "KAN 2.0: Kolmogorov-Arnold Networks Meet Science",
    ]
    assert {r.title for r in found} <= {r["title"] for r in ROWS if "Tegmark" in str(r)}
    assert len(found) == 3  # Omnigrok too, which lists him as "Tegmark, Max"
    assert [r.rank for r in found] == list(range(1, len(found) + 1))
    assert [r.title for r in rag.search("grokking", author="Liu and Michaud")] == [
        "Omnigrok: Grokking Beyond Algorithmic Data"
    ]
    with pytest.raises(NotFoundError) as missing:
        rag.search("grokking", author="Nadolksy")
    assert missing.value.suggestions == ["P. M. Nadolsky"]


async def test_the_search_endpoint_filters_by_author(api, tmp_path: Path) -> None:
    settings, _ = fake_index(tmp_path, ROWS, "authors-api")
    client = await api(data_dir=settings.data_dir, collection="authors-api")
    response = await client.get("/v1/search", params={"q": "splines", "author": "Ziming Liu"})
    assert response.status_code == 200
    titles = [hit["title"] for hit in response.json()["results"]]
    assert titles and all(t.startswith(("KAN", "Omnigrok")) for t in titles)
    unknown = await client.get("/v1/search", params={"q": "splines", "author": "Nadolksy"})
    assert unknown.status_code == 404
    body = unknown.json()
    assert "Nadolksy" in body["error"]["message"] and body["error"]["suggestions"] == [
        "P. M. Nadolsky"
    ]

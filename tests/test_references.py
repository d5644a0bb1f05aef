"""Questions naming papers by id, as an abstention lists them for following up: answered
from those papers alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answering import Message
from rag.paper_rag import PaperRAG
from rag.references import named_papers
from tests.fakes import HashEmbedder, fake_index

ROWS = [
    {
        "id": "0704.0185",
        "title": "Potfit: effective potentials from ab-initio data",
        "abstract": "We present a program called potfit which generates an effective atomic "
        "interaction potential by matching it to reference data from first-principles "
        "calculations. The program has been used for complex intermetallic alloys, notably "
        "quasicrystals, and for oxides.",
        "authors": ["Peter Brommer", "Franz Gähler"],
    },
    {
        "id": "0704.0163",
        "title": "Effective potentials for quasicrystals from ab-initio data",
        "abstract": "For complex alloys like quasicrystals, realistic effective potentials are "
        "practically inexistent. We fit embedded-atom potentials for decagonal and "
        "icosahedral quasicrystals to forces, energies and stresses from ab-initio runs.",
    },
    {
        "doi": "10.1000/protein.42",
        "title": "Protein folding with coarse-grained potentials",
        "abstract": "Coarse-grained potentials for protein folding are fitted to atomistic "
        "simulations of small proteins; the folded states of twelve proteins are found "
        "within two angstroms of their crystal structures at a fraction of the cost.",
    },
]


@pytest.fixture
def rag(tmp_path: Path) -> PaperRAG:
    settings, _ = fake_index(tmp_path, ROWS, "references")
    return PaperRAG.open(settings, embedder=HashEmbedder())


def test_ids_of_indexed_papers_are_read_as_their_titles(rag: PaperRAG) -> None:
    catalog = rag.retriever.catalog
    named = named_papers("What does arXiv:0704.0185v2 say about oxides?", catalog)
    assert named.ids == ["0704.0185"]
    assert named.titled == (
        "What does \u201cPotfit: effective potentials from ab-initio data\u201d say about oxides?"
    )
    assert named.rest == "What does oxides?"
    doi = named_papers("Summarize 10.1000/protein.42.", catalog)  # not its full stop
    assert doi.ids == ["10.1000/protein.42"] and doi.rest == "."
    slug = rag.paper("Protein folding with coarse-grained potentials").paper_id
    assert named_papers(f"tell me about `{slug}`", catalog).ids == [slug]
    assert named_papers("What is 0704.9999 about?", catalog).ids == []  # not indexed
    assert named_papers("What is 12.5 about?", catalog).ids == []


async def test_a_paper_named_by_id_is_answered_from_alone(rag: PaperRAG) -> None:
    """Its title would also match the other quasicrystal paper; only it is quoted."""
    for question in ("What is 0704.0185 about?", "summarize arXiv:0704.0185"):
        answer = await rag.answer(question)
        assert not answer.abstained
        assert {c.paper_id for c in answer.citations} == {"0704.0185"}
        assert answer.question == question


async def test_what_is_asked_of_a_named_paper_decides(rag: PaperRAG) -> None:
    about = await rag.answer("What does 0704.0185 say about quasicrystals?")
    assert [c.paper_id for c in about.citations] == ["0704.0185"]
    assert "quasicrystals" in about.citations[0].quote
    other = await rag.answer("What does 0704.0185 say about protein folding?")
    assert other.abstained and not other.citations  # another paper's topic


async def test_two_named_papers_are_both_answered(rag: PaperRAG) -> None:
    answer = await rag.answer("compare 0704.0185 and 0704.0163")
    assert {c.paper_id for c in answer.citations} == {"0704.0185", "0704.0163"}


async def test_a_record_question_may_name_its_paper_by_id(rag: PaperRAG) -> None:
    answer = await rag.answer("Who wrote 0704.0185?")
    assert "is by Peter Brommer and Franz Gähler." in answer.answer


async def test_an_id_no_paper_has_is_said_so(rag: PaperRAG) -> None:
    answer = await rag.answer("What is 0704.9999 about?")
    assert answer.abstained and answer.warnings == ['No indexed paper has the id "0704.9999"']
    code = await rag.answer("What is `torch.compile`?")  # backticks quote code too
    assert not any("id" in warning for warning in code.warnings)


async def test_a_follow_up_asks_about_the_paper_named_before(rag: PaperRAG) -> None:
    history = [
        Message(role="user", content="Tell me about 0704.0185"),
        Message(role="assistant", content="Potfit fits potentials [1]."),
    ]
    authors = await rag.answer("who are its authors?", history=history)
    assert "is by Peter Brommer and Franz Gähler." in authors.answer
    about = await rag.answer("what does it say about quasicrystals?", history=history)
    assert [c.paper_id for c in about.citations] == ["0704.0185"]

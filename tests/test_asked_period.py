"""A period a question asks papers from is the search's date range, not topic words;
"latest" orders the relevant papers newest first."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rag.answering import NOT_IN_PERIOD
from rag.asked_period import asked_period
from rag.paper_rag import PaperRAG
from tests.fakes import HashEmbedder, fake_index

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("question", "rest", "since", "until"),
    [
        ("papers on KAN from 2024", "papers on KAN", date(2024, 1, 1), date(2024, 12, 31)),
        ("KAN papers published in 2024", "KAN papers", date(2024, 1, 1), date(2024, 12, 31)),
        (
            "What was published on DeepONet in 2019?",
            "What on DeepONet?",
            date(2019, 1, 1),
            date(2019, 12, 31),
        ),
        ("research on pruning since 2022", "research on pruning", date(2022, 1, 1), None),
        ("papers on GANs published after 2019", "papers on GANs", date(2020, 1, 1), None),
        ("papers on GANs before 2019", "papers on GANs", None, date(2018, 12, 31)),
        (
            "papers on GANs between 2017 and 2019",
            "papers on GANs",
            date(2017, 1, 1),
            date(2019, 12, 31),
        ),
        ("GAN papers between 2019 and 2017", "GAN papers", date(2017, 1, 1), date(2019, 12, 31)),
        ("2023 papers on diffusion", "papers on diffusion", date(2023, 1, 1), date(2023, 12, 31)),
        ("HNSW work in the last two years", "HNSW work", date(2024, 1, 1), None),
        ("papers from this year on LLMs", "papers on LLMs", date(2026, 1, 1), None),
    ],
)
def test_a_period_asked_for_is_a_date_range(question, rest, since, until) -> None:
    period = asked_period(question, TODAY)
    assert period is not None
    assert (period.question, period.since, period.until) == (rest, since, until)


@pytest.mark.parametrize(
    "question",
    [
        "In 2015, obesity prevalence rose in adults",  # a claim about 2015
        "papers on the 2008 financial crisis",  # a year inside the topic
        "Who won the 2018 World Cup?",
        "latest papers on KAN",  # no period: an order
    ],
)
def test_other_years_are_no_period(question: str) -> None:
    assert asked_period(question, TODAY) is None


TOPICS = {
    "Alpha": ("2019-05-01", "blinking patterns of synthetic faces in interview footage"),
    "Beta": ("2021-03-01", "audio and lip motion that disagree in dubbed speeches"),
    "Gamma": ("2020-07-01", "frequency artifacts that upsampling leaves in generated frames"),
    "Delta": (None, "heartbeat signals missing from the skin colour of swapped faces"),
}
ROWS = [
    {
        "title": f"Deepfake Detection {name}",
        "abstract": f"We detect deepfake videos from {cue}; the detector {name} beats earlier "
        "ones on public benchmarks and stays accurate after compression.",
        **({"date": day} if day else {}),
    }
    for name, (day, cue) in TOPICS.items()
] + [  # other topics: the background the relevance of a match is measured against
    {
        "title": title,
        "abstract": f"{title} is studied in this paper, where {text} We compare the method "
        "with strong baselines and release the code.",
        "date": "2020-05-05",
    }
    for title, text in (
        ("Graph Search", "navigable small world graphs index vectors for nearest neighbours."),
        ("Adaptive Optimizers", "momentum and learning rate schedules speed up training."),
        ("Protein Folding", "residue contacts predict the folded structure of proteins."),
        ("Speech Recognition", "acoustic models transcribe noisy telephone recordings."),
        ("Weather Forecasting", "neural operators predict tomorrow's pressure fields."),
        ("Robot Grasping", "tactile sensors guide a gripper picking unseen objects."),
    )
]


@pytest.fixture
def rag(tmp_path: Path) -> PaperRAG:
    settings, _ = fake_index(tmp_path, ROWS, "dated")
    return PaperRAG.open(settings, embedder=HashEmbedder())


async def test_papers_from_a_period_are_answered_from_that_period_only(rag: PaperRAG) -> None:
    answer = await rag.answer("papers on deepfake detection from 2020")
    assert not answer.abstained
    assert [c.title for c in answer.citations] == ["Deepfake Detection Gamma"]
    assert answer.warnings == [
        'Read "from 2020" as papers dated from 2020-01-01 until 2020-12-31 '
        "(undated papers left out)"
    ]


async def test_a_period_no_paper_on_the_topic_is_from_lists_those_from_other_dates(
    rag: PaperRAG,
) -> None:
    """An abstention lists where to look next; with a period, the closest papers in it
    are off topic (or none), while the papers on the topic are from other dates."""
    answer = await rag.answer("papers on deepfake detection from 1990")
    assert answer.abstained and not answer.citations
    assert answer.answer.startswith(NOT_IN_PERIOD + " Papers on it dated otherwise:")
    assert "- Deepfake Detection Gamma (2020-07-01, `" in answer.answer
    assert "- Deepfake Detection Delta (undated, `" in answer.answer
    titles = [r.title for r in answer.related]
    assert titles and all(t.startswith("Deepfake Detection") for t in titles)
    off = await rag.answer("papers on sourdough bread from 1990")  # on no date either
    assert off.abstained and NOT_IN_PERIOD not in off.answer


async def test_the_latest_papers_come_newest_first(rag: PaperRAG) -> None:
    answer = await rag.answer("What are the latest papers on deepfake detection?")
    dated = [c.title.split()[-1] for c in answer.citations if c.date]
    assert dated == ["Beta", "Gamma", "Alpha"][: len(dated)] and len(dated) >= 2

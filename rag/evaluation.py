"""Retrieval evaluation against a question set with gold paper titles.

Metrics follow the shared eval README: recall@k is the fraction of a question's gold
titles among the top k papers, MRR the mean reciprocal rank of the first gold title.
The product retriever is measured next to BM25 alone and dense alone in one run.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from rag.answering import llm_sources
from rag.asked_period import asked_period
from rag.comparisons import searched
from rag.errors import CorpusError
from rag.papers import normalize_title
from rag.record_questions import searched_for
from rag.relevance import is_on_topic
from rag.retrieval import Mode, Retriever

if TYPE_CHECKING:
    from rag.paper_rag import PaperRAG

CUTOFFS = (1, 5, 10)


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    question: str
    gold_titles: list[str]
    answer_facts: list[str]
    difficulty: str = "easy"
    """For unanswerable (`none`) questions: `easy` = off-topic, `hard` = near-miss (names
    something in the corpus but asks what no abstract states)."""


def load_questions(path: Path) -> list[Question]:
    questions = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CorpusError(path, f"cannot read question file: {exc.strerror or exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            questions.append(
                Question(
                    str(obj["id"]),
                    str(obj.get("type", "all")),
                    str(obj["question"]),
                    list(obj.get("gold_titles", [])),
                    list(obj.get("answer_facts", [])),
                    str(obj.get("difficulty", "easy")),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise CorpusError(path, f"bad question line ({exc})", number) from None
    return questions


@dataclass
class Scores:
    count: int = 0
    recall: dict[int, float] | None = None
    mrr: float = 0.0


def _score(ranked: list[str], gold: set[str], k_max: int) -> tuple[dict[int, float], float]:
    recall = {k: len(gold & set(ranked[:k])) / len(gold) for k in CUTOFFS if k <= k_max}
    first = next((i for i, title in enumerate(ranked, 1) if title in gold), None)
    return recall, (1.0 / first if first else 0.0)


def evaluate_retrieval(
    retriever: Retriever,
    questions: list[Question],
    k: int = 10,
    modes: tuple[Mode, ...] = ("hybrid", "keyword", "dense"),
) -> dict[Mode, dict[str, Scores]]:
    """Per mode, per question type (plus `all`): mean recall@1/5/10 and MRR."""
    answerable = [q for q in questions if q.gold_titles]
    table: dict[Mode, dict[str, Scores]] = {}
    for mode in modes:
        sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for question in answerable:
            results = retriever.search(question.question, k=k, mode=mode)
            ranked = [normalize_title(r.title) for r in results]
            recall, rr = _score(ranked, {normalize_title(t) for t in question.gold_titles}, k)
            for bucket in (question.type, "all"):
                sums[bucket]["n"] += 1
                sums[bucket]["mrr"] += rr
                for cutoff, value in recall.items():
                    sums[bucket][f"r{cutoff}"] += value
        table[mode] = {
            bucket: Scores(
                count=int(s["n"]),
                recall={c: s[f"r{c}"] / s["n"] for c in CUTOFFS if c <= k},
                mrr=s["mrr"] / s["n"],
            )
            for bucket, s in sums.items()
        }
    return table


def _contains(answer: str, fact: str) -> bool:
    """Case- and whitespace-insensitive containment (so "5ms" matches "5 ms")."""
    squash = lambda text: re.sub(r"\s+", "", text).casefold()  # noqa: E731
    return squash(fact) in squash(answer)


@dataclass
class Rate:
    hits: int = 0
    total: int = 0

    def add(self, hit: bool) -> None:
        self.hits += hit
        self.total += 1

    @property
    def value(self) -> float:
        return self.hits / self.total if self.total else 0.0


@dataclass
class AnswerScores:
    """Abstention where it is right (off-topic, near-miss) and where it is wrong (answerable)."""

    off_topic: Rate = field(default_factory=Rate)
    near_miss: Rate = field(default_factory=Rate)
    false_abstention: Rate = field(default_factory=Rate)
    fact_coverage: list[float] = field(default_factory=list)
    gold_first: Rate = field(default_factory=Rate)
    """Answered questions whose first citation (the paper the answer opens with) is a
    gold paper."""
    gold_cited: Rate = field(default_factory=Rate)
    """Gold papers of answered questions with several ("Which papers study NER?") that
    the answer cites: whether a question asking for papers gets them all."""
    cited_gold: Rate = field(default_factory=Rate)
    """Citations of answered questions with gold papers that cite one: what the answer
    cites beside them is noise."""

    def add(self, question: Question, abstained: bool) -> None:
        if question.type != "none":
            self.false_abstention.add(abstained)
        elif question.difficulty == "hard":
            self.near_miss.add(abstained)
        else:
            self.off_topic.add(abstained)

    @property
    def fact_rate(self) -> float:
        return sum(self.fact_coverage) / len(self.fact_coverage) if self.fact_coverage else 0.0


async def evaluate_answers(rag: PaperRAG, questions: list[Question]) -> AnswerScores:
    """Abstention per kind of question, `answer_facts` found on `fact` questions, and
    how often an answer opens with a gold paper."""
    scores = AnswerScores()
    for question in questions:
        answer = await rag.answer(question.question)
        scores.add(question, answer.abstained)
        if question.gold_titles and not answer.abstained:
            gold = {normalize_title(title) for title in question.gold_titles}
            cited = [normalize_title(c.title) for c in answer.citations]
            scores.gold_first.add(bool(cited) and cited[0] in gold)
            for title in cited:
                scores.cited_gold.add(title in gold)
            if len(gold) > 1:
                for title in gold:
                    scores.gold_cited.add(title in cited)
        if question.type == "fact" and question.answer_facts and not answer.abstained:
            found = sum(_contains(answer.answer, fact) for fact in question.answer_facts)
            scores.fact_coverage.append(found / len(question.answer_facts))
        elif question.type == "fact" and question.answer_facts:
            scores.fact_coverage.append(0.0)
    return scores


def evaluate_gate(retriever: Retriever, questions: list[Question], k: int) -> AnswerScores:
    """The pre-LLM gate alone: what an LLM-mode answerer abstains on before any call
    (on what the answerer searches: `asked_period`, `searched_for`)."""
    scores = AnswerScores()
    for question in questions:
        text, since, until = question.question, None, None
        if (period := asked_period(text, date.today())) is not None:
            text, since, until = period.question, period.since, period.until
        query = searched_for(text)
        results, _ = searched(retriever, query, k, is_on_topic, since, until)
        scores.add(question, not llm_sources(retriever, query, results))
    return scores

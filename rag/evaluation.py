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
from pathlib import Path

from rag.answering import Answerer, is_relevant
from rag.config import Settings
from rag.errors import CorpusError
from rag.papers import normalize_title
from rag.retrieval import Mode, Retriever

CUTOFFS = (1, 5, 10)


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    question: str
    gold_titles: list[str]
    answer_facts: list[str]


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
class AnswerScores:
    none_total: int = 0
    none_abstained: int = 0
    answerable_total: int = 0
    false_abstained: int = 0
    fact_coverage: list[float] = field(default_factory=list)

    @property
    def abstention_rate(self) -> float:
        return self.none_abstained / self.none_total if self.none_total else 0.0

    @property
    def false_abstention_rate(self) -> float:
        return self.false_abstained / self.answerable_total if self.answerable_total else 0.0

    @property
    def fact_rate(self) -> float:
        return sum(self.fact_coverage) / len(self.fact_coverage) if self.fact_coverage else 0.0


async def evaluate_answers(answerer: Answerer, questions: list[Question]) -> AnswerScores:
    """Abstention on `none`, false abstention elsewhere, `answer_facts` found on `fact`."""
    scores = AnswerScores()
    for question in questions:
        answer = await answerer.answer(question.question)
        if question.type == "none":
            scores.none_total += 1
            scores.none_abstained += answer.abstained
            continue
        scores.answerable_total += 1
        scores.false_abstained += answer.abstained
        if question.type == "fact" and question.answer_facts:
            found = sum(_contains(answer.answer, fact) for fact in question.answer_facts)
            scores.fact_coverage.append(found / len(question.answer_facts))
    return scores


def evaluate_gate(
    retriever: Retriever, settings: Settings, questions: list[Question]
) -> AnswerScores:
    """The pre-LLM relevance gate alone: what an LLM-mode answerer abstains on before any call."""
    scores = AnswerScores()
    for question in questions:
        results = retriever.search(question.question, k=settings.answer_k)
        gated = not results or not is_relevant(results[0], settings)
        if question.type == "none":
            scores.none_total += 1
            scores.none_abstained += gated
        else:
            scores.answerable_total += 1
            scores.false_abstained += gated
    return scores

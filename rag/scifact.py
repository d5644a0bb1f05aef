"""SciFact as a second, unrelated corpus for the answerability and citation evaluations.

SciFact (Wadden et al., 2020; BEIR layout) has biomedical abstracts and expert-written
claims whose supporting abstracts and rationale sentences are annotated. Unanswerable
questions are built honestly: every fifth claim with evidence (by id) is held out and
its gold abstracts are left out of the index, so those claims (and any other claim whose
gold abstracts all went with them) become near-misses, on topic for the corpus but
answered by none of its abstracts. The other claims with evidence are answerable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rag.cite import find_support
from rag.config import Settings
from rag.embeddings import Embedder
from rag.errors import CorpusError
from rag.evaluation import Question, Rate
from rag.index import ingest_paths
from rag.ingest import Progress
from rag.retrieval import Retriever

HOLD_OUT_EVERY = 5
"""One claim in five (with evidence, sorted by id) is held out with its gold abstracts."""


@dataclass(frozen=True)
class Claim:
    id: str
    text: str
    evidence: dict[str, list[dict[str, object]]]
    """doc id -> annotations ({"sentences": [i, ...], "label": "SUPPORT"|"CONTRADICT"})."""

    def docs(self, label: str | None = None) -> set[str]:
        return {
            doc
            for doc, notes in self.evidence.items()
            if label is None or any(n.get("label") == label for n in notes)
        }


@dataclass
class Split:
    """The held-out split: which documents stay out of the index and what each claim is."""

    claims: list[Claim]
    dropped: set[str] = field(default_factory=set)
    held_out: set[str] = field(default_factory=set)

    @classmethod
    def whole(cls, claims: list[Claim]) -> Split:
        """Every claim with evidence answerable: the full corpus indexed (`rag eval beir`)."""
        return cls(sorted((c for c in claims if c.evidence), key=lambda c: int(c.id)))

    @classmethod
    def make(cls, claims: list[Claim]) -> Split:
        with_evidence = sorted((c for c in claims if c.evidence), key=lambda c: int(c.id))
        held = {c.id for i, c in enumerate(with_evidence) if i % HOLD_OUT_EVERY == 0}
        dropped = {doc for c in with_evidence if c.id in held for doc in c.docs()}
        return cls(with_evidence, dropped, held)

    def answerable(self, claim: Claim) -> bool:
        return claim.id not in self.held_out and bool(claim.docs() - self.dropped)


def _read_jsonl(path: Path) -> list[dict[str, object]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CorpusError(path, f"cannot read: {exc.strerror or exc}") from None
    rows = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise CorpusError(path, f"malformed JSON: {exc.msg}", number) from None
    return rows


def has_claims(folder: Path) -> bool:
    """Whether `folder` holds SciFact's original release files beside the BEIR ones."""
    return (folder / "claims_train.jsonl").is_file() and (
        folder / "corpus_sentences.jsonl"
    ).is_file()


def load_claims(folder: Path) -> list[Claim]:
    """`claims_train.jsonl` of a SciFact folder."""
    return [
        Claim(str(row["id"]), str(row["claim"]), dict(row.get("evidence") or {}))  # type: ignore[arg-type]
        for row in _read_jsonl(folder / "claims_train.jsonl")
    ]


def build_index(
    folder: Path,
    split: Split,
    settings: Settings,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
) -> Settings:
    """Ingest SciFact's corpus less the held-out gold abstracts into its own data dir
    under `settings.data_dir/eval/` (a no-op when it is already there); its settings."""
    target = settings.data_dir / "eval" / "scifact-heldout"
    target.mkdir(parents=True, exist_ok=True)
    corpus = target / "corpus.jsonl"
    kept = [
        json.dumps(row, ensure_ascii=False)
        for row in _read_jsonl(folder / "corpus.jsonl")
        if str(row.get("_id")) not in split.dropped
    ]
    text = "\n".join(kept) + "\n"
    if not corpus.exists() or corpus.read_text(encoding="utf-8") != text:
        corpus.write_text(text, encoding="utf-8")
    eval_settings = settings.model_copy(update={"data_dir": target, "chroma_url": None})
    ingest_paths(eval_settings, [corpus], fmt="jsonl", embedder=embedder, progress=progress)
    return eval_settings


def questions(split: Split, off_topic: list[Question]) -> list[Question]:
    """Answerable claims, near-miss claims (gold held out) and the given off-topic questions."""
    items = [
        Question(
            claim.id,
            "claim" if split.answerable(claim) else "none",
            claim.text,
            [],
            [],
            "easy" if split.answerable(claim) else "hard",
        )
        for claim in split.claims
    ]
    return items + [q for q in off_topic if q.type == "none" and q.difficulty != "hard"]


def _squash(text: str) -> str:
    return re.sub(r"\W+", "", text).casefold()


@dataclass
class CiteScores:
    gold_first: Rate = field(default_factory=Rate)
    """Supported claims whose first match is a gold (supporting) abstract."""
    rationale: Rate = field(default_factory=Rate)
    """Supported claims whose first match quotes an annotated rationale sentence."""
    unsupported_empty: Rate = field(default_factory=Rate)
    """Near-miss claims (gold held out) for which citation lookup finds no match."""


def evaluate_cite(
    folder: Path,
    split: Split,
    retriever: Retriever,
    on_claim: Callable[[], None] | None = None,
) -> CiteScores:
    """Citation lookup on SciFact: is the first match a gold abstract, does it quote a
    rationale sentence, and do near-miss claims come back empty?"""
    sentences = {
        str(row["doc_id"]): list(row["abstract"])  # type: ignore[call-overload]
        for row in _read_jsonl(folder / "corpus_sentences.jsonl")
    }
    source_ids = {p.paper_id: p.source_id or "" for p in retriever.store.record_rows()}
    scores = CiteScores()
    for claim in split.claims:
        result = find_support(retriever, claim.text, k=1)
        first = result.matches[0] if result.matches else None
        if on_claim:
            on_claim()
        if not split.answerable(claim):
            scores.unsupported_empty.add(first is None)
            continue
        gold = claim.docs("SUPPORT") - split.dropped
        if not gold:
            continue
        doc = source_ids.get(first.paper_id, "") if first else ""
        scores.gold_first.add(doc in gold)
        rationale = {
            _squash(sentences[doc][i])
            for note in claim.evidence.get(doc, [])
            for i in note.get("sentences", [])  # type: ignore[attr-defined]
            if doc in sentences and i < len(sentences[doc])
        }
        quoted = _squash(first.sentence) if first else ""
        scores.rationale.add(bool(quoted) and any(quoted in r or r in quoted for r in rationale))
    return scores

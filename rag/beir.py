"""Standard retrieval evaluation on a BEIR-layout folder (SciFact, NFCorpus, TREC-COVID ...).

A BEIR folder holds `corpus.jsonl` (`{"_id", "title", "text"}`), `queries.jsonl`
(`{"_id", "text"}`) and `qrels/<split>.tsv` (`query-id`, `corpus-id`, `score`). The
corpus is ingested like any user corpus (its `_id`s become paper ids), the judged
queries are run through the product's retriever, BM25 alone and dense alone, and the
runs are scored with ir-measures (trec_eval's definitions, so figures compare with
published BEIR tables) rather than with hand-written metrics.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ir_measures
from ir_measures import RR, R, nDCG

from rag.errors import CorpusError
from rag.retrieval import Mode, Retriever

MEASURES = {"nDCG@10": nDCG @ 10, "R@10": R @ 10, "R@100": R @ 100, "MRR@10": RR @ 10}
"""What BEIR papers report (nDCG@10) plus the recall a reranker would start from."""
DEPTH = 100
"""Papers ranked per query: enough for recall@100."""
MODES: dict[Mode, str] = {
    "hybrid": "hybrid (product)",
    "keyword": "BM25 only",
    "dense": "dense only",
}

Qrels = dict[str, dict[str, int]]
Run = dict[str, dict[str, float]]


@dataclass(frozen=True)
class BeirFolder:
    """The files of one BEIR dataset and split, checked to exist."""

    corpus: Path
    queries: Path
    qrels: Path
    name: str

    @classmethod
    def at(cls, folder: Path, split: str = "test", queries: str = "queries.jsonl") -> BeirFolder:
        if not folder.is_dir():
            raise CorpusError(folder, "not a folder (expected a BEIR dataset folder)")
        qrels = folder / "qrels" / f"{split}.tsv"
        if not qrels.is_file():
            found = sorted(p.stem for p in (folder / "qrels").glob("*.tsv"))
            hint = f"; splits here: {', '.join(found)}" if found else ""
            raise CorpusError(qrels, f"no qrels for split {split!r}{hint}")
        for path in (folder / "corpus.jsonl", folder / queries):
            if not path.is_file():
                raise CorpusError(path, "missing (a BEIR folder has corpus.jsonl and queries)")
        return cls(folder / "corpus.jsonl", folder / queries, qrels, folder.name)


def read_qrels(path: Path) -> Qrels:
    """`query-id<TAB>corpus-id<TAB>score` with a header line; only positive judgements
    count as relevant (BEIR's convention)."""
    qrels: Qrels = {}
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle, delimiter="\t"))
    except OSError as exc:
        raise CorpusError(path, f"cannot read: {exc.strerror or exc}") from None
    for number, row in enumerate(rows, 1):
        if number == 1 and row and row[-1].strip().casefold() == "score":
            continue  # the header
        if not row or not "".join(row).strip():
            continue
        if len(row) != 3 or not row[2].strip().lstrip("-").isdigit():
            problem = f"expected query-id, corpus-id, integer score; got {row}"
            raise CorpusError(path, problem, number)
        if int(row[2]) > 0:
            qrels.setdefault(row[0].strip(), {})[row[1].strip()] = int(row[2])
    if not qrels:
        raise CorpusError(path, "no positive judgements")
    return qrels


def read_queries(path: Path, wanted: set[str]) -> dict[str, str]:
    """Query id -> text for the judged queries; a judged query missing here is an error."""
    found: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            query_id, text = str(row["_id"]), str(row["text"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise CorpusError(path, f"expected {{'_id', 'text'}} ({exc})", number) from None
        if query_id in wanted:
            found[query_id] = text
    missing = sorted(wanted - set(found))
    if missing:
        raise CorpusError(path, f"{len(missing)} judged queries are missing, e.g. {missing[:3]}")
    return found


def doc_ids(retriever: Retriever, corpus: Path) -> dict[str, list[str]]:
    """paper id -> the corpus `_id`s it came from, through each paper's `file:line`
    sources (exact even where an `_id` became an arXiv id or a DOI, or duplicates merged).
    Sources match by file name and line: the dataset's folder may have moved since it was
    ingested (an unchanged file is not read again, so its papers keep the old path)."""
    by_line: dict[str, str] = {}
    for number, line in enumerate(corpus.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            by_line[f"{corpus.name}:{number}"] = str(json.loads(line).get("_id"))

    def named(source: str) -> str:
        path, _, line = source.rpartition(":")
        return f"{Path(path).name}:{line}"

    return {
        paper.paper_id: [by_line[named(s)] for s in paper.sources if named(s) in by_line]
        for paper in retriever.store.record_rows()
    }


def run(
    retriever: Retriever,
    queries: dict[str, str],
    mapping: dict[str, list[str]],
    mode: Mode,
    on_query: Callable[[], None] | None = None,
) -> Run:
    """The top `DEPTH` documents per query with their scores, queries embedded in one batch."""
    ids = list(queries)
    vectors = retriever.embedder.embed([queries[q] for q in ids]) if mode != "keyword" else None
    ranked: Run = {}
    for i, query_id in enumerate(ids):
        vector = vectors[i] if vectors is not None else None
        results = retriever.search(queries[query_id], k=DEPTH, mode=mode, vector=vector)
        scores: dict[str, float] = {}
        for result in results:
            for doc in mapping.get(result.paper_id, []):
                scores.setdefault(doc, float(DEPTH - result.rank + 1))  # rank order, no ties
        ranked[query_id] = scores
        if on_query:
            on_query()
    return ranked


def score(qrels: Qrels, ranked: Run) -> dict[str, float]:
    """Mean of each measure over the judged queries (a query with no results scores 0)."""
    values = ir_measures.calc_aggregate(list(MEASURES.values()), qrels, ranked)
    return {name: float(values.get(measure, 0.0)) for name, measure in MEASURES.items()}

"""`rag eval beir`: a BEIR folder's files, the metrics (ir-measures, checked against
hand-computed values), the run over a real index, and the command line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag import beir
from rag.cli import app
from rag.config import get_settings
from rag.errors import CorpusError
from tests.conftest import make_abstract, write_jsonl
from tests.fakes import fake_index

DOCS = [
    {"_id": "d1", "title": "Zebra Stripes and Flies", "text": make_abstract("zebra stripes", "ZS")},
    {"_id": "d2", "title": "Coral Bleaching", "text": make_abstract("coral reef heat", "CB")},
    {"_id": "d3", "title": "Glacier Retreat", "text": make_abstract("glacier ice melt", "GR")},
    {"_id": "d4", "title": "Coral Bleaching", "text": make_abstract("coral spawning", "CS")},
]
QUERIES = [
    {"_id": "q1", "text": "zebra stripes"},
    {"_id": "q2", "text": "glacier melt"},
    {"_id": "q3", "text": "unrelated wording entirely"},
    {"_id": "q9", "text": "not judged in this split"},
]
QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\nq3\td2\t1\nq2\td2\t0\n"


def beir_folder(root: Path) -> Path:
    folder = root / "tiny"
    (folder / "qrels").mkdir(parents=True)
    write_jsonl(folder / "corpus.jsonl", DOCS)
    write_jsonl(folder / "queries.jsonl", QUERIES)
    (folder / "qrels" / "test.tsv").write_text(QRELS, encoding="utf-8")
    return folder


def test_measures_match_hand_computed_values() -> None:
    qrels = {"a": {"d2": 1}, "b": {"d1": 1, "d5": 1}}
    run = {"a": {"d1": 3.0, "d2": 2.0}, "b": {"d1": 9.0, "d7": 8.0}}
    got = beir.score(qrels, run)
    ndcg_b = 1 / (1 + 1 / math.log2(3))  # one of two relevant, at rank 1
    assert got["nDCG@10"] == pytest.approx((1 / math.log2(3) + ndcg_b) / 2)
    assert got["MRR@10"] == pytest.approx((0.5 + 1.0) / 2)
    assert got["R@10"] == pytest.approx((1.0 + 0.5) / 2)


def test_the_folder_is_checked_and_qrels_keep_positive_judgements(tmp_path: Path) -> None:
    folder = beir_folder(tmp_path)
    data = beir.BeirFolder.at(folder, "test")
    assert beir.read_qrels(data.qrels) == {"q1": {"d1": 1}, "q2": {"d3": 1}, "q3": {"d2": 1}}
    with pytest.raises(CorpusError, match="no qrels for split 'dev'; splits here: test"):
        beir.BeirFolder.at(folder, "dev")
    (folder / "qrels" / "bad.tsv").write_text("q1\td1\thigh\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad.tsv:1.*integer score"):
        beir.read_qrels(folder / "qrels" / "bad.tsv")
    with pytest.raises(CorpusError, match="1 judged queries are missing"):
        beir.read_queries(data.queries, {"q1", "q404"})


def test_runs_map_papers_back_to_corpus_ids(tmp_path: Path) -> None:
    folder = beir_folder(tmp_path)
    _, rag = fake_index(tmp_path, DOCS, "tiny")
    corpus = tmp_path / "tiny.jsonl"  # where fake_index wrote the rows
    mapping = beir.doc_ids(rag.retriever, corpus)
    assert mapping == {"d1": ["d1"], "d2": ["d2"], "d3": ["d3"], "d4": ["d4"]}  # same title: 2
    moved = tmp_path / "moved" / corpus.name  # the dataset's folder moved since its ingest
    moved.parent.mkdir()
    moved.write_bytes(corpus.read_bytes())
    assert beir.doc_ids(rag.retriever, moved) == mapping
    qrels = beir.read_qrels(folder / "qrels" / "test.tsv")
    texts = beir.read_queries(folder / "queries.jsonl", set(qrels))
    ranked = beir.run(rag.retriever, texts, mapping, "keyword")
    assert next(iter(ranked["q1"])) == "d1" and next(iter(ranked["q2"])) == "d3"
    assert ranked["q3"] == {}  # no shared term: BM25 finds nothing
    assert beir.score(qrels, ranked)["nDCG@10"] == pytest.approx(2 / 3)


@pytest.mark.slow
def test_the_command_prints_all_three_retrievers(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    folder = beir_folder(tmp_path)
    result = CliRunner().invoke(app, ["eval", "beir", str(folder), "--split", "test", "--json"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert (figures["queries"], figures["papers"], figures["documents"]) == (3, 4, 4)
    assert set(figures["results"]) == {"hybrid", "keyword", "dense"}
    assert figures["results"]["keyword"]["nDCG@10"] == pytest.approx(2 / 3, abs=1e-4)
    assert figures["results"]["hybrid"]["R@100"] == pytest.approx(1.0)  # dense finds d2 too
    missing = CliRunner().invoke(app, ["eval", "beir", str(folder), "--split", "dev"])
    assert missing.exit_code == 1 and "splits here: test" in missing.output

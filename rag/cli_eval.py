"""`rag eval ...`: retrieval, answerability and BEIR evaluations, printed as tables."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from rag.config import Settings, get_settings
from rag.paper_rag import PaperRAG
from rag.terminal import console, err, ingest_bar, open_index, progress_bar, reports_errors

if TYPE_CHECKING:
    from rag.evaluation import AnswerScores, Question, Rate

eval_app = typer.Typer(
    help="Measure retrieval, answerability and citation quality.", no_args_is_help=True
)


def _rate(rate: Rate) -> str:
    return f"{rate.value:.1%} ({rate.hits}/{rate.total})" if rate.total else "-"


def _answers_table(title: str, rows: list[tuple[str, AnswerScores, bool]]) -> Table:
    table = Table(title=title)
    columns = ("mode", "abstained: off-topic", "abstained: near-miss", "false abstention")
    for column in (
        *columns,
        "answer_facts on fact",
        "first citation: gold",
        "gold cited (several gold)",
        "citations: gold",
    ):
        table.add_column(column, justify="left" if column == "mode" else "right")
    for label, scores, has_facts in rows:
        table.add_row(
            label,
            _rate(scores.off_topic),
            _rate(scores.near_miss),
            _rate(scores.false_abstention),
            f"{scores.fact_rate:.2f}" if has_facts and scores.fact_coverage else "-",
            _rate(scores.gold_first),
            _rate(scores.gold_cited),
            _rate(scores.cited_gold),
        )
    return table


def _answer_rows(settings: Settings, items: list[Question]) -> list[tuple[str, AnswerScores, bool]]:
    """Extractive mode, then LLM mode (or only its pre-LLM gate when no LLM is set)."""
    import asyncio

    from rag.evaluation import evaluate_answers, evaluate_gate

    extractive = open_index(settings.model_copy(update={"llm": "none"}))
    rows = [("extractive", asyncio.run(evaluate_answers(extractive, items)), True)]
    if settings.llm_enabled:
        scores = asyncio.run(evaluate_answers(open_index(settings), items))
        rows.append((f"llm ({settings.llm_model})", scores, True))
    else:
        gate = evaluate_gate(extractive.retriever, items, settings.answer_k)
        rows.append(("llm: pre-LLM gate only (no LLM configured)", gate, False))
    return rows


@eval_app.command("answers")
@reports_errors
def eval_answers(
    questions: Annotated[list[Path], typer.Argument(help="Question files (JSONL).")],
    scifact: Annotated[
        Path | None,
        typer.Option(
            help="SciFact folder (BEIR layout + claims_train.jsonl): also evaluate on it, "
            "with the off-topic questions of QUESTIONS."
        ),
    ] = None,
) -> None:
    """Abstention on off-topic and near-miss questions, false abstention on answerable
    ones and answer_facts found, for extractive and LLM mode; with --scifact the same on
    SciFact (held-out split) plus citation lookup."""
    from rag.evaluation import load_questions

    settings = get_settings()
    items: list[Question] = []
    for path in questions:
        loaded = load_questions(path)
        items += loaded
        rows = _answer_rows(settings, loaded)
        console.print(_answers_table(f"Answers on the index in use: {path.name}", rows))
    if scifact is not None:
        _eval_scifact(settings, scifact, items)


def _eval_scifact(settings: Settings, folder: Path, items: list[Question]) -> None:
    from rag import scifact as sf

    split = sf.Split.make(sf.load_claims(folder))
    err.print(
        f"SciFact: {len(split.claims)} claims with evidence, {len(split.held_out)} held out "
        f"with {len(split.dropped)} gold abstracts; indexing under "
        f"{settings.data_dir / 'eval'} (first run: about 8 minutes on 2 cores)"
    )
    eval_settings = sf.build_index(folder, split, settings)
    questions = sf.questions(split, items)
    rows = _answer_rows(eval_settings, questions)
    console.print(_answers_table("Answers on SciFact (training claims, held-out split)", rows))
    cite = sf.evaluate_cite(folder, split, open_index(eval_settings).retriever)
    table = Table(title="Citation lookup on SciFact (training claims)")
    for column in ("gold abstract first", "rationale sentence quoted", "near-miss: no match"):
        table.add_column(column, justify="right")
    table.add_row(_rate(cite.gold_first), _rate(cite.rationale), _rate(cite.unsupported_empty))
    console.print(table)


@eval_app.command("retrieval")
@reports_errors
def eval_retrieval(
    questions: Path,
    k: Annotated[int, typer.Option("-k", help="Cut-off for retrieval (recall@10 needs 10).")] = 10,
) -> None:
    """Recall@1/5/10 and MRR per question type: hybrid vs BM25 alone vs dense alone."""
    from rag.evaluation import CUTOFFS, evaluate_retrieval, load_questions

    table_data = evaluate_retrieval(open_index().retriever, load_questions(questions), k=k)
    cutoffs = [c for c in CUTOFFS if c <= k]
    table = Table(title=f"Retrieval on {questions.name}")
    for column in ("type", "n", "retriever", *(f"R@{c}" for c in cutoffs), "MRR"):
        table.add_column(column, justify="right" if column not in {"type", "retriever"} else "left")
    labels = {"hybrid": "hybrid (product)", "keyword": "BM25 only", "dense": "dense only"}
    buckets = sorted(table_data["hybrid"], key=lambda b: (b == "all", b))
    for bucket in buckets:
        for mode, label in labels.items():
            scores = table_data[mode][bucket]
            recall = scores.recall or {}
            table.add_row(
                bucket if mode == "hybrid" else "",
                str(scores.count) if mode == "hybrid" else "",
                label,
                *(f"{recall[c]:.3f}" for c in cutoffs),
                f"{scores.mrr:.3f}",
                end_section=mode == "dense",
            )
    console.print(table)


@eval_app.command("beir")
@reports_errors
def eval_beir(
    folder: Annotated[Path, typer.Argument(help="A BEIR dataset folder (corpus.jsonl ...).")],
    split: Annotated[str, typer.Option(help="Which qrels/<split>.tsv judges the run.")] = "test",
    queries: Annotated[
        str, typer.Option(help="Queries file in the folder (e.g. queries.jsonl).")
    ] = "queries.jsonl",
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """nDCG@10, recall@10/100 and MRR@10 of the product's retriever, BM25 alone and
    dense alone on a BEIR dataset. Its corpus is ingested once into its own data dir
    (under RAG_DATA_DIR/eval/) with the configured embedder, and reused after."""
    from rag import beir

    data = beir.BeirFolder.at(folder, split, queries)
    qrels = beir.read_qrels(data.qrels)
    texts = beir.read_queries(data.queries, set(qrels))
    settings = get_settings()
    eval_settings = settings.model_copy(
        update={"data_dir": settings.data_dir / "eval" / f"beir-{data.name}", "chroma_url": None}
    )
    rag = PaperRAG.open(eval_settings, create=True)
    with ingest_bar() as (parsed, progress):
        report = rag.ingest([data.corpus], fmt="jsonl", progress=progress, on_parsed=parsed)
    mapping = beir.doc_ids(rag.retriever, data.corpus)
    figures: dict[str, dict[str, float]] = {}
    with progress_bar() as bar:
        for mode, label in beir.MODES.items():
            task = bar.add_task(label, total=len(texts), rate="")
            ranked = beir.run(
                rag.retriever, texts, mapping, mode, functools.partial(bar.advance, task)
            )
            figures[mode] = beir.score(qrels, ranked)
    summary = {
        "dataset": data.name,
        "split": split,
        "queries": len(texts),
        "papers": len(mapping),
        "documents": sum(len(ids) for ids in mapping.values()),
        "data_dir": str(eval_settings.data_dir),
        "ingest_seconds": round(report.seconds, 1),
        "results": {m: {k: round(v, 4) for k, v in row.items()} for m, row in figures.items()},
    }
    from rag import scifact as sf

    cite = None
    if sf.has_claims(folder):  # SciFact: its rationale sentences also judge citation lookup
        split_claims = sf.Split.whole(sf.load_claims(folder))
        with progress_bar() as bar:
            task = bar.add_task("citation lookup", total=len(split_claims.claims), rate="")
            cite = sf.evaluate_cite(
                folder, split_claims, rag.retriever, functools.partial(bar.advance, task)
            )
        summary["cite"] = {
            "claims": cite.gold_first.total,
            "gold_first": round(cite.gold_first.value, 4),
            "rationale_quoted": round(cite.rationale.value, 4),
        }
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    table = Table(title=f"BEIR {data.name} ({split}): {len(texts)} queries, {len(mapping)} papers")
    table.add_column("retriever")
    for name in beir.MEASURES:
        table.add_column(name, justify="right")
    for mode, label in beir.MODES.items():
        table.add_row(label, *(f"{figures[mode][name]:.3f}" for name in beir.MEASURES))
    console.print(table)
    if cite is not None:
        lookup = Table(title="Citation lookup (/v1/cite) on the supported claims")
        for column in ("claims", "gold abstract first", "rationale sentence quoted"):
            lookup.add_column(column, justify="right")
        lookup.add_row(str(cite.gold_first.total), _rate(cite.gold_first), _rate(cite.rationale))
        console.print(lookup)

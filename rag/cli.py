"""The `rag` command line: ingest, search, paper lookup, answers, the HTTP service, eval."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from rag.config import Settings, get_settings
from rag.errors import IndexMissingError, InvalidQueryError, RagError, explain
from rag.formats import FORMATS, Skipped
from rag.paper_rag import PaperRAG
from rag.papers import shown_date
from rag.relevance import ANSWER_MIN, ON_TOPIC_MIN, is_on_topic

if TYPE_CHECKING:
    from rag.corpus import Corpus
    from rag.evaluation import AnswerScores, Question, Rate
    from rag.ingest import IngestReport

app = typer.Typer(
    help="paper-rag: cited answers over research-paper abstracts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
eval_app = typer.Typer(help="Measure retrieval quality.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
console = Console()
err = Console(stderr=True)

DateOpt = Annotated[
    datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="Only papers dated on/after (YYYY-MM-DD)."),
]
UntilOpt = Annotated[
    datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="Only papers dated on/before (YYYY-MM-DD)."),
]


P = ParamSpec("P")
R = TypeVar("R")


def _server(group: str) -> Callable[..., None]:
    """The server registered under the entry-point group `group` (`paper_rag.serve`,
    `paper_rag.mcp`): the web package registers itself there, so the library never imports
    it (see pyproject.toml)."""
    found = entry_points(group=group)
    if not found:
        raise typer.BadParameter(f"no server installed for {group} (paper-rag's api package)")
    return next(iter(found)).load()  # type: ignore[no-any-return]


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """A `RagError` ends the command with its message (and suggestions) and exit code 1,
    never a traceback."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except RagError as exc:
            err.print(f"[bold red]error:[/] {explain(exc)}", highlight=False, soft_wrap=True)
            if exc.suggestions:
                err.print("closest titles:")
                for title in exc.suggestions:
                    err.print(f"  • {title}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=1) from None

    return run


def _open(settings: Settings | None = None) -> PaperRAG:
    return PaperRAG.open(settings or get_settings())


def _loaded() -> PaperRAG:
    """The index, read in under a status line that says what is loading (on stderr):
    the first model load can take seconds, and a silent terminal looks hung."""
    rag = _open()
    with err.status(f"loading the index and the embedding model ({rag.embedder.identity})…"):
        rag.warm_up()
    return rag


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


@contextmanager
def _ingest_bar(
    check: Callable[[Corpus], None] | None = None,
) -> Iterator[tuple[Callable[[Corpus], None], Callable[[int, int], None]]]:
    """A progress bar for an ingest: (on_parsed, progress) callbacks that drive it;
    `check` sees the parsed corpus first and may refuse it."""
    with _bar() as bar:
        task = bar.add_task("parsing", total=None, rate="")

        def parsed(corpus: Corpus) -> None:
            if check:
                check(corpus)
            bar.update(task, description="papers", total=len(corpus.papers), completed=0)

        def progress(papers: int, chunks: int) -> None:
            elapsed = bar.tasks[0].elapsed or 1e-9
            bar.update(task, completed=papers, rate=f"{chunks / elapsed:.0f} chunks/s")

        yield parsed, progress


SKIPPED_SHOWN = 20
"""Skipped entries listed after an ingest unless `--show-skipped`: a Zotero library
exported with notes and books (`../shared/external/bibtex`) skips 241 of 680 entries,
and a table that long buries the summary above it."""


def _print_skipped(skipped: list[Skipped], everything: bool) -> None:
    """Where (file:line, folded rather than cut so the line number always shows) and why."""
    shown = skipped if everything else skipped[:SKIPPED_SHOWN]
    table = Table(title=f"Skipped entries ({len(skipped)}, not indexed)", show_header=True)
    table.add_column("where", overflow="fold")
    table.add_column("reason", overflow="fold")
    for item in shown:
        table.add_row(_shorter_path(item.source), item.reason)
    console.print(table)
    if len(shown) < len(skipped):
        console.print(
            f"... and {len(skipped) - len(shown)} more; `rag ingest` with the same files and "
            "--show-skipped lists them all (a file with skipped entries is read again on "
            "every ingest, so its warnings are never lost)."
        )


def _shorter_path(source: str) -> str:
    """`file:line` relative to the working directory when the file is under it."""
    try:
        return str(Path(source).relative_to(Path.cwd()))
    except ValueError:
        return source


def _summary(report: IngestReport) -> Table:
    papers = report.new + report.updated + report.renamed
    columns = {
        "files": report.files,
        "unchanged files (not read)": report.files_unchanged,
        "entries": report.entries,
        "new": report.new,
        "updated": report.updated,
        "metadata only": report.metadata_updated,
        "new id": report.renamed,
        "unchanged papers": report.unchanged,
        "chunks embedded": report.chunks_embedded,
        "skipped": len(report.skipped),
        "seconds": f"{report.seconds:.1f}",
        "papers/s": f"{papers / report.seconds:.1f}" if report.seconds and papers else "-",
    }
    table = Table(title="Ingest summary", show_header=False)
    table.add_column("measure", style="dim")
    table.add_column("value", justify="right")
    for name, value in columns.items():
        table.add_row(name, str(value))
    return table


@app.command()
@reports_errors
def ingest(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Corpus files or folders (HF pages .txt, .jsonl, .bib). None: the bundled corpus."
        ),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(
            help="Year for Daily Papers listing dates that omit it when the page's own date "
            "shows none (default: this year; such dates are marked 'year inferred')."
        ),
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help=f"Force a format: {', '.join(FORMATS)}.")
    ] = None,
    rebuild: Annotated[
        bool,
        typer.Option(
            help="Build a fresh index from PATHS only and swap it in when done: papers "
            "not in PATHS leave the index."
        ),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="With --rebuild: drop papers not in PATHS.")
    ] = False,
    show_skipped: Annotated[
        bool,
        typer.Option(
            "--show-skipped", help=f"List every skipped entry (default: the first {SKIPPED_SHOWN})."
        ),
    ] = False,
) -> None:
    """Parse corpus files and add their papers to the index (incremental, idempotent)."""
    if fmt is not None and fmt not in FORMATS:
        raise InvalidQueryError(f"unknown --format {fmt!r}; choose one of {', '.join(FORMATS)}")
    dropped: list[str] = []

    def check_rebuild(corpus: Corpus) -> None:
        if rebuild:
            dropped.extend(_dropped_by_rebuild(corpus))
            if dropped and not yes:
                raise RagError(
                    f"--rebuild replaces the whole index with these files: {len(dropped)} "
                    f"indexed papers are not in them and would be dropped (e.g. "
                    f"{', '.join(dropped[:3])}); add --yes to go ahead, or leave out "
                    "--rebuild to add the files to the index"
                )

    with _ingest_bar(check_rebuild) as (parsed, progress):
        report = PaperRAG.open(get_settings(), create=True).ingest(
            paths or [],
            fmt=fmt,  # type: ignore[arg-type]
            year=year,
            rebuild=rebuild,
            progress=progress,
            on_parsed=parsed,
        )
    console.print(_summary(report))
    if rebuild:
        console.print(
            f"Rebuilt: the index now holds exactly these files' papers; {len(dropped)} "
            "papers that were indexed before are gone."
        )
    if report.skipped:
        _print_skipped(report.skipped, everything=show_skipped)


def _dropped_by_rebuild(corpus: Corpus) -> list[str]:
    """Ids of indexed papers a rebuild from `corpus` would leave out (none if no index)."""
    try:
        existing = _open().paper_ids()
    except IndexMissingError:
        return []  # no index yet: nothing to lose
    return sorted(existing - {paper.paper_id for paper in corpus.papers})


@app.command()
@reports_errors
def search(
    query: str,
    k: Annotated[int, typer.Option("-k", help="Number of papers (1-100).")] = 10,
    since: DateOpt = None,
    until: UntilOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Find the papers most relevant to QUERY."""
    results = _open().search(query, k=k, since=_day(since), until=_day(until))
    if as_json:
        sys.stdout.write(
            json.dumps(
                {"query": query, "results": [r.as_json() for r in results]},
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
        return
    if not results:
        console.print("no matching papers")
        return
    table = Table(
        show_lines=True,
        caption=f"relevance >= {ANSWER_MIN}: good enough to answer from and cite; "
        f"< {ON_TOPIC_MIN}: most likely off-topic",
    )
    for column in ("#", "relevance", "paper", "date", "snippet"):
        table.add_column(column)
    for r in results:  # the calibrated relevance: the rank-relative score reads as certainty
        table.add_row(
            str(r.rank),
            f"{r.relevance:.2f}",
            f"[bold]{r.title}[/]\n[dim]{r.paper_id}[/]",
            shown_date(r.date, r.date_precision) if r.date else "",
            r.snippet,
            style=None if is_on_topic(r.relevance) else "dim",
        )
    console.print(table)


@app.command()
@reports_errors
def paper(
    id_or_title: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one paper's full record, by paper id, arXiv id or exact title."""
    record = _open().paper(id_or_title)
    if as_json:
        sys.stdout.write(record.model_dump_json(indent=2) + "\n")
        return
    console.print(f"[bold]{record.title}[/]", highlight=False)
    for label, value in (
        ("id", record.paper_id),
        ("arXiv", record.arxiv_id),
        (
            "date",
            shown_date(record.date, record.date_precision)
            + (" (year inferred)" if record.date_inferred else "")
            if record.date
            else None,
        ),
        ("authors", ", ".join(record.authors) or record.author_count),
        ("upvotes", record.upvotes),
        ("url", record.url),
        ("sources", ", ".join(record.sources)),
    ):
        if value not in (None, ""):
            console.print(f"[dim]{label}:[/] {value}", highlight=False)
    console.print()
    console.print(record.abstract, highlight=False)


@app.command()
@reports_errors
def stats() -> None:
    """Papers, chunks, embedder and where the index lives."""
    stats = _open().stats()
    size = f"{stats.size_bytes / 1e6:.1f} MB" if stats.size_bytes is not None else "(server)"
    table = Table(show_header=False)
    for label, value in (
        ("papers", stats.papers),
        ("chunks", stats.chunks),
        ("embedder", stats.embedder),
        ("store", stats.store),
        ("size on disk", size),
        ("collections", ", ".join(stats.collections)),
        (
            "dense background",
            f"cosine {stats.background_mean:.3f} ± {stats.background_std:.3f} between chunks "
            f"of different papers ({stats.background_sample} sampled); relevance counts "
            "similarity above it",
        ),
    ):
        table.add_row(label, str(value))
    console.print(table)


@app.command()
@reports_errors
def ask(
    question: str,
    k: Annotated[int | None, typer.Option("-k", help="Papers used as sources (1-50).")] = None,
    since: DateOpt = None,
    until: UntilOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer as JSON.")] = False,
    no_stream: Annotated[bool, typer.Option("--no-stream", help="Print when complete.")] = False,
) -> None:
    """Answer QUESTION from the papers, with numbered citations."""
    import asyncio

    from rag.answering import Answer

    live = not (as_json or no_stream)
    rag = _loaded()
    stream = rag.ask(question, k=k, since=_day(since), until=_day(until), stream=live)

    async def run() -> Answer:
        async for delta in stream:
            if live:
                sys.stdout.write(delta)
                sys.stdout.flush()
        return await stream.result()

    answer = asyncio.run(run())
    if as_json:
        sys.stdout.write(answer.model_dump_json(indent=2) + "\n")
        return
    if no_stream:
        sys.stdout.write(answer.answer)
    sys.stdout.write("\n\n")
    for warning in answer.warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    for citation in answer.citations:
        dated = f" ({shown_date(citation.date, citation.date_precision)})" if citation.date else ""
        console.print(
            f"[{citation.n}] [bold]{citation.title}[/]{dated} [dim]{citation.paper_id}[/]",
            highlight=False,
            soft_wrap=True,
        )
        console.print(f"    “{citation.quote}”", style="dim", highlight=False, soft_wrap=True)
    if answer.related and not answer.abstained:  # an abstention lists them in its text
        console.print("Related:", style="bold")
        for item in answer.related:
            console.print(
                f"  • {item.title} [dim]{item.paper_id}[/]", highlight=False, soft_wrap=True
            )


@app.command()
@reports_errors
def cite(
    text: str,
    k: Annotated[int, typer.Option("-k", help="At most this many papers (1-20).")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Which papers support TEXT? Each with the verbatim supporting sentence."""
    result = _loaded().cite(text, k=k)
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        return
    if result.message:
        console.print(result.message)
    for match in result.matches:
        console.print(
            f"[bold]{match.title}[/] [dim]{match.paper_id}  relevance {match.score:.2f}[/]",
            highlight=False,
            soft_wrap=True,
        )
        console.print(f"    “{match.sentence}”", style="dim", highlight=False, soft_wrap=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Run the HTTP service (ingests the corpus first if the index is empty)."""
    _server("paper_rag.serve")(get_settings(), host, port)


@app.command()
def mcp() -> None:
    """Serve the MCP tools over stdio, for desktop assistants (Claude Desktop, Cursor)."""
    _server("paper_rag.mcp")(get_settings())


def _rate(rate: Rate) -> str:
    return f"{rate.value:.1%} ({rate.hits}/{rate.total})" if rate.total else "-"


def _answers_table(title: str, rows: list[tuple[str, AnswerScores, bool]]) -> Table:
    table = Table(title=title)
    columns = ("mode", "abstained: off-topic", "abstained: near-miss", "false abstention")
    for column in (*columns, "answer_facts on fact"):
        table.add_column(column, justify="left" if column == "mode" else "right")
    for label, scores, has_facts in rows:
        table.add_row(
            label,
            _rate(scores.off_topic),
            _rate(scores.near_miss),
            _rate(scores.false_abstention),
            f"{scores.fact_rate:.2f}" if has_facts and scores.fact_coverage else "-",
        )
    return table


def _answer_rows(settings: Settings, items: list[Question]) -> list[tuple[str, AnswerScores, bool]]:
    """Extractive mode, then LLM mode (or only its pre-LLM gate when no LLM is set)."""
    import asyncio

    from rag.evaluation import evaluate_answers, evaluate_gate

    extractive = _open(settings.model_copy(update={"llm": "none"}))
    rows = [("extractive", asyncio.run(evaluate_answers(extractive, items)), True)]
    if settings.llm_enabled:
        scores = asyncio.run(evaluate_answers(_open(settings), items))
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
    cite = sf.evaluate_cite(folder, split, _open(eval_settings).retriever)
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

    table_data = evaluate_retrieval(_open().retriever, load_questions(questions), k=k)
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
    with _ingest_bar() as (parsed, progress):
        report = rag.ingest([data.corpus], fmt="jsonl", progress=progress, on_parsed=parsed)
    mapping = beir.doc_ids(rag.retriever, data.corpus)
    figures: dict[str, dict[str, float]] = {}
    with _bar() as bar:
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
        with _bar() as bar:
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


if __name__ == "__main__":
    app()

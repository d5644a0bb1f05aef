"""The `rag` command line: ingest, search, paper lookup, answers, the HTTP service, eval."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from rag.cli_eval import eval_app
from rag.config import get_settings
from rag.errors import IndexMissingError, InvalidQueryError, RagError
from rag.formats import FORMATS, Skipped
from rag.paper_rag import PaperRAG
from rag.papers import shown_date
from rag.relevance import ANSWER_MIN, ON_TOPIC_MIN, is_on_topic
from rag.terminal import console, err, ingest_bar, open_index, reports_errors

if TYPE_CHECKING:
    from rag.corpus import Corpus
    from rag.ingest import IngestReport

app = typer.Typer(
    help="paper-rag: cited answers over research-paper abstracts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(eval_app, name="eval")

DateOpt = Annotated[
    datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="Only papers dated on/after (YYYY-MM-DD)."),
]
UntilOpt = Annotated[
    datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="Only papers dated on/before (YYYY-MM-DD)."),
]


def _server(group: str) -> Callable[..., None]:
    """The server registered under the entry-point group `group` (`paper_rag.serve`,
    `paper_rag.mcp`): the web package registers itself there, so the library never imports
    it (see pyproject.toml)."""
    found = entry_points(group=group)
    if not found:
        raise typer.BadParameter(f"no server installed for {group} (paper-rag's api package)")
    return next(iter(found)).load()  # type: ignore[no-any-return]


def _loaded() -> PaperRAG:
    """The index, read in under a status line that says what is loading (on stderr):
    the first model load can take seconds, and a silent terminal looks hung."""
    rag = open_index()
    with err.status(f"loading the index and the embedding model ({rag.embedder.identity})…"):
        rag.warm_up()
    return rag


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


SKIPPED_SHOWN = 20
"""Skipped entries listed after an ingest unless `--show-skipped`: a Zotero library
exported with notes and books (`../shared/external/bibtex`) skips 241 of 680 entries,
and a table that long buries the summary above it."""


def _print_skipped(skipped: list[Skipped], everything: bool) -> None:
    """Where (file:line, folded rather than cut so the line number always shows) and why."""
    shown = skipped if everything else skipped[:SKIPPED_SHOWN]
    table = Table(title=f"Skipped entries ({len(skipped)})", show_header=True)
    table.add_column("where", overflow="fold")
    table.add_column("reason", overflow="fold")
    for item in shown:
        table.add_row(_shorter_path(item.source), item.reason)
    console.print(table)
    if len(shown) < len(skipped):
        console.print(
            f"... and {len(skipped) - len(shown)} more; `rag ingest` with the same files and "
            "--show-skipped lists them all."
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
        "embedded with": report.embedded_with or "-",
        "skipped": len(report.skipped) + report.skipped_unread,
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
            "--show-skipped",
            help=f"List every skipped entry (default: the first {SKIPPED_SHOWN}), reading "
            "unchanged files with skipped entries again to do so.",
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

    with ingest_bar(check_rebuild) as (parsed, progress):
        report = PaperRAG.open(get_settings(), create=True).ingest(
            paths or [],
            fmt=fmt,  # type: ignore[arg-type]
            year=year,
            rebuild=rebuild,
            progress=progress,
            on_parsed=parsed,
            reread_skipped=show_skipped,
        )
    console.print(_summary(report))
    if rebuild:
        console.print(
            f"Rebuilt: the index now holds exactly these files' papers; {len(dropped)} "
            "papers that were indexed before are gone."
        )
    if report.skipped:
        _print_skipped(report.skipped, everything=show_skipped)
    if report.skipped_unread:
        console.print(
            f"{report.skipped_unread} entries were skipped in files that have not changed "
            "since they were ingested (not read again); --show-skipped reads them and lists "
            "every one."
        )


def _dropped_by_rebuild(corpus: Corpus) -> list[str]:
    """Ids of indexed papers a rebuild from `corpus` would leave out (none if no index)."""
    try:
        existing = open_index().paper_ids()
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
    author: Annotated[
        str | None,
        typer.Option(help='Only papers listing this author ("Nadolsky", "Liu and Tegmark").'),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Find the papers most relevant to QUERY."""
    results = open_index().search(query, k=k, since=_day(since), until=_day(until), author=author)
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
    record = open_index().paper(id_or_title)
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
    stats = open_index().stats()
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


if __name__ == "__main__":
    app()

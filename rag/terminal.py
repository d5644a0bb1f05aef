"""What every `rag` command shares: the consoles, how an error ends a command, progress
bars, and opening the index."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, ParamSpec, TypeVar

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

from rag.config import Settings, get_settings
from rag.errors import RagError, explain
from rag.paper_rag import PaperRAG

if TYPE_CHECKING:
    from rag.corpus import Corpus

console = Console()
err = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


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
                err.print(f"{exc.suggestions_are}:")
                for title in exc.suggestions:
                    err.print(f"  • {title}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=1) from None

    return run


def open_index(settings: Settings | None = None) -> PaperRAG:
    """The configured index (or the one `settings` names: `rag eval` uses its own)."""
    return PaperRAG.open(settings or get_settings())


def progress_bar() -> Progress:
    """A bar on stderr, gone when done, so `--json` output on stdout stays clean."""
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
def ingest_bar(
    check: Callable[[Corpus], None] | None = None,
) -> Iterator[tuple[Callable[[Corpus], None], Callable[[int, int], None]]]:
    """A progress bar for an ingest: (on_parsed, progress) callbacks that drive it;
    `check` sees the parsed corpus first and may refuse it."""
    with progress_bar() as bar:
        task = bar.add_task("parsing", total=None, rate="")

        def parsed(corpus: Corpus) -> None:
            if check:
                check(corpus)
            bar.update(task, description="papers", total=len(corpus.papers), completed=0)

        def progress(papers: int, chunks: int) -> None:
            elapsed = bar.tasks[0].elapsed or 1e-9
            bar.update(task, completed=papers, rate=f"{chunks / elapsed:.0f} chunks/s")

        yield parsed, progress

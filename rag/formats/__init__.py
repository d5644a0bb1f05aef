"""Corpus file formats: detection and parsing into `Entry` objects.

Each format module exposes `parse(text, path, year) -> ParseResult`. Parsers never
drop an entry silently: anything unusable is returned as a `Skipped` with its location.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rag.errors import CorpusError
from rag.papers import Entry

Format = Literal["hf-page", "jsonl", "bibtex"]
FORMATS: tuple[Format, ...] = ("hf-page", "jsonl", "bibtex")

PARSER_VERSION = "p2"
"""Changed whenever the same bytes parse into different records, so the next ingest reads
every file again (`rag.corpus.file_key`) and updates the records in place; nothing is
embedded again unless a title or an abstract changed. p2: arXiv snapshot authors from
`authors_parsed` (names without TeX accents or affiliations), BibTeX authors as "First
Last"."""

MIN_ABSTRACT_WORDS = 15
"""Below this an 'abstract' is a fragment (a stray line, a truncated export), not a paper."""


@dataclass(frozen=True)
class Skipped:
    """An entry left out of the corpus, with where it was and why."""

    source: str
    reason: str


@dataclass
class ParseResult:
    entries: list[Entry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def add(self, entry: Entry) -> None:
        """Keep `entry` if it is plausibly a paper, otherwise record why not."""
        if not entry.title.strip():
            self.skipped.append(Skipped(entry.source, "entry has no title"))
        elif len(entry.abstract.split()) < MIN_ABSTRACT_WORDS:
            words = len(entry.abstract.split())
            self.skipped.append(
                Skipped(
                    entry.source,
                    f"abstract too short ({words} words, need {MIN_ABSTRACT_WORDS}): "
                    f"{entry.title[:60]!r}",
                )
            )
        else:
            self.entries.append(entry)


SUPPORTED = (
    "supported formats: saved Hugging Face Daily Papers pages (.txt), JSON Lines "
    "(.jsonl/.ndjson: our fields, arXiv metadata snapshot, BEIR corpus) and BibTeX (.bib)"
)
MAX_FILE_BYTES = 2 * 1024**3
"""Largest corpus file read (2 GiB, held in memory while parsing): bigger exports are
split into several files, which ingest the same way."""


def read_text(path: Path) -> str:
    """Read a corpus file as UTF-8 text, with a clear error for anything else."""
    try:
        if path.exists() and not path.is_dir() and not path.is_file():
            raise CorpusError(path, "not a regular file (a FIFO, device or socket); give a file")
        too_big = CorpusError(
            path, f"larger than {MAX_FILE_BYTES // 1024**3} GiB; split it into smaller files"
        )
        if path.is_file() and path.stat().st_size > MAX_FILE_BYTES:
            raise too_big
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise too_big
    except IsADirectoryError:
        raise CorpusError(path, "is a directory, not a corpus file") from None
    except FileNotFoundError:
        raise CorpusError(path, "no such file") from None
    except OSError as exc:
        raise CorpusError(path, f"cannot read file: {exc.strerror or exc}") from None
    if b"\x00" in data[:8192] or data.startswith(b"%PDF"):
        raise CorpusError(path, f"looks like a binary file (a PDF?); {SUPPORTED}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CorpusError(
            path, f"not valid UTF-8 text (byte offset {exc.start}); is it binary?", line
        ) from None


def detect_format(path: Path, text: str) -> Format:
    """Pick the format from the extension, then from the content."""
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        return "jsonl"
    if suffix in {".bib", ".bibtex"}:
        return "bibtex"
    head = text.lstrip()[:2000]
    if head.startswith("{"):
        return "jsonl"
    if head.startswith("@") or ("\n@" in head and "{" in head):
        return "bibtex"
    return "hf-page"


def parse_file(path: Path, fmt: Format | None, year: int | None) -> ParseResult:
    """Parse one file; raises `CorpusError` for files that cannot be used at all."""
    from rag.formats import bibtex, hf_page, jsonl

    text = read_text(path)
    chosen = fmt or detect_format(path, text)
    parser = {"hf-page": hf_page.parse, "jsonl": jsonl.parse, "bibtex": bibtex.parse}[chosen]
    result = parser(text, str(path), year)
    if not result.entries:
        reasons = "; ".join(f"{s.source}: {s.reason}" for s in result.skipped[:3])
        detail = f" (skipped: {reasons})" if reasons else ""
        known = path.suffix.lower() in {".txt", ".jsonl", ".ndjson", ".bib", ".bibtex"}
        hint = "" if known or fmt else f"; {SUPPORTED} (--format forces one)"
        raise CorpusError(path, f"no papers found as {chosen}{detail}{hint}")
    return result

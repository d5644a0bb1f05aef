"""Load corpus files into merged, deduplicated `Paper` records.

Everything is parsed and validated before anything is written, so a bad file aborts
an ingest with nothing stored changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from rag.chunking import CHUNKER_VERSION
from rag.errors import CorpusError
from rag.formats import PARSER_VERSION, Format, Skipped, parse_file
from rag.papers import Entry, Paper, merge_entries, normalize_title

CORPUS_SUFFIXES = {".txt", ".jsonl", ".ndjson", ".bib", ".bibtex"}


def bundled_corpus() -> list[Path]:
    """The sample Daily Papers pages shipped with the package."""
    folder = Path(__file__).parent / "data" / "corpus"
    return sorted(folder.glob("*.txt"))


@dataclass
class Corpus:
    papers: list[Paper]
    files: list[Path]
    entries: int
    skipped: list[Skipped] = field(default_factory=list)
    skips: dict[Path, int] = field(default_factory=dict)
    """How many entries of each file were skipped (recorded with the file as ingested,
    so a later ingest can say so without reading it again)."""


def file_key(path: Path, fmt: Format | None, year: int | None, window: int) -> str | None:
    """Names a file's content as an ingest sees it (its bytes, the parse options, the
    parser, the chunker and the model window); None when it cannot be read (parsing says
    why)."""
    digest = hashlib.sha1()
    try:
        if not path.is_file():
            return None
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    except OSError:
        return None
    digest.update(f"|{fmt}|{year}|{PARSER_VERSION}|{CHUNKER_VERSION}|{window}".encode())
    return digest.hexdigest()[:24]


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given, directories expanded to the corpus files inside them."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in CORPUS_SUFFIXES)
            if not found:
                raise CorpusError(path, "directory holds no .txt, .jsonl or .bib files")
            files.extend(found)
        else:
            files.append(path)
    return files


def _group(entries: list[Entry]) -> list[list[Entry]]:
    """Group sightings of the same paper: a shared id (arXiv id, DOI, the source's own
    id), else the same normalised title when no id contradicts it. SciFact has distinct
    documents sharing a title; merging by title alone turned its 5,183 into 5,180."""
    groups: list[list[Entry]] = []
    by_id: dict[tuple[str, str], int] = {}
    by_title: dict[str, list[int]] = {}
    for entry in entries:
        ids = entry.identities()
        title = normalize_title(entry.title)
        index = next((by_id[key] for key in ids if key in by_id), None)
        if index is None:
            index = next(
                (
                    i
                    for i in by_title.get(title, [])
                    if not any(entry.contradicts(other) for other in groups[i])
                ),
                None,
            )
        if index is None:
            index = len(groups)
            groups.append([])
            by_title.setdefault(title, []).append(index)
        groups[index].append(entry)
        for key in ids:
            by_id.setdefault(key, index)
    return groups


def load_corpus(paths: list[Path], fmt: Format | None = None, year: int | None = None) -> Corpus:
    """Parse every file (raising `CorpusError` on the first unusable one) and merge papers."""
    files = expand_paths(paths)
    if not files:
        raise CorpusError(".", "no corpus files given")
    entries: list[Entry] = []
    skipped: list[Skipped] = []
    skips: dict[Path, int] = {}
    for path in files:
        result = parse_file(path, fmt, year)
        entries.extend(result.entries)
        skipped.extend(result.skipped)
        skips[path] = len(result.skipped)
    papers = [merge_entries(group) for group in _group(entries)]
    return Corpus(papers, files, len(entries), skipped, skips)

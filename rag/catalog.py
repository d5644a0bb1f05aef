"""Titles, ids and authors of every stored paper: what lookups by title, by any id or
by an author's name need.

The service used to hold every `Paper` (abstract included) to answer "show me paper X";
at 200k papers that alone is most of a gigabyte. The catalog keeps only the strings
a lookup compares (about 150 bytes a paper, and its authors' names), and the full record
is read from the store for the paper found.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path

from rapidfuzz import fuzz, process

from rag.authors import PersonName
from rag.papers import Paper, normalize_title

_TITLE, _NORMALISED, _ARXIV, _DOI, _SOURCE, _AUTHORS, _SURNAMES = range(7)
CATALOGUED_AUTHORS = 50
"""Authors of a paper kept for finding it by name: a consortium paper lists hundreds, and
one asked for by name is asked for by one of its first authors."""
AUTHOR_SEPARATOR = "\n"
"""Between a paper's authors in its entry: one string a paper, not a list of strings
(at 200k papers a list per paper and a parsed-name index had taken 367 MB, built on the
first author question, 25 s under tracemalloc; the two strings take about 46 MB and
nothing to build)."""


class Catalog:
    """paper id -> (title, normalised title, arXiv id, DOI, source id, authors, their
    surnames). Immutable."""

    def __init__(self, entries: dict[str, list[str | None]]) -> None:
        self._entries = entries

    @staticmethod
    def entry(paper: Paper) -> list[str | None]:
        authors = paper.authors[:CATALOGUED_AUTHORS]
        names = [name for name in map(PersonName.parse, authors) if name is not None]
        return [
            paper.title,
            normalize_title(paper.title),
            paper.arxiv_id,
            paper.doi,
            paper.source_id,
            AUTHOR_SEPARATOR.join(authors) or None,
            f" {' '.join(name.surname for name in names)} " if names else None,
        ]

    @classmethod
    def of(cls, papers: Iterable[Paper]) -> Catalog:
        return cls({p.paper_id: cls.entry(p) for p in papers})

    def with_changes(self, written: Iterable[Paper], deleted: Iterable[str]) -> Catalog:
        entries = dict(self._entries)
        for paper_id in deleted:
            entries.pop(paper_id, None)
        for paper in written:
            entries[paper.paper_id] = self.entry(paper)
        return Catalog(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, paper_id: object) -> bool:
        return paper_id in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def title(self, paper_id: str) -> str:
        return str(self._entries[paper_id][_TITLE])

    def normalised_title(self, paper_id: str) -> str:
        """The title as `normalize_title` writes it (computed once, at ingest)."""
        return str(self._entries[paper_id][_NORMALISED])

    @cached_property
    def _by_key(self) -> dict[tuple[str, str], str]:
        """(kind, value) -> paper id, for every id the sources gave and every title."""
        keys: dict[tuple[str, str], str] = {}
        for paper_id, entry in self._entries.items():
            for kind, index in (("title", _NORMALISED), ("arxiv", _ARXIV), ("doi", _DOI)):
                if entry[index]:
                    keys.setdefault((kind, str(entry[index])), paper_id)
            if entry[_SOURCE]:
                keys.setdefault(("id", str(entry[_SOURCE])), paper_id)
        return keys

    @property
    def lists_authors(self) -> bool:
        """Whether any record lists its authors (a saved Daily Papers page lists none)."""
        return any(entry[_SURNAMES] for entry in self._entries.values())

    def by_author(self, names: Sequence[str]) -> list[str]:
        """Ids of the papers listing an author for each of `names` (`PersonName.matches`:
        "Nadolsky" and "Pavel Nadolsky" are "P. M. Nadolsky"), in catalog order: a scan
        of the surnames (60 ms at 200k papers), then only the holders' names parsed."""
        wanted = [name for name in map(PersonName.parse, names) if name is not None]
        if not wanted or len(wanted) != len(names):
            return []
        key = f" {wanted[0].surname} "
        holding = [(pid, e) for pid, e in self._entries.items() if key in (e[_SURNAMES] or "")]
        return [pid for pid, entry in holding if all(self._lists(entry, n) for n in wanted)]

    @staticmethod
    def _lists(entry: list[str | None], wanted: PersonName) -> bool:
        surnames, authors = entry[_SURNAMES], entry[_AUTHORS]
        if not surnames or not authors or f" {wanted.surname} " not in surnames:
            return False
        return any(
            name is not None and wanted.matches(name)
            for name in map(PersonName.parse, authors.split(AUTHOR_SEPARATOR))
        )

    def authors_like(self, name: str, limit: int = 3) -> list[str]:
        """Authors, as a record writes them, whose surnames are closest to `name`'s
        ("Nadolksy" -> "P. M. Nadolsky"): what to suggest for a name no record lists."""
        wanted = PersonName.parse(name)
        if wanted is None:
            return []
        surnames = {s for entry in self._entries.values() for s in (entry[_SURNAMES] or "").split()}
        close = process.extract(
            wanted.surname, surnames, scorer=fuzz.ratio, score_cutoff=75, limit=limit
        )
        return [self._written(surname) for surname, _, _ in close]

    def _written(self, surname: str) -> str:
        """The first catalogued author with `surname`, as the record writes the name."""
        for entry in self._entries.values():
            if f" {surname} " in (entry[_SURNAMES] or ""):
                for author in (entry[_AUTHORS] or "").split(AUTHOR_SEPARATOR):
                    if (parsed := PersonName.parse(author)) and parsed.surname == surname:
                        return author
        return surname

    def find(self, keys: Iterable[tuple[str, str]]) -> str | None:
        """The paper with any of these (kind, value) keys: kinds "arxiv", "doi", "id"
        (the source's own id) and "title" (normalised)."""
        return next((self._by_key[k] for k in keys if k in self._by_key), None)

    def closest_titles(self, title: str, limit: int) -> list[tuple[str, float]]:
        """(paper id, 0-100 similarity) of the titles that best match `title`."""
        choices = {pid: entry[_NORMALISED] for pid, entry in self._entries.items()}
        matches = process.extract(normalize_title(title), choices, scorer=fuzz.WRatio, limit=limit)
        return [(pid, float(score)) for _, score, pid in matches]

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self._entries), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Catalog:
        return cls(json.loads(path.read_text(encoding="utf-8")))

"""Titles, ids and authors of every stored paper: what lookups by title, by any id or
by an author's name need.

The service used to hold every `Paper` (abstract included) to answer "show me paper X";
at 200k papers that alone is most of a gigabyte. The catalog keeps only the strings
a lookup compares (about 150 bytes a paper, and its authors' names), and the full record
is read from the store for the paper found.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import Path

from rapidfuzz import fuzz, process

from rag.authors import PersonName
from rag.papers import Paper, normalize_title

_TITLE, _NORMALISED, _ARXIV, _DOI, _SOURCE, _AUTHORS = range(6)
CATALOGUED_AUTHORS = 50
"""Authors of a paper kept for finding it by name: a consortium paper lists hundreds, and
one asked for by name is asked for by one of its first authors."""
Entry = list[str | list[str] | None]


class Catalog:
    """paper id -> (title, normalised title, arXiv id, DOI, source id, authors). Immutable."""

    def __init__(self, entries: dict[str, Entry]) -> None:
        self._entries = entries

    @staticmethod
    def entry(paper: Paper) -> Entry:
        return [
            paper.title,
            normalize_title(paper.title),
            paper.arxiv_id,
            paper.doi,
            paper.source_id,
            paper.authors[:CATALOGUED_AUTHORS],
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

    @cached_property
    def _by_surname(self) -> dict[str, list[tuple[str, PersonName, str]]]:
        """surname -> (paper id, the author's parsed name, as written) for every
        catalogued author."""
        index: dict[str, list[tuple[str, PersonName, str]]] = {}
        for paper_id, entry in self._entries.items():
            for author in entry[_AUTHORS] or ():
                if (name := PersonName.parse(str(author))) is not None:
                    index.setdefault(name.surname, []).append((paper_id, name, str(author)))
        return index

    @property
    def lists_authors(self) -> bool:
        """Whether any record lists its authors (a saved Daily Papers page lists none)."""
        return bool(self._by_surname)

    def by_author(self, names: Iterable[str]) -> list[str]:
        """Ids of the papers listing an author for each of `names` (`PersonName.matches`:
        "Nadolsky" and "Pavel Nadolsky" are "P. M. Nadolsky"), in catalog order."""
        found: set[str] | None = None
        for typed in names:
            wanted = PersonName.parse(typed)
            if wanted is None:
                return []
            holders = self._by_surname.get(wanted.surname, ())
            ids = {pid for pid, name, _ in holders if wanted.matches(name)}
            found = ids if found is None else found & ids
        return [pid for pid in self._entries if pid in (found or ())]

    def authors_like(self, name: str, limit: int = 3) -> list[str]:
        """Authors, as a record writes them, whose surnames are closest to `name`'s
        ("Nadolksy" -> "P. M. Nadolsky"): what to suggest for a name no record lists."""
        wanted = PersonName.parse(name)
        if wanted is None:
            return []
        close = process.extract(
            wanted.surname, list(self._by_surname), scorer=fuzz.ratio, score_cutoff=75, limit=limit
        )
        return [self._by_surname[surname][0][2] for surname, _, _ in close]

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

"""JSON Lines exports: one paper object per line.

Accepts our own field names (`title`, `abstract`, `id`/`arxiv_id`, `doi`, `date`,
`authors`, `url`, `upvotes`), those of the public arXiv metadata snapshot (`id`,
`authors` as one string, `versions`, `update_date`, `categories`, `doi`) and the BEIR
corpus format (`_id`, `title`, `text`: SciFact, TREC-COVID, NFCorpus ...). A record's
own id is kept: an arXiv id as `arxiv_id`, a DOI as `doi`, anything else (a BEIR
`_id`, a PubMed or Semantic Scholar id) as `source_id`; see `rag.papers.paper_id_for`.
Unknown fields are kept as metadata.
"""

from __future__ import annotations

import json
import re
from datetime import date
from email.utils import parsedate_to_datetime
from typing import Any

from pydantic import ValidationError

from rag.errors import CorpusError
from rag.formats import ParseResult, Skipped
from rag.papers import DatePrecision, Entry, clean_source_id, normalize_arxiv_id, normalize_doi

_KNOWN = {
    "title",
    "abstract",
    "text",
    "id",
    "_id",
    "arxiv_id",
    "doi",
    "date",
    "update_date",
    "versions",
    "authors",
    "authors_parsed",
    "url",
    "upvotes",
}
_ABSTRACT_FIELDS = ("abstract", "text")
"""Where the abstract is: our name first, then BEIR's `text`."""


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


_PARENTHESIS = re.compile(r"\([^()]*\)")
"""An affiliation written after a name in an author string ("Franz G\\"ahler (Institut
f\\"ur Theoretische und Angewandte Physik, Universit\\"at Stuttgart)")."""


def _authors(value: Any, parsed: Any = None) -> tuple[list[str], int | None]:
    """Author names. The arXiv snapshot writes `authors` as one string, TeX accents and
    affiliations included, and the same names clean in `authors_parsed` ([last, first,
    suffix, affiliations...]), which are used: from the string, "Peter Brommer and Franz
    G\\"ahler (Institut ..., Universit\\"at Stuttgart)" gave three "authors"."""
    if isinstance(parsed, list) and parsed and all(isinstance(p, list) and p for p in parsed):
        names = [
            _text(" ".join(str(part) for part in (*p[1:2], p[0], *p[2:3]) if part)) for p in parsed
        ]
        if all(names):
            return names, len(names)
    if isinstance(value, list):
        names = [_text(v) for v in value if _text(v)]
        return names, len(names)
    if isinstance(value, int) and not isinstance(value, bool):
        return [], value
    if isinstance(value, str) and value.strip():
        text = _text(value)
        while _PARENTHESIS.search(text):
            text = _PARENTHESIS.sub("", text)
        names = [n.strip() for n in re.split(r",|\band\b", text) if n.strip()]
        return names, len(names)
    return [], None


def _first_version(versions: Any) -> str | None:
    """The arXiv snapshot's `versions[0].created` ("Mon, 2 Apr 2007 19:18:42 GMT") as
    YYYY-MM-DD: the paper's first-submission date, which `update_date` (the last
    metadata change, often years later) is not."""
    if not isinstance(versions, list) or not versions or not isinstance(versions[0], dict):
        return None
    try:
        return parsedate_to_datetime(str(versions[0].get("created"))).date().isoformat()
    except (TypeError, ValueError):
        return None


_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def _date(value: Any, path: str, line: int) -> tuple[date | None, DatePrecision]:
    """`YYYY-MM-DD` (or a timestamp starting so), `YYYY-MM` or `YYYY`, keeping the precision."""
    if value in (None, ""):
        return None, "day"
    text = str(value).strip()
    try:
        if match := _PARTIAL_DATE.match(text):
            year, month = match.groups()
            return date(int(year), int(month or 1), 1), "month" if month else "year"
        return date.fromisoformat(text[:10]), "day"
    except ValueError:
        raise CorpusError(
            path, f"invalid date {value!r} (expected YYYY-MM-DD, YYYY-MM or YYYY)", line
        ) from None


def parse(text: str, path: str, year: int | None) -> ParseResult:
    del year  # JSONL dates always carry their year
    result = ParseResult()
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CorpusError(
                path, f"malformed JSON: {exc.msg} (column {exc.colno})", number
            ) from None
        if not isinstance(obj, dict):
            raise CorpusError(path, f"expected a JSON object, got {type(obj).__name__}", number)
        if not any(obj.get(name) is not None for name in _ABSTRACT_FIELDS):
            fields = ", ".join(sorted(obj)) or "none"
            result.skipped.append(
                Skipped(
                    f"{path}:{number}",
                    f"no abstract field (expected 'abstract' or BEIR's 'text'; fields: {fields})",
                )
            )
            continue
        raw_id = obj.get("arxiv_id") or obj.get("id") or obj.get("_id")
        authors, count = _authors(obj.get("authors"), obj.get("authors_parsed"))
        upvotes = obj.get("upvotes")
        extra = {k: v for k, v in obj.items() if k not in _KNOWN}
        arxiv_id = normalize_arxiv_id(str(raw_id)) if raw_id is not None else None
        doi = normalize_doi(str(obj.get("doi") or "")) or normalize_doi(str(raw_id or ""))
        own_id = None if arxiv_id or normalize_doi(str(raw_id or "")) else clean_source_id(raw_id)
        day, precision = _date(
            obj.get("date") or _first_version(obj.get("versions")) or obj.get("update_date"),
            path,
            number,
        )
        try:
            entry = Entry(
                title=_text(obj.get("title")),
                abstract=_text(next(obj[n] for n in _ABSTRACT_FIELDS if obj.get(n) is not None)),
                source=f"{path}:{number}",
                date=day,
                date_precision=precision,
                authors=authors,
                author_count=count,
                upvotes=upvotes if isinstance(upvotes, int) else None,
                url=obj.get("url") or None,
                arxiv_id=arxiv_id,
                doi=doi,
                source_id=own_id,
                extra=extra,
            )
        except ValidationError as exc:
            problem = exc.errors()[0]
            field = ".".join(str(part) for part in problem["loc"])
            raise CorpusError(
                path, f"field {field!r}: {problem['msg']} (got {problem['input']!r:.60})", number
            ) from None
        result.add(entry)
    return result

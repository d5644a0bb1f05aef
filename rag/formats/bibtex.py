"""BibTeX files (e.g. a Zotero export), parsed with bibtexparser v2.

Only entries with an `abstract` field are papers here; the rest are reported as skipped.
"""

from __future__ import annotations

import logging
import re
from datetime import date

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.middlewares import (
    LatexDecodingMiddleware,
    MergeNameParts,
    SeparateCoAuthors,
    SplitNameParts,
)
from bibtexparser.middlewares.middleware import Middleware
from bibtexparser.model import DuplicateFieldKeyBlock, Entry

from rag.formats import ParseResult, Skipped
from rag.papers import DatePrecision, normalize_arxiv_id, normalize_doi
from rag.papers import Entry as Sighting

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_MAPPED = {"title", "abstract", "author", "year", "month", "url", "eprint", "archiveprefix", "doi"}


_MATH = re.compile(r"(\$\$.+?\$\$|\$[^$]+\$)", re.DOTALL)
"""TeX math (`$...$`, `$$...$$`): its braces are syntax (`$\\mathcal{O}(n)$`, `$I_{\rm
pred}$`), so they are kept; outside math, braces only protect capitals and are dropped."""


def _clean(value: object) -> str:
    parts = _MATH.split(str(value))
    text = "".join(
        part if index % 2 else part.replace("{", "").replace("}", "")
        for index, part in enumerate(parts)
    )
    return " ".join(text.split())


def _date(fields: dict[str, str]) -> tuple[date | None, DatePrecision]:
    """`year` (+ `month`) as the first day of that period, with the precision given."""
    year = fields.get("year", "").strip()
    if not year.isdigit():
        return None, "day"
    month_text = fields.get("month", "").strip().lower()[:3]
    if month_text.isdigit():
        month, precision = int(month_text), "month"
    elif month_text in _MONTHS:
        month, precision = _MONTHS.index(month_text) + 1, "month"
    else:
        month, precision = 1, "year"
    try:
        return date(int(year), month, 1), precision  # type: ignore[return-value]
    except ValueError:
        return None, "day"


def _middleware() -> list[Middleware]:
    """TeX decoded, then each author as "First Last": Zotero writes "Pumarola, Albert", and
    a list of such names ("by Pumarola, Albert, Corona, Enric") reads as four people."""
    return [
        LatexDecodingMiddleware(),
        SeparateCoAuthors(),
        SplitNameParts(),
        MergeNameParts("first"),
    ]


def _decoded(entry: Entry) -> Entry:
    """An entry bibtexparser set aside (a repeated field), through the same middleware."""
    library = Library([entry])
    for middleware in _middleware():
        library = middleware.transform(library)
    return library.entries[0]


def _failure(block: object) -> str:
    """Why bibtexparser gave up on a block, never empty: its error, else its type, plus
    the block's first line so the user can find it."""
    error = getattr(block, "error", None)
    reason = str(error).strip() or (type(error).__name__ if error else "malformed entry")
    first = (str(getattr(block, "raw", "")).strip().splitlines() or [""])[0][:80]
    return f"{reason} (starts {first!r})" if first else reason


def parse(text: str, path: str, year: int | None) -> ParseResult:
    del year
    result = ParseResult()
    logging.getLogger("bibtexparser").setLevel(logging.ERROR)
    library = bibtexparser.parse_string(text, append_middleware=_middleware())
    entries = list(library.entries)
    for block in library.failed_blocks:
        if isinstance(block, DuplicateFieldKeyBlock):  # Zotero exports do this: keep it
            entries.append(_decoded(block.ignore_error_block))
            continue
        result.skipped.append(
            Skipped(f"{path}:{block.start_line + 1}", f"unparseable BibTeX: {_failure(block)}")
        )
    for item in sorted(entries, key=lambda e: e.start_line):
        source = f"{path}:{item.start_line + 1}"
        fields: dict[str, object] = {}
        for field in item.fields:  # a repeated field keeps its longest value: Zotero
            key = field.key.lower()  # repeats e.g. a DOI as "10.1007" then in full
            if len(str(field.value)) > len(str(fields.get(key, ""))):
                fields[key] = field.value
        if "abstract" not in fields:
            result.skipped.append(Skipped(source, f"@{item.key} has no abstract field"))
            continue
        raw_authors = fields.get("author", [])
        authors = [_clean(a) for a in raw_authors] if isinstance(raw_authors, list) else []
        arxiv_id = normalize_arxiv_id(_clean(fields.get("eprint", ""))) or normalize_arxiv_id(
            _clean(fields.get("url", ""))
        )
        extra = {k: _clean(v) for k, v in fields.items() if k not in _MAPPED}
        extra["bibtex_key"] = item.key
        day, precision = _date({k: _clean(v) for k, v in fields.items() if k in {"year", "month"}})
        result.add(
            Sighting(
                title=_clean(fields.get("title", "")),
                abstract=_clean(fields["abstract"]),
                source=source,
                date=day,
                date_precision=precision,
                authors=authors,
                author_count=len(authors) or None,
                url=_clean(fields["url"]) if "url" in fields else None,
                arxiv_id=arxiv_id,
                doi=normalize_doi(_clean(fields.get("doi", "")))
                or normalize_doi(_clean(fields.get("url", ""))),
                extra=extra,
            )
        )
    return result

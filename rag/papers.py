"""The paper record: what every later step (retrieval, citations, lookup) points at.

A parsed listing entry (`Entry`) is one sighting of a paper in one file; the same
paper seen on several pages becomes a single `Paper` with merged metadata.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, Field, field_serializer, field_validator, model_validator
from rapidfuzz import fuzz

_ARXIV_NEW = re.compile(r"^(\d{4}\.\d{4,5})(v\d+)?$")
_ARXIV_OLD = re.compile(r"^([a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(v\d+)?$")
_ARXIV_IN_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/([^\s?#]+?)(?:\.pdf)?(?:[?#]|$)")
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)


DatePrecision = Literal["day", "month", "year"]
_WEB_URL = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


def web_url(url: str | None) -> str | None:
    """A record's URL when it is a web URL, else None: a source file's `javascript:` or
    `data:` URL is never shown as a link."""
    return url if url and _WEB_URL.match(url) else None


def shown_date(day: dt.date | None, precision: DatePrecision = "day") -> str:
    """A date as precisely as its source gave it: `2020`, `2020-05` or `2020-05-17`."""
    if day is None:
        return "undated"
    return {"year": day.strftime("%Y"), "month": day.strftime("%Y-%m")}.get(
        precision, day.isoformat()
    )


def stated_precision(day: dt.date | None, precision: DatePrecision) -> DatePrecision | None:
    """`precision` as shown to users: none without a date (an undated paper's JSON said
    `"date": null, "date_precision": "day"`)."""
    return precision if day is not None else None


class Dated(BaseModel):
    """For models with a `date` and its `date_precision`: the precision reads as null
    without a date, and null reads back as the default."""

    @field_serializer("date_precision", check_fields=False)
    def _stated_precision(self, precision: DatePrecision) -> DatePrecision | None:
        return stated_precision(getattr(self, "date", None), precision)

    @field_validator("date_precision", mode="before", check_fields=False)
    @classmethod
    def _default_precision(cls, precision: object) -> object:
        return "day" if precision is None else precision


class PaperFields(Dated):
    """What a listing can say about a paper; shared by sightings and stored records."""

    title: str
    abstract: str
    date: dt.date | None = None
    date_inferred: bool = False
    """True when the listing gave no year and the page's year was assumed."""
    date_precision: DatePrecision = "day"
    """What the source gave: a BibTeX `year = 2020` is stored as 2020-01-01 (so date
    filters work) with precision `year`, and shown as `2020`, never as January 1st."""
    authors: list[str] = Field(default_factory=list)
    author_count: int | None = None
    upvotes: int | None = None
    url: str | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    """Lowercased, without `https://doi.org/` (DOIs are case-insensitive)."""
    source_id: str | None = None
    """The record's own id in its source when it is neither an arXiv id nor a DOI: a BEIR
    `_id`, a PubMed, Semantic Scholar or OpenAlex id."""
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _source_id_from_extra(cls, data: Any) -> Any:
        """Records stored before `source_id` was a field kept it in `extra`."""
        if isinstance(data, dict) and not data.get("source_id"):
            extra = data.get("extra") or {}
            if "source_id" in extra:
                data = {**data, "extra": {k: v for k, v in extra.items() if k != "source_id"}}
                data["source_id"] = str(extra["source_id"])
        return data

    def identities(self) -> set[tuple[str, str]]:
        """(kind, value) of every id the source gave: two records sharing one are the same
        paper; two with different values of one kind are different papers."""
        pairs = (("arxiv", self.arxiv_id), ("doi", self.doi), ("id", self.source_id))
        return {(kind, value) for kind, value in pairs if value}

    def contradicts(self, other: PaperFields) -> bool:
        """Both name an id of the same kind and the values differ (e.g. two BEIR `_id`s):
        then a shared title is a coincidence, not a duplicate."""
        mine, theirs = dict(self.identities()), dict(other.identities())
        return any(kind in theirs and theirs[kind] != value for kind, value in mine.items())


class Entry(PaperFields):
    """One paper as it appears in one source file, before merging."""

    source: str
    """`path:line` where the entry starts, for reports and provenance."""


class Paper(PaperFields):
    """A stored paper: the unit of retrieval, citation and lookup."""

    paper_id: str
    sources: list[str] = Field(default_factory=list)

    @property
    def text(self) -> str:
        """Title and abstract: what is embedded, indexed and matched against a question."""
        return f"{self.title}\n{self.abstract}"

    def content_hash(self) -> str:
        """Hash of what gets embedded: a change here means re-chunking and re-embedding."""
        return hashlib.sha1(self.text.encode()).hexdigest()[:16]

    def same_but_provenance(self, other: Paper) -> bool:
        """Equal in everything but `sources` (where the paper was seen)."""
        mine, theirs = dict(self.__dict__), dict(other.__dict__)
        mine.pop("sources"), theirs.pop("sources")
        return mine == theirs


def normalize_title(title: str) -> str:
    """Casefolded, accent- and punctuation-free title used to match duplicates and lookups."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


TITLE_MATCH = 90
"""rapidfuzz ratio (0-100) of an asked name to a title, both normalised, for the name to
be the title as typed: a slip or two in "Attention Is All You Need" still names the paper."""


def is_title(typed: str, title: str) -> bool:
    """Whether `typed` is `title` as typed (`TITLE_MATCH`), both normalised
    (`normalize_title`: case and punctuation ignored). Searches normalise the query once
    and take the catalog's normalised titles: normalising the first
    `rag.retrieval.TITLED_DEPTH` titles in every search cost 2.7 ms of a 20 ms search
    (profiled on the bundled corpus)."""
    return bool(typed) and fuzz.ratio(typed, title) >= TITLE_MATCH


HELD_TITLE_WORDS = 3
"""Words of a title for a text holding it whole to name the paper (`holds_title`): "what
do you make of attention is all you need" names it, "why does deep learning work so
well" does not name the paper titled "Deep learning"."""


def holds_title(typed: str, wanted: str) -> bool:
    """Whether `typed` holds the title `wanted` whole, as words (both normalised, as for
    `is_title`: case and punctuation ignored), the
    title has at least `HELD_TITLE_WORDS` words, and they are at least half of the text's:
    a request for the paper ("summarise attention is all you need"), not a sentence that
    uses its words. Held anywhere, 4 of SciFact's 809 training claims moved a paper first,
    2 of them not a gold one ("RAD52 is involved in break-induced DNA replication (BIR)."
    and the paper titled "Break-induced DNA replication.")."""
    words = len(wanted.split())
    return (
        words >= HELD_TITLE_WORDS
        and 2 * words >= len(typed.split())
        and f" {wanted} " in f" {typed} "
    )


def normalize_arxiv_id(raw: str | None) -> str | None:
    """Return the versionless arXiv id in `raw` (id, `arXiv:` form or URL), else None."""
    if not raw:
        return None
    text = raw.strip()
    if match := _ARXIV_IN_URL.search(text):
        text = match.group(1)
    text = re.sub(r"^arxiv:", "", text, flags=re.IGNORECASE)
    for pattern in (_ARXIV_NEW, _ARXIV_OLD):
        if match := pattern.match(text):
            return match.group(1)
    return None


def normalize_doi(raw: str | None) -> str | None:
    """The lowercased DOI in `raw` (bare, `doi:` or a doi.org URL), else None."""
    match = _DOI.match((raw or "").strip())
    return match.group(1).casefold() if match else None


def clean_source_id(raw: object) -> str | None:
    """A user's own record id as a paper id: stripped, whitespace-free, or None if empty."""
    text = "".join(str(raw).split()) if raw is not None else ""
    return text or None


def paper_id_for(fields: PaperFields) -> str:
    """The id a paper is stored and looked up under: its arXiv id, else its DOI, else
    the source's own id (BEIR `_id`, PubMed id ...), else a slug of its title."""
    return fields.arxiv_id or fields.doi or fields.source_id or slug_id(fields.title)


def slug_id(title: str) -> str:
    """Readable, stable id for papers without an arXiv id: slug of the title + hash."""
    key = normalize_title(title)
    words = key.split()
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > 40:
            break
        slug = f"{slug}-{word}" if slug else word
    slug = re.sub(r"[^a-z0-9-]", "", slug) or "paper"
    return f"{slug}-{hashlib.sha1(key.encode()).hexdigest()[:8]}"


def merge_entries(entries: list[Entry]) -> Paper:
    """Merge sightings of one paper: richest abstract, explicit dates over inferred ones."""
    arxiv_id = next((e.arxiv_id for e in entries if e.arxiv_id), None)
    best = max(entries, key=lambda e: len(e.abstract))
    dated = [e for e in entries if e.date is not None]
    precise = {"day": 0, "month": 1, "year": 2}
    dated.sort(key=lambda e: (e.date_inferred, precise[e.date_precision]))  # explicit first
    authors = max((e.authors for e in entries), key=len)
    counts = [e.author_count for e in entries if e.author_count is not None]
    upvotes = [e.upvotes for e in entries if e.upvotes is not None]
    extra: dict[str, Any] = {}
    for entry in entries:
        extra.update(entry.extra)
    paper = Paper(
        paper_id="",
        title=best.title,
        abstract=best.abstract,
        date=dated[0].date if dated else None,
        date_inferred=dated[0].date_inferred if dated else False,
        date_precision=dated[0].date_precision if dated else "day",
        authors=authors,
        author_count=len(authors) if authors else (max(counts) if counts else None),
        upvotes=max(upvotes) if upvotes else None,
        url=next((e.url for e in entries if e.url), None),
        arxiv_id=arxiv_id,
        doi=next((e.doi for e in entries if e.doi), None),
        source_id=next((e.source_id for e in entries if e.source_id), None),
        sources=sorted({e.source for e in entries}),
        extra=extra,
    )
    paper.paper_id = paper_id_for(paper)
    return paper


def merge_papers(stored: Paper, incoming: Paper) -> Paper:
    """Fold a freshly parsed paper into the stored one: new content wins, provenance accumulates."""
    merged = incoming.model_copy(deep=True)
    merged.sources = sorted(set(stored.sources) | set(incoming.sources))
    merged.extra = {**stored.extra, **incoming.extra}
    if merged.date is None or (merged.date_inferred and stored.date and not stored.date_inferred):
        merged.date, merged.date_inferred = stored.date, stored.date_inferred
        merged.date_precision = stored.date_precision
    for name in ("url", "arxiv_id", "doi", "source_id", "author_count", "upvotes"):
        if getattr(merged, name) is None:
            setattr(merged, name, getattr(stored, name))
    if not merged.authors:
        merged.authors = stored.authors
    return merged

"""Saved Hugging Face "Daily Papers" listing pages (copied text of the page).

Two layouts occur:

* blocks: title, abstract, `  • 7 authors`, `·`, a date line (`Aug 29, 2022`,
  `Oct 10, 2024 3`, `Jun 12`, `May 19 2`: a trailing number is the upvote count);
* alternating title line / abstract line with no metadata, the first title glued
  to the page header (`SubscribeJoint Learning of ...`).

Page chrome (subscribe prompts, the page's own date) is never a paper.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from rag.formats import ParseResult, Skipped
from rag.papers import Entry

CHROME = {
    "new",
    "get trending papers in your email inbox!",
    "get trending papers in your email inbox once a day!",
    "subscribe",
    "daily papers",
    "byak and the research community",
}
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_DATE = re.compile(
    r"^(?P<mon>[A-Z][a-z]{2})[a-z]*\.? (?P<day>\d{1,2})(?:, (?P<year>\d{4}))?(?: (?P<up>\d+))?$"
)
_AUTHORS = re.compile(r"^•\s*(?:(?P<count>\d+)\s+authors?|(?P<names>.+))$")
_GLUED_HEADER = re.compile(r"^Subscribe(?=[A-Z0-9\"'(\[])")
MAX_TITLE_CHARS = 300


@dataclass
class _Line:
    number: int
    text: str
    kind: str  # "text" | "authors" | "dot" | "date"


def _classify(number: int, raw: str) -> _Line | None:
    text = raw.strip()
    if not text or text.casefold() in CHROME:
        return None
    if text == "·":
        return _Line(number, text, "dot")
    if _AUTHORS.match(text):
        return _Line(number, text, "authors")
    match = _DATE.match(text)
    if match and match.group("mon").lower() in _MONTHS:
        return _Line(number, text, "date")
    return _Line(number, text, "text")


@dataclass(frozen=True)
class _PageYear:
    """Where a listing date without a year gets its year: the page's own date when it
    shows one (a listing shows a year only for papers from other years than the page's),
    else the year the user gave (`--year`), else this year. The date is flagged inferred
    either way, and one that would fall after the page's own date is a year earlier."""

    year: int
    page_date: date | None = None

    @classmethod
    def of(cls, header: list[_Line], given: int | None) -> _PageYear:
        for line in header:
            match = _DATE.match(line.text)
            if line.kind == "date" and match and match.group("year"):
                day = _day(int(match.group("year")), match)
                if day:
                    return cls(day.year, day)
        return cls(given or date.today().year)

    def resolve(self, month: int, day: int) -> date:
        found = date(self.year, month, day)
        if self.page_date and found > self.page_date:
            found = found.replace(year=self.year - 1)
        return found


def _day(year: int, match: re.Match[str]) -> date | None:
    try:
        return date(year, _MONTHS[match.group("mon").lower()], int(match.group("day")))
    except ValueError:
        return None


def _parse_date(text: str, year: _PageYear) -> tuple[date | None, bool, int | None]:
    """(date, year_inferred, upvotes) from a listing date line."""
    match = _DATE.match(text)
    assert match is not None
    upvotes = int(match.group("up")) if match.group("up") else None
    if match.group("year"):
        return _day(int(match.group("year")), match), False, upvotes
    if _day(2000, match) is None:  # a leap year: only impossible days fail
        return None, False, upvotes
    try:
        return (
            year.resolve(_MONTHS[match.group("mon").lower()], int(match.group("day"))),
            True,
            upvotes,
        )
    except ValueError:  # Feb 29 in a year without one
        return None, False, upvotes


def _content_lines(text: str) -> tuple[list[_Line], list[_Line]]:
    """(header, content): the page's own date and any metadata before the first title,
    then everything from the first title on."""
    header: list[_Line] = []
    lines: list[_Line] = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not lines:
            raw = _GLUED_HEADER.sub("", raw.strip())
        line = _classify(number, raw)
        if line is None:
            continue
        (lines if lines or line.kind == "text" else header).append(line)
    return header, lines


def _parse_blocks(lines: list[_Line], path: str, year: _PageYear, result: ParseResult) -> None:
    """Blocks layout: a run of text lines (title + abstract) closed by metadata lines."""
    i = 0
    while i < len(lines):
        run: list[_Line] = []
        while i < len(lines) and lines[i].kind == "text":
            run.append(lines[i])
            i += 1
        meta: list[_Line] = []
        while i < len(lines) and lines[i].kind != "text":
            meta.append(lines[i])
            i += 1
        if not run:
            continue
        title, body = run[0], run[1:]
        source = f"{path}:{title.number}"
        entry = Entry(title=title.text, abstract=" ".join(b.text for b in body), source=source)
        for line in meta:
            if line.kind == "authors" and (m := _AUTHORS.match(line.text)):
                if m.group("count"):
                    entry.author_count = int(m.group("count"))
                else:
                    entry.authors = [a.strip() for a in m.group("names").split(",") if a.strip()]
                    entry.author_count = len(entry.authors)
            elif line.kind == "date":
                entry.date, entry.date_inferred, entry.upvotes = _parse_date(line.text, year)
                if entry.date is None:
                    result.skipped.append(
                        Skipped(f"{path}:{line.number}", f"invalid date {line.text!r} ignored")
                    )
        if len(title.text) > MAX_TITLE_CHARS:
            result.skipped.append(Skipped(source, "text block without a title line"))
            continue
        result.add(entry)


def _parse_alternating(lines: list[_Line], path: str, result: ParseResult) -> None:
    """Alternating layout: title line, abstract line, title line, ...

    Resynchronises on an orphan line (a long line where a title should be) instead
    of shifting every later pair by one.
    """
    i = 0
    while i < len(lines):
        title = lines[i]
        source = f"{path}:{title.number}"
        if len(title.text) > MAX_TITLE_CHARS:
            result.skipped.append(Skipped(source, "abstract-like line without a title"))
            i += 1
            continue
        if i + 1 >= len(lines):
            result.skipped.append(Skipped(source, f"title without abstract: {title.text[:60]!r}"))
            break
        result.add(Entry(title=title.text, abstract=lines[i + 1].text, source=source))
        i += 2


def parse(text: str, path: str, year: int | None) -> ParseResult:
    result = ParseResult()
    header, lines = _content_lines(text)
    if any(line.kind != "text" for line in lines):
        _parse_blocks(lines, path, _PageYear.of(header, year), result)
    else:
        _parse_alternating(lines, path, result)
    return result

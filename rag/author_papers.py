"""The answer to "papers by X" (`rag.authors.author_question`): the records of the
papers listing that author, newest first, each cited with its abstract's opening
sentence, narrowed to the topic the question names ("papers by Tegmark on KAN").

It is a listing of records, not a reading of abstracts, so it is the same with or
without an LLM and costs no model call (as "who wrote X?" does, `rag.record_questions`).
A name no record lists is said so, with the closest names the records do list, and the
question then goes the usual way (a topic it names may still be answered).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rag.authors import AuthorQuestion
from rag.citations import defuse_markers
from rag.papers import Paper, shown_date
from rag.record_questions import author_list
from rag.relevance import is_citable
from rag.retrieval import Retriever

AUTHOR_PAPERS = 20
"""Papers listed in one answer; the rest are counted, and a topic narrows them."""
AUTHOR_DEPTH = 100
"""Results searched for a topic (or a search query) before keeping an author's papers
among them (the most `Retriever.search` returns): one of theirs not among the first 100
for the topic is not on it."""


@dataclass(frozen=True)
class Listing:
    """The answer's text (without its note) and, for marker n, `cited[n - 1]` quoting
    `quotes[n]`."""

    text: str
    cited: list[str]
    quotes: dict[int, str]


def author_listing(
    retriever: Retriever, asked: AuthorQuestion, since: date | None, until: date | None
) -> Listing | str:
    """The papers `asked` is for, or why there are none, as a warning to show beside
    the usual answer (blocking: call from a thread)."""
    quoted = [f"\u201c{defuse_markers(name)}\u201d" for name in asked.names]
    named = ("an author named " if len(quoted) == 1 else "authors named ") + " and ".join(quoted)
    catalog = retriever.catalog
    ids = catalog.by_author(asked.names)
    if not ids:
        if not catalog.lists_authors:
            return (
                f"No indexed paper lists {named}: none of these papers' "
                "records lists authors (their sources did not give them)"
            )
        close = [a for name in asked.names for a in catalog.authors_like(name)]
        hint = f" (closest: {', '.join(dict.fromkeys(close))})" if close else ""
        return f"No indexed paper lists {named}{hint}"
    papers = [p for p in retriever.papers(ids).values() if _within(p, since, until)]
    if not papers:
        return f"No paper listing {named} is dated in the range asked"
    papers.sort(key=lambda p: (p.date is None, -(p.date.toordinal() if p.date else 0)))
    count = len(papers)
    listing = f"{count} indexed paper{'s' if count != 1 else ''} listing {named}"
    head = listing.replace(" listing ", " lists " if count == 1 else " list ", 1)
    if asked.topic:
        found = retriever.search(asked.topic, AUTHOR_DEPTH, since, until)
        mine = {p.paper_id: p for p in papers}
        on_topic = [
            mine[r.paper_id] for r in found if r.paper_id in mine and is_citable(r.relevance)
        ]
        topic = f"\u201c{defuse_markers(asked.topic)}\u201d"
        if len(on_topic) == count:
            head = f"{listing} {'is' if count == 1 else 'are'} on {topic}"
        elif on_topic:
            verb = "is" if len(on_topic) == 1 else "are"
            head, papers = f"{len(on_topic)} of the {listing} {verb} on {topic}", on_topic
        elif count == 1:
            head = f"the one indexed paper listing {named} is not on {topic}"
        else:
            head = f"none of the {listing} is on {topic}; they are"
    lines = [f"{head[0].upper()}{head[1:]}:"]
    cited, quotes = [], {}
    for n, paper in enumerate(papers[:AUTHOR_PAPERS], 1):
        when = shown_date(paper.date, paper.date_precision) if paper.date else "undated"
        title = defuse_markers(paper.title)
        lines.append(f"- \u201c{title}\u201d [{n}] ({when}) is by {author_list(paper)}")
        cited.append(paper.paper_id)
        spans = retriever.abstract_sentences(paper)
        quotes[n] = paper.abstract[spans[0].start : spans[0].end] if spans else paper.abstract
    if len(papers) > AUTHOR_PAPERS:
        lines.append(
            f"- ... and {len(papers) - AUTHOR_PAPERS} more, older (a topic narrows them: "
            f"\u201cpapers by {defuse_markers(asked.shown)} on ...\u201d)."
        )
    return Listing("\n".join(lines), cited, quotes)


def _within(paper: Paper, since: date | None, until: date | None) -> bool:
    """In the asked range (an undated paper is in none), or any paper when none is asked."""
    if since is None and until is None:
        return True
    if paper.date is None:
        return False
    return (since is None or paper.date >= since) and (until is None or paper.date <= until)

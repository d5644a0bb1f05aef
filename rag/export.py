"""Paper records as BibTeX, for reference managers (Zotero, JabRef, a LaTeX .bib file).

Written with bibtexparser (already our BibTeX reader), so quoting and layout follow one
maintained implementation. Entries carry the arXiv id (`eprint`), a DOI when the record
has one, and the URL; braces in titles and names are dropped (they would unbalance the
entry), the whole title is braced once so BibTeX styles keep its capitals."""

from __future__ import annotations

import re

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.model import Entry, Field

from rag.papers import Paper

_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9:._-]+")


def _plain(text: str) -> str:
    return " ".join(text.replace("{", "").replace("}", "").split())


def bibtex_key(paper: Paper) -> str:
    """A citation key: `arXiv:2401.01234`-style for arXiv papers, else the paper id."""
    return _KEY_UNSAFE.sub("-", f"arXiv:{paper.arxiv_id}" if paper.arxiv_id else paper.paper_id)


def bibtex(papers: list[Paper]) -> str:
    library = Library()
    for paper in papers:
        fields = [Field("title", "{" + _plain(paper.title) + "}")]
        if paper.authors:
            fields.append(Field("author", " and ".join(_plain(a) for a in paper.authors)))
        if paper.date:
            fields += [Field("year", str(paper.date.year))]
            if not paper.date_inferred and paper.date_precision != "year":
                fields.append(Field("month", paper.date.strftime("%b").lower()))
        if paper.arxiv_id:
            fields += [Field("eprint", paper.arxiv_id), Field("archiveprefix", "arXiv")]
        if paper.doi:
            fields.append(Field("doi", _plain(paper.doi)))
        if paper.url:
            fields.append(Field("url", _plain(paper.url)))
        library.add(Entry("misc", bibtex_key(paper), fields))
    return bibtexparser.write_string(library)

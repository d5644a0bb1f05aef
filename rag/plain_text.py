"""Results as plain text a language model (or a person) reads: titles, ids, quotes.

Tool integrations (the MCP server, the LlamaIndex tools) return this next to the
structured record, so a model that only reads text still sees which paper says what."""

from __future__ import annotations

from rag.answering import Answer
from rag.cite import CiteResult
from rag.papers import Paper, shown_date
from rag.retrieval import SearchResult


def search_text(results: list[SearchResult]) -> str:
    lines = [
        f"{r.rank}. {r.title} (paper_id: {r.paper_id}, {shown_date(r.date, r.date_precision)}, "
        f"relevance {r.relevance:.2f})\n   {r.snippet}"
        for r in results
    ]
    return "\n".join(lines) or "No matching papers."


def paper_text(paper: Paper) -> str:
    lines = [f"# {paper.title}", f"paper_id: {paper.paper_id}"]
    lines += [f"arXiv: {paper.arxiv_id}"] if paper.arxiv_id else []
    lines += [f"date: {shown_date(paper.date, paper.date_precision)}"] if paper.date else []
    lines += [f"authors: {', '.join(paper.authors)}"] if paper.authors else []
    lines += [f"url: {paper.url}"] if paper.url else []
    return "\n".join([*lines, "", paper.abstract])


def answer_text(answer: Answer) -> str:
    sources = [f'[{c.n}] {c.title} ({c.paper_id}): "{c.quote}"' for c in answer.citations]
    parts = [answer.answer, *(f"Warning: {w}" for w in answer.warnings)]
    return "\n\n".join(parts + (["Sources:\n" + "\n".join(sources)] if sources else []))


def support_text(found: CiteResult) -> str:
    lines = [f'{m.title} (paper_id: {m.paper_id}): "{m.sentence}"' for m in found.matches]
    return "\n".join(lines) or (found.message or "")

"""Find a paper by id or (approximate) title: the "show me paper X" half of citation lookup."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from rag.errors import NotFoundError
from rag.papers import Paper, normalize_arxiv_id, normalize_doi, normalize_title


def title_candidates(
    papers: dict[str, Paper], title: str, limit: int = 5
) -> list[tuple[Paper, float]]:
    """Papers whose titles best match `title`, with a 0-100 similarity, best first."""
    choices = {pid: normalize_title(p.title) for pid, p in papers.items()}
    matches = process.extract(normalize_title(title), choices, scorer=fuzz.WRatio, limit=limit)
    return [(papers[pid], float(score)) for _, score, pid in matches]


def find_paper(papers: dict[str, Paper], id_or_title: str) -> Paper:
    """Exact paper id, any id the source gave (arXiv id or URL, DOI or doi.org URL, the
    source's own id) or title (case and punctuation ignored); else NotFoundError listing
    the closest titles."""
    query = id_or_title.strip()
    if query in papers:
        return papers[query]
    ids = {("arxiv", normalize_arxiv_id(query)), ("doi", normalize_doi(query)), ("id", query)}
    wanted = normalize_title(query)
    for paper in papers.values():
        if paper.identities() & ids or normalize_title(paper.title) == wanted:
            return paper
    candidates = title_candidates(papers, query, limit=5)
    suggestions = [p.title for i, (p, score) in enumerate(candidates) if i == 0 or score >= 60]
    raise NotFoundError(f"no paper with id or title {query!r}", suggestions)

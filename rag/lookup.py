"""Find a paper by id or (approximate) title: the "show me paper X" half of citation lookup."""

from __future__ import annotations

from rag.catalog import Catalog
from rag.errors import NotFoundError
from rag.papers import normalize_arxiv_id, normalize_doi, normalize_title


def known_id(catalog: Catalog, text: str) -> str | None:
    """The paper `text` names by id: its paper id, or any id its source gave (arXiv id or
    URL, DOI or doi.org URL, the source's own id); None for no indexed paper."""
    if text in catalog:
        return text
    keys = (("arxiv", normalize_arxiv_id(text)), ("doi", normalize_doi(text)), ("id", text))
    return catalog.find((kind, value) for kind, value in keys if value)


def find_paper_id(catalog: Catalog, id_or_title: str) -> str:
    """Exact paper id, any id the source gave (arXiv id or URL, DOI or doi.org URL, the
    source's own id) or title (case and punctuation ignored); else NotFoundError listing
    the closest titles."""
    query = id_or_title.strip()
    found = known_id(catalog, query) or catalog.find([("title", normalize_title(query))])
    if found is not None:
        return found
    candidates = catalog.closest_titles(query, limit=5)
    suggestions = [
        catalog.title(pid) for i, (pid, score) in enumerate(candidates) if i == 0 or score >= 60
    ]
    raise NotFoundError(f"no paper with id or title {query!r}", suggestions)

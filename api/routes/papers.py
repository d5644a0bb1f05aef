"""Retrieval and citation lookup: search, paper records, title lookup, `cite`.

Every call into the index runs in a worker thread: embedding, BM25 and Chroma are
CPU-bound or blocking and would otherwise stall every other request.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api import guards
from api.errors import ERROR_RESPONSES, ApiError
from api.schemas import CiteRequest, SearchHit, SearchResponse, TitleCandidate, TitleLookup
from api.service import Ready
from rag.cite import CiteResult, find_support
from rag.lookup import title_candidates
from rag.papers import Paper, normalize_arxiv_id
from rag.retrieval import K_MAX, K_MIN, Mode

router = APIRouter(prefix="/v1")


@router.get(
    "/search", response_model=SearchResponse, responses=ERROR_RESPONSES, summary="Search papers"
)
async def search(
    request: Request,
    q: Annotated[
        str,
        Query(min_length=1, description="What to look for.", examples=["named entity recognition"]),
    ],
    k: Annotated[int, Query(ge=K_MIN, le=K_MAX)] = 10,
    since: dt.date | None = None,
    until: dt.date | None = None,
    mode: Mode = "hybrid",
    ready: Ready = Depends(guards.ready),
) -> SearchResponse:
    guards.check_text(q, "query", guards.settings(request))
    results = await asyncio.to_thread(ready.retriever.search, q, k, since, until, mode)
    return SearchResponse(query=q, results=[SearchHit(**r.as_json()) for r in results])


@router.get(
    "/papers/{paper_id:path}",
    response_model=Paper,
    responses=ERROR_RESPONSES,
    summary="One paper's record",
)
async def paper(paper_id: str, ready: Ready = Depends(guards.ready)) -> Paper:
    """By paper id or arXiv id; old-style arXiv ids contain a slash (`hep-th/9901001`)."""
    papers = await asyncio.to_thread(lambda: ready.retriever.papers)
    if paper_id in papers:
        return papers[paper_id]
    arxiv_id = normalize_arxiv_id(paper_id)
    for record in papers.values():
        if arxiv_id and record.arxiv_id == arxiv_id:
            return record
    raise ApiError(
        404,
        "not_found",
        f"no paper with id {paper_id!r}; find ids with GET /v1/search or GET /v1/papers?title=...",
    )


@router.get(
    "/papers", response_model=TitleLookup, responses=ERROR_RESPONSES, summary="Find papers by title"
)
async def papers_by_title(
    request: Request,
    title: Annotated[
        str, Query(min_length=1, description="A title, or part of one.", examples=["MobileOne"])
    ],
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
    ready: Ready = Depends(guards.ready),
) -> TitleLookup:
    guards.check_text(title, "title", guards.settings(request))
    papers = await asyncio.to_thread(lambda: ready.retriever.papers)
    matches = await asyncio.to_thread(title_candidates, papers, title, limit)
    return TitleLookup(
        title=title,
        candidates=[
            TitleCandidate(paper_id=p.paper_id, title=p.title, date=p.date, score=round(s, 1))
            for p, s in matches
        ],
    )


@router.post(
    "/cite",
    response_model=CiteResult,
    responses=ERROR_RESPONSES,
    summary="Which papers support this text? (citation lookup)",
)
async def cite(
    body: CiteRequest, request: Request, ready: Ready = Depends(guards.ready)
) -> CiteResult:
    settings = guards.settings(request)
    guards.check_text(body.text, "text", settings)
    async with request.app.state.lookups:  # a burst of lookups queues; search stays quick
        return await asyncio.to_thread(find_support, ready.retriever, body.text, body.k)

"""Retrieval and citation lookup: search, paper records, title lookup, `cite`.

Every call into the index runs in a worker thread: embedding, BM25 and Chroma are
CPU-bound or blocking and would otherwise stall every other request.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from api import guards
from api.errors import ERROR_RESPONSES
from api.schemas import CiteRequest, PaperRecord, SearchHit, SearchResponse, TitleLookup
from rag import K_MAX, K_MIN, TITLES_MAX, CiteResult, Mode, PaperRAG

router = APIRouter(prefix="/v1")


@router.get(
    "/search", response_model=SearchResponse, responses=ERROR_RESPONSES, summary="Search papers"
)
async def search(
    q: Annotated[
        str,
        Query(min_length=1, description="What to look for.", examples=["named entity recognition"]),
    ],
    k: Annotated[int, Query(ge=K_MIN, le=K_MAX)] = 10,
    since: dt.date | None = None,
    until: dt.date | None = None,
    mode: Mode = "hybrid",
    author: Annotated[
        str | None,
        Query(
            min_length=1,
            description='Only papers listing this author ("Nadolsky", "P. M. Nadolsky"; '
            'several joined by "and": all of them). Unknown: 404 with the closest names.',
            examples=["Tegmark"],
        ),
    ] = None,
    rag: PaperRAG = Depends(guards.ready),
) -> SearchResponse:
    results = await asyncio.to_thread(rag.search, q, k, since, until, mode, author)
    return SearchResponse(query=q, results=[SearchHit(**r.as_json()) for r in results])


@router.get(
    "/papers/{paper_id:path}",
    response_model=PaperRecord,
    responses=ERROR_RESPONSES,
    summary="One paper's record",
)
async def paper(
    paper_id: str,
    format: Annotated[Literal["json", "bibtex"], Query(description="`bibtex`: a .bib entry.")] = (
        "json"
    ),
    rag: PaperRAG = Depends(guards.ready),
) -> PaperRecord | Response:
    """By paper id, arXiv id or exact title; old-style arXiv ids contain a slash
    (`hep-th/9901001`). Unknown: 404 with the closest titles in `suggestions`."""
    if format == "bibtex":
        return _bibtex(await asyncio.to_thread(rag.bibtex, [paper_id]))
    return PaperRecord.of(await asyncio.to_thread(rag.paper, paper_id))


def _bibtex(text: str) -> Response:
    return Response(text, media_type="application/x-bibtex; charset=utf-8")


@router.get(
    "/bibtex",
    responses={**ERROR_RESPONSES, 200: {"content": {"application/x-bibtex": {}}}},
    response_class=Response,
    summary="BibTeX for several papers (an answer's references)",
)
async def bibtex(
    ids: Annotated[list[str], Query(min_length=1, description="Paper ids, in order.")],
    rag: PaperRAG = Depends(guards.ready),
) -> Response:
    return _bibtex(await asyncio.to_thread(rag.bibtex, ids))


@router.get(
    "/papers", response_model=TitleLookup, responses=ERROR_RESPONSES, summary="Find papers by title"
)
async def papers_by_title(
    title: Annotated[
        str, Query(min_length=1, description="A title, or part of one.", examples=["MobileOne"])
    ],
    limit: Annotated[int, Query(ge=1, le=TITLES_MAX)] = 5,
    rag: PaperRAG = Depends(guards.ready),
) -> TitleLookup:
    return TitleLookup(title=title, candidates=await asyncio.to_thread(rag.titles, title, limit))


@router.post(
    "/cite",
    response_model=CiteResult,
    responses=ERROR_RESPONSES,
    summary="Which papers support this text? (citation lookup)",
)
async def cite(
    body: CiteRequest, request: Request, rag: PaperRAG = Depends(guards.ready)
) -> CiteResult:
    async with request.app.state.lookups:  # a burst of lookups queues; search stays quick
        return await asyncio.to_thread(rag.cite, body.text, body.k)

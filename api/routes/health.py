"""Liveness, readiness and metrics: open without an API key, for orchestrators."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api import guards
from api.schemas import Health, Readiness
from api.service import Service

router = APIRouter()
STORE_CHECK_SECONDS = 3.0


@router.head("/healthz", include_in_schema=False)
@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health()


@router.head("/readyz", include_in_schema=False)
@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready yet (or failed)"}},
    summary="Index loaded and store reachable",
)
async def readyz(service: Service = Depends(guards.service)) -> JSONResponse:
    settings = service.settings
    status = Readiness(ready=False, status=service.status, error=service.error)
    if service.progress and service.status == "ingesting":
        status.progress = service.progress.as_json()
    try:
        rag = service.ready()
    except Exception:
        return JSONResponse(status.model_dump(exclude_none=True), status_code=503)
    try:
        papers, chunks = await asyncio.wait_for(asyncio.to_thread(rag.counts), STORE_CHECK_SECONDS)
    except Exception as exc:
        status.status, status.error = "store_unreachable", f"{type(exc).__name__}: {exc}"
        return JSONResponse(status.model_dump(exclude_none=True), status_code=503)
    llm = rag.llm
    body = Readiness(
        ready=True,
        status="ready",
        papers=papers,
        chunks=chunks,
        embedder=rag.embedder.identity,
        store=settings.chroma_url or "embedded",
        llm=llm.model if llm else "none (extractive answers)",
        llm_status=service.metrics.llm_health() if llm else None,
    )
    return JSONResponse(body.model_dump(exclude_none=True))


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

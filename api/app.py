"""The FastAPI application: routers, error handlers, middleware and the service's life.

`create_app()` builds an independent app (own metrics registry, own service), so tests
and benchmarks can run several side by side; `rag serve` runs one under uvicorn.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request, Response

from api import guards
from api.errors import install_error_handlers
from api.mcp_server import HttpEndpoint, create_mcp_server
from api.observability import Metrics, RequestContextMiddleware
from api.routes import chat, completions, health, papers
from api.service import Service
from api.web import mount_web
from rag import ChatModel, Embedder, Settings, get_settings

log = logging.getLogger("api")
CONCURRENT_LOOKUPS = 2
"""Citation lookups computed at once; more wait their turn. Each embeds a long text and
up to 50 abstract sentences: ten at once on 2 cores held a concurrent search for 4.2 s
(`bench/stall.py`), with two at a time the other requests keep a core."""

DESCRIPTION = """Cited answers over research-paper abstracts.

Every answer cites the papers it draws on; every citation maps to a paper record
(`GET /v1/papers/{paper_id}`) and quotes the supporting sentence verbatim. When
`RAG_API_KEYS` is set, `/v1` routes need `Authorization: Bearer <key>`. Errors share
one body: `{"error": {"type": ..., "message": ...}}`.
"""


def create_app(
    settings: Settings | None = None,
    embedder: Embedder | None = None,
    llm: ChatModel | None = None,
) -> FastAPI:
    """The service; `embedder`/`llm` replace the configured ones (tests pass fakes)."""
    settings = settings or get_settings()
    metrics = Metrics()
    service = Service(settings, metrics, embedder, llm)
    mcp_endpoint = HttpEndpoint(create_mcp_server(service.ready), settings.api_keys)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if not settings.slack_enabled:
            log.info("Slack is off (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to enable it)")
        if settings.api_keys:
            log.info("API keys required on /v1 (%d configured)", len(settings.api_keys))
        else:
            log.warning("RAG_API_KEYS is not set: /v1 is open to anyone who can reach it")
        service.start()
        async with mcp_endpoint.running():
            yield
        service.stop()

    docs = settings.docs_are_public
    app = FastAPI(
        title="paper-rag",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.service = service
    app.state.metrics = metrics
    app.state.lookups = asyncio.Semaphore(CONCURRENT_LOOKUPS)
    install_error_handlers(app)
    app.add_middleware(
        RequestContextMiddleware, metrics=metrics, max_body_bytes=settings.max_body_bytes
    )
    app.mount("/mcp", mcp_endpoint)
    v1 = [Depends(guards.require_key)]
    for module in (chat, completions, papers):
        app.include_router(module.router, dependencies=v1)
    app.include_router(health.router)
    mount_web(app)
    if settings.slack_enabled:
        mount_slack(app, service)
    return app


def mount_slack(app: FastAPI, service: Service) -> None:
    """POST /slack/events for events, slash commands and interactivity (kept out of the
    OpenAPI schema: Slack, not API clients, calls it, and it is guarded by signatures)."""
    from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler

    from api.slack.bot import create_slack_app
    from api.slack.verify import SignedRequests

    handler = AsyncSlackRequestHandler(create_slack_app(service))
    signed = SignedRequests(service.settings.slack_signing_secret or "")

    @app.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        if not signed.fresh(await request.body(), request):
            return Response(status_code=200)
        return await handler.handle(request)

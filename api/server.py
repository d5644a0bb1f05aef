"""`rag serve`: the HTTP service under uvicorn, registered with the CLI as the
`paper_rag.serve` entry point (pyproject.toml) so the `rag` library never imports `api`."""

from __future__ import annotations

import uvicorn

from api.app import create_app
from api.observability import configure_logging
from api.slow_clients import HeadDeadlineProtocol
from api.streaming import DRAIN_SECONDS
from rag import Settings


def serve(settings: Settings, host: str, port: int) -> None:
    configure_logging(settings.log_format, settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(DRAIN_SECONDS) + 2,
        http=HeadDeadlineProtocol,  # type: ignore[arg-type]
    )

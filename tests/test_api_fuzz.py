"""Property-based fuzzing of the OpenAPI schema (schemathesis): whatever a client sends
within (or just outside) the schema, the service answers without a 5xx and its response
matches the documented schema. Examples are bounded to keep CI fast."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from rag.config import Settings
from tests.conftest import make_abstract, write_jsonl

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


WORKDIR = tempfile.TemporaryDirectory(prefix="rag-fuzz-")
CORPUS = write_jsonl(
    Path(WORKDIR.name) / "corpus.jsonl",
    [
        {
            "title": f"Paper {i} on {topic}",
            "date": f"2024-0{i + 1}-15",
            "arxiv_id": f"2401.0000{i}",
            "abstract": make_abstract(topic, f"Method{i}"),
        }
        for i, topic in enumerate(
            ["graph neural networks", "speech recognition", "protein folding", "robot control"]
        )
    ],
)
# Module level: schemathesis reads the schema and draws its coverage cases at collection
# time. The schema comes from the app object, not through `from_asgi`: that ran the app's
# lifespan, whose start-up thread then ingested (numpy parses .npy headers with
# `ast.parse`) while hypothesis parsed sources in the main thread, and CPython before
# 3.11.8 shares one AST counter between threads ("AST constructor recursion depth
# mismatch", gh-106905; failed a CI run). The service starts once, in the fixture below,
# and ingests the small corpus; the ASGI calls skip the lifespan.
app = create_app(
    Settings(data_dir=Path(WORKDIR.name) / "data", collection="fuzz", llm="none", corpus=[CORPUS])
)
schema = schemathesis.openapi.from_dict(app.openapi())
schema.app = app  # calls go to the app in-process, as `from_asgi` sets up


@pytest.fixture(scope="module", autouse=True)
def started_service() -> Iterator[None]:
    service = app.state.service
    service.start()
    deadline = time.monotonic() + 120
    while service.status != "ready" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert service.status == "ready", service.error
    yield
    service.stop()
    WORKDIR.cleanup()


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_5xx_and_responses_match_the_schema(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(checks=CHECKS)

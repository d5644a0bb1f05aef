"""Errors a user can act on. Each message says what was wrong and where.

Every error has a `kind` (a stable, machine-readable name) and a `blame`: the caller
(`client`: fix the request), the deployment (`server`: an admin must act, or wait for
start-up) or the LLM provider (`upstream`). Surfaces never sort errors themselves: HTTP
maps `kind` to a status in one table (`api/errors.py`), and `explain()` below is the one
table that turns any error into the text a person reads in Slack, the CLI and the JSON
error body.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

Blame = Literal["client", "server", "upstream"]


class RagError(Exception):
    """Base class: anything raised on purpose, shown to users without a traceback."""

    kind: str = "invalid_request"
    blame: Blame = "client"
    suggestions: tuple[str, ...] | list[str] = ()
    """What the user may have meant: the closest titles of a paper not found, the closest
    listed names of an author no record lists."""
    suggestions_are: str = "closest titles"
    """What `suggestions` are, as a heading."""


class InvalidQueryError(RagError):
    """A question, search or lookup the library cannot run as given (empty, bad range)."""


class LimitExceededError(InvalidQueryError):
    """A request over a configured size limit (question length, history, k)."""

    kind = "limit_exceeded"


class NotFoundError(RagError):
    """A paper id or title that is not in the index."""

    kind = "not_found"

    def __init__(
        self, message: str, suggestions: list[str] | None = None, of: str = "closest titles"
    ) -> None:
        self.suggestions = suggestions or []
        self.suggestions_are = of
        super().__init__(message)


class CorpusError(RagError):
    """A source file cannot be ingested (unreadable, binary, malformed, empty)."""

    kind = "corpus_error"

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class ConfigError(RagError):
    """The deployment is misconfigured (a bad URL, an unreadable prompt, a missing key):
    no request can succeed until an admin fixes it."""

    kind = "misconfigured"
    blame = "server"


class IndexMissingError(ConfigError):
    """Nothing has been ingested into the configured collections yet."""

    kind = "index_missing"


class EmbedderMismatchError(ConfigError):
    """The index was built by a different embedder than the one configured now."""

    kind = "embedder_mismatch"

    def __init__(self, stored: str, configured: str) -> None:
        super().__init__(
            f"the index was built with embedder '{stored}' but '{configured}' is configured; "
            "vectors from different embedders are not comparable. Rebuild the index with "
            "`rag ingest --rebuild` (or switch RAG_EMBEDDER back)."
        )


class StoreBusyError(RagError):
    """Another process holds the ingest lock for this data directory."""

    kind = "busy"
    blame = "server"


class NotReadyError(RagError):
    """The service is still loading its index (or failed to): retry later."""

    kind = "not_ready"
    blame = "server"


class StoreDamagedError(RagError):
    """The embedded store's files cannot be read: only a rebuild helps, so no retrying."""

    kind = "store_damaged"
    blame = "server"

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"the index file {path} is damaged or not a Chroma store ({detail}); move the "
            f"folder {path.parent} aside (or delete it) and build the index again with "
            "`rag ingest` (the service re-ingests its corpus on its next start)"
        )


ADVICE: dict[str, str] = {
    "llm_rate_limited": "try again in a minute",
    "llm_timeout": "try again, or ask a narrower question",
    "llm_unavailable": "try again shortly",
    "llm_auth": "an admin needs to check OPENAI_API_KEY",
    "not_ready": "ask again in a minute",
    "busy": "try again when the running ingest has finished",
    "misconfigured": "an admin needs to fix the configuration",
}
"""What the person can do about an error of each kind, appended to its message."""
INTERNAL = "internal error; the server log has the details"


def explain(exc: BaseException) -> str:
    """The text a person reads for `exc`, on every surface: the error's own message plus
    the advice for its kind; an unexpected exception never shows its internals."""
    if not isinstance(exc, RagError):
        return INTERNAL
    advice = ADVICE.get(exc.kind)
    return f"{exc}; {advice}" if advice else str(exc)

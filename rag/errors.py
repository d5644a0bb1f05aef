"""Errors a user can act on. Each message says what was wrong and where."""

from __future__ import annotations

from pathlib import Path


class RagError(Exception):
    """Base class: anything raised on purpose, shown to users without a traceback."""


class CorpusError(RagError):
    """A source file cannot be ingested (unreadable, binary, malformed, empty)."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class EmbedderMismatchError(RagError):
    """The index was built by a different embedder than the one configured now."""

    def __init__(self, stored: str, configured: str) -> None:
        super().__init__(
            f"the index was built with embedder '{stored}' but '{configured}' is configured; "
            "vectors from different embedders are not comparable. Rebuild the index with "
            "`rag ingest --rebuild` (or switch RAG_EMBEDDER back)."
        )


class StoreBusyError(RagError):
    """Another process holds the ingest lock for this data directory."""


class NotFoundError(RagError):
    """A paper id or title that is not in the index."""

    def __init__(self, message: str, suggestions: list[str] | None = None) -> None:
        self.suggestions = suggestions or []
        super().__init__(message)


class InvalidQueryError(RagError):
    """A search parameter outside its allowed range."""


class StoreDamagedError(RagError):
    """The embedded store's files cannot be read: only a rebuild helps, so no retrying."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"the index file {path} is damaged or not a Chroma store ({detail}); move the "
            f"folder {path.parent} aside (or delete it) and build the index again with "
            "`rag ingest` (the service re-ingests its corpus on its next start)"
        )

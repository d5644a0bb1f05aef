"""Runtime configuration, read from the environment (and an optional `.env`).

Every knob lives here so the README's configuration table has one source of truth.
Provider variables keep their conventional names (`OPENAI_API_KEY`, `OPENAI_BASE_URL`);
everything of ours is prefixed `RAG_`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path(user_data_dir("paper-rag", appauthor=False))


class Settings(BaseSettings):
    """All settings; construct directly in tests, `get_settings()` elsewhere."""

    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    """Where the embedded Chroma store, the ingest lock and caches live."""

    chroma_url: str | None = None
    """`http://host:port` of a Chroma server (`chroma run`); unset = embedded store."""

    collection: str = "papers"
    """Base name of the Chroma collections (`<name>-chunks`, `<name>-records`)."""

    embedder: Literal["local", "openai"] = "local"
    embed_model: str = "text-embedding-3-small"
    """Model name for the `openai` embedder (ignored by `local`)."""

    embed_batch_size: int = Field(default=64, ge=1, le=2048)

    openai_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "RAG_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "RAG_OPENAI_BASE_URL")
    )

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once."""
    return Settings()

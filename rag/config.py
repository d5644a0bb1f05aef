"""Runtime configuration, read from the environment (and an optional `.env`).

Every knob lives here, in one group per concern (`IndexSettings`, `LLMSettings`,
`LimitSettings`, `ServiceSettings`, `SlackSettings`); `Settings` is their union, read once
per process. Each field's docstring is its description: the README's configuration table
is generated from them (`python -m rag.settings_doc --write README.md`) and a test fails
when the two differ. Provider variables keep their conventional names (`OPENAI_API_KEY`,
`OPENAI_BASE_URL`, `SLACK_BOT_TOKEN`); everything of ours is prefixed `RAG_`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from platformdirs import user_cache_dir, user_data_dir
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DOCUMENTED = ConfigDict(use_attribute_docstrings=True)


def _default_data_dir() -> Path:
    return Path(user_data_dir("paper-rag", appauthor=False))


Backend = Literal["auto", "torch", "onnx", "onnx-int8", "torch-bf16"]


def default_model_cache() -> Path:
    return Path(user_cache_dir("paper-rag", appauthor=False)) / "models"


def _comma_separated(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class IndexSettings(BaseModel):
    """Index and embeddings"""

    model_config = DOCUMENTED

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        json_schema_extra={"shown_default": "`~/.local/share/paper-rag`"},
    )
    """Where the embedded Chroma store (`chroma/`), the ingest lock and caches live."""

    chroma_url: str | None = None
    """`http://host:port` of a Chroma server (`chroma run --path DIR --port 8001`); unset:
    the embedded store."""

    collection: str = "papers"
    """Base name of the Chroma collections (`<name>-chunks`, `<name>-records`)."""

    embedder: Literal["local", "openai"] = "local"
    """`local` (all-MiniLM-L6-v2, offline) or `openai` (any OpenAI-compatible endpoint)."""

    embed_model: str = "text-embedding-3-small"
    """Model name for the `openai` embedder (ignored by `local`)."""

    embed_batch_size: int | None = Field(default=None, ge=1, le=2048)
    """Texts per embedding batch; unset: 8 for the `local` model on a CPU (most chunks/s
    there: 49 against 39 at 64 with ONNX Runtime on 2 cores), 256 on a GPU, 64 texts per
    request to an `openai` endpoint."""

    embed_device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    """Where the `local` embedder runs: `auto` takes a CUDA or Apple GPU when torch sees
    one (with the torch backend), else the CPU (with ONNX Runtime)."""

    embed_backend: Backend = "auto"
    """How the `local` embedder runs the model: `onnx` (ONNX Runtime fp32: the same
    vectors as torch, 4.2 ms queries against 9.5 ms on 2 cores, 1.13-1.94x torch's
    throughput by CPU), `onnx-int8` (dynamic int8: 2-2.95x, 1.3 ms, cosine 0.994 to
    fp32), `torch` (sentence-transformers; needed for a GPU), `torch-bf16` (torch in
    bfloat16 on a CPU that multiplies it in hardware: 1.8x torch fp32's throughput,
    cosine 0.99998, 10.5 ms queries); `auto`: torch where a GPU is asked for or present,
    else `onnx`, and an ingest of 1,000 papers or more on `torch-bf16` where the CPU
    multiplies bf16 in hardware (AVX512-BF16 or AMX)."""

    model_cache: Path = Field(default_factory=default_model_cache)
    """Where the ONNX graphs written from the shipped weights are kept (once, in about a
    second, without torch); default: the user cache folder (`~/.cache/paper-rag/models`
    on Linux)."""

    embed_base_url: str | None = None
    """OpenAI-compatible server for embeddings only (`RAG_EMBEDDER=openai`), e.g. a local
    TEI or Ollama while chat goes to a hosted LLM; unset: `OPENAI_BASE_URL`."""

    embed_api_key: str | None = Field(default=None, repr=False)
    """Key for the embeddings server; unset: `OPENAI_API_KEY`."""


class LLMSettings(BaseModel):
    """Answers: the LLM"""

    model_config = DOCUMENTED

    openai_api_key: str | None = Field(
        default=None,
        repr=False,
        validation_alias=AliasChoices("OPENAI_API_KEY", "RAG_OPENAI_API_KEY"),
    )
    """Key for the OpenAI-compatible endpoint (chat, and embeddings with `RAG_EMBEDDER=openai`)."""

    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "RAG_OPENAI_BASE_URL")
    )
    """Base URL of an OpenAI-compatible server (vLLM, Ollama, LM Studio); unset: OpenAI."""

    llm: Literal["auto", "openai", "none"] = "auto"
    """`auto`: use the LLM when `OPENAI_API_KEY` or `OPENAI_BASE_URL` is set; `openai`:
    always; `none`: always extractive."""

    llm_model: str = "gpt-4o-mini"
    """Chat model name."""

    llm_temperature: float = Field(default=0.1, ge=0.0, le=2.0)
    """Sampling temperature."""

    llm_max_tokens: int = Field(default=700, ge=16, le=16384)
    """Answer length limit, in tokens."""

    llm_timeout: float = Field(default=60.0, gt=0)
    """Total seconds for one LLM request (the SDK retries within its own budget)."""

    llm_connect_timeout: float = Field(default=5.0, gt=0)
    """Seconds to connect to the LLM endpoint."""

    llm_max_retries: int = Field(default=2, ge=0, le=10)
    """Retries of 429/5xx/timeouts by the openai SDK (honours `Retry-After`): the only
    retry layer."""

    llm_on_error: Literal["fallback", "error"] = "fallback"
    """When the LLM fails after its retries: `fallback` answers extractively with a
    warning; `error` fails the request."""

    prompts_dir: Path | None = Field(
        default=None, json_schema_extra={"shown_default": "the packaged prompts"}
    )
    """Folder of prompt templates replacing the packaged ones (same file names, same
    placeholders)."""


class LimitSettings(BaseModel):
    """Answers and request limits (every surface)"""

    model_config = DOCUMENTED

    answer_k: int = Field(default=5, ge=1, le=50)
    """Papers given to the answer step as sources."""

    max_question_chars: int = Field(default=2000, ge=10)
    """Longest question, search query, title or cite text."""

    max_messages: int = Field(default=50, ge=1)
    """Messages in one chat: the question plus its history."""

    max_message_chars: int = Field(default=20000, ge=10)
    """Longest history message (long assistant answers are sent back as history)."""

    max_chat_k: int = Field(default=20, ge=1, le=50)
    """Largest `k` (source papers) one question may ask for."""


class ServiceSettings(BaseModel):
    """HTTP service (`rag serve`)"""

    model_config = DOCUMENTED

    corpus: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, json_schema_extra={"shown_default": "the bundled corpus"}
    )
    """Comma-separated corpus files/folders the service ingests on a first start with an
    empty store."""

    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, repr=False, json_schema_extra={"shown_default": "unset (open)"}
    )
    """Comma-separated bearer keys; when set, every `/v1` route requires one."""

    public_docs: bool | None = None
    """Serve `/docs`, `/redoc` and `/openapi.json`; unset: only while `RAG_API_KEYS` is
    unset (the schema describes every route)."""

    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    """Largest request body."""

    serve_torch_threads: int = Field(default=1, ge=1, le=256)
    """Threads per embedding call while serving (ONNX Runtime or torch); as many calls
    run at once as fit the cores (the first-start ingest gives one call every core)."""

    log_format: Literal["json", "text"] = "json"
    """`json` lines or `text`."""

    log_level: str = "INFO"
    """Log level."""

    _split_lists = field_validator("corpus", "api_keys", mode="before")(_comma_separated)


class SlackWorkspace(BaseModel):
    """Slack behaviour for one workspace (team)."""

    channels: list[str] = Field(default_factory=list)
    """Channel ids the bot answers in; empty = every channel it is invited to. DMs always."""
    ask_visibility: Literal["in_channel", "ephemeral"] = "in_channel"
    """Who sees `/ask` answers: the whole channel, or only the asker."""


class SlackSettings(BaseModel):
    """Slack bot (mounted at `/slack/events` when both secrets are set)"""

    model_config = DOCUMENTED

    slack_bot_token: str | None = Field(
        default=None,
        repr=False,
        validation_alias=AliasChoices("SLACK_BOT_TOKEN", "RAG_SLACK_BOT_TOKEN"),
    )
    """Bot token (`xoxb-...`); with the signing secret, enables the bot."""

    slack_signing_secret: str | None = Field(
        default=None,
        repr=False,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "RAG_SLACK_SIGNING_SECRET"),
    )
    """Signing secret: every request to `/slack/events` must carry its signature."""

    slack_api_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_API_URL", "RAG_SLACK_API_URL"),
        json_schema_extra={"shown_default": "`https://slack.com/api/`"},
    )
    """Slack Web API base URL (tests point it at a fake)."""

    slack_channels: Annotated[list[str], NoDecode] = Field(
        default_factory=list, json_schema_extra={"shown_default": "all"}
    )
    """Comma-separated channel ids the bot answers in, in every workspace."""

    slack_ask_visibility: Literal["in_channel", "ephemeral"] = "in_channel"
    """Who sees `/ask` answers: the channel (`in_channel`) or only the asker (`ephemeral`)."""

    slack_workspaces: dict[str, SlackWorkspace] = Field(default_factory=dict)
    """JSON: team id -> `{"channels": [...], "ask_visibility": ...}`, overriding the two
    settings above for that workspace."""

    _split_channels = field_validator("slack_channels", mode="before")(_comma_separated)

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token and self.slack_signing_secret)

    def slack_workspace(self, team_id: str | None) -> SlackWorkspace:
        default = SlackWorkspace(
            channels=self.slack_channels, ask_visibility=self.slack_ask_visibility
        )
        return self.slack_workspaces.get(team_id or "", default)


GROUPS: tuple[type[BaseModel], ...] = (
    IndexSettings,
    LLMSettings,
    LimitSettings,
    ServiceSettings,
    SlackSettings,
)


class Settings(
    IndexSettings, LLMSettings, LimitSettings, ServiceSettings, SlackSettings, BaseSettings
):
    """All settings; construct directly in tests, `get_settings()` elsewhere."""

    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_file=".env", extra="ignore", use_attribute_docstrings=True
    )

    @property
    def docs_are_public(self) -> bool:
        return self.public_docs if self.public_docs is not None else not self.api_keys

    @property
    def llm_enabled(self) -> bool:
        if self.llm == "none":
            return False
        return self.llm == "openai" or bool(self.openai_api_key or self.openai_base_url)

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once."""
    return Settings()

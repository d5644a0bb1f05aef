"""paper-rag: question answering over research-paper abstracts, with checkable citations.

The public API: `PaperRAG` and the types its methods take and return. Every surface
(the CLI, the HTTP service, the Slack bot) imports from here only; the submodules are the
implementation.

Names load lazily (PEP 562): `import rag` costs nothing until a name is used, so a CLI
command loads only what it runs (`rag paper` never imports the LLM client or llama-index).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.answering import Answer, AnswerStream, Citation, Fallback, Message, Related
    from rag.cite import CiteResult, Support
    from rag.config import Settings, SlackWorkspace, get_settings
    from rag.corpus import Corpus
    from rag.embeddings import Embedder
    from rag.errors import (
        ConfigError,
        CorpusError,
        EmbedderMismatchError,
        IndexMissingError,
        InvalidQueryError,
        LimitExceededError,
        NotFoundError,
        NotReadyError,
        RagError,
        StoreBusyError,
        StoreDamagedError,
        explain,
    )
    from rag.inert_text import InertStream, inert
    from rag.ingest import IngestReport
    from rag.limits import CITE_K_MAX, TITLES_MAX
    from rag.llm import ChatModel, LLMError, TokenCount
    from rag.paper_rag import AskOptions, IndexStats, PaperRAG, TitleMatch
    from rag.papers import DatePrecision, Paper, shown_date
    from rag.plain_text import QUOTE_NOTE, answer_text, paper_text, search_text, support_text
    from rag.retrieval import K_MAX, K_MIN, Mode, SearchResult

_EXPORTS: dict[str, str] = {
    "Answer": "rag.answering",
    "AnswerStream": "rag.answering",
    "AskOptions": "rag.paper_rag",
    "CITE_K_MAX": "rag.limits",
    "ChatModel": "rag.llm",
    "Citation": "rag.answering",
    "CiteResult": "rag.cite",
    "ConfigError": "rag.errors",
    "Corpus": "rag.corpus",
    "CorpusError": "rag.errors",
    "DatePrecision": "rag.papers",
    "Embedder": "rag.embeddings",
    "EmbedderMismatchError": "rag.errors",
    "Fallback": "rag.answering",
    "IndexMissingError": "rag.errors",
    "IndexStats": "rag.paper_rag",
    "InertStream": "rag.inert_text",
    "IngestReport": "rag.ingest",
    "InvalidQueryError": "rag.errors",
    "K_MAX": "rag.retrieval",
    "K_MIN": "rag.retrieval",
    "LLMError": "rag.llm",
    "LimitExceededError": "rag.errors",
    "Message": "rag.answering",
    "Mode": "rag.retrieval",
    "NotFoundError": "rag.errors",
    "NotReadyError": "rag.errors",
    "Paper": "rag.papers",
    "PaperRAG": "rag.paper_rag",
    "QUOTE_NOTE": "rag.plain_text",
    "RagError": "rag.errors",
    "Related": "rag.answering",
    "SearchResult": "rag.retrieval",
    "Settings": "rag.config",
    "SlackWorkspace": "rag.config",
    "StoreBusyError": "rag.errors",
    "StoreDamagedError": "rag.errors",
    "Support": "rag.cite",
    "TITLES_MAX": "rag.limits",
    "TitleMatch": "rag.paper_rag",
    "TokenCount": "rag.llm",
    "answer_text": "rag.plain_text",
    "explain": "rag.errors",
    "get_settings": "rag.config",
    "inert": "rag.inert_text",
    "paper_text": "rag.plain_text",
    "search_text": "rag.plain_text",
    "shown_date": "rag.papers",
    "support_text": "rag.plain_text",
}
"""Public name -> the module that defines it."""


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "CITE_K_MAX",
    "K_MAX",
    "K_MIN",
    "QUOTE_NOTE",
    "TITLES_MAX",
    "Answer",
    "AnswerStream",
    "AskOptions",
    "ChatModel",
    "Citation",
    "CiteResult",
    "ConfigError",
    "Corpus",
    "CorpusError",
    "DatePrecision",
    "Embedder",
    "EmbedderMismatchError",
    "Fallback",
    "IndexMissingError",
    "IndexStats",
    "InertStream",
    "IngestReport",
    "InvalidQueryError",
    "LLMError",
    "LimitExceededError",
    "Message",
    "Mode",
    "NotFoundError",
    "NotReadyError",
    "Paper",
    "PaperRAG",
    "RagError",
    "Related",
    "SearchResult",
    "Settings",
    "SlackWorkspace",
    "StoreBusyError",
    "StoreDamagedError",
    "Support",
    "TitleMatch",
    "TokenCount",
    "answer_text",
    "explain",
    "get_settings",
    "inert",
    "paper_text",
    "search_text",
    "shown_date",
    "support_text",
]

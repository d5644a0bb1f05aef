"""paper-rag: question answering over research-paper abstracts, with checkable citations.

The public API: `PaperRAG` and the types its methods take and return. Every surface
(the CLI, the HTTP service, the Slack bot) imports from here only; the submodules are the
implementation.
"""

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
from rag.ingest import IngestReport
from rag.limits import CITE_K_MAX, TITLES_MAX
from rag.llm import ChatModel, LLMError, TokenCount
from rag.paper_rag import AskOptions, IndexStats, PaperRAG, TitleMatch
from rag.papers import DatePrecision, Paper, shown_date
from rag.plain_text import answer_text, paper_text, search_text, support_text
from rag.retrieval import K_MAX, K_MIN, Mode, SearchResult

__all__ = [
    "CITE_K_MAX",
    "K_MAX",
    "K_MIN",
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
    "paper_text",
    "search_text",
    "shown_date",
    "support_text",
]

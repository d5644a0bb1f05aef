"""Size limits on what a caller may ask, checked by `PaperRAG` before any work starts.

The limits are settings (`Settings.max_*`), so an operator can raise them; every surface
(CLI, HTTP, Slack, integrations) hits the same check and gets the same
`LimitExceededError` or `InvalidQueryError`, instead of an HTTP-only check, a silent
truncation in Slack and nothing at all in the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.config import Settings
from rag.errors import InvalidQueryError, LimitExceededError

if TYPE_CHECKING:
    from rag.answering import Message

TITLES_MAX = 20
"""Title candidates one lookup returns."""
BIBTEX_MAX = 50
"""Papers in one BibTeX export (an answer cites at most `max_chat_k`)."""
CITE_K_MAX = 20
"""Papers one citation lookup returns: each costs a model call to quote."""


def check_range(value: int, what: str, low: int, high: int) -> None:
    if not low <= value <= high:
        raise InvalidQueryError(f"{what} must be between {low} and {high}, got {value}")


def check_text(text: str, what: str, settings: Settings) -> None:
    """A query, title or claim: not blank, and at most `max_question_chars` long."""
    if not text.strip():
        raise InvalidQueryError(f"the {what} is empty")
    if len(text) > settings.max_question_chars:
        raise LimitExceededError(
            f"the {what} is {len(text)} characters long (at most {settings.max_question_chars})"
        )


def check_chat(question: str, history: list[Message], k: int | None, settings: Settings) -> None:
    """One question with its history (earlier turns) and its number of source papers."""
    turns = len(history) + 1
    if turns > settings.max_messages:
        raise LimitExceededError(
            f"too many messages: {turns} (at most {settings.max_messages}, the question included)"
        )
    check_text(question, "question", settings)
    for number, message in enumerate(history, 1):
        if len(message.content) > settings.max_message_chars:
            raise LimitExceededError(
                f"message {number} is {len(message.content)} characters long "
                f"(at most {settings.max_message_chars})"
            )
    if k is not None:
        if k < 1:
            raise InvalidQueryError(f"k must be at least 1, got {k}")
        if k > settings.max_chat_k:
            raise LimitExceededError(f"k is {k} (at most {settings.max_chat_k})")

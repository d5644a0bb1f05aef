"""Slack message building: answer markdown to mrkdwn, Block Kit blocks, paper cards.

Slack's limits shape everything here: a section holds at most 3000 characters, a message
50 blocks, a button value 2000 characters. Text from answers and abstracts is escaped
(`&`, `<`, `>`) and shown `verbatim` (`mrkdwn`), so nothing in it can become a mention,
a link or markup; only the URLs of paper records become Slack links.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rag import Answer, Citation, CiteResult, Paper, shown_date

SECTION_CHARS = 3000
MAX_SECTIONS = 40
BUTTON_VALUE_CHARS = 2000
MAX_BUTTONS = 20
Block = dict[str, Any]

_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)<>]+)\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_ITALIC = re.compile(r"(?<![*\w])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![*\w])")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.MULTILINE)
_BULLET = re.compile(r"^(\s*)[-*+]\s+", re.MULTILINE)
_MARKUP = re.compile(r"<([^<>\s][^<>]*)>")
"""Slack's markup in message text: `<@U123>`, `<!here>`, `<#C123|general>`,
`<https://...|label>`, `<!date^...|fallback>`."""


def verbatim(text: str) -> Block:
    """A mrkdwn text object shown as written. By default Slack parses its plain text
    again: a bare URL of an abstract ("code at https://...") becomes a live link and
    "#general" a channel link. `verbatim` stops that; our own `<url|label>` links and
    the formatting still work."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def from_slack(text: str) -> str:
    """What a user typed, from Slack's message format (events and slash commands alike):
    mentions of people, groups, `@here`/`@channel` dropped, a channel as its `#name`, a
    link as its URL (an arXiv link keeps its id), a date as its fallback text, and `&`,
    `<`, `>` unescaped. Read as sent, "<!here> what is Q&amp;A?" searched for "here",
    "amp" and "Q" and "A" apart."""

    def plain(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("!date^"):
            return label
        if target.startswith(("@", "!")):
            return " "
        if target.startswith("#"):
            return f"#{label}" if label else " "
        if target.startswith(("http://", "https://")):
            return target
        return label or target  # mailto:, tel: ...

    text = _MARKUP.sub(plain, text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


def link(url: str | None, label: str) -> str:
    """`<url|label>` for http(s) URLs, else the escaped label."""
    label = escape(label).replace("|", "∣")
    if url and re.match(r"^https?://[^\s<>|]+$", url):
        return f"<{url}|{label}>"
    return label


def to_mrkdwn(markdown: str) -> str:
    """Convert the answer's markdown to Slack mrkdwn (bold, italics, headings, bullets;
    links become their label); everything else is escaped text."""
    links: list[str] = []

    def keep_link(match: re.Match[str]) -> str:
        # The label only: an answer's text (LLM output shaped by untrusted abstracts)
        # must not turn into a live link; sources link to their records' URLs instead.
        links.append(link(None, match.group(1)))
        return f"\x00{len(links) - 1}\x00"

    text = escape(_LINK.sub(keep_link, markdown))
    text = _HEADING.sub(lambda m: f"\x01{m.group(1)}\x01", text)
    text = _BOLD.sub(lambda m: f"\x01{m.group(1) or m.group(2)}\x01", text)
    text = _ITALIC.sub(lambda m: f"_{m.group(1)}_", text)
    text = _BULLET.sub(lambda m: f"{m.group(1)}• ", text).replace("\x01", "*")
    return re.sub("\x00(\\d+)\x00", lambda m: links[int(m.group(1))], text)


def split_text(text: str, limit: int = SECTION_CHARS) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph, line or word boundaries."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _sections(mrkdwn: str) -> list[Block]:
    return [
        {"type": "section", "text": verbatim(piece)} for piece in split_text(mrkdwn)[:MAX_SECTIONS]
    ]


def _context(lines: list[str]) -> list[Block]:
    """Context blocks holding `lines`, each element within the section limit."""
    elements = [verbatim(piece) for piece in split_text("\n".join(lines))[:10]]
    return [{"type": "context", "elements": elements}] if elements else []


def _dated(title: str, url: str | None, day: str) -> str:
    return f"{link(url, title)} ({day})"


def abstract_button(paper_id: str, quote: str, label: str) -> Block:
    value = json.dumps({"paper_id": paper_id, "quote": quote})
    if len(value) > BUTTON_VALUE_CHARS:
        value = json.dumps({"paper_id": paper_id, "quote": ""})
    return {
        "type": "button",
        "action_id": f"show_abstract:{label or paper_id}"[:255],
        "text": {"type": "plain_text", "text": f"Show abstract {label}".strip()},
        "value": value,
    }


def feedback_buttons(question: str) -> Block:
    value = json.dumps({"question": question[:1500]})
    return {
        "type": "actions",
        "block_id": "feedback",
        "elements": [
            {
                "type": "button",
                "action_id": f"feedback:{vote}",
                "text": {"type": "plain_text", "text": emoji, "emoji": True},
                "value": value,
            }
            for vote, emoji in (("up", "👍"), ("down", "👎"))
        ],
    }


def sources_lines(citations: list[Citation]) -> list[str]:
    return [
        f"[{c.n}] {_dated(c.title, c.url, shown_date(c.date, c.date_precision))}" for c in citations
    ]


def answer_message(answer: Answer, asked_by: str | None = None) -> tuple[str, list[Block]]:
    """(notification text, blocks) for an answer: text with [n] markers, warnings, a
    Sources block, "Show abstract" buttons per citation and feedback buttons."""
    blocks: list[Block] = []
    if asked_by:
        blocks += _context([f"<@{asked_by}> asked: {escape(answer.question)}"])
    blocks += _sections(to_mrkdwn(answer.answer))
    blocks += _context([f"⚠️ {escape(w)}" for w in answer.warnings])
    if answer.citations:
        blocks += _context(["*Sources*", *sources_lines(answer.citations)])
        buttons = [
            abstract_button(c.paper_id, c.quote, f"[{c.n}]") for c in answer.citations[:MAX_BUTTONS]
        ]
        blocks.append({"type": "actions", "block_id": "abstracts", "elements": buttons})
    blocks.append(feedback_buttons(answer.question))
    notification = escape(split_text(answer.answer)[0]) if answer.answer else "(no answer)"
    return notification, blocks


def paper_card(paper: Paper, quote: str = "") -> tuple[str, list[Block]]:
    """A paper's record; `quote`, when it occurs in the abstract, is shown in bold."""
    facts = [f"`{paper.paper_id}`", shown_date(paper.date, paper.date_precision)]
    if paper.arxiv_id:
        facts.append(f"arXiv {escape(paper.arxiv_id)}")
    if paper.authors:
        names = ", ".join(paper.authors[:6]) + (" et al." if len(paper.authors) > 6 else "")
        facts.append(escape(names))
    abstract = escape(paper.abstract)
    where = paper.abstract.find(quote) if quote else -1
    if where >= 0:
        before, after = paper.abstract[:where], paper.abstract[where + len(quote) :]
        abstract = f"{escape(before)}*{escape(quote.strip())}*{escape(after)}"
    blocks = [
        {
            "type": "section",
            "text": verbatim(f"*{link(paper.url, paper.title)}*"),
        },
        *_context([" · ".join(facts)]),
        *_sections(abstract),
    ]
    return escape(paper.title), blocks


def cite_message(result: CiteResult) -> tuple[str, list[Block]]:
    """Citation lookup: each supporting paper with its sentence and an abstract button."""
    if not result.matches:
        return escape(result.message or "No paper supports this text."), _sections(
            escape(result.message or "No paper supports this text.")
        )
    blocks: list[Block] = _context([f"Papers supporting: {escape(result.text)}"])
    for match in result.matches[:MAX_BUTTONS]:
        blocks.append(
            {
                "type": "section",
                "text": verbatim(
                    f"*{escape(match.title)}* "
                    f"({shown_date(match.date, match.date_precision)}) · "
                    f"relevance {match.score:.2f}\n> {escape(match.sentence)}"[:SECTION_CHARS]
                ),
                "accessory": abstract_button(match.paper_id, match.sentence, ""),
            }
        )
    return f"{len(result.matches)} papers support this text", blocks

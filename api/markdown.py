"""An answer as markdown to paste or show: its text, warnings and sources, made inert.

One rendering for every surface that hands out markdown: the content of
`/v1/chat/completions` (sources without quotes: a chat UI shows the list under the
answer) and the `markdown` field of `/v1/chat`, which the web UI's "Copy as Markdown"
copies (sources with their verbatim quotes, for notes and issues). Everything taken from
abstracts, titles or the LLM goes through `inert`: pasted into GitHub or a notes app, a
link or image in an abstract would otherwise become live.
"""

from __future__ import annotations

from rag import Answer, Citation, inert, shown_date


def warning_lines(warnings: list[str], after: bool = False) -> str:
    """Warnings as short italic lines a chat UI shows with the answer."""
    if not warnings:
        return ""
    lines = "\n".join(f"_⚠️ {inert(w)}_" for w in warnings)
    return f"\n\n{lines}" if after else f"{lines}\n\n"


def sources_block(citations: list[Citation], quotes: bool = False) -> str:
    """The citations as a markdown list appended to the answer text, each with its quote
    (as a block quote under it) when `quotes`."""
    if not citations:
        return ""
    lines = []
    for c in citations:
        lines.append(
            f"- [{c.n}] {inert(c.title)} ({shown_date(c.date, c.date_precision)})"
            + (f" {c.url}" if c.url else f" `{c.paper_id}`")
        )
        if quotes:
            lines.append(f"  > {inert(c.quote)}")
    return "\n\n**Sources**\n" + "\n".join(lines)


def answer_markdown(answer: Answer, quotes: bool = False) -> str:
    """The whole answer as inert markdown: warnings, text, sources."""
    return (
        warning_lines(answer.warnings)
        + inert(answer.answer)
        + sources_block(answer.citations, quotes)
    )

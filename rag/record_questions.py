"""Questions a paper's record answers, not its abstract: who wrote it, when it appeared.

"Who wrote the Potfit paper?" over an arXiv snapshot was refused ("wrote" counted as a
topic word no abstract has), and "Who are the authors of Potfit?" was answered with three
sentences of its abstract, none naming anyone, while the record held both authors. Such
a question names a paper (`RecordQuestion.term`); it is searched for that name alone,
answered from the record of the paper that *is* the name (`names_paper`), and refused
when no paper is: "Who wrote the LoRA paper?" is not answered from a paper using LoRA.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rag.citations import defuse_markers
from rag.definitions import KINDS, defining, titled_for
from rag.papers import Paper, is_title, normalize_title, shown_date

Field = Literal["authors", "date"]

_TERM = r"(?P<term>[^?]{1,120}?)"
_LEAD = r"(?:(?:and|so|ok(?:ay)?|also|then|but)\W+)?"
"""How a follow-up opens: "and who wrote it?"."""
_END = r"[\s?.!]*$"
_APPEARED = (
    r"(?:first\s+)?(?:published|released|written|posted|submitted|put\s+out|come\s+out"
    r"|came\s+out|appear(?:ed)?|out)"
)
_ASKED: dict[Field, tuple[re.Pattern[str], ...]] = {
    "authors": tuple(
        re.compile(pattern, re.IGNORECASE)
        for pattern in (
            # "Who wrote KAN?", "who authored the HNSW paper", "who is behind Potfit?"
            rf"^\W*{_LEAD}who\s+(?:(?:first\s+)?(?:wrote|authored)|(?:is|are|was|were)\s+behind)"
            rf"\s+{_TERM}{_END}",
            # "Who are the authors of KAN?", "authors of the Potfit paper", "list the
            # authors of X"
            rf"^\W*{_LEAD}(?:(?:who|what)\s+(?:is|are|was|were)\s+|list\s+|name\s+)?(?:the\s+)?"
            rf"(?:authors?|writers?)\s+(?:of|for|behind)\s+{_TERM}{_END}",
            # "Who are KAN's authors?"
            rf"^\W*{_LEAD}(?:who|what)\s+(?:is|are|was|were)\s+(?:the\s+)?{_TERM}['\u2019]s\s+"
            rf"authors?{_END}",
        )
    ),
    "date": tuple(
        re.compile(pattern, re.IGNORECASE)
        for pattern in (
            # "When was KAN published?", "when did the HNSW paper come out?"
            rf"^\W*{_LEAD}when\s+(?:was|were|did)\s+{_TERM}\s+{_APPEARED}{_END}",
            # "What year was KAN published?", "in which year did X appear"
            rf"^\W*{_LEAD}(?:in\s+)?(?:what|which)\s+year\s+(?:was|were|did)\s+{_TERM}\s+"
            rf"{_APPEARED}{_END}",
            # "the publication date of KAN", "what is the date of the Potfit paper?"
            rf"^\W*{_LEAD}(?:(?:what|when)\s+(?:is|was)\s+)?the\s+(?:publication\s+)?(?:date|year)"
            rf"\s+of\s+{_TERM}{_END}",
        )
    ),
}
"""How a question asks for a field of a paper's record, with the paper in `term`."""

_PAPER_WORD = r"(?:paper|article|preprint|publication|study|work|manuscript)s?"
_WRAPPING = (
    re.compile(r"^(?:the|a|an|this|that)\s+", re.IGNORECASE),
    re.compile(rf"\s+{_PAPER_WORD}$", re.IGNORECASE),
    re.compile(
        rf"^{_PAPER_WORD}\s+(?:on|about|titled|called|named|introducing|proposing"
        r"|that\s+(?:introduced|proposed))\s+",
        re.IGNORECASE,
    ),
    re.compile(r"^[\"'\u201c\u2018](.*)[\"'\u201d\u2019]$"),
)
"""What is said around the name of the paper: "the Potfit paper", "the paper on KAN",
"\u201cAttention Is All You Need\u201d"."""


@dataclass(frozen=True)
class RecordQuestion:
    """A question asking for `field` of the paper named `term`."""

    field: Field
    term: str
    question: str
    span: tuple[int, int]
    """Where `term` was written in `question`."""

    def about(self, name: str) -> str:
        """The same question about `name` ("who wrote it?" -> "who wrote HNSW?")."""
        start, end = self.span
        return f"{self.question[:start]}{name}{self.question[end:]}"


_POSSESSIVE = re.compile(
    r"\b(?:its|their)\s+((?:authors?|writers?|(?:publication\s+)?(?:date|year)))\b",
    re.IGNORECASE,
)
"""A field asked of a paper named before: "who are its authors?"."""


def record_question(question: str) -> RecordQuestion | None:
    """The record field `question` asks for and the paper it names, or None ("it" for
    "who are its authors?": `rag.answering.condense_rule` names it)."""
    text = _POSSESSIVE.sub(r"the \1 of it", question.strip())
    for field, patterns in _ASKED.items():
        for pattern in patterns:
            if (match := pattern.match(text)) is None:
                continue
            start, end = match.span("term")
            term = _unwrapped(text[start:end])
            if not term:
                return None
            start += text[start:end].find(term)
            return RecordQuestion(field, term, text, (start, start + len(term)))
    return None


def searched_for(question: str) -> str:
    """What `question` is searched with: the paper it names, when it asks for a field of
    a record ("Potfit" for "Who wrote the Potfit paper?"), else the question itself."""
    asked = record_question(question)
    return asked.term if asked else question


def _unwrapped(term: str) -> str:
    """The name without what is said around it ("the Potfit paper" -> "Potfit")."""
    previous = None
    term = term.strip(" ,")
    while term != previous:
        previous = term
        for pattern in _WRAPPING:
            term = pattern.sub(lambda m: m.group(1) if m.groups() else "", term).strip(" ,")
    return term


def names_paper(term: str, paper: Paper, sentences: list[str]) -> int:
    """How surely `term` names `paper`: 2 by its title (the term as typed, `is_title`,
    or a title named for it: "NeRF: ...", not "D-NeRF: ..."), 1 where the authors define
    it as theirs ("we propose Potfit"), else 0; "the potfit program" names what "potfit"
    names. A title outranks an abstract: "We introduce D-KAN, which extends KAN" reads as
    defining KAN too. Mentions do not name a paper: "a recently introduced technique
    called batch normalization" is not the batch normalization paper (`_OWN_WORK`), nor
    is "Training BERT in 76 minutes" the BERT paper or "Mamba base PKD for efficient
    knowledge compression" the Mamba paper (a name anywhere in a title answered both)."""
    words = term.split()
    kind = words[-1].lower() if len(words) > 1 else ""
    bare = " ".join(words[:-1]) if kind in KINDS or kind.rstrip("s") in KINDS else None
    return max(_names(name, paper, sentences) for name in (term, bare) if name)


def _names(term: str, paper: Paper, sentences: list[str]) -> int:
    if not normalize_title(term):
        return 0
    typed, title = normalize_title(term), normalize_title(paper.title)
    if is_title(typed, title) or titled_for(term, paper.title):
        return 2
    return int(
        any(
            defines and _OWN_WORK.search(sentence)
            for defines, sentence in zip(
                defining(term, paper.title, sentences), sentences, strict=True
            )
        )
    )


_OWN_WORK = re.compile(r"\b(?:we|our|us|this\s+(?:paper|work|article|letter|study))\b", re.I)
"""The authors speaking of their own work: a sentence defining a name names the paper
only then ("Our method discovers ... an optimization algorithm, Lion (...)"), not where
it describes another's ("the abuse of a face swap technique called deepfake")."""


def describes(term: str, title: str) -> bool:
    """Whether `term` may describe the paper titled `title` ("the paper on
    quasicrystals"): a lone name cannot (one word with a capital or a digit: "the BERT
    paper" is not "Training BERT in 76 minutes", nor "the Mamba paper" "Mamba base PKD
    for efficient knowledge compression"), and the title writes each word of four letters
    or more as such ("US Constitution" is not "Towards Constituting Mathematical
    Structures", though the stems match)."""
    if len(term.split()) == 1 and any(char.isupper() or char.isdigit() for char in term):
        return False
    words = [word for word in re.findall(r"\w[\w-]*", term) if len(word) >= 4]
    return all(
        re.search(rf"(?<![\w-]){re.escape(word)}(?:e?s)?(?![\w-])", title, re.IGNORECASE)
        for word in words
    )


AUTHORS_NAMED = 10
"""Authors named in an answer before "and N others" (a consortium paper lists hundreds)."""


def record_answer(asked: RecordQuestion, paper: Paper, marker: str) -> str:
    """One sentence answering `asked` from `paper`'s record, citing it with `marker`;
    it says so when the record lacks the field (a saved Daily Papers page has no authors)
    rather than guess. The record's text has its bracketed numbers defused: only
    `marker` cites."""
    title = f"\u201c{defuse_markers(paper.title)}\u201d {marker}"
    if asked.field == "authors":
        if not paper.authors:
            return f"The record of {title} names no authors: its source did not list them."
        return f"{title} is by {author_list(paper)}"
    if paper.date is None:
        return f"The record of {title} has no date: its source did not give one."
    inferred = " (its year was assumed: the source gave none)" if paper.date_inferred else ""
    return f"{title} is dated {shown_date(paper.date, paper.date_precision)}{inferred}."


def author_list(paper: Paper) -> str:
    """The record's authors as a sentence ends with them ("A, B and C.", the first
    `AUTHORS_NAMED` and "and N others"), their bracketed numbers defused."""
    shown = [defuse_markers(author) for author in paper.authors[:AUTHORS_NAMED]]
    if not shown:
        return "no listed authors."
    others = max(len(paper.authors), paper.author_count or 0) - len(shown)
    names = ", ".join(shown[:-1]) + f" and {shown[-1]}" if len(shown) > 1 else shown[0]
    if others:
        names = ", ".join(shown) + f" and {others} other{'s' if others > 1 else ''}"
    return names + ("" if names.endswith(".") else ".")

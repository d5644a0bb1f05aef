"""Papers by an author ("papers by Nadolsky", "what has Max Tegmark written on KAN?"):
read from the question, found by the names the records list.

Over the arXiv snapshot in `../shared/external/arxiv/` (every record lists its authors),
"papers by Nadolsky" was refused with two unrelated papers as the closest, although
"Who wrote the diphoton paper?" was answered "... by C. Balázs, E. L. Berger,
P. M. Nadolsky and C. -P. Yuan" from the same record: a name is no word of any
abstract, so no search can find it. The catalog holds each paper's authors
(`rag.catalog.Catalog.by_author`), and a question asking for someone's papers is
answered from the records of the papers listing that name.

A name matches as people write it: the surname alone ("Nadolsky"), with initials or
given names ("P. M. Nadolsky", "Pavel Nadolsky" both match the record's "P. M.
Nadolsky"), without its accents ("Balazs" matches "Balázs"), in either order of a
BibTeX "Last, First" record, and several names joined by "and" must all be authors of
a paper ("papers by Liu and Tegmark").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_PAPERS = r"(?:papers?|articles?|works?|publications?|preprints?|studies|research)"
_WROTE = r"(?:written|wrote|write|(?:co-?)?authored|(?:co-?)?author|co-?wrote|published|publish)"
_NAME = r"(?P<name>[^\W\d_][\w.'\u2019-]*(?:,?\s+-?[^\W\d_][\w.'\u2019-]*){0,7}?)"
"""One to eight words of a name: "P. M. Nadolsky", "C. -P. Yuan" (an arXiv record's
hyphenated initials), "O'Neil", "Lukoševičius"."""
_TOPIC = r"(?:\s+(?:on|about|regarding|concerning)\s+(?P<topic>[^?!]+?))?"
_END = r"[\s?.!]*$"
_ASKING = (
    # "papers by Nadolsky", "show me all the papers written by P. M. Nadolsky on QCD",
    # "are there any papers by Tegmark?", "anything by Liu and Tegmark?"
    rf"^\W*(?:(?:please\s+)?(?:show|list|give|find|get|fetch)\s+(?:me\s+)?"
    rf"|(?:are|is)\s+there\s+|(?:do|does)\s+(?:you|the\s+(?:index|collection|corpus))\s+have\s+"
    rf"|(?:what|which)\s+(?:other\s+)?)?(?:any\s+|all\s+)?(?:the\s+|other\s+)*"
    rf"(?:{_PAPERS}|anything|something)\s+(?:(?:that\s+)?(?:is\s+|are\s+|were\s+|was\s+)?"
    rf"(?:written|authored|co-?authored|published)\s+)?by\s+{_NAME}{_TOPIC}"
    rf"(?:\s+(?:are\s+there|do\s+you\s+have|in\s+the\s+(?:index|collection|corpus)))?{_END}",
    # "which papers did Tegmark write?", "what has Nadolsky published on QCD?"
    rf"^\W*(?:what|which)\s+(?:{_PAPERS}\s+)?(?:did|has|have|does|do)\s+{_NAME}\s+{_WROTE}"
    rf"{_TOPIC}{_END}",
    # "Tegmark's papers", "show me Nadolsky's work on diphotons"
    rf"^\W*(?:(?:show|list|give|find|get)\s+(?:me\s+)?)?(?:all\s+(?:of\s+)?)?{_NAME}['\u2019]s?"
    rf"\s+(?:other\s+)?{_PAPERS}{_TOPIC}{_END}",
)
ASKED_BY = tuple(re.compile(pattern, re.IGNORECASE) for pattern in _ASKING)
"""How a question asks for an author's papers, with the name(s) in `name` and what it
asks them to be about in `topic`."""

NOT_A_NAME = frozenset(
    {
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "same",
        "other",
        "others",
        "their",
        "its",
        "his",
        "her",
        "my",
        "our",
        "your",
        "authors",
        "author",
        "people",
        "researchers",
        "someone",
        "anyone",
        "somebody",
        "anybody",
        "me",
        "us",
        "you",
        "them",
        "him",
        "who",
        "whom",
        "whoever",
        "year",
        "date",
        "topic",
        "field",
        "area",
        "title",
        "relevance",
        "citations",
        "popularity",
        "default",
        "newest",
        "oldest",
        "recent",
        "been",
        "they",
        "he",
        "she",
        "it",
        "we",
        "i",
        "there",
        "everyone",
        "everybody",
        "much",
        "more",
        "anything",
        "something",
        "nothing",
        "already",
        "recently",
        "lately",
        "ever",
        "so",
        "far",
        "science",
        "research",
        "academia",
        "industry",
    }
)
"""Words after "papers by" that are no name: "papers by the same authors", "papers by
year", "what has been published on KAN?" (a name of those words is still read as one
when every word of it has a capital: "Kaiming He")."""

_JOINED = re.compile(r"\s+(?:and|&)\s+|\s*,\s*(?:and\s+)?", re.IGNORECASE)


@dataclass(frozen=True)
class AuthorQuestion:
    """A question asking for the papers of `names` (all of them: co-authors), about
    `topic` when it says one."""

    names: tuple[str, ...]
    topic: str | None

    @property
    def shown(self) -> str:
        """The names as the question wrote them: "Liu and Tegmark"."""
        return " and ".join(self.names)


def author_question(question: str) -> AuthorQuestion | None:
    """The author(s) `question` asks for papers by, or None when it asks no such thing
    ("papers on KAN", "papers by year", "is dropout used by transformers?")."""
    text = _POLITE.sub("", question.strip())
    for pattern in ASKED_BY:
        if (match := pattern.match(text)) is None:
            continue
        names = split_names(match["name"])
        if not names or any(_not_a_name(name) for name in names):
            return None
        topic = (match["topic"] or "").strip() or None
        return AuthorQuestion(names, topic)
    return None


def split_names(text: str) -> tuple[str, ...]:
    """The names in "Liu, Tegmark and Michaud" (each one), keeping "Smith, J." whole (a
    BibTeX record's order, initials after the comma)."""
    names: list[str] = []
    for part in _JOINED.split(text):
        part = part.strip(" ")
        if names and _is_initials(part):  # "Smith, J.": one name, BibTeX order
            names[-1] = f"{names[-1]}, {part}"
        elif part.strip("."):
            names.append(part.rstrip("."))
    return tuple(names)


_POLITE = re.compile(r"[\s,\-\u2013\u2014]*\b(?:please|pls|plz|thanks|thank\s+you)\W*$", re.I)


def _is_initials(part: str) -> bool:
    """ "J.", "A. B.", "C.-P.": given names written as initials."""
    letters = re.findall(r"[^\W\d_]+", part)
    return 0 < len(letters) <= 3 and all(len(letter) == 1 for letter in letters)


def _not_a_name(name: str) -> bool:
    words = name.split()
    lowered = [w.lower().strip(".'\u2019") for w in words]
    if len(words) == 1:
        return lowered[0] in NOT_A_NAME
    return any(w in NOT_A_NAME for w in lowered if w) and not all(w[:1].isupper() for w in words)


@dataclass(frozen=True)
class PersonName:
    """A name split for matching: the surname's last word and the other words, all
    lowercased without accents ("P. M. Nadolsky" -> "nadolsky", ("p", "m"))."""

    surname: str
    others: tuple[str, ...]

    @classmethod
    def parse(cls, name: str) -> PersonName | None:
        """`name` as a record or a question writes it: "First Last", "F. M. Last",
        "Last, First" (BibTeX); None when it has no letter."""
        last, _, first = name.partition(",") if "," in name else ("", "", name)
        words = _words(first) + _words(last) if last else _words(first)
        if not words:
            return None
        surname = _words(last)[-1] if last and _words(last) else words[-1]
        others = list(words)
        others.remove(surname)
        return cls(surname, tuple(others))

    def matches(self, author: PersonName) -> bool:
        """Whether this name, as typed, may be `author`: the same surname, and each other
        word typed is one of the author's, or an initial of one ("P." for "Pavel"), or
        the full word of an initial the record gives ("Pavel" for "P.")."""
        if self.surname != author.surname:
            return False
        return all(
            any(
                word == theirs
                or (len(word) == 1 and theirs.startswith(word))
                or (len(theirs) == 1 and word.startswith(theirs))
                for theirs in author.others
            )
            for word in self.others
        )


def _words(text: str) -> list[str]:
    """Lowercased words without accents; initials and hyphenated given names split
    ("C.-P." -> "c", "p")."""
    if not text.isascii():  # most names are: 1.2M split in 0.9 s instead of 2.5
        text = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in text if not unicodedata.combining(char))
    return _LETTERS.findall(text.lower())


_LETTERS = re.compile(r"[^\W\d_]+")

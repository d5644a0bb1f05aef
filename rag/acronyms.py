"""Acronyms as the papers define them, and which definition a question means.

Papers define an acronym once, in parentheses ("approximate nearest neighbor (ANN)
search"), and different papers define the same letters differently: among the bundled
abstracts "ANN" is "approximate nearest neighbor" (6 papers) and "artificial neural
network" (10), "SNN" "spiking neural network" (3) and "sparse neural network" (2), of
the 301 acronyms they define (more, defined by one paper each: "SSL" as self-,
semi-supervised learning and "sparse shift layer"). The rest of the question says which
one is meant ("ANN search with graphs"), and a paper writing the letters for the other
meaning is not about it: that question opened with a paper on tuning artificial neural
networks, the HNSW paper (which never writes "ANN") not among the first five
(`rag.retrieval.Retriever.read_as_defined`).

Definitions are found with Schwartz and Hearst's rule ("A simple algorithm for
identifying abbreviation definitions in biomedical text", 2003): the letters of the
short form, read backwards, are found in order in the words before it, the first one
starting a word. (The PyPI package `abbreviations` implements it too, but was last
released in 2019; the rule is a dozen lines.)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from rag.keyword import DASHES, KeywordIndex, shared_letters, variants

SHORT_FORM = re.compile(rf"(?<![\w/{DASHES}])[A-Z]{{2,}}s?(?![\w/{DASHES}])")
"""An acronym as a question types it: two capitals or more, maybe a plural "s" ("ANN",
"ANNs", "SSL"), not a word typed with a capital first letter, nor part of a longer name
("CSF" of "G-CSF", "CAF" of "P/CAF"). Names in mixed case ("siRNA", "MoE") are left
out: over SciFact's abstracts "siRNA" is "small interfering RNA" and "short interfering
RNA", one meaning in two wordings, and "siRNA knockdown of A20 ..." was read as the
first."""


def singular(typed: str) -> str:
    """An acronym typed in the plural as its singular ("ANNs", "MoEs": "ANN", "MoE")."""
    return typed[:-1] if len(typed) > 2 and typed.endswith("s") and typed[-2].isupper() else typed


MAX_WORDS_EXTRA = 5
"""Words a long form may have beyond its short form's letters (Schwartz and Hearst:
min(|A| + 5, 2|A|))."""


def long_form(short: str, before: str) -> str | None:
    """The end of `before` that `short` abbreviates (Schwartz and Hearst): each letter
    or digit of `short`, from the last, found in `before` from its end backwards, the
    first one at the start of a word; None where none does or it would run past
    `MAX_WORDS_EXTRA` words more than `short` has letters."""
    letters = [c.lower() for c in short if c.isalnum()]
    if len(letters) < 2:
        return None
    words = before.split()
    limit = min(len(letters) + MAX_WORDS_EXTRA, 2 * len(letters))
    text = " ".join(words[-limit:])
    at = len(text) - 1
    for index in range(len(letters) - 1, -1, -1):
        wanted = letters[index]
        while at >= 0 and (
            text[at].lower() != wanted or (index == 0 and at > 0 and text[at - 1].isalnum())
        ):
            at -= 1
        if at < 0:
            return None
        at -= 1
    found = text[text.rfind(" ", 0, at + 2) + 1 :].strip()  # from the start of its word
    if len(found.split()) < 2 and not re.search(f"[{DASHES}]", found):
        return None  # one word holding the letters ("Graphs" for "GS") is no definition
    if re.search(rf"(?<![a-z]){re.escape(short)}", found):
        return None  # a name built on it ("Selectable KAN (S-KAN)") is another name
    return found


def defined_as(text: str, acronym: str) -> list[str]:
    """The long forms `text` gives `acronym` (a plural "s" aside): "long form (ANN)",
    "long form (ANNs; ...)" and "ANN (long form)"."""
    letters = re.escape(singular(acronym))
    found = []
    for match in re.finditer(rf"\(\s*{letters}s?\s*[),;:]", text):
        before = re.split(r"[.;:!?()\[\]]", text[: match.start()])[-1]
        if (form := long_form(acronym, before)) is not None:
            found.append(form)
    for match in re.finditer(rf"(?<!\w){letters}s?\s*\(([^()]{{3,120}})\)", text):
        inside = match[1].split(";")[0].split(",")[0]
        if (form := long_form(acronym, inside)) is not None and _covers(form, inside):
            found.append(form)
    return found


def _covers(form: str, inside: str) -> bool:
    """Whether the long form is the whole parenthesis, not its last words ("ANN (see
    Section 2 for artificial neural networks)")."""
    return len(form.split()) == len(inside.split())


@dataclass(frozen=True)
class Meaning:
    """One thing the papers mean by an acronym: the long forms they write for it (in
    small letters, spelling variants and inflections together, the commonest first) and
    the papers defining it so."""

    forms: tuple[str, ...]
    papers: tuple[str, ...]


def meanings(keyword: KeywordIndex, definitions: Iterable[tuple[str, str]]) -> list[Meaning]:
    """The distinct meanings among (paper id, long form) `definitions`, most papers
    first. Two long forms mean the same where one's words (stemmed, British and American
    spellings as one) hold the other's ("approximate nearest neighbour", "approximate
    nearest neighbor search"), or written without blanks and dashes, as words or as
    stems, they are at most one letter apart ("multi-layer perceptrons", "multilayer
    perceptron"; a paper's "stochastic gradient decent"). "self-supervised" and
    "semi-supervised" learning are two letters apart: two meanings."""
    groups: list[tuple[list[_Form], Counter[str], dict[str, None]]] = []
    for paper_id, text in definitions:
        form = _Form.of(keyword, text)
        if not form.stems:
            continue
        for members, forms, papers in groups:
            if any(form.same_as(member) for member in members):
                members.append(form)
                forms[text.lower()] += 1
                papers[paper_id] = None
                break
        else:
            groups.append(([form], Counter([text.lower()]), {paper_id: None}))
    found = [Meaning(tuple(f for f, _ in c.most_common()), tuple(p)) for _, c, p in groups]
    return sorted(found, key=lambda meaning: -len(meaning.papers))


@dataclass(frozen=True)
class _Form:
    """A long form as `meanings` compares it."""

    stems: frozenset[str]
    squashed: tuple[str, str]
    """Its words, then its stems, written without blanks and dashes."""

    @classmethod
    def of(cls, keyword: KeywordIndex, text: str) -> _Form:
        words = [
            min((word, *variants(word)))  # one spelling for both
            for word in re.findall(r"[a-z0-9]+", text.lower())
            if keyword.is_content_word(word)
        ]
        stems = [keyword.word_stem(word) for word in words]
        return cls(frozenset(stems), ("".join(words), "".join(stems)))

    def same_as(self, other: _Form) -> bool:
        if self.stems <= other.stems or other.stems <= self.stems:
            return True
        return any(
            OSA.distance(a, b) <= 1 for a, b in zip(self.squashed, other.squashed, strict=True)
        )


def phrase_words(form: str, keyword: KeywordIndex) -> tuple[str, ...]:
    """What a text writing `form` holds, in small letters: its words, the last one only
    as far as its inflections share it ("neighbor" of "neighbors")."""
    words = re.findall(r"[a-z0-9]+", form.lower())
    return (*words[:-1], shared_letters(words[-1], keyword.word_stem(words[-1])))


def phrase_pattern(form: str, keyword: KeywordIndex) -> str:
    """A regular expression finding `form` written out: its `phrase_words` in a row,
    joined by blanks or dashes, in any case."""
    joint = f"[\\s{DASHES}]+"
    return r"(?<!\w)" + joint.join(map(re.escape, phrase_words(form, keyword)))

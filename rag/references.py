"""Papers a question names by id ("What is 0704.0185 about?", "summarize
`efficient-and-robust-approximate-nearest-e4adf8df`"): read as the papers' titles.

An abstention lists the closest papers with their ids "so the user can follow up", and
the follow-up names one: "What is 0704.0185 about?" was refused over an arXiv sample (the
id is no word of any abstract), and "tell me about training-neural-networks-from-scratch-
0d99f67f" opened with another paper whose words matched the slug better. With the id
written as the title, retrieval finds the paper by its title like any other question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.catalog import Catalog
from rag.lookup import known_id

_ID = re.compile(
    # as an abstention lists them: `paper-id` (any id, a BEIR number included)
    r"`(?P<quoted>[^`\s]{1,200})`"
    # arXiv ids, new and old style, with or without "arXiv:" and a version
    r"|(?<![\w/.])(?:arxiv:\s*)?(?P<arxiv>(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[a-z]{2})?/\d{7})"
    r"(?:v\d+)?)(?![\w/])"
    # DOIs (not their closing punctuation)
    r"|(?<![\w/])(?P<doi>10\.\d{4,9}/\S*[^\s.,;:?!)\]`'\"])"
    # title slugs: words joined by dashes, then the 8-hex hash
    r"|(?<![\w-])(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)+-[0-9a-f]{8})(?![\w-])",
    re.IGNORECASE,
)
"""What may be a paper id in a question; only the ids of indexed papers are read."""


ASKING_OF_NAMED = re.compile(
    r"\b(?:compar(?:e[sd]?|ing|ison)|contrast|differ(?:s|ences?)?|versus|vs|summar(?:i[sz]e"
    r"|y)|tl;?dr|overview|gist|says?|said|about|describe|explain|main|key|ideas?|propose[sd]?"
    r"|both|between|these|those|two|papers?)\b",
    re.IGNORECASE,
)
"""Words that ask about the papers a question names without narrowing it: "compare
0704.0185 and 0704.0163" asks of them no topic of its own (read as one, "compare" made
the answer quote "... is discussed and compared")."""


def first_id(text: str) -> str | None:
    """The first thing `text` writes like a paper id (indexed or not), as written."""
    match = _ID.search(text)
    return next(group for group in match.groups() if group) if match else None


NAMED_DEPTH = 50
"""Results searched for a question about named papers before keeping theirs: what it asks
of them ("quasicrystals") may rank other papers first."""


@dataclass(frozen=True)
class Named:
    """The papers a question names by id, and the question read two ways."""

    ids: list[str]
    titled: str
    """The question with each id written as its paper's title, in quotes."""
    rest: str
    """The question without the ids and `ASKING_OF_NAMED`: what it asks of the papers
    ("What does 0704.0185 say about proteins?" -> "What does proteins?")."""
    unknown: list[str]
    """Ids written like an arXiv id, a DOI or a paper id that no indexed paper has."""


def named_papers(question: str, catalog: Catalog) -> Named:
    """The indexed papers `question` names by id (none: `ids` empty, `titled` the
    question). Their answer is theirs alone: "What does 0704.0185 say about
    quasicrystals?" had also quoted another quasicrystal paper."""
    ids: list[str] = []
    titled: list[str] = []
    rest: list[str] = []
    unknown: list[str] = []
    done = 0
    for match in _ID.finditer(question):
        paper_id = known_id(catalog, next(group for group in match.groups() if group))
        if paper_id is None:
            if not match["quoted"]:  # `torch.compile` is code, not an id
                unknown.append(match[0])
            continue
        ids.append(paper_id)
        titled += [question[done : match.start()], f"\u201c{catalog.title(paper_id)}\u201d"]
        rest.append(question[done : match.start()])
        done = match.end()
    return Named(
        list(dict.fromkeys(ids)),
        "".join(titled) + question[done:],
        " ".join(ASKING_OF_NAMED.sub(" ", "".join(rest) + question[done:]).split()),
        unknown,
    )

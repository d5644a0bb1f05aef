"""Questions asking what something is, and the abstract sentences that say it.

"What is HNSW?" is best answered by the sentence introducing HNSW ("We present a new
approach ... (Hierarchical NSW, HNSW)"), not by one that merely uses it ("However, the
behaviour of HNSW under real-world scenarios ..."), and the paper that introduces it
should lead the answer. Similarity to a three-word question cannot tell the two apart;
the way abstracts define a name can: "X is a ...", "we introduce X", "which we call X".
(An acronym in parentheses alone is no sign: every paper using HNSW spells it out once.)
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.keyword import DASHES, ORIGIN_PHRASE, QUERY_FILLER, without_asking

DEFINITION_QUESTION = re.compile(
    r"^\W*(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?"
    r"(?:what\s+(?:is|are|was|were)|what'?s|define|explain|describe|tell\s+me\s+about)\s+"
    r"(?:the\s+)?(?:(?:main|key|basic|core)\s+)?(?:(?:idea|ideas|concept)\s+(?:behind|of)\s+)?"
    r"(?:an?\s+|the\s+)?(?P<term>[^?]{1,60}?)[\s?.!]*$"
    r"|^\W*what\s+(?:does|do)\s+(?:the\s+)?(?P<abbr>[^?]{1,40}?)\s+(?:mean|stand\s+for)[\s?.!]*$"
    r"|^\W*how\s+(?:does|do)\s+(?:an?\s+|the\s+)?(?P<works>[^?]{1,60}?)\s+work[\s?.!]*$",
    re.IGNORECASE,
)
"""A question asking what something is, what an abbreviation stands for, or how something
works: its term is what the answer defines, and a phrase no paper writes is refused
(`Retriever.asked_phrase`). Read as a phrase, "how does beam search work?" is no longer
answered from a paper on particle beams that "searches" settings: on
`eval/how_questions.jsonl` (the phrase set asked "how does X work?") near-misses refused
went from 21.1% (4/19) to 100%, its 21 answerable questions all answered as before."""
TERM_WORDS = 5
"""Longer "terms" are questions about something else ("what is the license of the EMNIST
dataset?"), which no sentence defines."""


ACRONYM = re.compile(r"\b\w*(?:[A-Z]\w*[A-Z]|\d)\w*\b")
"""A word with two capitals or a digit ("LLMs", "LoRA", "GPT-4"): a phrase holding one is
about that name, which papers relate to the rest in their own words, not a compound noun
they must write as such (`rag.retrieval.Retriever.asked_phrase`)."""


BARE_TOPIC = re.compile(r"^[\W_]*(?:(?:the|an?)\s+)?(?P<term>\w[^?]{0,59}?)[\s?.!:,]*$")
"""A question that is its topic alone, once its ways of asking are dropped ("beam
search", "label smoothing pros and cons", "the intuition behind k-means clustering"):
it asks about that topic as "What is beam search?" does, and a phrase no paper writes is
refused the same way (`Retriever.asked_phrase`). Bare, "beam search" was answered from
a particle-accelerator paper ("beam time", "the search for good settings") that "What
is beam search?" is refused from: on `eval/bare_questions.jsonl` (the phrase set's
topics alone) near-misses refused went from 10.5% (2/19) to 94.7%, its 21 answerable
topics all answered as before. A name alone ("HNSW?") is answered by the sentences
defining it: answers opening with a gold paper went from 95.4% to 96.2% on
`eval/phrasing_questions.jsonl`, 92.1% to 94.6% on `eval/phrasing_blind.jsonl`."""
BARE_WORDS = 2
"""Most words of a bare topic read as a phrase: three are a description ("image
classification tricks", the title "Bag of Tricks for Image Classification ..." writing
them apart)."""


LISTING_TOPIC = re.compile(
    r"\b(?:papers|works|studies|articles|publications|research|literature|work)\s+"
    r"(?:(?:are|is)\s+)?(?:on|about|discuss(?:es|ing)?|that\s+discuss|covering|say\s+about"
    r"|using|use|stud(?:y|ies|ying)|investigat(?:e|es|ing)|explor(?:e|es|ing))\s+"
    r"(?:the\s+)?(?P<term>[^?]{1,60}?)[\s?.!]*$",
    re.IGNORECASE,
)
"""The topic of a question asking for papers on it ("which articles discuss KAN?", "what
are the papers on HNSW?"). A list of the papers on a name opens with the paper that
introduces it, as the answer to "What is KAN?" does: answers opening with a gold paper
went from 85.0% to 88.8% (213/240) on `eval/phrasing_questions.jsonl` and from 82.3% to
85.8% (194/226) on the held-out phrasings (not used to write this pattern, though their
answers were read while the listing of papers was built), the short and dev questions
unchanged. Without it "which articles discuss KAN?" opened with "Activation Space
Selectable Kolmogorov-Arnold Networks" and "what are the papers on HNSW?" with a paper
measuring HNSW's recall."""


ORIGIN_QUESTION = re.compile(
    ORIGIN_PHRASE + r"\s+(?:the\s+)?(?P<term>[^?]{1,60}?)[\s?.!]*$", re.IGNORECASE
)
"""A question asking where a name comes from ("Which paper introduced HNSW?", "who
proposed Adam?"). Only a paper defining the name answers it (`rag.answering`): a paper
that mentions LSTM does not say who proposed it."""


NAMED_PAPER = (
    re.compile(
        r"\bthe\s+(?P<term>\w[\w-]*(?:\s+\w[\w-]*){0,2}?)\s+paper(?:'s)?\b"
        r"(?!\s+(?:on|about|by|from|in|of|for|that|which|where|titled|called)\b)",
        re.IGNORECASE,
    ),
    re.compile(r"^\W*(?P<term>\w[\w-]*(?:\s+\w[\w-]*){0,2}?)\s+paper\W*$", re.IGNORECASE),
)
"""A paper named by what it introduced ("summarize the HNSW paper", "what does the KAN
paper propose?", "the grokking paper", "HNSW paper"): the question asks about that
paper, and the paper defining the name leads the answer, as for "Which paper introduced
HNSW?". Read as a question in other words ("paper" is a way of asking), "summarize the
HNSW paper" opened with a paper measuring HNSW's recall, the one introducing it second.
Not a paper described by what precedes "paper" ("the first paper", "the same paper":
`NOT_NAMING`) or by what follows it ("the survey paper on KAN"). Ways of asking before
the name are not part of it ("summarize HNSW paper")."""
NOT_NAMING = frozenset(
    " ".join(
        (
            "the a an this that these those my your our their its his her",
            "first second third last original same above below following previous next",
            "other another whole entire full latest newest oldest recent new old best main",
            "seminal famous classic cited related survey review position short long good",
            "great",
        )
    ).split()
)
"""Words before "paper" that say which paper, not what it introduced (`NAMED_PAPER`)."""


KINDS = frozenset(
    {
        "algorithm",
        "approach",
        "architecture",
        "benchmark",
        "code",
        "dataset",
        "framework",
        "index",
        "language",
        "layer",
        "library",
        "loss",
        "method",
        "metric",
        "model",
        "module",
        "network",
        "optimizer",
        "optimiser",
        "package",
        "program",
        "protocol",
        "software",
        "solver",
        "system",
        "technique",
        "tool",
        "toolkit",
    }
)
"""What kind of thing a name is, as a question adds it after the name: "the Lion
optimizer", "the HNSW algorithm", "the MMLU benchmark" (`named`)."""


def named(term: str) -> str | None:
    """The name in `term` when it ends with a `KINDS` word after a name (a word written
    with a capital or a digit, as a question writes "Lion" or "GPT-4"), else None. Papers
    may write the two side by side ("the Kuramoto model") or not ("a simple and
    effective optimization algorithm, Lion"): where they do not, the name alone is what
    is asked about. "What is the Lion optimizer?" was refused because no abstract writes
    "Lion optimizer". A lowercase word before the kind keeps the phrase whole ("the
    momentum optimizer")."""
    words = term.split()
    kind = words[-1].lower() if len(words) >= 2 else ""
    is_kind = kind in KINDS or (kind.endswith("s") and kind[:-1] in KINDS)
    if is_kind and any(char.isupper() or char.isdigit() for char in words[-2]):
        return " ".join(words[:-1])
    return None


def origin_term(question: str) -> str | None:
    """The name whose origin `question` asks for ("HNSW" for "Which paper introduced
    HNSW?"), or None."""
    match = ORIGIN_QUESTION.match(question.strip())
    words = match.group("term").split() if match else []
    return " ".join(words) if 0 < len(words) <= TERM_WORDS else None


def _named_paper(question: str) -> str | None:
    """What the paper `question` names was introducing (`NAMED_PAPER`), or None."""
    for pattern in NAMED_PAPER:
        if (paper := pattern.search(question)) is None:
            continue
        words = paper.group("term").split()
        while words and (words[0].lower() in NOT_NAMING or words[0].lower() in QUERY_FILLER):
            words = words[1:]  # "the the French Revolution paper", "summarize HNSW paper"
        if words and not NOT_NAMING.intersection(word.lower() for word in words):
            return " ".join(words)
    return None


def asked_term(question: str) -> str | None:
    """The name a question asks to have defined ("HNSW" for "explain HNSW like I'm
    five"), whose origin it asks for (`origin_term`), that names the paper it asks about
    (`NAMED_PAPER`: "summarize the HNSW paper"), or the topic it asks papers on
    ("KAN" for "which articles discuss KAN?"), or the topic it is alone ("beam search" for
    "beam search pros and cons", `BARE_TOPIC`), or None when it asks something else."""
    if (origin := origin_term(question)) is not None:
        return origin
    if (paper := _named_paper(question.strip())) is not None:
        return paper
    if (listed := LISTING_TOPIC.search(question.strip())) is not None:
        term = listed.group("term")  # before "what are ...": "what are the papers on X?"
    elif (match := DEFINITION_QUESTION.match(question.strip())) is not None:
        term = match.group("term") or match.group("abbr") or match.group("works")
    elif (bare := BARE_TOPIC.match(without_asking(question))) is not None:
        term = bare.group("term")
        words = term.split()
        if len(words) > BARE_WORDS or QUERY_FILLER.intersection(term.lower().split()):
            return None  # a question in other words: "when should I use HNSW?"
        if len(words) > 1 and ACRONYM.search(term):
            return None  # a name and what is asked about it: "MobileOne latency"
    else:
        return None
    words = without_asking(term).strip(" ,").split()
    return " ".join(words) if 0 < len(words) <= TERM_WORDS else None


INTRODUCING = (
    r"\b(?:we|this\s+(?:paper|work|article|letter))\s+(?:\w+\s+){0,3}?"
    r"(?:propos|introduc|present|develop|design|call|nam|term|dub)\w*\b"
)
"""The authors introducing something: "we propose", "this paper introduces", "we have called"."""


def _name(term: str) -> str:
    """The term as a pattern: any spacing, any dash ("Lempel-Ziv" asked, "Lempel–Ziv"
    written), a plural (KAN -> KANs, network -> networks)."""
    escaped = re.escape(term).replace(r"\ ", r"\s+").replace(r"\-", f"[{DASHES}]")
    return escaped + r"(?:e?s)?"


def titled_for(term: str, title: str) -> bool:
    """Whether `title` is "TERM: ..." or just "TERM": the paper is named for it."""
    return re.match(rf"\W*{_name(term)}\s*(?::|$)", title, re.IGNORECASE) is not None


_NAME_FOLLOWERS = (
    r"(?:that|which|who|whose|where|while|to|for|with|in|on|of|by|and|or|as|is|are|was"
    r"|were|can|could|a|an|the|from|using|based|via|at)"
)
"""Words that may follow a name the authors introduce ("we propose Adam, an algorithm",
"we introduce HNSW which ..."); any other word continues a longer noun phrase the name
only modifies: "we propose an elastic quantization space" does not introduce
quantization."""


_KIND = rf"(?:{'|'.join(sorted(KINDS))})s?"


@lru_cache(maxsize=256)
def _defining(term: str) -> re.Pattern[str]:
    name = _name(term)
    alone = rf"(?<![\w-]){name}(?![\w-])"  # not the KAN of "S-KAN"
    return re.compile(
        # a definition: "Shampoo is an online ...", "Echo State Networks (ESNs) is an ...",
        # "Kolmogorov-Arnold Networks (KAN) is a ..."
        rf"{alone}\)?(?:\s*\([^()]*\))?\s+(?:is|are|refers\s+to|denotes|stands\s+for)\s+"
        rf"(?:an?|the|one)\b"
        # the authors introducing it: by name within three words ("We introduce Adam",
        # "we design an efficient backbone MobileOne"; not "... called TCNCA, a Temporal
        # Convolutional Network with Chunked Attention" for attention, nor "Selectable
        # KAN (S-KAN)" for KAN), or as the parenthesis closing the phrase ("We present a
        # new approach ... (Hierarchical NSW, HNSW)", "which we have called Extended MNIST
        # (EMNIST)")
        rf"|{INTRODUCING}(?:[^.;]{{0,160}}?\((?:[^()]*,\s*)?{name}\)"
        rf"|\s+(?:\S+\s+){{0,3}}?{alone}(?!\s*\()(?!\s+(?!{_NAME_FOLLOWERS}\b)\w))"
        # given its name anywhere: "We introduce a new algorithm named WGAN"
        rf"|\b(?:named|called|dubbed|termed|coined)\s+{alone}(?!\s*\()"
        # named after its kind, spelled out: "an optimization algorithm, Lion (EvoLved
        # Sign Momentum)"
        rf"|\b{_KIND},\s+{alone}(?=\s*\()",
        re.IGNORECASE,
    )


def defining(term: str, title: str, sentences: list[str]) -> list[bool]:
    """Which of a paper's `sentences` define `term`. A paper titled "TERM: ..." (or just
    "TERM") introduces it, in other words when not by name: "PowerNorm: Rethinking Batch
    Normalization in Transformers" says "we propose Power Normalization (PN)"; its first
    sentence introducing something is then the definition, else its first naming TERM
    (else its first). A name asked with its kind ("the Lion optimizer") is defined where
    the name is, when the two are not written together (`named`)."""
    pattern = _defining(term)
    found = [pattern.search(sentence) is not None for sentence in sentences]
    if not any(found) and (name := named(term)) is not None:  # "the Lion optimizer"
        return defining(name, title, sentences)
    if any(found) or not sentences or not titled_for(term, title):
        return found
    introducing = [re.search(INTRODUCING, s, re.IGNORECASE) is not None for s in sentences]
    if not any(introducing):  # "Neural Tangent Kernel: ...": where it first names it
        naming = re.compile(rf"(?<![\w-]){_name(term)}(?![\w-])", re.IGNORECASE)
        introducing = [naming.search(s) is not None for s in sentences]
    first = introducing.index(True) if any(introducing) else 0
    return [i == first for i in range(len(sentences))]

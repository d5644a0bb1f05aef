"""How common a word is in everyday English: what tells the words a question asks with
from the ones naming its topic where no list names them (`KeywordIndex.asking_words`),
and a word a corpus is about from one it mentions in passing (`QueryTerms.underused`).

The lists of ways of asking (`rag.keyword.QUERY_FILLER`, `ASKING_PHRASES`) hold for the
ways they list: 240 questions asking about 12 bundled topics in 20 ways written after
them ("is HNSW worth reading about?", "EMNIST pros and cons", "what do researchers think
about grokking?", `eval/phrasing_chat.jsonl`) were refused 32.5% of the time, "worth",
"reading" and "think" counting as topic words the HNSW paper lacks.

Frequencies are wordfreq's (its small English list, 29k words, loaded on first use) on the
Zipf scale: log10 of uses per billion words ("the" 7.7, "think" 6.1, "worth" 5.2,
"kernel" 3.6, "tangent" 3.2, "HNSW" 0).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

EVERYDAY_ZIPF = 5.0
"""Zipf frequency from which a word is everyday English (the ~1,500 commonest words:
"think", "worth", "reading", "get", "way"). A lower bound also took words asked about:
at 3.5 "license" (4.5) and "authors" (4.5) were read as asking, and "What is the EMNIST
license?" and "What batch size did the NoiseBench authors use?", which no abstract
answers, were answered from the EMNIST and NoiseBench papers."""
SPECIALIST_ZIPF = 3.5
"""Zipf frequency below which a word is a term of art ("HNSW", "grokking", "KAN" 3.4,
"tangent" 3.2, "distillation" 3.0): what a question about papers is about."""

NUMBER_WORDS = frozenset(
    " ".join(
        (
            "one two three four five six seven eight nine ten eleven twelve thirteen",
            "fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty",
            "sixty seventy eighty ninety hundred thousand million billion",
            "first second third fourth fifth sixth seventh eighth ninth tenth",
            "half quarter twice double triple",
        )
    ).split()
)
"""Everyday words that state a quantity: what a claim is specifically about ("Ten
percent (10%) of kidney cancers in the UK are attributable to excess weight." was
answered from SciFact's abstracts without its gold one once "ten" was read as asking),
never a way of asking."""


@cache
def _zipf() -> Callable[[str], float]:
    from wordfreq import zipf_frequency

    return lambda word: float(zipf_frequency(word, "en", wordlist="small"))


def zipf(word: str) -> float:
    """The word's Zipf frequency in English (0 for a word the list lacks)."""
    return _zipf()(word)


def english_rate(word: str) -> float:
    """Uses of the word per word of English text."""
    return float(10 ** (zipf(word) - 9))


def is_everyday(word: str) -> bool:
    """Among the commonest English words, and no number (`NUMBER_WORDS`)."""
    return word not in NUMBER_WORDS and zipf(word) >= EVERYDAY_ZIPF


def is_specialist(word: str) -> bool:
    return zipf(word) < SPECIALIST_ZIPF

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

import math
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


@cache
def _stem_frequencies() -> dict[str, float]:
    """Per Snowball English stem, the frequency of the commonest English word with it
    (17,980 stems of the list's 28,917 words; 0.05 s once the list is loaded)."""
    import Stemmer
    from wordfreq import get_frequency_dict

    frequencies = get_frequency_dict("en", wordlist="small")
    words = list(frequencies)
    commonest: dict[str, float] = {}
    for word, stem in zip(words, Stemmer.Stemmer("english").stemWords(words), strict=True):
        commonest[stem] = max(commonest.get(stem, 0.0), frequencies[word])
    return commonest


def english_word_stems() -> frozenset[str]:
    """The Snowball English stems of the list's words."""
    return frozenset(_stem_frequencies())


def stem_zipf(stem: str) -> float:
    """The Zipf frequency of the commonest English word with this Snowball English stem,
    as the keyword index stems (`rag.keyword.new_tokenizer`); 0 for none."""
    frequency = _stem_frequencies().get(stem, 0.0)
    return math.log10(frequency) + 9 if frequency > 0 else 0.0


def is_specialist(stem: str) -> bool:
    """Whether every English word with this stem is rarer than `SPECIALIST_ZIPF`: a term
    of art. Read from the stem, not the word typed: "goed" (a typo of "good") is no
    English word, but it is stemmed "goe", as "goes" (5.2) is."""
    return stem_zipf(stem) < SPECIALIST_ZIPF

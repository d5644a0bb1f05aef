"""Cited answers: retrieval -> relevance gate -> LLM or extractive composition -> citations.

One pipeline serves both the streamed and the non-streamed interface: `ask()` returns an
`AnswerStream`, whose iteration yields text deltas (plain `str`) and whose `result()` is
the final `Answer`. With an LLM, the
non-streamed call asks the API for one completion and feeds it through the same
citation rewriter as the streamed deltas, so both yield the same text.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal, NamedTuple

import numpy as np
from pydantic import BaseModel, Field

from rag.asked_period import asked_period, asks_latest, newest_first
from rag.author_papers import author_listing
from rag.authors import author_question
from rag.citations import CitationRewriter, best_quote, citing_sentences, defuse_markers
from rag.comparisons import ASKED_SIDE, compared_sides, searched
from rag.config import Settings
from rag.definitions import ORIGIN_QUESTION, asked_term, defining, origin_term
from rag.errors import InvalidQueryError
from rag.llm import ChatModel, LLMError, TokenCount, UsageMeter
from rag.papers import Dated, DatePrecision, Paper, shown_date, web_url
from rag.prompts import Prompts, load_prompts
from rag.record_questions import (
    RecordQuestion,
    describes,
    names_paper,
    record_answer,
    record_question,
    searched_for,
)
from rag.references import NAMED_DEPTH, Named, first_id, named_papers
from rag.relevance import best_relevance, deciding, is_citable, is_on_topic
from rag.retrieval import Retriever, SearchResult
from rag.small_talk import small_talk_reply

SENTINEL = "INSUFFICIENT_EVIDENCE"
NOT_COVERED = "The indexed papers do not answer this question."
NOT_IN_PERIOD = "No indexed paper on this is dated in the period asked."
EXTRACTIVE_NOTE = (
    "*Extractive answer (no LLM): the most relevant sentences from the retrieved abstracts, "
    "quoted verbatim.*"
)
RECORD_NOTE = "*Extractive answer (no LLM): from the paper's record, as it was ingested.*"
DESCRIBED_PAPERS = 3
"""Papers answered for a question about "the paper on X" that several titles fit."""
QUANTITY_QUESTION = re.compile(
    r"\b(how (many|much|long|big|small|fast|large|often)|what (accuracy|percentage|score|rate|"
    r"speed ?up|size|number)|by how|which year|top-1|top-5)\b",
    re.IGNORECASE,
)
QUANTITY_BONUS = 0.3
"""Extractive mode: a question asking for a quantity is answered by a sentence with a number."""
DEFINITION_BONUS = 1.0
"""Extractive mode: a question asking what a name is (`asked_term`) is answered by the
sentence defining it (`defining`), and the papers with one lead the answer. As large as a
sentence's full share of the question's terms: at 0.3, "What is KAN?" still opened with
"We show that this seemingly simple change makes KANs outperform MLPs" rather than "we
propose Kolmogorov-Arnold Networks (KANs) as promising alternatives to MLPs". Answers
opening with a gold paper (`rag eval answers`): short questions 95.7% -> 100%, phrasing
dev set 79.8% -> 86.0%, held-out phrasings (not tuned on) 81.0% -> 82.8%; dev questions
100% and every abstention figure and `answer_facts` (0.89) unchanged."""
EXTRACTIVE_TOP_SENTENCES = 3
SOURCE_AUTHORS = 10
"""Authors named in a source's header for the LLM ("who wrote the KAN paper?"); a
consortium paper's hundreds of names would crowd out the abstracts."""
CLOSEST_PAPERS = 5
"""Papers listed with an abstention, so the user can follow one up."""
TITLED_TOPIC = 0.5
"""A paper whose title holds at least this share of the question's topic terms
(`Retriever.title_support`) is about the topic: any of its best sentences may answer."""
FILLER_SUPPORT = 0.15
"""In a paper not titled for the topic, a further sentence without any of the question's
terms needs at least this support (its cosine similarity, plus numbers shared) to be
quoted. Such sentences measured 0.04-0.11 when they were filler around the one sentence
that used the term ("What is FID?" on a Zotero library: "We hypothesize that this is mostly
due to ..."), 0.22 and 0.32 when they answered in other words ("Which papers study NER?":
"... a named-entity recognition tool ...")."""
SENTENCE_SHARE = 0.75
"""A further paper adds its best sentence to an extractive answer only when that sentence
supports the question at least this share as well as the best paper's best sentence."""
LISTING_QUESTION = re.compile(
    r"\b(?:which|what|any|list|find|show\s+me|recommend|suggest)\s+(?:\w+\s+){0,3}?"
    r"(?:papers|works|studies|articles|publications)\b"
    r"|^\W*(?:(?:the\s+)?(?:latest|newest|most\s+recent|recent)\s+)?"
    r"(?:papers|works|studies|articles|publications|research|literature)\s+"
    r"(?:on|about|that|which|using|for|studying|proposing|addressing|in)\b"
    r"|\bany\s+(?:work|research|literature)\s+(?:on|about)\b",
    re.IGNORECASE,
)
"""A question asking for papers ("Which papers use ImageNet?", "papers on grokking?",
"any work on X?") rather than about one."""
LISTED_SHARE = 0.5
"""In the answer to a `LISTING_QUESTION`, each citable paper of the results adds its best
sentence when that sentence supports the question at least this share as well as the
first paper's, uses the question's terms (or the paper is titled for them) and writes a
phrase of the question that the first paper writes (`Retriever.write_a_phrase_of`).
Measured with `rag eval answers` (extractive), the gold papers cited for questions with
several ("Which papers study NER?"): short questions 75.0% -> 83.3% (18 -> 20 of 24),
dev questions 71.4% -> 80.0% (25 -> 28 of 35); the share of citations that are gold:
78.1% -> 76.6% and 94.2% -> 92.3% (a gold list names the papers written for a topic, not
every paper using it: "papers on grokking?" now also cites two papers discussing
grokking). The same at 0.3; at 0.75 (`SENTENCE_SHARE`) the dev questions' gold cited fell
back to 74.3%. Without the phrase rule the dev figure was 82.9% but "papers on dataset
distillation" cited three knowledge-distillation papers; requiring every such phrase,
57.1%. Opening citations, abstentions and `answer_facts` are unchanged."""
COMPARED_SENTENCES = 2
"""Sentences quoted for each side of a comparison in extractive mode: what each side is
(its defining sentence first), then its best further one."""
HISTORY_TURNS = 6
HISTORY_CHARS = 1000
_FOLLOW_UP = re.compile(
    r"\b(it|its|this|that|these|those|they|them|their|the (paper|method|model|approach|authors?))\b"
    r"|^(and|what about|how about|also|why|how so)\b",
    re.IGNORECASE,
)


class Citation(Dated):
    n: int
    paper_id: str
    title: str
    date: date | None
    date_precision: DatePrecision = "day"
    quote: str
    """The sentence of the stored abstract that best supports the citing text, verbatim
    (in an extractive answer, the first of the paper's quoted sentences that uses the
    question's terms: `Answerer._extractive`)."""
    url: str | None = None


class Related(BaseModel):
    paper_id: str
    title: str
    score: float


class Fallback(BaseModel):
    """Why an answer was composed extractively although an LLM is configured."""

    reason: str
    """The LLM failure's kind (`llm_rate_limited`, `llm_timeout`, ...)."""
    message: str


class Answer(BaseModel):
    question: str
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    related: list[Related] = Field(default_factory=list)
    abstained: bool = False
    mode: Literal["llm", "extractive"]
    model: str | None = None
    warnings: list[str] = Field(default_factory=list)
    """Human-readable caveats, shown with the answer (a fallback's included)."""
    fallback: Fallback | None = None
    """Set when the LLM failed and the answer was composed extractively instead."""
    llm_usage: TokenCount | None = None
    """Tokens the LLM reported for this answer, when every call reported them (not for a
    streamed answer or an extractive one)."""


Finish = Callable[[Answer], None]
Note = Callable[[list[str]], None]


class AnswerStream:
    """One answer in progress: iterate it for the text deltas, then `await result()` for
    the final `Answer` (`result()` alone consumes the text first). `aclose()` stops the
    work, closing the LLM's HTTP stream."""

    def __init__(
        self,
        compose: Callable[[Finish, Note], AsyncGenerator[str, None]],
        on_answer: Finish | None = None,
    ) -> None:
        self._answer: Answer | None = None
        self._on_answer = on_answer
        self.early_warnings: list[str] = []
        """Warnings known before the text ("Read "retreival" as "retrieval"", a period,
        an unknown id): set before the first delta, so a streaming surface shows them
        above the answer as a whole answer does, not after the text it qualifies."""
        self._deltas = compose(self._finish, self._note)

    def _note(self, warnings: list[str]) -> None:
        self.early_warnings = list(warnings)

    def _finish(self, answer: Answer) -> None:
        self._answer = answer
        if self._on_answer is not None:
            self._on_answer(answer)

    def __aiter__(self) -> AnswerStream:
        return self

    async def __anext__(self) -> str:
        return await anext(self._deltas)

    async def result(self) -> Answer:
        async for _ in self:
            pass
        assert self._answer is not None, "a finished answer stream always has its Answer"
        return self._answer

    async def aclose(self) -> None:
        await self._deltas.aclose()


class Message(BaseModel):
    role: Literal["user", "assistant"]
    content: str


def abstention_text(results: list[SearchResult], outside_period: bool = False) -> str:
    """What the user reads when the papers do not answer: that, and where to look next
    (with `outside_period`, papers that would answer but are dated outside the period
    asked, with their dates)."""
    if outside_period:
        listed = "\n".join(
            f"- {r.title} ({shown_date(r.date, r.date_precision) if r.date else 'undated'}, "
            f"`{r.paper_id}`)"
            for r in results[:CLOSEST_PAPERS]
        )
        return f"{NOT_IN_PERIOD} Papers on it dated otherwise:\n{listed}"
    if not results:
        return NOT_COVERED
    closest = "\n".join(f"- {r.title} (`{r.paper_id}`)" for r in results[:CLOSEST_PAPERS])
    return f"{NOT_COVERED} The closest papers are:\n{closest}"


def condense_rule(question: str, history: list[Message]) -> str:
    """Deterministic follow-up rewrite for extractive mode: a short or referring question
    is joined to the previous user question."""
    previous = [m.content for m in history if m.role == "user"]
    if not previous:
        return question
    sides = compared_sides(question)
    topic = asked_term(previous[-1])
    asked = record_question(question)
    if asked and _POINTING.match(asked.term):  # "What is HNSW?", then "who wrote it?"
        before = record_question(previous[-1])  # "Who wrote KAN?", then "when ... it ...?"
        named = topic or (before.term if before else None) or first_id(previous[-1])
        if named:
            return asked.about(named)
    if origin := ORIGIN_QUESTION.match(question.strip()):
        # "What is KAN?", then "who proposed it?": joined, "What is KAN? who proposed it?"
        # opened with a paper proposing a variant of KAN, not with the KAN paper; and
        # "who proposed LSTM?" is a question of its own
        if not _POINTING.match(origin["term"].strip()):
            return question
        if topic:
            typed = question.strip()
            return typed[: origin.start("term")] + topic + typed[origin.end("term") :]
    if sides and topic and any(_POINTING.match(side) for side in sides):
        # "What is HNSW?", then "how does it compare to SPANN?": HNSW vs SPANN
        named = [topic if _POINTING.match(side) else side for side in sides]
        return f"{named[0]} vs {named[1]}"
    if len(question.split()) <= 6 or _FOLLOW_UP.search(question):
        return f"{previous[-1].strip()} {question.strip()}"
    return question


_POINTING = re.compile(
    r"^(?:it|this|that|they|them|these|those|(?:this|that|the)\s+(?:one|paper|method|model"
    r"|approach|algorithm))$",
    re.IGNORECASE,
)
"""A side of a compared follow-up that points back at the previous question's topic."""
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SOURCE_TAG = re.compile(r"<\s*/?\s*source", re.IGNORECASE)


def _as_data(text: str) -> str:
    """Source text made unable to open or close a `<source>` block: full-width and other
    compatibility forms folded (NFKC), invisible characters removed, then any tag-like
    `source` defused (`< /source>`, `＜/source＞`, `</sou\u200brce>` included)."""
    folded = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return _SOURCE_TAG.sub("(source", folded)


def _source_block(n: int, paper: Paper, dated: str) -> str:
    """A numbered source: its header line (title, date, authors) and the abstract."""
    header = f"{paper.title} ({dated})"
    if paper.authors:
        shown = ", ".join(paper.authors[:SOURCE_AUTHORS])
        header += f", by {shown}" + (" et al." if len(paper.authors) > SOURCE_AUTHORS else "")
    header = " ".join(_as_data(header).split())  # one line: it cannot fake a block start
    return f"[{n}] {header}\n<source>\n{_as_data(paper.abstract)}\n</source>"


def llm_sources(
    retriever: Retriever, query: str, results: list[SearchResult]
) -> list[SearchResult]:
    """The papers an LLM answers `query` from, none when the question does not reach it:
    the gate of LLM mode stops only what is clearly off-topic, and the LLM's own reply
    says when the sources do not answer. It reaches the LLM when a `deciding` paper is
    on topic (`is_on_topic`), or holds a term of art the question names
    (`Retriever.holding_specific`): "HNSW pros and cons", "give me the lowdown on KAN",
    "how would you describe EMNIST to a colleague?" are about those papers however
    little of their wording the papers share. The sources are the on-topic results and
    those deciding papers. That took the gate's false abstention on
    `eval/phrasing_chat.jsonl` from 10.4% to 0.4%, and on the unread
    `eval/phrasing_fresh.jsonl` from 5.4% to 1.7%."""
    holding = retriever.holding_specific(query, deciding(results))
    if not holding and not is_on_topic(best_relevance(results)):
        return []
    return [r for r in results if is_on_topic(r.relevance) or r in holding]


class _Retrieved(NamedTuple):
    results: list[SearchResult]
    sources: list[SearchResult]
    messages: list[dict[str, str]]
    readings: list[tuple[str, str | None, str]]
    """Words of the question read as others (`Retriever.readings`): typed, read as, and
    why."""
    compared: list[tuple[str, list[SearchResult]]]
    """Each side of a comparison with its own search results (`rag.comparisons`)."""
    focus: str
    """What was searched for: the question, or what it asks of the papers it names."""


class _Pick(NamedTuple):
    """A sentence an extractive answer quotes."""

    paper_id: str
    sentence: str
    mentions: bool
    """Whether it uses the question's terms (the paper's quote is the first that does)."""


@dataclass
class _Scored:
    """One source's abstract sentences, scored against the question (`_extractive`)."""

    number: int
    """Its place in the search results, from 1."""
    paper: Paper
    sentences: list[str]
    support: np.ndarray
    titled: float
    scores: np.ndarray
    defining: np.ndarray
    """Whether each sentence defines the name the question asks about."""


class Answerer:
    """Shared per process; safe for concurrent use (CPU work runs in threads)."""

    def __init__(
        self,
        retriever: Retriever,
        settings: Settings,
        llm: ChatModel | None = None,
        prompts: Prompts | None = None,
        on_answer: Finish | None = None,
    ) -> None:
        """`llm=None` composes extractive answers; `on_answer` sees every final Answer
        (the service counts them in its metrics)."""
        self.retriever = retriever
        self.settings = settings
        self.llm = llm
        self.on_answer = on_answer
        self.prompts = prompts or load_prompts(settings.prompts_dir)

    # -- helpers -----------------------------------------------------------------------

    async def _standalone(self, question: str, history: list[Message], meter: UsageMeter) -> str:
        if not history:
            return question
        if self.llm is None:
            return condense_rule(question, history)
        turns = "\n".join(
            f"{m.role.title()}: {m.content[:HISTORY_CHARS]}" for m in history[-HISTORY_TURNS:]
        )
        prompt = self.prompts.condense.format(history=turns, question=question)
        try:
            rewritten = await self.llm.complete([{"role": "user", "content": prompt}], meter)
        except LLMError:
            return condense_rule(question, history)
        return rewritten.strip() or question

    def _related(self, results: list[SearchResult], cited: set[str]) -> list[Related]:
        return [
            Related(paper_id=r.paper_id, title=r.title, score=round(r.score, 4))
            for r in results
            if r.paper_id not in cited
        ]

    def _abstention(
        self,
        question: str,
        results: list[SearchResult],
        mode: Literal["llm", "extractive"],
        model: str | None,
        outside_period: bool = False,
    ) -> Answer:
        return Answer(
            question=question,
            answer=abstention_text(results, outside_period),
            abstained=True,
            related=self._related(results, set()),
            mode=mode,
            model=model,
        )

    def _cited(
        self,
        question: str,
        text: str,
        citations: list[Citation],
        results: list[SearchResult],
        mode: Literal["llm", "extractive"],
        model: str | None,
        warnings: list[str],
    ) -> Answer:
        return Answer(
            question=question,
            answer=text,
            citations=citations,
            related=self._related(results, {c.paper_id for c in citations}),
            mode=mode,
            model=model,
            warnings=warnings,
        )

    def _citations(
        self, text: str, cited: list[str], quotes: dict[int, str] | None = None
    ) -> list[Citation]:
        """Citation n of `text` is of paper `cited[n - 1]`, quoting `quotes[n]` or the
        sentence of its abstract that best supports what `text` says with marker n."""
        claims = citing_sentences(text)
        quotes = quotes or {}
        to_quote = {claims.get(n, text) for n in range(1, len(cited) + 1) if n not in quotes}
        vectors = self.retriever.claim_vectors(list(to_quote))
        claim_vectors = dict(zip(to_quote, vectors, strict=True))

        def support(claim: str, sentences: list[str]) -> np.ndarray:
            return self.retriever.sentence_support(claim, sentences, claim_vectors[claim])

        papers = self.retriever.papers(cited)
        citations = []
        for n, paper_id in enumerate(cited, 1):
            paper = papers[paper_id]
            claim = claims.get(n, text)
            spans = self.retriever.abstract_sentences(paper)
            quote = quotes.get(n) or best_quote(paper.abstract, spans, claim, support).text
            citations.append(
                Citation(
                    n=n,
                    paper_id=paper.paper_id,
                    title=paper.title,
                    date=paper.date,
                    date_precision=paper.date_precision,
                    quote=quote,
                    url=web_url(paper.url),
                )
            )
        return citations

    # -- composition -------------------------------------------------------------------

    def _scored_sources(self, question: str, results: list[SearchResult]) -> list[_Scored]:
        """The sentences of the top three citable papers, scored for `_extractive`."""
        term = asked_term(question)
        question_vector = self.retriever.claim_vectors([question])[0]
        scored = []
        # a list, or where a name comes from: the paper defining it may rank fifth
        every = LISTING_QUESTION.search(question) is not None or bool(origin_term(question))
        for number, result in enumerate(results if every else results[:3], 1):
            if not is_citable(result.relevance):
                continue
            paper = self.retriever.papers([result.paper_id])[result.paper_id]
            abstract, spans = paper.abstract, self.retriever.abstract_sentences(paper)
            sentences = [abstract[s.start : s.end] for s in spans]
            support = self.retriever.sentence_support(question, sentences, question_vector)
            titled = self.retriever.title_support(question, paper)
            defines = np.asarray(
                defining(term, paper.title, sentences) if term else [False] * len(sentences)
            )
            scores = support + titled + DEFINITION_BONUS * defines
            if QUANTITY_QUESTION.search(question):
                scores = scores + QUANTITY_BONUS * np.asarray(
                    [any(ch.isdigit() for ch in sentence) for sentence in sentences]
                )
            scored.append(_Scored(number, paper, sentences, support, titled, scores, defines))
        return scored

    def _picks(self, question: str, results: list[SearchResult]) -> list[_Pick]:
        """Best sentences of the top papers, each cited: 3 from the best paper, 1 from
        each of the next two when it supports the question nearly as well
        (`SENTENCE_SHARE`). Only papers relevant enough to cite (`is_citable`) are used,
        so nothing off-topic pads the answer. (Filtering the best paper's own sentences by
        the same share dropped the answer to 0.72 of the dev `answer_facts`, from 0.89.)

        A sentence's support counts the question's terms in its paper's title too (the
        same for each of the paper's sentences, so it only weighs papers against each
        other): a paper titled for the question's topic is about it, one that mentions the
        topic in a sentence may not be ("Wasserstein GAN?" no longer also quotes a
        MobileStyleGAN sentence; "neural architecture search surveys" now cites a second
        survey whose sentences say "NAS"). Of the papers cited, the share with a gold
        title rose from 0.671 to 0.789 on the short questions (0.778 once a question's
        filler words stopped counting) and from 0.930 to 0.942 on the dev questions, the
        gold titles cited from 0.924 to 0.934 and from 0.910 to 0.914, `answer_facts`
        unchanged.

        A paper not titled for the topic (`TITLED_TOPIC`) only mentions it, so its further
        sentences must use the question's terms or support it on their own
        (`FILLER_SUPPORT`). Each source's quote is its first sentence using the question's
        terms (its first sentence when none does): on the bundled short and dev
        questions, quotes without any of those terms fell from 11 of 178 to 2, with
        `answer_facts` unchanged at 0.889. (The best-supporting sentence as the quote did
        as well there, but quoted "Code is available at https://..." for "EfficientDet?"
        and less often the sentence introducing the method: "What is NeRF?")

        A what-is question ("What is HNSW?", "explain KAN") is answered by the papers that
        define the name first, each opening with its defining sentence
        (`DEFINITION_BONUS`): the paper using HNSW most ranks above the one introducing it.
        Whether a further paper is quoted is still judged without that bonus."""
        picks: list[_Pick] = []
        top_score: float | None = None
        scored = sorted(  # definers lead
            self._scored_sources(question, results), key=lambda s: not s.defining.any()
        )
        if origin_term(question) and not any(source.defining.any() for source in scored):
            return []  # "Who proposed LSTM?": papers using LSTM do not say
        listing = LISTING_QUESTION.search(question) is not None
        phrased = (
            self.retriever.write_a_phrase_of(question, scored[0].paper, [s.paper for s in scored])
            if listing and scored
            else [True] * len(scored)
        )
        for source, keeps_phrases in zip(scored, phrased, strict=True):
            ranked = np.argsort(-source.scores)
            best = float(np.max(source.scores - DEFINITION_BONUS * source.defining))
            top_score = best if top_score is None else top_score
            mentions = self.retriever.term_share(question, source.sentences)
            if listing and picks:
                if (
                    best < LISTED_SHARE * top_score
                    or not keeps_phrases
                    or not (mentions[ranked[0]] > 0 or source.titled >= TITLED_TOPIC)
                ):
                    continue
            elif picks and best < SENTENCE_SHARE * top_score:
                continue
            chosen = list(ranked[: EXTRACTIVE_TOP_SENTENCES if not picks and not listing else 1])
            if source.titled < TITLED_TOPIC:
                chosen = chosen[:1] + [
                    i for i in chosen[1:] if mentions[i] > 0 or source.support[i] >= FILLER_SUPPORT
                ]
            opening = [i for i in chosen if source.defining[i]][:1]  # the definition first
            for index in opening + sorted(set(chosen) - set(opening)):
                picks.append(
                    _Pick(source.paper.paper_id, source.sentences[index], bool(mentions[index]))
                )
        return picks

    def _extractive(
        self,
        question: str,
        results: list[SearchResult],
        compared: list[tuple[str, list[SearchResult]]],
    ) -> tuple[str, list[int], dict[int, str]]:
        """The answer of `_picks`, numbered in the order the papers are first quoted;
        each side of a comparison answered as "What is X?" from its own results; a
        question about a paper's record from that record (`_from_record`)."""
        if (asked := record_question(question)) is not None:
            return self._from_record(asked, results)
        if compared:
            picks = [
                pick
                for side, found in compared
                for pick in self._picks(ASKED_SIDE.format(side), found)[:COMPARED_SENTENCES]
            ]
        else:
            picks = self._picks(question, results)
        position = {result.paper_id: n for n, result in reversed(list(enumerate(results, 1)))}
        order: list[int] = []
        quotes: dict[int, str] = {}
        lines: list[str] = []
        for pick in dict.fromkeys(picks):  # a sentence quoted for both sides, once
            source = position[pick.paper_id]
            if source not in order:
                order.append(source)
            n = order.index(source) + 1
            if pick.mentions:
                quotes.setdefault(n, pick.sentence)
            lines.append(f"- {defuse_markers(pick.sentence)} [{n}]")
        for pick in picks:  # no sentence of the source used the terms
            quotes.setdefault(order.index(position[pick.paper_id]) + 1, pick.sentence)
        return f"{EXTRACTIVE_NOTE}\n\n" + "\n".join(lines), order, quotes

    def _from_record(
        self, asked: RecordQuestion, results: list[SearchResult]
    ) -> tuple[str, list[int], dict[int, str]]:
        """The record of the paper the question names (`_named_results`), each cited
        with the sentence introducing the name (else its abstract's first); nothing when
        no result is that paper (an abstention follows)."""
        found = self._named_results(asked.term, results)
        lines, order, quotes = [], [], {}
        for n, (number, paper, sentences) in enumerate(found, 1):
            defines = defining(asked.term, paper.title, sentences)
            quotes[n] = sentences[defines.index(True)] if any(defines) else sentences[0]
            order.append(number)
            lines.append(record_answer(asked, paper, f"[{n}]"))
        if len(lines) > 1:
            lines = [f"{len(lines)} papers match \u201c{defuse_markers(asked.term)}\u201d:"] + [
                f"- {line}" for line in lines
            ]
        return f"{RECORD_NOTE}\n\n" + "\n".join(lines), order, quotes

    def _named_results(
        self, term: str, results: list[SearchResult]
    ) -> list[tuple[int, Paper, list[str]]]:
        """(place in `results` from 1, paper, its sentences) of the citable result that
        `term` names most surely (`names_paper`; the first of equals); else of each
        citable result whose title holds every term of a description ("the paper on
        quasicrystals": `describes`), at most `DESCRIBED_PAPERS`: with two ("Lempel-Ziv
        complexity in biomedical signal analysis" on a Zotero library), which one is
        meant would be a guess, and both are answered."""
        citable = [(n, r) for n, r in enumerate(results, 1) if is_citable(r.relevance)]
        papers = self.retriever.papers([r.paper_id for _, r in citable])
        named: list[tuple[int, tuple[int, Paper, list[str]]]] = []
        described = []
        for number, result in citable:
            paper = papers.get(result.paper_id)
            if paper is None:
                continue
            spans = self.retriever.abstract_sentences(paper)
            found = (number, paper, [paper.abstract[s.start : s.end] for s in spans])
            if surely := names_paper(term, paper, found[2]):
                named.append((surely, found))
            elif describes(term, paper.title) and self.retriever.title_support(term, paper) == 1:
                described.append(found)
        if named:
            return [max(named, key=lambda pair: pair[0])[1]]  # max keeps the first of equals
        return described[:DESCRIBED_PAPERS]

    def _gate(self, relevance: float) -> bool:
        """Whether a question whose best results have this relevance is answered: with
        an LLM all but the clearly off-topic (its own reply decides the rest), without one
        only what a paper can be cited for."""
        return is_on_topic(relevance) if self.llm is not None else is_citable(relevance)

    def _retrieve(
        self,
        question: str,
        k: int,
        since: date | None,
        until: date | None,
        named: Named | None = None,
    ) -> _Retrieved:
        """The search results, the sources the LLM may cite (only those on topic: it
        cannot cite the others), its prompt and how the question was read, in one
        worker-thread call (a second call for the prompt cost a chat ~1 ms of waiting
        under load). A question about a paper's record ("who wrote KAN?") searches for
        the paper it names (`rag.record_questions`); one naming papers by id
        (`rag.references`) from those papers alone, on what it asks of them (its `focus`:
        "say about proteins", or their titles for "summarize 0704.0185")."""
        query = searched_for(question)
        if named is not None and named.ids:
            if query == question and self.retriever.has_topic(named.rest):
                query = named.rest
            found = self.retriever.search(query, max(k, NAMED_DEPTH), since, until)
            results, compared = [r for r in found if r.paper_id in named.ids], []
        else:
            results, compared = searched(self.retriever, query, k, self._gate, since, until)
        if asks_latest(question):  # the newest of the relevant papers first
            citable = [r for r in results if is_citable(r.relevance)]
            results = newest_first(citable) + [r for r in results if r not in citable]
        readings = self.retriever.readings(query, results)
        if self.llm is None:
            return _Retrieved(results, [], [], readings, compared, query)
        sources = llm_sources(self.retriever, query, results)
        messages = self._messages(question, sources) if sources else []
        return _Retrieved(results, sources, messages, readings, compared, query)

    def _messages(self, question: str, results: list[SearchResult]) -> list[dict[str, str]]:
        papers = self.retriever.papers([r.paper_id for r in results])
        blocks = [
            _source_block(n, papers[r.paper_id], shown_date(r.date, r.date_precision))
            for n, r in enumerate(results, 1)
        ]
        user = self.prompts.user.format(sources="\n\n".join(blocks), question=question)
        return [
            {"role": "system", "content": self.prompts.system},
            {"role": "user", "content": user},
        ]

    async def _llm_text(
        self, messages: list[dict[str, str]], stream: bool, meter: UsageMeter
    ) -> AsyncIterator[str]:
        assert self.llm is not None
        if stream:
            async for delta in self.llm.stream(messages, meter):
                yield delta
        else:
            yield await self.llm.complete(messages, meter)

    # -- public ------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        history: list[Message] | None = None,
        k: int | None = None,
        since: date | None = None,
        until: date | None = None,
        stream: bool = True,
    ) -> AnswerStream:
        """The answer to `question` (a follow-up of `history`) from the `k` best papers.
        `stream=False` asks the LLM for one completion instead of a stream of deltas."""

        def compose(finish: Finish, note: Note) -> AsyncGenerator[str, None]:
            return self._compose(finish, note, question, history or [], k, since, until, stream)

        return AnswerStream(compose, self.on_answer)

    async def _compose(
        self,
        finish: Finish,
        note: Note,
        question: str,
        history: list[Message],
        k: int | None,
        since: date | None,
        until: date | None,
        llm_stream: bool,
    ) -> AsyncGenerator[str, None]:
        """Yield text deltas; hand the final `Answer` to `finish` before returning."""
        if not question.strip():
            raise InvalidQueryError("the question is empty")
        catalog = self.retriever.catalog
        reply = small_talk_reply(question, len(catalog), map(catalog.title, catalog))
        if reply is not None:  # "hi", "what can you do?": not searched
            yield reply
            finish(Answer(question=question, answer=reply, mode="extractive"))
            return
        meter = UsageMeter()

        def done(answer: Answer) -> None:
            finish(answer.model_copy(update={"llm_usage": meter.reported()}))

        named = named_papers(question, self.retriever.catalog)
        standalone = named.titled  # a question naming its papers by id stands alone
        if not named.ids:  # a follow-up may name them through the question before
            named = named_papers(
                await self._standalone(question, history, meter), self.retriever.catalog
            )
            standalone = named.titled
        period = asked_period(standalone, date.today())
        if period is not None:  # "papers on KAN from 2024": a date range, not a topic word
            standalone = period.question
            since = max((d for d in (since, period.since) if d), default=None)
            until = min((d for d in (until, period.until) if d), default=None)
        in_range = not (since and until and since > until)
        unlisted: list[str] = []
        if in_range and (by := author_question(standalone)) is not None:
            listing = await asyncio.to_thread(author_listing, self.retriever, by, since, until)
            if isinstance(listing, str):  # no such author: a topic may still be answered
                unlisted.append(listing)
            else:
                warnings = [period.note()] if period is not None else []
                note(warnings)
                text = f"{RECORD_NOTE}\n\n{listing.text}"
                for line in text.splitlines(keepends=True):
                    yield line
                cited = await asyncio.to_thread(
                    self._citations, text, listing.cited, listing.quotes
                )
                done(self._cited(question, text, cited, [], "extractive", None, warnings))
                return
        results, sources, messages, readings, compared, focus = (
            await asyncio.to_thread(
                self._retrieve, standalone, k or self.settings.answer_k, since, until, named
            )
            if in_range
            else _Retrieved([], [], [], [], [], standalone)
        )
        mode: Literal["llm", "extractive"] = "llm" if self.llm else "extractive"
        model = self.llm.model if self.llm else None
        read_as = [
            f'Read "{typed}" as "{read}": {why}' if read else f'"{typed}": {why}'
            for typed, read, why in readings
        ] + [f'No indexed paper has the id "{unknown}"' for unknown in named.unknown]
        read_as += unlisted + ([period.note()] if period is not None else [])
        note(read_as)
        answerable = bool(sources) if self.llm else is_citable(best_relevance(results))
        if not results or not answerable:
            outside: list[SearchResult] = []
            if since or until:  # "KAN papers from 2016": are there KAN papers at all?
                found = await asyncio.to_thread(self.retriever.search, focus, CLOSEST_PAPERS)
                outside = [r for r in found if is_citable(r.relevance)]
            yield abstention_text(outside or results, bool(outside))
            answer = self._abstention(question, outside or results, mode, model, bool(outside))
            done(answer.model_copy(update={"warnings": read_as}))
            return

        warnings: list[str] = list(read_as)
        fallback: Fallback | None = None
        composed: tuple[str, list[int], dict[int, str]] | None = None
        if self.llm is not None and (asked := record_question(standalone)) is not None:
            found = await asyncio.to_thread(self._from_record, asked, results)
            composed = found if found[1] else None  # the record answers it: no LLM call
        if self.llm is not None and composed is None:
            rewriter = CitationRewriter(len(sources))
            parts: list[str] = []
            head, decided, abstain = "", False, False
            try:
                async for delta in self._llm_text(messages, llm_stream, meter):
                    if not decided:  # hold text while it could still be the sentinel
                        head += delta
                        begun = head.lstrip()
                        if len(begun) < len(SENTINEL) and SENTINEL.startswith(begun):
                            continue
                        decided, abstain = True, begun.startswith(SENTINEL)
                        delta, head = head, ""
                    if abstain:
                        continue
                    parts.append(rewriter.feed(delta))
                    if parts[-1]:
                        yield parts[-1]
            except LLMError as exc:
                if any(parts) or self.settings.llm_on_error == "error":
                    raise
                fallback = Fallback(reason=exc.kind, message=str(exc))
                warnings.append(
                    f"LLM unavailable ({exc.kind}): {exc}; showing an extractive answer instead"
                )
            else:
                if abstain:
                    yield abstention_text(results)
                    answer = self._abstention(question, results, "llm", model)
                    done(answer.model_copy(update={"warnings": warnings}))
                    return
                parts.append(rewriter.feed(head) + rewriter.flush())
                if parts[-1]:
                    yield parts[-1]
                text = "".join(parts)
                if not text.strip():
                    raise LLMError("bad_response", "the LLM returned an empty answer")
                cited = [sources[source - 1].paper_id for source in rewriter.order]
                citations = await asyncio.to_thread(self._citations, text, cited)
                if not citations:
                    warnings.append("the LLM answer cites no source; treat it with care")
                done(self._cited(question, text, citations, results, "llm", model, warnings))
                return

        if composed is None:
            for typed, read, _ in readings:  # "What is MoblieOne?" is answered by its definition
                if read is not None:
                    standalone = re.sub(rf"(?<!\w){re.escape(typed)}(?!\w)", read, standalone)
            if named.ids and focus == named.rest:  # what it asks of the papers it names
                standalone = focus
            composed = await asyncio.to_thread(self._extractive, standalone, results, compared)
        text, order, quotes = composed
        if not order:  # an LLM fallback for a question no paper answers well enough
            yield abstention_text(results)
            answer = self._abstention(question, results, "extractive", None)
            done(answer.model_copy(update={"warnings": warnings, "fallback": fallback}))
            return
        for line in text.splitlines(keepends=True):
            yield line
        cited = [results[source - 1].paper_id for source in order]
        citations = await asyncio.to_thread(self._citations, text, cited, quotes)
        answer = self._cited(question, text, citations, results, "extractive", None, warnings)
        done(answer.model_copy(update={"fallback": fallback}))

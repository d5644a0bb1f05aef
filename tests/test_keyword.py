"""The keyword index: bm25s's scores exactly, kept up to date by segments, persisted with
the data and moved forward by the store's change log (fake embedder, embedded Chroma)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import bm25s
import numpy as np
import pytest

from rag.config import Settings
from rag.index import Index, ingest_paths, search_state_dir
from rag.keyword import (
    K1,
    MAX_SEGMENTS,
    SPELLING_MAX_WORDS,
    B,
    ChunkRow,
    Compound,
    KeywordIndex,
    QueryTerms,
    new_tokenizer,
    words,
)
from rag.search_state import FORMAT
from rag.store import PaperStore
from tests.conftest import make_abstract, write_jsonl
from tests.fakes import HashEmbedder, covered

WORDS = [
    "graph",
    "neural",
    "network",
    "molecule",
    "attention",
    "sparse",
    "transformer",
    "diffusion",
    "image",
    "video",
    "protein",
    "folding",
    "retrieval",
    "dense",
    "sparse",
    "index",
    "quantization",
    "kernel",
    "memory",
    "robot",
    "grasp",
]


def _index(texts: list[str]) -> KeywordIndex:
    """An index of one chunk per text, papers "p0", "p1", ..."""
    return KeywordIndex.build(
        [ChunkRow(f"p{i}::key::0", text, 0, len(text), 0) for i, text in enumerate(texts)]
    )


def _rows(count: int, seed: int, prefix: str = "p") -> list[ChunkRow]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        text = " ".join(rng.choices(WORDS, k=rng.randint(3, 30)))
        rows.append(ChunkRow(f"{prefix}{i}::key::0", text, 0, len(text), 20240000 + i))
    return rows


def _bm25s_scores(rows: list[ChunkRow], query: str) -> np.ndarray:
    """bm25s's own BM25 over `rows`, the reference."""
    tokenizer = new_tokenizer()
    ids = tokenizer.tokenize([r.text for r in rows], return_as="ids", show_progress=False)
    model = bm25s.BM25(k1=K1, b=B)
    model.index(ids, show_progress=False)
    terms = tokenizer.tokenize([query], update_vocab=False, return_as="ids", show_progress=False)
    return np.asarray(model.get_scores(sorted(set(terms[0]) - {0})))


def _live_scores(index: KeywordIndex, query: str) -> dict[str, float]:
    scores = index.scores(frozenset(index.query_terms(query).known))
    return {index.chunk_ids[i]: float(scores[i]) for i in index.position.values()}


QUERIES = ["sparse attention transformer", "protein folding", "robot grasp memory kernel"]


def test_scores_equal_bm25s_after_any_sequence_of_changes() -> None:
    first, second = _rows(300, 1), _rows(120, 2, prefix="q")
    index = KeywordIndex.build(first)
    removed = {r.chunk_id for r in first[::7]}
    index = index.with_changes(second, removed)
    assert len(index.segments) == 2 and index.size == 300 - len(removed) + 120
    live = [r for r in first if r.chunk_id not in removed] + second
    for query in QUERIES:
        expected = dict(zip([r.chunk_id for r in live], _bm25s_scores(live, query), strict=True))
        for variant in (index, index.compacted(), index._merged(0)):
            got = _live_scores(variant, query)
            assert got.keys() == expected.keys()
            assert np.allclose([got[c] for c in expected], list(expected.values()), rtol=1e-5)
    assert all(removed.isdisjoint(np.asarray(index.chunk_ids)[index.live]) for _ in [0])


def test_segments_are_merged_when_they_pile_up_and_spans_follow() -> None:
    index = KeywordIndex.build(_rows(200, 3))
    for batch in range(MAX_SEGMENTS + 1):
        index = index.with_changes(_rows(5, 10 + batch, prefix=f"b{batch}-"), ()).compacted()
    assert len(index.segments) <= MAX_SEGMENTS
    assert index.size == 200 + 5 * (MAX_SEGMENTS + 1)
    position = index.position["b3-2::key::0"]
    row = _rows(5, 13, prefix="b3-")[2]
    assert index.span(position) == (row.start, row.end)
    assert index.date_keys[position] == row.date_key


def test_a_typo_of_an_indexed_term_is_read_as_it_and_an_english_word_is_not() -> None:
    texts = ["retrieval of passages", "dense retrieval", "retrieval", "power of networks"]
    index = _index(texts)
    retrieval, networks = index.terms("retrieval")[0], index.terms("networks")[0]
    for typo in ("retreival", "retrival", "retrieeval", "rettrieval", "retrieval"):
        assert index.query_terms(typo).known == {retrieval}, typo
    assert index.query_terms("netwroks").known == {networks}
    tower = index.query_terms("tower")  # an English word the papers lack, not "power"
    assert (tower.known, tower.unknown) == (frozenset(), {"tower"})
    short = index.query_terms("pewr")  # four letters: too short to guess a changed one
    assert (short.known, short.unknown) == (frozenset(), {"pewr"})
    assert index.query_terms("pwer").known == set(index.terms("power"))  # a dropped one
    index = index.with_changes([ChunkRow("p9::key::0", "learning", 0, 8, 0)], ())
    lerning = index.query_terms("lerning")  # a 7-letter word, though its stem is "lern"
    assert lerning.known == set(index.terms("learning")) and not lerning.unknown


def test_a_slip_of_the_fingers_is_undone_on_the_word_not_its_stem() -> None:
    """Swapped neighbours, a doubled letter, a dropped one: the stem of the misspelled
    word is more than one edit from the indexed stem ("quantziat" / "quantiz"). A
    4-letter acronym is too short for any other guess ("LAMD" is one changed letter from
    "LAMB"), and a dropped letter is put back only where one word fits ("SPAN" could be
    "SPANN" or "SPAIN")."""
    texts = [
        "HNSW graphs",
        "quantization of weights",
        "SPLADE expansion",
        "SNN and LAMB",
        "SPANN and SPAIN",
    ]
    index = _index(texts)
    for typo, word in [
        ("HSNW", "hnsw"),
        ("quantziation", "quantization"),
        ("SPLAADE", "splade"),
        ("LMAB", "lamb"),
        ("quantizaton", "quantization"),  # a dropped letter
        ("SPNN", "spann"),  # not "SNN", a changed letter away
    ]:
        query = index.query_terms(f"What is {typo}?")
        assert query.known == set(index.terms(word)), typo
        assert [typed for typed, _ in query.corrected] == [typo.lower()]
    for other in ("LAMD", "HWSN", "SPAN", "NSW"):  # changed; two swaps; two words; short
        assert not index.query_terms(other).known, other
    both = _index(["abdc", "bacd"])
    assert not both.query_terms("badc").known  # two swaps give two terms: no guess
    control = _index(["controlled by a control"])
    controlnet = control.query_terms("What is ControlNet?")  # "controlent" stems to "control"
    assert (controlnet.known, controlnet.unknown) == (frozenset(), {"controlnet"})
    prose = _index(["Kolmogorov-Arnold networks", "prose and poetry"]).query_terms("KAN pros")
    assert not prose.corrected and "pros" in prose.unknown  # English, though no WordPiece word


def test_a_corrected_word_is_shown_as_the_papers_write_it() -> None:
    texts = [
        "Retrievers and retrieval at scale: see github.com/x/retrieval-kit",
        "dense retrieval with learned retrievers",
        "code at github.com/apple/ml-mobileone for MobileOne: MobileOne is fast",
    ]
    index = _index(texts)
    query = index.query_terms("retreival for moblieone")
    assert [word for word, _ in query.corrected] == ["retreival", "moblieone"]
    (_, retrieval), (_, mobileone) = query.corrected
    assert index.written_as(retrieval, texts, "retreival") == "retrieval"  # not "retrievers"
    assert index.written_as(mobileone, texts, "moblieone") == "MobileOne"  # not the URL's
    assert index.written_as(retrieval, ["nothing here"], "retreival") is None


def test_only_the_first_possible_typos_of_a_query_are_looked_up() -> None:
    text = "retrieval of passages"
    index = _index([text])
    retrieval = set(index.terms("retrieval"))
    noise = [f"zq{letter}xvw" for letter in "abcdefghij"]  # no English words, no terms
    within = " ".join(noise[: SPELLING_MAX_WORDS - 1])
    assert index.query_terms(f"{within} retreival").known == retrieval
    beyond = index.query_terms(f"{' '.join(noise[:SPELLING_MAX_WORDS])} retreival")
    assert not beyond.known and "retreiv" in beyond.unknown


def test_a_typo_one_edit_from_two_terms_is_read_as_the_more_common() -> None:
    texts = ["graph neural nets", "graph models", "graph search", "grape harvest"]
    index = _index(texts)
    assert index.query_terms("grapj").known == {index.terms("graph")[0]}


def test_a_formula_written_in_latex_is_found_as_users_type_it() -> None:
    """arXiv abstracts write "1T-TiSe$_{2}$"; users type "TiSe2"."""
    texts = [
        "An excitonic insulator phase in 1T-TiSe$_{2}$ is reported.",
        "Superconductivity in MgB$_2$ and CeAg$_2$Ge$_2$ crystals.",
        "An insulator phase of selenium titanium layers.",
    ]
    index = _index(texts)
    for query, paper in [("TiSe2", "p0"), ("What is MgB2?", "p1"), ("CeAg2Ge2", "p1")]:
        scores = _live_scores(index, query)
        assert max(scores, key=scores.__getitem__).startswith(paper), query
        assert sum(score > 0 for score in scores.values()) == 1, query


def test_words_are_split_as_the_index_reads_them() -> None:
    """The splitter looks for a name's one-character ending and a formula's subscript
    before reading them (both are rare); what it finds stays as it was."""
    assert words("IL-6 and GPT-4.5 in PGE(2) cells") == [
        *("IL", "IL6", "and", "GPT", "in", "PGE", "PGE2", "cells")
    ]
    assert words("1T-TiSe$_{2}$ and x_1 in H$_2$O") == ["1T", "TiSe2", "and", "x1", "in", "H2O"]
    assert words("TNF\u2011\u03b1 and state-of-the-art") == [
        *("TNF", "TNF\u03b1", "and", "state", "of", "the", "art")
    ]
    assert words("a b-c d(e) x-1y") == ["1y"]


def test_texts_read_in_one_pass_are_read_as_one_by_one() -> None:
    texts = [
        "Interleukin IL-6 signalling in 1T-TiSe$_{2}$ crystals.",
        "",
        "See https://github.com/org/repo for the code.",
        "Words no indexed text holds: zyzzyva quokka.",
    ]
    index = _index(["Interleukin IL-6 signalling.", "Code for crystals on github."])
    assert index.terms_of(texts) == [index.terms(text) for text in texts]
    assert index.terms_of(texts)[0]


def test_a_name_ending_in_one_character_is_told_apart_from_its_siblings() -> None:
    """ "IL-6" was indexed as "il" alone, like "IL-18": a claim about IL-6 found the
    IL-18 paper first. Asked, such a name is the name whole where papers write it
    ("IL-6" finds the IL-6 paper, not the IL-18 one through "IL"); one no paper writes
    is its family ("IL-7"), and the family name alone still finds both. A digit in
    brackets is a subscript as PubMed writes it ("PGE(2)"): "PGE2" finds it."""
    texts = [
        "Interleukin IL-6 signalling in coronary heart disease.",
        "Expression of IL-18 in atherosclerotic plaques.",
        "GPT-4 and Llama-2 answer medical questions.",
        "GPT-3.5 writes code.",
        "Conversion of PGE(2) in airway cells.",
        "PGE metabolites in urine.",
    ]
    index = _index(texts)
    for query, paper, found in [
        ("IL-6", "p0", 1),
        ("IL6 signalling", "p0", 1),
        ("GPT-4", "p2", 1),
        ("PGE2", "p4", 1),
        ("PGE-2", "p4", 1),
        ("IL-7 in heart disease", "p0", 2),  # no paper writes IL-7: "IL" finds both
    ]:
        scores = _live_scores(index, query)
        assert max(scores, key=scores.__getitem__).startswith(paper), query
        assert sum(score > 0 for score in scores.values()) == found, query
    family = _live_scores(index, "What is GPT?")
    assert {c.split("::")[0] for c, score in family.items() if score > 0} == {"p2", "p3"}


def test_an_unindexed_name_of_two_words_joined_by_two_is_read_as_its_parts() -> None:
    texts = [
        "sequence-to-sequence models",
        "sequence labelling",
        "sequential decisions",
        "image to image translation",
        "image synthesis",
        "interleaved images",
        "word2vec embeddings",
        "il2ra expression",
        "text generation",
    ]
    index = _index(texts)

    def term(word: str) -> int:
        return index.terms(word)[0]

    def coverage(query: QueryTerms, text: str) -> float:
        return covered(index, query, frozenset(index.terms(text)), text)

    seq2seq = index.query_terms("seq2seq learning")  # "seq" begins "sequence", the commoner
    assert seq2seq.searched == {term("sequence")} and seq2seq.unknown == {"learn"}
    seq2seq = index.query_terms("seq2seq")
    assert coverage(seq2seq, "Sequence-to-sequence models") == 1.0
    assert coverage(seq2seq, "Sequence to Sequence Learning") == 1.0
    assert coverage(seq2seq, "entropy of symbol sequences") == 0.0  # the parts apart
    asked = index.query_terms("seq2seq learning")  # quotes: a sentence naming it, not a part
    sentences = ["learning from sequences", "sequence-to-sequence learning"]
    shares = index.shares(asked, sentences, [frozenset(index.terms(t)) for t in sentences])
    assert shares[0] < 0.5 and shares[1] == 1.0
    img2img = index.query_terms("img2img")  # i-m-g in order
    assert img2img.searched == {term("image")} and coverage(img2img, texts[3]) == 1.0
    assert index.query_terms("word2vec").known == {term("word2vec")}  # indexed as it is
    assert index.query_terms("text2img").searched == {term("text"), term("image")}
    # a part that abbreviates nothing, or of two letters (gene names), keeps the word whole
    for word in ("text2xyz", "il2rb"):
        unknown = index.query_terms(word)
        assert (unknown.searched, unknown.unknown) == (frozenset(), {word}), word


@pytest.mark.timeout(10)
def test_a_compound_is_looked_for_in_one_pass_and_only_the_first_eight() -> None:
    """A wildcard per letter backtracked exponentially: "aaaaaaaaaaaa2aaa" against one
    30-letter word took 5.6 s, with 21 letters over 60 minutes."""
    long_word = "a" * 60
    index = KeywordIndex.build([ChunkRow("p0::key::0", long_word, 0, 60, 0)])
    assert not Compound(("a" * 21, "aaa"), frozenset()).written_out_in(f"{long_word} x")
    assert Compound(("a" * 21, "aaa"), frozenset()).written_out_in(f"{long_word} to aaaa")
    pathological = index.query_terms(f"{'a' * 40}2{'a' * 40}")
    assert pathological.compounds and pathological.searched == {index.terms(long_word)[0]}
    many = index.query_terms(" ".join(f"{'a' * (3 + i)}2aaa" for i in range(12)))
    assert len(many.compounds) == SPELLING_MAX_WORDS and len(many.unknown) == 4


def test_an_added_chunk_that_is_already_indexed_is_not_counted_twice() -> None:
    rows = _rows(50, 4)
    index = KeywordIndex.build(rows).with_changes(rows[:10], ())
    assert index.size == 50 and len(index.segments) == 1


# -- persisted with the data -----------------------------------------------------------


def _corpus(path: Path, names: list[str]) -> Path:
    rows = [
        {"title": f"The {name} method", "abstract": make_abstract(f"{name} topics", name)}
        for name in names
    ]
    return write_jsonl(path, rows)


@pytest.fixture
def indexed(tmp_path: Path) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", collection="kw", llm="none")
    ingest_paths(
        settings,
        [_corpus(tmp_path / "a.jsonl", ["Alpha", "Beta", "Gamma"])],
        embedder=HashEmbedder(),
    )
    return settings


def test_the_ingest_leaves_a_search_state_a_new_process_only_loads(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = search_state_dir(indexed)
    manifest = json.loads((folder / "manifest.json").read_text())
    index = Index.open(indexed, embedder=HashEmbedder())
    assert manifest["version"] == list(index.store.version())

    def no_full_read(self, ids=None):  # type: ignore[no-untyped-def]
        raise AssertionError(f"the store was read again (ids={ids})")

    monkeypatch.setattr(PaperStore, "chunk_rows", no_full_read)
    monkeypatch.setattr(PaperStore, "record_rows", no_full_read)
    retriever = index.retriever()
    hits = retriever.search("Beta", k=1, mode="keyword")
    assert hits[0].title == "The Beta method" and hits[0].coverage == pytest.approx(1.0)
    assert len(retriever.catalog) == 3


def _record_calls(monkeypatch: pytest.MonkeyPatch, method: str) -> list[list[str] | None]:
    """The `ids` each call of `PaperStore.<method>` asked for (None: all), in order."""
    calls: list[list[str] | None] = []
    real = getattr(PaperStore, method)

    def recording(self, ids=None):  # type: ignore[no-untyped-def]
        calls.append(None if ids is None else list(ids))
        return real(self, ids)

    monkeypatch.setattr(PaperStore, method, recording)
    return calls


def test_a_reader_moves_forward_by_the_change_log_reading_only_new_chunks(
    indexed: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = Index.open(indexed, embedder=HashEmbedder()).retriever()
    reader.refresh_seconds = 0
    assert reader.search("Alpha", k=1, mode="keyword")[0].title == "The Alpha method"
    # another process ingests and does *not* update the saved state (say, a replica
    # on a Chroma server with its own data dir): the reader reads only what changed
    monkeypatch.setattr("rag.index.save_current", lambda *a, **k: None)
    more = _corpus(tmp_path / "b.jsonl", ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"])
    ingest_paths(indexed, [more], embedder=HashEmbedder())
    read = _record_calls(monkeypatch, "chunk_rows")
    hits = reader.search("Delta", k=1, mode="keyword")
    assert hits[0].title == "The Delta method"
    assert len(read) == 1 and read[0] is not None and len(read[0]) == 2  # Delta, Epsilon
    assert len(reader.catalog) == 5
    saved = json.loads((search_state_dir(indexed) / "manifest.json").read_text())
    assert saved["version"] == list(reader.store.version())  # and saved for the next start


def test_a_state_that_cannot_be_used_is_rebuilt_from_the_store(
    indexed: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    folder = search_state_dir(indexed)
    (folder / "manifest.json").write_text("{not json", encoding="utf-8")
    retriever = Index.open(indexed, embedder=HashEmbedder()).retriever()
    assert retriever.search("Gamma", k=1, mode="keyword")[0].title == "The Gamma method"
    assert "unreadable" in caplog.text
    assert json.loads((folder / "manifest.json").read_text())["format"] == FORMAT


def test_a_rebuild_swaps_in_a_new_state(indexed: Settings, tmp_path: Path) -> None:
    reader = Index.open(indexed, embedder=HashEmbedder()).retriever()
    reader.refresh_seconds = 0
    assert reader.search("Alpha", k=1, mode="keyword")[0].title == "The Alpha method"
    other = _corpus(tmp_path / "c.jsonl", ["Zeta"])
    ingest_paths(indexed, [other], embedder=HashEmbedder(), rebuild=True)
    hits = reader.search("Alpha Zeta", k=5, mode="keyword")
    assert [h.title for h in hits] == ["The Zeta method"]
    assert len(reader.catalog) == 1


def test_papers_changed_by_an_ingest_are_read_again_the_rest_stay_cached(
    indexed: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = Index.open(indexed, embedder=HashEmbedder()).retriever()
    reader.refresh_seconds = 0
    ids = {h.title: h.paper_id for h in reader.search("Alpha Beta Gamma", k=3, mode="keyword")}
    assert reader.paper(ids["The Beta method"]).upvotes is None
    rows = [
        {"title": f"The {n} method", "abstract": make_abstract(f"{n} topics", n)}
        for n in ["Alpha", "Beta", "Gamma"]
    ]
    rows[1]["upvotes"] = 7  # metadata only: no chunk changes
    ingest_paths(indexed, [write_jsonl(tmp_path / "a.jsonl", rows)], embedder=HashEmbedder())
    read = _record_calls(monkeypatch, "stored_papers")
    assert reader.paper(ids["The Beta method"]).upvotes == 7
    assert reader.paper(ids["The Alpha method"]).title == "The Alpha method"
    assert read == [[ids["The Beta method"]]]  # only the changed one was read again


def test_a_compound_noun_is_a_run_of_indexed_content_words() -> None:
    texts = ["Beam search decodes sequences.", "The beam time was short."]
    index = _index(texts)
    beam, search = (index.terms(word)[0] for word in ("beam", "search"))
    assert index.compound_noun("beam search") == [beam, search]
    assert index.compound_noun("beam used for") is None  # a description, not a name
    assert index.compound_noun("beam sourdough") is None  # a word the index lacks
    assert index.papers_holding([beam, search]) == ["p0"]
    assert index.writes("Decoding with beam search.", (beam, search))
    assert index.writes("A search over the beam.", (beam, search))  # either way round
    assert not index.writes("The beam time of a search.", (beam, search))


def test_a_question_word_typed_without_its_apostrophe_is_no_topic() -> None:
    """ "whats hnsw" was refused: "whats" counted as a topic word no paper holds."""
    text = "HNSW graphs for nearest neighbor search"
    index = _index([text])
    asked = index.query_terms("What is HNSW?")
    for typed in ("whats hnsw", "hows HNSW", "whos behind HNSW"):
        query = index.query_terms(typed)
        assert asked.known <= query.known and not query.unknown, typed


def test_everyday_words_around_a_term_of_art_are_words_of_asking() -> None:
    """`asking_words`: where a question names a term of art the papers hold, its everyday
    words that the papers use less than English does are read as the way it asks."""
    background = " ".join(w for w in WORDS if w != "transformer")  # 20 words per chunk
    texts = [
        "HNSW graphs for approximate nearest neighbor search",
        "Robots estimate distances from sensor readings",  # once in ~10k words
        "The search goes down one layer at a time",  # "goes", stemmed "goe"
        *(f"Side effects of drug {i}" for i in range(2)),  # "side": part of a term
        *(f"Transformer models for task {i}" for i in range(20)),
        *([background] * 500),
    ]
    index = _index(texts)

    def asking(question: str) -> set[str]:
        return set(index.asking_words(question, index.content_words(question)))

    assert asking("is reading about HNSW worth it?") == {"worth", "reading"}
    query = index.query_terms("is reading about HNSW worth it?")
    reading = index.indexed_word("reading")
    assert reading in query.asking and reading in query.searched  # it still ranks
    assert covered(index, query, frozenset(index.terms(texts[0])), texts[0]) == 1.0
    assert asking("What is the HNSW license?") == set()  # asked about, not everyday
    assert asking("is reading about sourdough bread worth it?") == set()  # no term of art
    assert asking("is reading about the Transformer worth it?") == set()  # 20 of 524 chunks
    assert asking("how does HNSW do in English?") == set()  # a name, typed as one
    assert asking("is HNSW state-of-the-art?") == set()  # part of a hyphenated word
    assert asking("HNSW side effects?") == set()  # papers write "side" with "effects"
    assert asking("which side of HNSW?") == {"side"}
    assert asking("is HNSW ten times faster?") == {"times"}  # "ten": a quantity asked
    assert index.specific_terms(["hnsw", "graphs"]) == {index.indexed_word("hnsw")}
    assert index.specific_terms(["goed"]) == set()  # stemmed as "goes" is: no term of art
    assert asking("what's a goed name for HNSW?") == {"name"}
    assert asking("what's a goed name for a cat?") == set()


def test_a_word_these_papers_barely_use_counts_as_held_by_how_much_they_use_it() -> None:
    """ "What is the capital of Australia?" was answered from a SciFact abstract holding
    "human capital" and "Australia": a text holding a word the papers use less than
    English does holds that share of it (`QueryTerms.underused`)."""
    background = " ".join(WORDS)  # ~10k words in all: "people" once is 1/18 of English
    texts = ["What people do in their free time", *([background] * 500)]
    index = _index(texts)

    def coverage(question: str, text: str) -> float:
        return covered(index, index.query_terms(question), frozenset(index.terms(text)), text)

    assert coverage("What do people do in their free time?", texts[0]) < 0.2
    # a typo is as common as the word it is read as, not as the typo (never seen)
    assert coverage("What do peopel do in their free time?", texts[0]) < 0.2
    assert coverage("graph neural network", background) == 1.0  # what these papers are about
    query = index.query_terms("What do people do in their free time?")
    assert query.searched == query.known  # ranking is unchanged

"""Chunks fit the model window, keep exact offsets, and have deterministic ids."""

from __future__ import annotations

import pytest

from rag.chunking import SPECIAL_TOKENS, chunk_paper, split_sentences
from rag.embeddings import LocalEmbedder
from rag.papers import Paper

SENTENCE = (
    "We propose a method for sample-efficient learning, e.g. with 3.5% fewer labels, "
    "that Smith et al. showed to be competitive on ImageNet."
)


def _paper(abstract: str) -> Paper:
    return Paper(paper_id="p1", title="A Study of Efficient Learning", abstract=abstract)


def test_long_abstract_splits_within_window_and_offsets_are_exact() -> None:
    embedder = LocalEmbedder()
    paper = _paper(" ".join(f"{SENTENCE[:-1]} number {i}." for i in range(30)))
    chunks = chunk_paper(paper, embedder.window, embedder.count_tokens, key="k" * 16)
    assert len(chunks) > 1
    for chunk in chunks:
        assert paper.abstract[chunk.start : chunk.end] == chunk.text
        assert chunk.embed_text == f"{paper.title}\n{chunk.text}"
        assert embedder.count_tokens(chunk.embed_text) + SPECIAL_TOKENS <= embedder.window
        # sentence-aware: chunks start at a sentence start and end at a sentence end
        assert chunk.text[0].isupper() and chunk.text.endswith(".")
    assert chunks[0].start == 0 and chunks[-1].end == len(paper.abstract)
    # one sentence of overlap keeps context across the boundary
    assert chunks[1].start < chunks[0].end


def test_short_abstract_is_one_chunk_and_ids_are_deterministic() -> None:
    embedder = LocalEmbedder()
    paper = _paper(SENTENCE)
    first = chunk_paper(paper, embedder.window, embedder.count_tokens, key="abc123def456ffff")
    again = chunk_paper(paper, embedder.window, embedder.count_tokens, key="abc123def456ffff")
    assert first == again
    assert [c.chunk_id for c in first] == ["p1::abc123def456::0"]
    # punkt does not split at "e.g." or "et al."
    assert first[0].text == SENTENCE


def test_single_overlong_sentence_is_cut_at_words() -> None:
    embedder = LocalEmbedder()
    paper = _paper(" ".join(["transformer"] * 600) + ".")
    chunks = chunk_paper(paper, embedder.window, embedder.count_tokens, key="k" * 16)
    assert len(chunks) >= 3
    for chunk in chunks:
        assert embedder.count_tokens(chunk.embed_text) + SPECIAL_TOKENS <= embedder.window
        assert paper.abstract[chunk.start : chunk.end] == chunk.text


@pytest.mark.parametrize(
    "text",
    [
        "We condition on priors, i.e. the data itself. Then we train.",
        "Small models (e.g. an MLP) suffice. Then we train.",
        "As in Zbontar et al. (2021) we regularise. Then we train.",
        "See Fig. 3 and Eq. 2 for details. Then we train.",
        "Accuracy is 96.53% vs. 97.22% for the baseline. Then we train.",
        "It handles images, text, etc. in one model. Then we train.",
        "Cdc42 can activate Rac1 (ref. 12), as shown before. Then we train.",
        "E. coli has ca. 4 Mbp of DNA. Then we train.",
    ],
)
def test_abbreviations_never_end_a_sentence(text: str) -> None:
    pieces = [text[s.start : s.end] for s in split_sentences(text)]
    assert pieces == [text[: text.index(" Then")], "Then we train."]


def test_etc_still_ends_a_sentence_before_a_capital() -> None:
    text = "We cover images, text, etc. We then train on all of them."
    assert len(split_sentences(text)) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # a real Zotero abstract: punkt cut it into "...sciences,.", "." and ".)."
            "It relates mathematics and reality (physics, biology, engineering sciences,. . .).",
            ["It relates mathematics and reality (physics, biology, engineering sciences,. . .)."],
        ),
        (  # SciFact's funding notes end in ")."
            "We found X. (Funded by the Medical Research Council.). Y holds.",
            ["We found X.", "(Funded by the Medical Research Council.).", "Y holds."],
        ),
        (
            ". . . A table of contents. Toxicity ..... .",
            [". . . A table of contents.", "Toxicity ..... ."],
        ),
        ("...", ["..."]),
    ],
)
def test_a_piece_without_a_word_is_no_sentence(text: str, expected: list[str]) -> None:
    spans = split_sentences(text)
    assert [text[s.start : s.end] for s in spans] == expected


@pytest.mark.parametrize("window", [128, 256])
def test_chunks_fit_the_real_tokenizer_counted_whole(window: int) -> None:
    """Groups are costed as the sum of their sentences' word pieces; counted on the
    whole chunk text, as the model sees it, they still fit, and no chunk could have
    taken its next sentence too."""
    from rag.corpus import bundled_corpus, load_corpus

    count = LocalEmbedder().count_tokens  # the tokenizer only: no model is loaded
    for paper in load_corpus(bundled_corpus(), year=2025).papers[:120]:
        chunks = chunk_paper(paper, window, count, key="k" * 16)
        for chunk, following in zip(chunks, [*chunks[1:], None], strict=True):
            assert count(chunk.embed_text) + SPECIAL_TOKENS <= window
            if following is not None and following.end > chunk.end:
                grown = f"{paper.title}\n{paper.abstract[chunk.start : following.end]}"
                assert count(grown) + SPECIAL_TOKENS > window

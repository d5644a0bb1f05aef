"""Citation marker rewriting: ranges, renumbering, duplicates, and streaming equivalence."""

from __future__ import annotations

import random
import re

from rag.citations import CitationRewriter, citing_sentences

RAW = (
    "Hypernetworks are unstable [3]. A fix rescales outputs [3][1], see also [1, 3, 3]. "
    "Nothing supports this [9]. Bad range [0] and [2,12]. Brackets [a] stay."
)
EXPECTED = (
    "Hypernetworks are unstable [1]. A fix rescales outputs [1][2], see also [2, 1]. "
    "Nothing supports this. Bad range and [3]. Brackets [a] stay."
)


def test_renumbers_in_order_of_first_use_and_drops_out_of_range() -> None:
    rewriter = CitationRewriter(num_sources=5)
    assert rewriter.feed(RAW) + rewriter.flush() == EXPECTED
    assert rewriter.order == [3, 1, 2]  # citation n -> source order[n-1]


def test_any_split_of_the_stream_gives_the_same_text_and_no_partial_marker() -> None:
    rng = random.Random(7)
    for _ in range(300):
        cuts = sorted(rng.sample(range(1, len(RAW)), rng.randint(1, 40)))
        pieces = [RAW[a:b] for a, b in zip([0, *cuts], [*cuts, len(RAW)], strict=True)]
        rewriter = CitationRewriter(num_sources=5)
        out = [rewriter.feed(piece) for piece in pieces] + [rewriter.flush()]
        assert "".join(out) == EXPECTED
        for delta in out:
            assert not re.search(r"\[[\d,\s]*$", delta), delta  # never a half marker


def test_unfinished_marker_at_end_is_dropped() -> None:
    rewriter = CitationRewriter(num_sources=2)
    assert rewriter.feed("Done [1") == "Done"
    assert rewriter.flush() == ""


def test_citing_sentences_map_numbers_to_their_first_sentence() -> None:
    text = "First claim [1]. Second claim [2, 1]. Third [2]."
    assert citing_sentences(text) == {1: "First claim.", 2: "Second claim."}

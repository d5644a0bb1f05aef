"""Parsing of the three corpus formats, merging of duplicates and bad-input errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rag.corpus import bundled_corpus, load_corpus
from rag.errors import CorpusError
from tests.conftest import make_abstract, write_jsonl

LONG = make_abstract("a topic", "Thing")

BLOCKS_PAGE = f"""new

Get trending papers in your email inbox!

Subscribe

Daily Papers

byAK and the research community

Dec 8

First Paper Title

{LONG}

  • 7 authors
·
Aug 29, 2022

Second Paper Title

{LONG} Second.

  • 3 authors
·
Jul 10 14

Third Paper Title

{LONG} Third.

  • 2 authors
·
Oct 10, 2024 3
"""

ALTERNATING_PAGE = f"""Get trending papers in your email inbox once a day!
Get trending papers in your email inbox!
SubscribeJoint Learning of Things
{LONG}
Second Paper Title
{LONG} Again.
"""


def test_blocks_layout_dates_upvotes_and_chrome(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(BLOCKS_PAGE, encoding="utf-8")
    corpus = load_corpus([page], year=2025)
    by_title = {p.title: p for p in corpus.papers}
    assert list(by_title) == ["First Paper Title", "Second Paper Title", "Third Paper Title"]
    first, second, third = by_title.values()
    assert (first.date, first.date_inferred, first.author_count, first.upvotes) == (
        date(2022, 8, 29),
        False,
        7,
        None,
    )
    # year-less date: the page's year, flagged as inferred; trailing number = upvotes
    assert (second.date, second.date_inferred, second.upvotes) == (date(2025, 7, 10), True, 14)
    assert (third.date, third.upvotes) == (date(2024, 10, 10), 3)
    assert first.sources == [f"{page}:13"]
    assert not any("Daily Papers" in p.title or p.title == "Dec 8" for p in corpus.papers)


def test_alternating_layout_with_glued_header(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(ALTERNATING_PAGE, encoding="utf-8")
    corpus = load_corpus([page])
    assert [p.title for p in corpus.papers] == ["Joint Learning of Things", "Second Paper Title"]
    assert corpus.papers[0].abstract == LONG


def test_duplicates_across_pages_merge(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(BLOCKS_PAGE, encoding="utf-8")
    (tmp_path / "b.txt").write_text(
        ALTERNATING_PAGE.replace("Second Paper Title", "SECOND paper title!"), encoding="utf-8"
    )
    corpus = load_corpus([tmp_path / "a.txt", tmp_path / "b.txt"], year=2025)
    assert corpus.entries == 5
    assert len(corpus.papers) == 4
    merged = next(p for p in corpus.papers if p.title.lower().startswith("second"))
    assert len(merged.sources) == 2
    assert merged.date == date(2025, 7, 10) and merged.upvotes == 14


def test_sample_corpus_counts() -> None:
    corpus = load_corpus(bundled_corpus())
    assert corpus.entries == 544
    assert len(corpus.papers) == 497
    assert not corpus.skipped
    assert len({p.paper_id for p in corpus.papers}) == 497


def test_short_abstract_and_missing_title_are_reported(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "x.jsonl",
        [
            {"title": "Good", "abstract": LONG},
            {"title": "Tiny", "abstract": "Too short."},
            {"title": "", "abstract": LONG},
        ],
    )
    corpus = load_corpus([path])
    assert [p.title for p in corpus.papers] == ["Good"]
    reasons = {s.source: s.reason for s in corpus.skipped}
    assert "abstract too short" in reasons[f"{path}:2"]
    assert "no title" in reasons[f"{path}:3"]


def test_jsonl_fields_and_arxiv_snapshot_names(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "x.jsonl",
        [
            {
                "title": "Ours",
                "abstract": LONG,
                "arxiv_id": "arXiv:2101.00001v3",
                "date": "2021-01-02",
                "authors": ["A", "B"],
                "url": "https://example.org/p",
                "upvotes": 5,
                "venue": "X",
            },
            {
                "id": "0704.0001",
                "title": "Snapshot  paper",
                "abstract": f"  {LONG}\n",
                "authors": "C. Smith, D. Jones and E. Wu",
                "update_date": "2008-11-13",
                "categories": "hep-ph",
            },
        ],
    )
    ours, snapshot = load_corpus([path]).papers
    assert ours.paper_id == "2101.00001" and ours.arxiv_id == "2101.00001"
    assert ours.authors == ["A", "B"] and ours.upvotes == 5 and ours.extra == {"venue": "X"}
    assert snapshot.paper_id == "0704.0001" and snapshot.title == "Snapshot paper"
    assert snapshot.author_count == 3 and snapshot.date == date(2008, 11, 13)
    assert snapshot.extra["categories"] == "hep-ph"


def test_bibtex_entries_with_abstracts(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(
        '@article{smith21,\n  title = {{Deep} Learning for \\"{U}ber Graphs},\n'
        "  author = {Smith, John and Doe, Jane},\n  year = {2021}, month = mar,\n"
        f"  abstract = {{{LONG}}},\n  eprint = {{2103.12345}}\n}}\n\n"
        "@book{noabs, title = {A Book Without Abstract}, year = {1999}}\n",
        encoding="utf-8",
    )
    corpus = load_corpus([bib])
    (paper,) = corpus.papers
    assert paper.title == "Deep Learning for Über Graphs"
    assert paper.authors == ["John Smith", "Jane Doe"]  # "Smith, John, Doe, Jane" is four
    assert paper.paper_id == "2103.12345" and paper.date == date(2021, 3, 1)
    assert corpus.skipped[0].source == f"{bib}:9" and "no abstract" in corpus.skipped[0].reason


def test_format_override(tmp_path: Path) -> None:
    path = tmp_path / "papers.data"
    write_jsonl(path, [{"title": "Good", "abstract": LONG}])
    assert load_corpus([path], fmt="jsonl").papers[0].title == "Good"


@pytest.mark.parametrize(
    ("name", "content", "message", "line"),
    [
        ("bad.jsonl", '{"title": "a", "abstract": "b"}\n{"title": oops}\n', "malformed JSON", 2),
        ("list.jsonl", "[1, 2]\n", "expected a JSON object", 1),
        ("bin.txt", b"\x89PNG\x00\x00binary", "binary", None),
        ("latin.txt", "Title\ncaf\xe9 abstract".encode("latin-1"), "not valid UTF-8", 2),
        ("empty.txt", "Get trending papers in your email inbox!\n", "no papers found", None),
        ("date.jsonl", '{"title": "a", "abstract": "b", "date": "soon"}\n', "invalid date", 1),
    ],
)
def test_bad_files_name_file_and_line(
    tmp_path: Path, name: str, content: str | bytes, message: str, line: int | None
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError) as caught:
        load_corpus([path])
    assert message in str(caught.value)
    assert caught.value.path == str(path)
    assert caught.value.line == line


def test_missing_file_and_directory_errors(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no such file"):
        load_corpus([tmp_path / "nope.jsonl"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="holds no"):
        load_corpus([tmp_path / "empty"])


def test_beir_corpus_lines_and_lines_without_an_abstract(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "corpus.jsonl",
        [
            {"_id": "4983", "title": "White matter in newborns", "text": make_abstract("a", "B")},
            {"_id": "5836", "title": "No abstract here", "url": "https://example.org"},
            {"_id": "7912", "title": "Short one", "text": "Too short."},
        ],
    )
    corpus = load_corpus([path])
    [paper] = corpus.papers
    assert paper.title == "White matter in newborns" and paper.abstract.startswith("We study a")
    assert (paper.paper_id, paper.source_id) == ("4983", "4983")
    reasons = {s.source.rsplit(":", 1)[1]: s.reason for s in corpus.skipped}
    assert reasons["2"].startswith("no abstract field") and "'text'" in reasons["2"]
    assert "url" in reasons["2"]  # the fields the line does have
    assert reasons["3"].startswith("abstract too short")


def test_wrong_field_types_name_the_file_line_and_field(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "typed.jsonl",
        [
            {"title": "Fine", "abstract": make_abstract("a", "B")},
            {"title": "Bad URL", "abstract": make_abstract("c", "D"), "url": 12345},
        ],
    )
    with pytest.raises(CorpusError) as caught:
        load_corpus([path])
    message = str(caught.value)
    assert "typed.jsonl:2" in message and "'url'" in message and "12345" in message
    assert "Traceback" not in message and len(message.splitlines()) == 1


def test_fifos_devices_and_pdfs_are_refused_without_reading(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(CorpusError, match="not a regular file"):
        load_corpus([fifo])  # would block forever if it were opened
    with pytest.raises(CorpusError, match="not a regular file"):
        load_corpus([Path("/dev/zero")])  # would read until MemoryError
    pdf = tmp_path / "paper.txt"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")
    with pytest.raises(CorpusError, match=r"supported formats: .*JSON Lines.*BibTeX"):
        load_corpus([pdf])
    table = tmp_path / "papers.csv"
    table.write_text("title,abstract\nA,B\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"no papers found .*supported formats: .*--format"):
        load_corpus([table])


def test_a_broken_bibtex_entry_is_skipped_with_a_reason(tmp_path: Path) -> None:
    good = (
        "@article{good, title={A Good Entry}, year={2020}, "
        f"abstract={{{make_abstract('bibtex parsing', 'GoodParse')}}}}}\n"
    )
    broken = '@article{broken, title = {Unclosed, abstract = "no end\n\n'
    path = tmp_path / "lib.bib"
    path.write_text(good + broken, encoding="utf-8")
    corpus = load_corpus([path])
    assert [p.title for p in corpus.papers] == ["A Good Entry"]
    assert corpus.skipped and all(s.reason.split(":", 1)[1].strip() for s in corpus.skipped)


def test_a_bibtex_entry_with_a_repeated_field_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "zotero.bib"
    path.write_text(
        "@inproceedings{nerf_2020,\n  title = {Neural Fields for View Synthesis},\n"
        '  author = {M{\\"u}ller, Ben and Doe, Jane},\n  doi = {10.1007},\n'
        f"  abstract = {{{make_abstract('view synthesis', 'NeRF')}}},\n"
        "  doi = {10.1007/978-3-030-58452-8_24},\n}\n",
        encoding="utf-8",
    )
    [paper] = load_corpus([path]).papers
    assert paper.title == "Neural Fields for View Synthesis"
    assert paper.doi == paper.paper_id == "10.1007/978-3-030-58452-8_24"  # the full one
    assert paper.authors == ["Ben Müller", "Jane Doe"]  # decoded like any entry


def test_arxiv_snapshot_authors_come_without_tex_accents_or_affiliations(tmp_path: Path) -> None:
    """The snapshot's `authors` string carries TeX and affiliations; `authors_parsed`
    ([last, first, suffix, affiliation...]) the same names, clean: those are kept."""
    row = {
        "id": "0704.0185",
        "title": "Potfit: effective potentials from ab-initio data",
        "abstract": LONG,
        "authors": 'Peter Brommer and Franz G\\"ahler (Institut f\\"ur Theoretische und\n'
        '  Angewandte Physik, Universit\\"at Stuttgart)',
        "authors_parsed": [
            ["Brommer", "Peter", "", "Institut f\u00fcr Theoretische Physik"],
            ["G\u00e4hler", "Franz", "", "Institut f\u00fcr Theoretische Physik"],
            ["Smith", "John", "Jr"],
        ],
    }
    plain = {k: v for k, v in row.items() if k != "authors_parsed"} | {"id": "0704.0186"}
    path = write_jsonl(tmp_path / "s.jsonl", [row, plain | {"title": "Other"}])
    parsed, string_only = load_corpus([path]).papers
    assert parsed.authors == ["Peter Brommer", "Franz G\u00e4hler", "John Smith Jr"]
    assert "authors_parsed" not in parsed.extra
    # without it, the affiliation in parentheses is no author
    assert string_only.authors == ["Peter Brommer", 'Franz G\\"ahler']
    real = Path(__file__).resolve().parents[2] / "shared/external/arxiv"
    if not real.exists():
        pytest.skip(f"the real arXiv snapshot sample is not at {real}")
    papers = load_corpus([real / "arxiv-metadata-oai-snapshot.json"], fmt="jsonl").papers
    potfit = next(p for p in papers if p.paper_id == "0704.0185")
    assert potfit.authors == ["Peter Brommer", "Franz G\u00e4hler"]
    assert not any("\\" in a or "(" in a for p in papers for a in p.authors)


def test_a_parser_change_makes_the_next_ingest_read_files_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files held byte for byte are not read again, unless the parser changed: then
    their records are brought up to date (here, authors)."""
    import rag.corpus

    path = write_jsonl(tmp_path / "s.jsonl", [{"title": "T", "abstract": LONG}])
    before = rag.corpus.file_key(path, None, None, 256)
    monkeypatch.setattr(rag.corpus, "PARSER_VERSION", "p-next")
    assert rag.corpus.file_key(path, None, None, 256) != before


def test_the_arxiv_snapshot_date_is_the_first_versions(tmp_path: Path) -> None:
    versions = [
        {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
        {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
    ]
    row = {"id": "0704.0001", "title": "T", "abstract": LONG, "versions": versions}
    path = write_jsonl(tmp_path / "s.jsonl", [row | {"update_date": "2008-11-26"}])
    assert load_corpus([path]).papers[0].date == date(2007, 4, 2)  # not the update_date
    real = Path(__file__).resolve().parents[2] / "shared/external/arxiv"
    if not real.exists():
        pytest.skip(f"the real arXiv snapshot sample is not at {real}")
    papers = load_corpus([real / "arxiv-metadata-oai-snapshot.json"], fmt="jsonl").papers
    first = next(p for p in papers if p.paper_id == "0704.0001")
    assert first.date == date(2007, 4, 2)


def test_bibtex_math_keeps_its_braces(tmp_path: Path) -> None:
    bib = tmp_path / "m.bib"
    bib.write_text(
        "@article{k, title = {A {GPU} Method}, year = {2020},\n"
        "  abstract = {We get $\\mathcal{O}(n)$ time and $I_{\\rm pred}(T)$ on {GPU} "
        "hardware, which is far better than all of the earlier work on this problem.}}\n"
    )
    paper = load_corpus([bib]).papers[0]
    assert "$\\mathcal{O}(n)$" in paper.abstract and "$I_{\\rm pred}(T)$" in paper.abstract
    assert paper.title == "A GPU Method" and "on GPU hardware" in paper.abstract


def test_records_keep_their_own_ids_and_same_titles_with_different_ids_stay_apart(
    tmp_path: Path,
) -> None:
    rows = [
        {"_id": "101", "title": "Vitamin D and Bone Health", "text": make_abstract("bone", "VD")},
        {"_id": "202", "title": "Vitamin D and bone health", "text": make_abstract("mood", "VM")},
        {"title": "Vitamin D and Bone Health.", "abstract": make_abstract("bone", "VD") + " X."},
        {"id": "PMC7312", "title": "Sleep and Memory", "abstract": make_abstract("sleep", "SM")},
        {
            "doi": "https://doi.org/10.1000/ABC.12",
            "title": "Gut Flora Atlas",
            "abstract": make_abstract("microbiome", "GF"),
        },
    ]
    bib = tmp_path / "lib.bib"
    bib.write_text(
        "@article{atlas,\n  title = {Gut Flora Atlas (preprint)},\n  doi = {10.1000/abc.12},\n"
        f"  abstract = {{{make_abstract('microbiome', 'GF')} Longer.}},\n}}\n",
        encoding="utf-8",
    )
    papers = {
        p.paper_id: p for p in load_corpus([write_jsonl(tmp_path / "c.jsonl", rows), bib]).papers
    }
    assert sorted(papers) == ["10.1000/abc.12", "101", "202", "PMC7312"]
    # the id-less sighting merged by title into one of them, not both, and not a third paper
    assert sum(len(p.sources) for p in papers.values()) == 6
    assert papers["10.1000/abc.12"].doi == "10.1000/abc.12"  # one DOI, two files, one paper
    assert len(papers["10.1000/abc.12"].sources) == 2
    assert papers["PMC7312"].source_id == "PMC7312" and papers["PMC7312"].arxiv_id is None
    assert papers["202"].abstract != papers["101"].abstract


def test_real_exports_keep_their_ids(tmp_path: Path) -> None:
    shared = Path(__file__).parents[2] / "shared" / "external"
    if not shared.is_dir():
        pytest.skip("../shared/external (real SciFact, arXiv and Zotero files) is not here")
    scifact = load_corpus([shared / "scifact" / "corpus.jsonl"])
    assert len(scifact.papers) == scifact.entries == 5183  # was 5,180: shared titles merged
    assert all(p.paper_id == p.source_id for p in scifact.papers)
    arxiv = load_corpus([shared / "arxiv" / "arxiv-metadata-oai-snapshot.json"], fmt="jsonl")
    assert arxiv.papers[0].paper_id == "0704.0001" and arxiv.papers[0].doi
    zotero = load_corpus([shared / "bibtex" / "zotero-bbt-El3ssar.bib"])
    with_doi = [p for p in zotero.papers if p.doi]
    assert len(with_doi) > 300 and all(p.paper_id in (p.arxiv_id, p.doi) for p in with_doi)


def test_a_pages_own_dated_header_gives_year_less_listings_their_year(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(BLOCKS_PAGE.replace("\nDec 8\n", "\nMar 3, 2024\n"), encoding="utf-8")
    by_title = {p.title: p for p in load_corpus([page], year=2019).papers}
    # "Jul 10" on a page dated Mar 3, 2024 is not in the future: July 2023, still flagged
    second = by_title["Second Paper Title"]
    assert (second.date, second.date_inferred) == (date(2023, 7, 10), True)
    assert by_title["First Paper Title"].date == date(2022, 8, 29)  # explicit years stand


def test_dates_keep_the_precision_their_source_gave(tmp_path: Path) -> None:
    from rag.export import bibtex
    from rag.papers import shown_date

    bib = tmp_path / "refs.bib"
    bib.write_text(
        f"@article{{a, title = {{Year Only}}, year = {{2020}}, abstract = {{{LONG}}}}}\n"
        f"@article{{b, title = {{Year Month}}, year = 2021, month = may,\n"
        f"  abstract = {{{LONG} B}}}}\n",
        encoding="utf-8",
    )
    rows = [
        {"title": "Partial JSON Date", "date": "2019-11", "abstract": LONG + " C."},
        {"title": "Full JSON Date", "date": "2019-11-05", "abstract": LONG + " D."},
    ]
    papers = {
        p.title: p for p in load_corpus([bib, write_jsonl(tmp_path / "c.jsonl", rows)]).papers
    }
    shown = {t: shown_date(p.date, p.date_precision) for t, p in papers.items()}
    assert shown == {
        "Year Only": "2020",
        "Year Month": "2021-05",
        "Partial JSON Date": "2019-11",
        "Full JSON Date": "2019-11-05",
    }
    assert papers["Year Only"].date == date(2020, 1, 1)  # still filterable by since/until
    exported = bibtex([papers["Year Only"]])
    assert "year = {2020}" in exported and "month" not in exported
    with pytest.raises(CorpusError, match="YYYY-MM-DD, YYYY-MM or YYYY"):
        load_corpus([write_jsonl(tmp_path / "bad.jsonl", [{**rows[0], "date": "May 2019"}])])

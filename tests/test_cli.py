"""The `rag` CLI end to end on a small corpus: ingest, search, paper, stats, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag import cli as cli_module
from rag.cli import app
from rag.config import get_settings
from tests.conftest import SEARCH_HIT_FIELDS


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "cli-data"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_ingest_search_paper_stats(cli: CliRunner, small_corpus: Path) -> None:
    result = cli.invoke(app, ["ingest", str(small_corpus)])
    assert result.exit_code == 0, result.output
    assert "Ingest summary" in result.output and "4" in result.output
    assert "local:all-MiniLM-L6-v2 (onnx)" in result.output  # "embedded with": 4 papers

    result = cli.invoke(app, ["search", "audio diffusion", "-k", "2", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["query"] == "audio diffusion"
    top = payload["results"][0]
    assert set(top) == SEARCH_HIT_FIELDS  # the same record as GET /v1/search
    assert top["title"] == "Diffusion Models for Audio Synthesis" and top["date"] == "2024-01-20"

    result = cli.invoke(app, ["search", "audio diffusion", "-k", "2"])
    assert result.exit_code == 0, result.output
    assert "relevance" in result.output and "score" not in result.output  # calibrated only
    assert f"{top['relevance']:.2f}" in result.output and "2024-01-20" in result.output

    result = cli.invoke(app, ["paper", top["paper_id"], "--json"])
    assert result.exit_code == 0
    assert "WaveDiff" in json.loads(result.stdout)["abstract"]

    result = cli.invoke(app, ["paper", "diffusion models for audio synthesis"])
    assert result.exit_code == 0 and "WaveDiff" in result.output

    result = cli.invoke(app, ["stats"])
    assert result.exit_code == 0
    assert "local:all-MiniLM-L6-v2" in result.output and "papers" in result.output

    result = cli.invoke(app, ["search", "audio", "--since", "2024-02-01", "--json"])
    assert json.loads(result.stdout)["results"] == []


def test_errors_are_clear_and_exit_nonzero(
    cli: CliRunner, small_corpus: Path, tmp_path: Path
) -> None:
    result = cli.invoke(app, ["search", "anything"])
    assert result.exit_code == 1 and "run `rag ingest` first" in result.output

    cli.invoke(app, ["ingest", str(small_corpus)])
    result = cli.invoke(app, ["paper", "Difusion Model for Audio Synthesis"])
    assert result.exit_code == 1
    assert "no paper with id or title" in result.output
    assert (
        "closest titles" in result.output
        and "Diffusion Models for Audio Synthesis" in result.output
    )

    result = cli.invoke(app, ["search", "audio", "-k", "0"])
    assert result.exit_code == 1 and "between 1 and 100" in result.output

    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n")
    result = cli.invoke(app, ["ingest", str(bad)])
    assert result.exit_code == 1 and f"{bad}:1: malformed JSON" in result.output

    result = cli.invoke(app, ["ingest", str(small_corpus), "--format", "pdf"])
    assert result.exit_code == 1 and "unknown --format" in result.output


def test_skipped_entries_are_listed(
    cli: CliRunner, tmp_path: Path, small_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = tmp_path / "a-long-folder-name-for-a-library-export" / "zotero-library-export.jsonl"
    extra.parent.mkdir()
    stubs = "".join(f'{{"title": "Stub {i}", "abstract": "Too short."}}\n' for i in range(25))
    extra.write_text(small_corpus.read_text() + stubs)
    lines = len(small_corpus.read_text().splitlines())
    result = cli.invoke(app, ["ingest", str(extra)])
    assert result.exit_code == 0
    assert "Skipped entries (25)" in result.output
    assert "abstract too short" in result.output
    assert "\u2026" not in result.output  # a long path is folded over lines, never cut short
    assert "... and 5 more" in result.output and "--show-skipped" in result.output

    monkeypatch.setattr(cli_module.console, "width", 300)
    result = cli.invoke(app, ["ingest", str(extra)])  # unchanged: not read, skips counted
    assert result.exit_code == 0
    assert "25 entries were skipped in files that have not changed" in result.output
    assert "Skipped entries" not in result.output

    result = cli.invoke(app, ["ingest", str(extra), "--show-skipped"])
    assert result.exit_code == 0
    assert f"{extra}:{lines + 20} " in result.output  # where: file and line
    assert f"{extra}:{lines + 25} " in result.output and "more;" not in result.output


def test_rebuild_from_fewer_files_asks_before_dropping_papers(
    cli: CliRunner, tmp_path: Path, small_corpus: Path
) -> None:
    from tests.conftest import make_abstract, write_jsonl

    assert cli.invoke(app, ["ingest", str(small_corpus)]).exit_code == 0
    one = write_jsonl(
        tmp_path / "one.jsonl",
        [{"title": "Only Paper", "abstract": make_abstract("one topic", "Solo")}],
    )
    refused = cli.invoke(app, ["ingest", "--rebuild", str(one)])
    assert refused.exit_code == 1
    assert "4 indexed papers" in refused.output and "--yes" in refused.output
    stats = cli.invoke(app, ["search", "audio diffusion", "--json"])
    assert json.loads(stats.stdout)["results"]  # nothing was dropped
    done = cli.invoke(app, ["ingest", "--rebuild", "--yes", str(one)])
    assert done.exit_code == 0, done.output
    assert "4 papers that were indexed before are gone" in " ".join(done.output.split())
    rebuilt = json.loads(cli.invoke(app, ["search", "solo", "--json"]).stdout)["results"]
    assert [r["title"] for r in rebuilt] == ["Only Paper"]


def test_limits_are_the_librarys_on_the_command_line_too(
    cli: CliRunner, small_corpus: Path
) -> None:
    from rag.config import Settings
    from rag.errors import LimitExceededError, explain
    from rag.limits import check_text

    assert cli.invoke(app, ["ingest", str(small_corpus)]).exit_code == 0
    result = cli.invoke(app, ["ask", "audio diffusion", "-k", "0"])
    assert result.exit_code == 1 and "k must be at least 1, got 0" in result.output
    result = cli.invoke(app, ["cite", "audio diffusion", "-k", "0"])
    assert result.exit_code == 1 and "k must be between 1 and 20, got 0" in result.output
    question = "audio " * 500
    with pytest.raises(LimitExceededError) as caught:
        check_text(question, "question", Settings())
    result = cli.invoke(app, ["ask", question])
    assert result.exit_code == 1
    assert explain(caught.value) in " ".join(result.output.split())


def test_search_shows_dates_as_precisely_as_the_source_gave_them(
    cli: CliRunner, tmp_path: Path
) -> None:
    from tests.conftest import make_abstract, write_jsonl

    rows = [
        {"title": "Year Only Paper", "date": "2020", "abstract": make_abstract("tides", "Y")},
        {"title": "Month Paper", "date": "2021-05", "abstract": make_abstract("tides", "M")},
    ]
    assert cli.invoke(app, ["ingest", str(write_jsonl(tmp_path / "d.jsonl", rows))]).exit_code == 0
    result = cli.invoke(app, ["search", "tides", "-k", "2"])
    assert result.exit_code == 0, result.output
    assert "2021-05" in result.output and "2020" in result.output
    assert "2020-01-01" not in result.output and "2021-05-01" not in result.output

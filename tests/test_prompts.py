"""Prompt templates: the packaged ones load; a folder given by RAG_PROMPTS_DIR is checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.errors import RagError
from rag.prompts import FILES, load_prompts

PROMPTS = Path(__file__).resolve().parents[1] / "prompts"


def test_the_packaged_templates_load() -> None:
    prompts = load_prompts()
    assert set(prompts.user.template_vars) == {"sources", "question"}
    assert "[1]" in prompts.system or "cite" in prompts.system.lower()


def test_a_misspelled_placeholder_names_the_file(tmp_path: Path) -> None:
    for name in FILES.values():
        shutil.copy(PROMPTS / name, tmp_path / name)
    user = tmp_path / "answer_user.txt"
    user.write_text(user.read_text().replace("{question}", "{qestion}"), encoding="utf-8")
    with pytest.raises(RagError, match=r"answer_user\.txt.*\{question\}.*\{qestion\}"):
        load_prompts(tmp_path)


def test_a_missing_template_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(RagError, match=r"answer_system\.txt.*RAG_PROMPTS_DIR"):
        load_prompts(tmp_path)

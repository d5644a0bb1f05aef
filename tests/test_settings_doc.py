"""The README's configuration table is the one generated from the settings."""

from __future__ import annotations

from pathlib import Path

from rag import settings_doc
from rag.config import GROUPS, Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_table_matches_the_settings() -> None:
    text = README.read_text(encoding="utf-8")
    assert settings_doc.replaced(text) == text, (
        "README.md's configuration table is out of date: run "
        "`python -m rag.settings_doc --write README.md`"
    )


def test_every_setting_is_in_one_group_and_described() -> None:
    grouped = [name for group in GROUPS for name in group.model_fields]
    assert sorted(grouped) == sorted(Settings.model_fields)  # none missing, none twice
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no docstring"

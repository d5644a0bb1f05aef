"""Prompt templates: plain files in the top-level `prompts/` folder, read at run time.

The wheel carries them inside the package (`rag.prompt_templates`, mapped from `prompts/`
by pyproject.toml) and they are read with importlib.resources, so an installed package
finds them wherever it runs. `RAG_PROMPTS_DIR` points at another folder with the same
file names, so prompts can be tuned without touching code. Templates use `{name}`
placeholders (llama-index `PromptTemplate`), filled with the question, history and
numbered sources; a template whose placeholders are not exactly the expected ones is an
error naming the file, not a confusing failure at the first question.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from llama_index.core.prompts import PromptTemplate

from rag.errors import ConfigError

FILES = {"system": "answer_system.txt", "user": "answer_user.txt", "condense": "condense.txt"}
PLACEHOLDERS = {
    "system": set(),
    "user": {"sources", "question"},
    "condense": {"history", "question"},
}


@dataclass(frozen=True)
class Prompts:
    system: str
    user: PromptTemplate
    condense: PromptTemplate


def load_prompts(folder: Path | None = None) -> Prompts:
    """The templates in `folder`, or the packaged ones when None."""
    where: Path | Traversable = folder if folder is not None else files("rag.prompt_templates")
    texts: dict[str, str] = {}
    for key, name in FILES.items():
        path = where / name
        try:
            texts[key] = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"cannot read prompt {path}: {exc.strerror or exc} (check RAG_PROMPTS_DIR)"
            ) from None
        found = set(PromptTemplate(texts[key]).template_vars)
        if found != PLACEHOLDERS[key]:
            expected = ", ".join(f"{{{v}}}" for v in sorted(PLACEHOLDERS[key])) or "none"
            got = ", ".join(f"{{{v}}}" for v in sorted(found)) or "none"
            raise ConfigError(f"prompt {path} must use the placeholders {expected}; it has {got}")
    return Prompts(
        system=texts["system"],
        user=PromptTemplate(texts["user"]),
        condense=PromptTemplate(texts["condense"]),
    )

"""Prompt templates, kept as plain files in `prompts/` and read at run time.

`RAG_PROMPTS_DIR` points at another folder with the same file names, so prompts can be
tuned without touching code. Templates use `{name}` placeholders (llama-index
`PromptTemplate`), filled with the question, history and numbered sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from llama_index.core.prompts import PromptTemplate

from rag.errors import RagError

FILES = {"system": "answer_system.txt", "user": "answer_user.txt", "condense": "condense.txt"}


@dataclass(frozen=True)
class Prompts:
    system: str
    user: PromptTemplate
    condense: PromptTemplate


def load_prompts(folder: Path) -> Prompts:
    texts: dict[str, str] = {}
    for key, name in FILES.items():
        path = folder / name
        try:
            texts[key] = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise RagError(
                f"cannot read prompt {path}: {exc.strerror or exc} (check RAG_PROMPTS_DIR)"
            ) from None
    return Prompts(
        system=texts["system"],
        user=PromptTemplate(texts["user"]),
        condense=PromptTemplate(texts["condense"]),
    )

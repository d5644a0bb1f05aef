"""The wheel works where the checkout is not: built from the tree, installed into a fresh
venv, run from another directory (prompts and the bundled corpus come from the package)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import make_abstract, write_jsonl

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def run(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], check=True, capture_output=True, text=True, **kwargs
    )


def test_the_wheel_installs_and_answers_from_another_directory(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    built = run(sys.executable, "-m", "pip", "wheel", ROOT, "--no-deps",
                "--no-build-isolation", "-w", dist, cwd=tmp_path)  # fmt: skip
    assert "absent from the `packages`" not in built.stdout + built.stderr  # data folders
    [wheel] = list(dist.glob("paper_rag-*.whl"))
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
        wheel)  # fmt: skip
    # Dependencies come from the test environment; the package itself only from the wheel.
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))")
                .stdout.strip())  # fmt: skip
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))},
        "RAG_DATA_DIR": str(tmp_path / "data"),
        "RAG_LLM": "none",
    }
    where = run(python, "-c", "import rag, rag.prompts; print(rag.__file__)", cwd=elsewhere)
    assert where.stdout.strip().startswith(str(venv)), where.stdout
    corpus = write_jsonl(
        tmp_path / "papers.jsonl",
        [
            {
                "title": "WaveDiff: Diffusion for Audio",
                "abstract": make_abstract("audio", "WaveDiff"),
            },
            {"title": "MolGNN for Molecules", "abstract": make_abstract("molecules", "MolGNN")},
        ],
    )
    rag = venv / "bin" / "rag"
    run(rag, "ingest", corpus, cwd=elsewhere, env=env)
    answer = run(rag, "ask", "What is WaveDiff?", "--json", cwd=elsewhere, env=env)
    assert '"abstained": false' in answer.stdout and "WaveDiff" in answer.stdout
    listed = run(python, "-m", "zipfile", "-l", wheel).stdout
    for packaged in ("rag/prompt_templates/answer_user.txt", "rag/data/corpus/"):
        assert packaged in listed

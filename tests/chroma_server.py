"""A real `chroma run` on loopback, for the server-mode tests and `bench/scale.py`."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


@contextmanager
def chroma_server(path: Path, start_seconds: float = 60) -> Iterator[tuple[str, int]]:
    """Serve the Chroma data at `path` on a free loopback port: (its URL, its pid)."""
    beside_python = Path(sys.executable).parent / "chroma"  # the venv may not be on PATH
    executable = str(beside_python) if beside_python.exists() else shutil.which("chroma")
    if not executable:
        raise RuntimeError("chromadb's `chroma` CLI must be installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [executable, "run", "--path", str(path), "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma run did not start (exit {process.poll()})")
            time.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)

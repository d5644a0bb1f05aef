"""What searches need beside Chroma, for one version of the store, kept on disk.

The keyword index, the catalog of titles and ids, and the dense background are derived
from the store. They used to be rebuilt from the whole store in every process whenever
it changed (at 50k papers: a 14 s cold start, 1.3 GB of RSS, 15 s until an ingest's
papers were searchable). Now they live under `<data dir>/search/` and move from one
version to the next by the store's change log (`PaperStore.changes_between`): the
ingest that commits brings the files up to date, a service (or a replica on a Chroma
server, from its own data dir) that finds them current only memory-maps them, and one
that finds them behind applies the logged changes: only new chunks are read and
tokenised. Everything is re-read from the store only when no usable state exists (a
first start after upgrading, a new replica, a rebuild's swap, a reader further behind
than the log).

Files are written under new names and published by replacing `manifest.json`, so a
reader never sees half a state; a file lock keeps two processes from syncing at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from filelock import FileLock

from rag.catalog import Catalog
from rag.keyword import KeywordIndex, Segment, new_tokenizer
from rag.relevance import BACKGROUND_SAMPLE, DenseBackground
from rag.store import PaperStore

log = logging.getLogger("rag.search_state")
FORMAT = 4
"""Version of the files' layout and of how they were tokenised: a state of another format
is rebuilt, not misread (2: formulas' subscripts joined to their word, `SUBSCRIPT`; 3: the
catalog holds authors and their surnames, `rag.authors`, and "IL-6" is also indexed as
"il6", `NAMED_BY_ONE`; 4: "PGE(2)" also as "pge2")."""
Version = tuple[str, int]


@dataclass(frozen=True)
class SearchState:
    version: Version
    """(chunk collection id, generation) of the store this describes."""
    keyword: KeywordIndex
    catalog: Catalog
    background: DenseBackground
    moved_from: Version | None = None
    """The version this state was moved forward from by the change log (None: read or
    loaded whole), with the records written or deleted since (`changed_records`)."""
    changed_records: frozenset[str] = frozenset()


def state_dir(data_dir: Path, store_name: str, target: str) -> Path:
    """Where a store's state lives: per collection and per Chroma (a local folder or a
    server URL), so two indexes never share files."""
    digest = hashlib.sha1(target.encode()).hexdigest()[:8]
    return data_dir / "search" / f"{store_name}-{digest}"


def sync(
    store: PaperStore,
    folder: Path,
    current: SearchState | None = None,
    wait_seconds: float = -1,
) -> SearchState:
    """The state of the store's current version: `current` if it is that, else the
    saved one if it is, else `current` or the saved one brought forward through the
    change log, else re-read from the store. Saved before it is returned.

    Raises `filelock.Timeout` when another process is syncing for longer than
    `wait_seconds` (default: wait as long as it takes)."""
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / "sync.lock"), timeout=wait_seconds):
        version = store.version()
        if current is not None and current.version == version:
            return current
        if current is not None and current.version[0] == version[0]:
            # moving our own state forward reads only what changed; loading the saved
            # one would parse its whole catalog and vocabulary (~0.5 s at 200k papers)
            state = _forward(store, current, version)
            if state is not None:
                if _saved_version(folder) != version:
                    _save(folder, state)
                return state
        saved = _load(folder, current)
        if saved is not None and saved.version == version:
            return saved
        state = None
        if saved is not None and saved.version[0] == version[0]:
            state = _forward(store, saved, version)
        if state is None:
            state = _read_all(store, version)
        _save(folder, state)
        return state


def save_current(store: PaperStore, folder: Path) -> None:
    """Bring the saved state up to the store's version: what an ingest does after its
    commit, so services load it instead of building it. Nothing to read when it is
    already current (a no-op re-ingest: 0.08 s, not the 0.4 s of loading the state)."""
    if _saved_version(folder) != store.version():
        sync(store, folder)


def _saved_version(folder: Path) -> Version | None:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return (str(manifest["version"][0]), int(manifest["version"][1]))
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


def _forward(store: PaperStore, base: SearchState, version: Version) -> SearchState | None:
    """`base` moved to `version` by the logged changes; None when the log cannot say."""
    changes = store.changes_between(base.version[1], version[1])
    if changes is None:
        return None
    added = list(store.chunk_rows(sorted(changes.chunks_added)))
    keyword = base.keyword.with_changes(added, changes.chunks_deleted).compacted()
    written = list(store.record_rows(sorted(changes.records_written)))
    catalog = base.catalog.with_changes(written, changes.records_deleted)
    log.info(
        "search state moved to generation %d: +%d/-%d chunks, %d/%d records",
        version[1],
        len(added),
        len(changes.chunks_deleted),
        len(written),
        len(changes.records_deleted),
    )
    changed = frozenset(changes.records_written | changes.records_deleted)
    background = _background(store, keyword)
    return SearchState(version, keyword, catalog, background, base.version, changed)


def _read_all(store: PaperStore, version: Version) -> SearchState:
    keyword = KeywordIndex.build(list(store.chunk_rows()))
    catalog = Catalog.of(store.record_rows())
    log.info("search state read from the whole store: %d papers", len(catalog))
    return SearchState(version, keyword, catalog, _background(store, keyword))


def _background(store: PaperStore, keyword: KeywordIndex) -> DenseBackground:
    """Measured on chunks spread evenly over the sorted chunk ids: the same sample for
    every reader of the same index contents."""
    ids = sorted(keyword.position)
    chosen = ids[:: max(1, len(ids) // BACKGROUND_SAMPLE)][:BACKGROUND_SAMPLE]
    return DenseBackground.measure(*store.vectors(chosen))


def _save(folder: Path, state: SearchState) -> None:
    """Write the new files, then publish them by replacing the manifest, then delete
    the files no manifest names (a reader that mapped them keeps its copy open)."""
    token = uuid.uuid4().hex[:12]
    keyword = state.keyword
    for segment in keyword.segments:
        if not (folder / segment.name).exists():
            segment.save(folder)
    alive = f"alive-{token}.npz"
    np.savez(
        folder / alive, **{s.name: a for s, a in zip(keyword.segments, keyword.alive, strict=True)}
    )
    vocab = f"vocab-{token}.json"
    keyword.tokenizer.save_vocab(str(folder), vocab)
    catalog = f"catalog-{token}.json"
    state.catalog.save(folder / catalog)
    background = state.background
    manifest = {
        "format": FORMAT,
        "version": list(state.version),
        "segments": [s.name for s in keyword.segments],
        "alive": alive,
        "vocab": vocab,
        "catalog": catalog,
        "background": [background.mean, background.std, background.sample],
    }
    temporary = folder / f"manifest-{token}.json"
    temporary.write_text(json.dumps(manifest), encoding="utf-8")
    os.replace(temporary, folder / "manifest.json")
    named = {alive, vocab, catalog, *manifest["segments"], "manifest.json", "sync.lock"}
    for path in folder.iterdir():
        if path.name not in named:
            _remove(path)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir():
            for child in path.iterdir():
                child.unlink()
            path.rmdir()
        else:
            path.unlink()


def _load(folder: Path, current: SearchState | None) -> SearchState | None:
    """The saved state, reusing `current`'s segments where they are the same files;
    None when there is none or it cannot be read (it is then rebuilt)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            return None
        version = (str(manifest["version"][0]), int(manifest["version"][1]))
        if current is not None and current.version == version:
            return current
        reuse = {s.name: s for s in current.keyword.segments} if current else {}
        segments = [reuse.get(n) or Segment.load(folder, n) for n in manifest["segments"]]
        with np.load(folder / manifest["alive"]) as masks:
            alive = [np.array(masks[s.name]) for s in segments]
        tokenizer = new_tokenizer()
        tokenizer.load_vocab(str(folder), manifest["vocab"])
        mean, std, sample = manifest["background"]
        return SearchState(
            version,
            KeywordIndex(tokenizer, segments, alive),
            Catalog.load(folder / manifest["catalog"]),
            DenseBackground(mean=float(mean), std=float(std), sample=int(sample)),
        )
    except (OSError, ValueError, KeyError, IndexError) as exc:
        if (folder / "manifest.json").exists():
            log.warning("search state in %s unreadable (%s); re-reading the store", folder, exc)
        return None

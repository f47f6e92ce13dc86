"""An on-disk cache of rendered rolls, keyed on everything that shapes them.

One folder per key holds ``rolls.npy`` (every clip's roll stacked along time) and ``index.json``
(other derived data, such as a fitted judge, writes its own files through ``write_entry``). It is
written to a temporary folder and renamed into place, so a run killed mid-write leaves no
half-written entry behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

# Bump when the rendering code changes what it produces for the same settings.
CACHE_VERSION = 3  # 3: files checked and repaired (data.notes), the repairs in the index


def cache_key(source_fingerprint: str, spec: dict) -> str:
    """Hex key of a (data source, representation settings, code version) triple."""
    payload = json.dumps(
        {"source": source_fingerprint, "spec": spec, "version": CACHE_VERSION}, sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def entry_dir(cache_dir: str | os.PathLike, kind: str, key: str) -> Path:
    return Path(cache_dir) / f"{kind}-{key}"


def write_entry(folder: Path, write: Callable[[Path], None]) -> None:
    """Have ``write(staging)`` fill a temporary folder, then rename it to ``folder`` in one step."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        write(staging)
        try:
            os.replace(staging, folder)
        except OSError:  # another process finished the same entry first: theirs is as good
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def save_entry(folder: Path, rolls: np.ndarray, index: dict) -> None:
    def write(staging: Path) -> None:
        np.save(staging / "rolls.npy", rolls)
        (staging / "index.json").write_text(json.dumps(index))

    write_entry(folder, write)


def load_entry(folder: Path) -> tuple[np.ndarray, dict] | None:
    """(rolls memory-mapped read-only, index), or None if absent or unreadable."""
    try:
        index = json.loads((folder / "index.json").read_text())
        rolls = np.load(folder / "rolls.npy", mmap_mode="r")
    except (OSError, ValueError):
        return None
    return rolls, index

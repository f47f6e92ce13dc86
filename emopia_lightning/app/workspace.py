"""The page's own temporary folder: every file it writes goes there (Gradio's uploads and served
copies too, through ``GRADIO_TEMP_DIR``); old pieces are pruned as new ones come, and the whole
folder is removed when the page stops."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path


class Workspace:
    """``root/pieces/<one folder a request>`` for our files, ``root/gradio`` for Gradio's."""

    def __init__(self, keep_seconds: float = 3600.0, parent: str | Path | None = None):
        self.root = Path(tempfile.mkdtemp(prefix="emopia_app_", dir=parent))
        self.keep_seconds = keep_seconds
        self.pieces = self.root / "pieces"
        self.gradio = self.root / "gradio"
        self.pieces.mkdir()
        self.gradio.mkdir()

    def new_folder(self) -> Path:
        """A fresh folder for one request's files, after pruning folders older than keep_seconds."""
        self.prune()
        return Path(tempfile.mkdtemp(dir=self.pieces))

    def prune(self, now: float | None = None) -> int:
        """Remove request folders last written more than keep_seconds ago; returns how many."""
        cutoff = (time.time() if now is None else now) - self.keep_seconds
        old = [folder for folder in self.pieces.iterdir() if folder.stat().st_mtime < cutoff]
        for folder in old:
            shutil.rmtree(folder, ignore_errors=True)
        return len(old)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

"""Find EMOPIA on disk: an extracted release folder or its zip, wherever a user keeps it.

Accepted layouts (``root`` is ``paths.data_dir``, by default ``$EMOPIA_ROOT``):

- ``root/midis/*.mid`` (an extracted release; ``root/split/*.csv`` beside it when present),
- ``root/midis.zip`` (the zipped clips; ``root/split/`` beside it when present),
- ``root/EMOPIA_1.0/...`` or ``root/EMOPIA_2.2/...`` one level down (as the releases unzip, and as
  muspy's downloader leaves them), or ``root/*.zip`` holding ``[<top>/]midis/*.mid``,
- ``root`` itself a zip, or a folder of ``*.mid`` files.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from emopia_lightning.data.labels import clip_stem
from emopia_lightning.errors import DataNotFoundError

DOWNLOAD_HINT = (
    "get EMOPIA from https://zenodo.org/records/5090631 (EMOPIA_1.0.zip) and unzip it, or run "
    "`python -m emopia_lightning.data.download DIR` where the internet is reachable; then set "
    "EMOPIA_ROOT=DIR or pass paths.data_dir=DIR (every command takes it)"
)


def _is_midi(name: str) -> bool:
    lowered = name.lower()
    # Zips made on macOS carry resource forks such as __MACOSX/midis/._Q1_x_0.mid.
    return (
        lowered.endswith((".mid", ".midi"))
        and "__macosx" not in lowered
        and "/._" not in ("/" + lowered.replace("\\", "/"))
    )


@dataclass
class EmopiaSource:
    """Where the clips are, and how to read each one as bytes.

    ``members`` maps a clip's file stem (``Q1_0vLPYiPN7qY_0``) to a file path (folder layout) or a
    member name (zip layout). ``split_csvs`` maps an official split file name (``train.csv``,
    ``train_SL.csv`` ...) to its text.
    """

    location: Path
    members: dict[str, str]
    split_csvs: dict[str, str] = field(default_factory=dict)
    is_zip: bool = False

    def read(self, stem: str) -> bytes:
        if self.is_zip:
            with zipfile.ZipFile(self.location) as archive:
                return archive.read(self.members[stem])
        return Path(self.members[stem]).read_bytes()

    def read_all(self) -> tuple[dict[str, bytes], dict[str, str]]:
        """(every readable clip's bytes, the reason for each one that is not: a directory, no
        permission, gone since it was listed, a damaged zip member), opening the zip once."""
        blobs, unreadable = {}, {}
        if not self.is_zip:
            for stem, path in self.members.items():
                try:
                    blobs[stem] = Path(path).read_bytes()
                except OSError as error:
                    unreadable[stem] = f"cannot read the file ({error.strerror or type(error).__name__})"
            return blobs, unreadable
        with zipfile.ZipFile(self.location) as archive:
            for stem, member in self.members.items():
                try:
                    blobs[stem] = archive.read(member)
                except (OSError, zipfile.BadZipFile, ValueError) as error:  # a damaged member
                    unreadable[stem] = f"cannot read the zip member ({error})"
        return blobs, unreadable

    def fingerprint(self) -> str:
        """Changes whenever a clip is added, removed or rewritten (keys the cache)."""
        digest = hashlib.sha256()
        if self.is_zip:
            digest.update(self.location.read_bytes())
        else:
            for stem in sorted(self.members):
                try:
                    stat = os.stat(self.members[stem])
                    digest.update(f"{stem}:{stat.st_size}:{stat.st_mtime_ns};".encode())
                except OSError:  # gone since listing: reading will name it
                    digest.update(f"{stem}:missing;".encode())
        for name in sorted(self.split_csvs):
            digest.update(name.encode() + self.split_csvs[name].encode())
        return digest.hexdigest()[:16]


def _split_csvs_in_folder(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {path.name: path.read_text() for path in sorted(folder.glob("*.csv"))}


def _from_folder(midi_folder: Path, split_folder: Path) -> EmopiaSource | None:
    members = {clip_stem(p.name): str(p) for p in sorted(midi_folder.iterdir()) if _is_midi(p.name)}
    if not members:
        return None
    return EmopiaSource(midi_folder, members, _split_csvs_in_folder(split_folder))


def _from_zip(path: Path) -> EmopiaSource | None:
    if not zipfile.is_zipfile(path):
        return None
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        midis = [n for n in names if _is_midi(n)]
        # Prefer the release's midis/ folder when the zip holds other MIDI too.
        in_midis = [n for n in midis if "/midis/" in "/" + n]
        members = {clip_stem(n): n for n in sorted(in_midis or midis)}
        split_csvs = {
            n.rsplit("/", 1)[-1]: archive.read(n).decode()
            for n in names
            if n.endswith(".csv") and "/split/" in "/" + n and "__MACOSX" not in n
        }
    if not members:
        return None
    # The workplace copy keeps split/ beside midis.zip rather than inside it.
    split_csvs = split_csvs or _split_csvs_in_folder(path.parent / "split")
    return EmopiaSource(path, members, split_csvs, is_zip=True)


def _search(root: Path) -> EmopiaSource | None:
    if root.is_file():
        return _from_zip(root)
    if not root.is_dir():
        return None
    folders = [root] + sorted(p for p in root.iterdir() if p.is_dir() and p.name != "__MACOSX")
    for folder in folders:
        if (folder / "midis").is_dir():
            found = _from_folder(folder / "midis", folder / "split")
            if found:
                return found
        if (folder / "midis.zip").is_file():
            found = _from_zip(folder / "midis.zip")
            if found:
                return found
    for archive in sorted(root.glob("*.zip")):
        found = _from_zip(archive)
        if found:
            return found
    return _from_folder(root, root / "split")


def locate_emopia(root: str | os.PathLike | None) -> EmopiaSource:
    """Find EMOPIA under ``root`` or raise :class:`DataNotFoundError` saying where we looked."""
    if root is None or str(root).strip() == "":
        raise DataNotFoundError(f"EMOPIA location not set: {DOWNLOAD_HINT}")
    path = Path(root).expanduser()
    found = _search(path)
    if found is None:
        looked = (
            f"{path}/midis/*.mid, {path}/midis.zip, {path}/*/midis/, {path}/*.zip"
            if path.is_dir()
            else f"{path} (no such folder or zip)"
        )
        raise DataNotFoundError(f"EMOPIA not found; looked in {looked}: {DOWNLOAD_HINT}")
    return found

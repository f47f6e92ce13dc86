"""MIDI to WAV through FluidSynth and a General MIDI soundfont, when both are installed.

Debian: ``apt-get install --no-install-recommends fluidsynth timgm6mb-soundfont`` (6 MB, GPL-2) or
``fluid-soundfont-gm`` (145 MB, MIT); ``make audio-tools`` runs it. ``$SOUNDFONT`` names another
``.sf2``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SOUNDFONT_DIRS = ("/usr/share/sounds/sf2", "/usr/share/soundfonts", "/usr/local/share/soundfonts")
# Preferred first: the smaller GM fonts Debian ships.
SOUNDFONT_NAMES = ("TimGM6mb.sf2", "FluidR3_GM.sf2", "default-GM.sf2")


def find_soundfont() -> Path | None:
    """``$SOUNDFONT`` if set, else a General MIDI soundfont from the usual places."""
    if os.environ.get("SOUNDFONT"):
        path = Path(os.environ["SOUNDFONT"])
        return path if path.is_file() else None
    for folder in map(Path, SOUNDFONT_DIRS):
        for name in SOUNDFONT_NAMES:
            if (folder / name).is_file():
                return folder / name
        found = sorted(folder.glob("*.sf2")) if folder.is_dir() else []
        if found:
            return found[0]
    return None


def audio_unavailable_reason() -> str | None:
    """None when WAV rendering works here, else one line saying what is missing."""
    if shutil.which("fluidsynth") is None:
        return "no WAV audio: FluidSynth is not installed (make audio-tools, or apt-get install fluidsynth)"
    if find_soundfont() is None:
        return "no WAV audio: no General MIDI soundfont found (make audio-tools, or set SOUNDFONT=file.sf2)"
    return None


def render_wav(midi_path: str | Path, wav_path: str | Path, sample_rate: int = 44100) -> Path:
    """Render a MIDI file to WAV; raises RuntimeError with FluidSynth's message when it fails."""
    reason = audio_unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    command = [
        "fluidsynth", "-ni", "-q", "-g", "0.8", "-r", str(sample_rate),
        "-F", str(wav_path), str(find_soundfont()), str(midi_path),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0 or not Path(wav_path).is_file():
        raise RuntimeError(
            f"FluidSynth failed on {midi_path}: {(result.stderr or result.stdout).strip()[:300]}"
        )
    return Path(wav_path)

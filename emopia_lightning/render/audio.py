"""MIDI to WAV with a General MIDI piano soundfont, on any machine.

Two renderers, the first found is used:

- **FluidSynth** (``fluidsynth`` on the PATH: Debian's ``apt-get install fluidsynth``, ``make
  audio-tools``), the reference SoundFont synthesizer;
- **TinySoundFont** (``tinysoundfont`` from pip, a C library in its wheel): no root and no system
  library. Its wheel declares ``pyaudio`` for live playback, which we never use and which does not
  build without PortAudio's headers, so ``make install`` installs it with ``--no-deps`` (its own
  code imports pyaudio only to play live).

The soundfont is ``$SOUNDFONT`` if set, else a system GM font, else the 6 MB TimGM6mb.sf2 that
pretty_midi's package ships (a project dependency for that file).
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import shutil
import subprocess
import threading
import wave
from pathlib import Path

import numpy as np
import symusic

from emopia_lightning.errors import ProjectError, RequestError

log = logging.getLogger(__name__)

SOUNDFONT_DIRS = ("/usr/share/sounds/sf2", "/usr/share/soundfonts", "/usr/local/share/soundfonts")
# Preferred first: the smaller GM fonts Debian ships.
SOUNDFONT_NAMES = ("TimGM6mb.sf2", "FluidR3_GM.sf2", "default-GM.sf2")
RELEASE_SECONDS = 1.0  # after the last note ends, so its release is heard, not cut
FADE_SECONDS = 0.25  # the end of that release fades out, so no renderer's WAV ends in a click
SAMPLE_RATE = 44100
SAMPLE_RATES = (8000, 96000)  # the rates a WAV may be rendered at


def checked_sample_rate(sample_rate) -> int:
    if not isinstance(sample_rate, int) or not SAMPLE_RATES[0] <= sample_rate <= SAMPLE_RATES[1]:
        raise RequestError(
            f"sample_rate must be a whole number of Hz, {SAMPLE_RATES[0]} to {SAMPLE_RATES[1]}, got {sample_rate!r}"
        )
    return sample_rate


class AudioUnavailable(ProjectError):
    """No renderer or soundfont here, or the renderer failed; the message says what to install or what failed."""


def _packaged_soundfont() -> Path | None:
    spec = importlib.util.find_spec("pretty_midi")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "TimGM6mb.sf2"
    return path if path.is_file() else None


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
    return _packaged_soundfont()


RENDERERS = ("fluidsynth", "tinysoundfont")  # in the order chosen when none is preferred


def _installed(name: str) -> bool:
    if name == "fluidsynth":
        return shutil.which("fluidsynth") is not None
    return importlib.util.find_spec("tinysoundfont") is not None


def renderer(prefer: str | None = None) -> str:
    """``fluidsynth`` or ``tinysoundfont``: what renders here, ``prefer`` where it is installed
    (the page prefers TinySoundFont: in-process, it answers faster); AudioUnavailable if neither
    can."""
    if prefer is not None and prefer not in RENDERERS:
        raise RequestError(f"renderer must be one of {RENDERERS}, got {prefer!r}")
    if find_soundfont() is None:
        raise AudioUnavailable("no WAV audio: no General MIDI soundfont found (set SOUNDFONT=file.sf2)")
    for name in ([prefer] if prefer else []) + list(RENDERERS):
        if _installed(name):
            return name
    raise AudioUnavailable(
        "no WAV audio: neither FluidSynth nor TinySoundFont is installed"
        " (pip install --no-deps tinysoundfont, or make audio-tools)"
    )


def audio_unavailable_reason() -> str | None:
    """None when WAV rendering works here, else one line saying what is missing."""
    try:
        renderer()
    except AudioUnavailable as missing:
        return str(missing)
    return None


def render_wav(midi_path: str | Path, wav_path: str | Path, sample_rate: int = SAMPLE_RATE,
               use: str | None = None) -> Path:  # fmt: skip
    """Render a MIDI file to a WAV as long as its notes plus RELEASE_SECONDS; ``use`` forces a
    renderer. Raises AudioUnavailable, with the renderer's message where it failed."""
    use = use or renderer()
    score = _score_in_seconds(Path(midi_path))
    if use == "fluidsynth":
        try:
            audio = _fluidsynth(Path(midi_path), Path(wav_path), sample_rate)
        except AudioUnavailable as failed:  # a WAV from the other renderer rather than none
            if not _installed("tinysoundfont"):
                raise
            log.warning("%s; rendered with TinySoundFont instead", failed)
            audio = _tinysoundfont(score, sample_rate)
    elif use == "tinysoundfont":
        audio = _tinysoundfont(score, sample_rate)
    else:
        raise RequestError(f"renderer must be fluidsynth or tinysoundfont, got {use!r}")
    length = round((score.end() + RELEASE_SECONDS) * sample_rate)
    _write_wav(wav_path, _faded_out(audio, length, round(FADE_SECONDS * sample_rate)), sample_rate)
    return Path(wav_path)


def _score_in_seconds(midi_path: Path) -> symusic.Score:
    try:
        return symusic.Score(str(midi_path)).to("second")
    except Exception as error:  # symusic raises RuntimeError or ValueError on bad files
        raise AudioUnavailable(f"cannot read {midi_path} for audio: {error}") from error


def _faded_out(audio: np.ndarray, length: int, fade: int) -> np.ndarray:
    """``audio`` cut (or padded) to ``length`` samples, fading out over its last ``fade`` samples:
    every renderer's WAV ends one release after the last note, however long its voices ring."""
    out = np.zeros((length, 2), np.float32)
    out[: min(length, len(audio))] = audio[:length]
    fade = min(length, fade)
    out[length - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
    return out


FLUIDSYNTH_TIMEOUT = 120  # seconds


def _fluidsynth(midi_path: Path, wav_path: Path, sample_rate: int) -> np.ndarray:
    """(samples, 2) float32 of FluidSynth's rendering (written to ``wav_path``, then read back)."""
    command = [
        "fluidsynth", "-ni", "-q", "-g", "0.8", "-r", str(sample_rate),
        "-F", str(wav_path), str(find_soundfont()), str(midi_path),
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=FLUIDSYNTH_TIMEOUT)
    except subprocess.TimeoutExpired:  # a stuck or starved FluidSynth must not end a training run
        raise AudioUnavailable(f"FluidSynth took over {FLUIDSYNTH_TIMEOUT} s on {midi_path}") from None
    if result.returncode != 0 or not wav_path.is_file():
        raise AudioUnavailable(
            f"FluidSynth failed on {midi_path}: {(result.stderr or result.stdout).strip()[:300]}"
        )
    with wave.open(str(wav_path)) as rendered:
        frames = np.frombuffer(rendered.readframes(rendered.getnframes()), "<i2")
        return (frames.reshape(-1, rendered.getnchannels()) / 32768.0).astype(np.float32)


_SYNTH_LOCK = threading.Lock()  # the page renders in several threads


@functools.lru_cache(maxsize=2)
def _synth(soundfont: str, sample_rate: int):
    """One loaded synthesizer per soundfont (loading takes longer than rendering a piece)."""
    import tinysoundfont

    synth = tinysoundfont.Synth(gain=6.0, samplerate=sample_rate)  # +6 dB: TimGM6mb is quiet
    synth.program_select(0, synth.sfload(soundfont), 0, 0)  # bank 0, preset 0: acoustic grand
    return synth


def _tinysoundfont(score: symusic.Score, sample_rate: int) -> np.ndarray:
    """(samples, 2) float32 stereo of every note of every non-drum track of a score in seconds."""
    events = []  # (sample, is_on, pitch, velocity): offs before ons at the same sample
    for track in score.tracks:
        if track.is_drum:
            continue
        for note in track.notes:
            events.append((round(note.start * sample_rate), 1, note.pitch, note.velocity))
            events.append((round(note.end * sample_rate), 0, note.pitch, 0))
    events.sort()
    end = (events[-1][0] if events else 0) + round(RELEASE_SECONDS * sample_rate)
    with _SYNTH_LOCK:  # one synthesizer per soundfont: a piece is rendered whole before the next
        return _rendered(_synth(str(find_soundfont()), sample_rate), events, end)


def _rendered(synth, events: list[tuple], end: int) -> np.ndarray:
    """(end, 2) float32: the (sample, is_on, pitch, velocity) events played on ``synth``."""
    synth.sounds_off()  # nothing left ringing from a previous piece
    audio = np.zeros((end, 2), np.float32)
    cursor = 0
    for sample, is_on, pitch, velocity in [*events, (end, 0, None, 0)]:
        if sample > cursor:
            block = synth.generate(sample - cursor)
            audio[cursor:sample] = np.frombuffer(block, np.float32).reshape(-1, 2)
            cursor = sample
        if pitch is None:
            break
        if is_on:
            synth.noteon(0, pitch, velocity)
        else:
            synth.noteoff(0, pitch)
    return audio


def _write_wav(path: str | Path, audio: np.ndarray, sample_rate: int) -> None:
    """16-bit stereo PCM, peak-limited (never clipped)."""
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    scale = 32767 * min(1.0, 0.9 / peak) if peak > 0 else 0.0
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes((audio * scale).astype("<i2").tobytes())

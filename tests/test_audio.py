"""WAV audio from our MIDI: TinySoundFont on any machine, FluidSynth where installed."""

import shutil
import wave

import numpy as np
import pytest
import symusic

from conftest import piece_of
from emopia_lightning.composing.pieces import write_pieces
from emopia_lightning.composing.request import PieceRequest
from emopia_lightning.data.segment_layout import SegmentLayout, piece_to_notes
from emopia_lightning.errors import RequestError
from emopia_lightning.render import audio
from emopia_lightning.render.midi import write_midi

LAYOUT = SegmentLayout()


def _read_wav(path) -> tuple[np.ndarray, float]:
    """(samples, 2) int16 and the length in seconds."""
    with wave.open(str(path)) as wav:
        frames = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, wav.getnchannels())
        return frames, wav.getnframes() / wav.getframerate()


@pytest.fixture
def midi(tmp_path):
    # Two bars: a loud C major chord held a bar, then a quiet run of four quarter notes.
    notes = [(0, 16, c, 110) for c in (38, 42, 45)] + [(16 + 4 * i, 4, 38 + 2 * i, 40) for i in range(4)]
    return write_midi(piece_of(notes, 32), tmp_path / "piece.mid", LAYOUT)


def _check_wav(path, midi_path):
    samples, seconds = _read_wav(path)
    end = symusic.Score(str(midi_path)).to("second").end()  # 4 s: two bars at 120 bpm
    assert end == pytest.approx(4.0)
    assert end <= seconds <= end + 2.5  # the notes, then their release
    first_bar, second_bar = samples[: 44100 * 2].astype(float), samples[44100 * 2 : 44100 * 4].astype(float)
    loud, quiet = np.sqrt((first_bar**2).mean()), np.sqrt((second_bar**2).mean())
    assert quiet > 30 and loud > 2 * quiet  # not silent, and the velocities are heard


def test_tinysoundfont_renders_a_wav_as_long_as_the_midi_without_fluidsynth(tmp_path, midi, monkeypatch):
    monkeypatch.setattr(audio.shutil, "which", lambda name: None)  # no FluidSynth on this machine
    assert audio.renderer() == "tinysoundfont" and audio.audio_unavailable_reason() is None
    _check_wav(audio.render_wav(midi, tmp_path / "piece.wav"), midi)


@pytest.mark.skipif(
    shutil.which("fluidsynth") is None, reason="FluidSynth is not installed (apt-get install fluidsynth)"
)
def test_fluidsynth_renders_the_same_midi_where_installed(tmp_path, midi):
    assert audio.renderer() == "fluidsynth"
    _check_wav(audio.render_wav(midi, tmp_path / "piece.wav"), midi)


def test_the_packaged_soundfont_is_found_without_system_fonts(monkeypatch):
    monkeypatch.delenv("SOUNDFONT", raising=False)
    monkeypatch.setattr(audio, "SOUNDFONT_DIRS", ())
    found = audio.find_soundfont()
    assert found.name == "TimGM6mb.sf2" and found.stat().st_size > 5_000_000


def test_without_a_soundfont_pieces_are_still_written_and_the_reason_logged_once(
    tmp_path, monkeypatch, caplog
):
    monkeypatch.setenv("SOUNDFONT", str(tmp_path / "missing.sf2"))
    notes = piece_to_notes(piece_of([(0, 4, 38, 80)], 64), LAYOUT)
    pieces = [(PieceRequest("Q1", 4, 120, seed).checked(), notes) for seed in (0, 1)]
    written = write_pieces(pieces, tmp_path, layout=LAYOUT, names=["a", "b"])
    assert [p.name for p in written.midi] == ["a.mid", "b.mid"] and written.wav == []
    assert all(p.audio_note.startswith("no WAV audio: no General MIDI soundfont") for p in written.pieces)
    assert [r.getMessage() for r in caplog.records if "no WAV audio" in r.getMessage()] == [
        "no WAV audio: no General MIDI soundfont found (set SOUNDFONT=file.sf2); MIDI and the picture "
        f"written to {tmp_path}"
    ]


def test_an_unreadable_midi_gets_one_clear_error(tmp_path):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"not midi")
    with pytest.raises(audio.AudioUnavailable, match="cannot read .*bad.mid for audio"):
        audio.render_wav(bad, tmp_path / "bad.wav", use="tinysoundfont")


def test_a_preferred_renderer_is_used_where_installed_and_the_other_otherwise(monkeypatch):
    installed = {"fluidsynth": True, "tinysoundfont": True}
    monkeypatch.setattr(audio, "_installed", lambda name: installed[name])
    assert audio.renderer() == "fluidsynth" and audio.renderer("tinysoundfont") == "tinysoundfont"
    installed["tinysoundfont"] = False
    assert audio.renderer("tinysoundfont") == "fluidsynth"
    installed["fluidsynth"] = False
    with pytest.raises(audio.AudioUnavailable, match="neither FluidSynth nor TinySoundFont"):
        audio.renderer("tinysoundfont")
    with pytest.raises(RequestError, match="renderer must be one of"):
        audio.renderer("timidity")


def test_a_fluidsynth_that_hangs_gives_way_to_tinysoundfont_and_the_log_says_so(
    tmp_path, midi, monkeypatch, caplog
):
    def hangs(command, **kwargs):
        raise audio.subprocess.TimeoutExpired(command, kwargs["timeout"])

    monkeypatch.setattr(audio.subprocess, "run", hangs)
    _check_wav(audio.render_wav(midi, tmp_path / "piece.wav", use="fluidsynth"), midi)
    assert any("FluidSynth took over 120 s" in r.getMessage() and "TinySoundFont instead" in r.getMessage()
               for r in caplog.records)  # fmt: skip
    monkeypatch.setattr(audio, "_installed", lambda name: name == "fluidsynth")  # and without TinySoundFont:
    with pytest.raises(
        audio.AudioUnavailable, match="FluidSynth took over 120 s"
    ):  # the pieces keep their MIDI
        audio.render_wav(midi, tmp_path / "again.wav", use="fluidsynth")

"""The corpus: cache hits and misses, and broken files skipped with one warning."""

import logging

import numpy as np

from conftest import make_midi, write_release_folder
from emopia_lightning.data import cache
from emopia_lightning.data.cache import cache_key
from emopia_lightning.data.corpus import load_corpus
from emopia_lightning.data.notes import read_notes
from emopia_lightning.data.rolls import BeatRollSpec, TimeRollSpec
from emopia_lightning.data.segment_layout import SegmentLayout
from emopia_lightning.data.source import locate_emopia

SPEC = TimeRollSpec(fs=10, lowest_pitch=21, n_pitches=88, velocity=True)


def test_second_load_comes_from_the_cache_unchanged(tmp_path, real_clips):
    source = locate_emopia(write_release_folder(tmp_path / "data", real_clips))
    first = load_corpus(source, SPEC, tmp_path / "cache", progress=False)
    second = load_corpus(source, SPEC, tmp_path / "cache", progress=False)
    assert not first.from_cache and second.from_cache
    assert [c.name for c in second.labels] == sorted(real_clips)
    np.testing.assert_array_equal(first.rows, second.rows)
    np.testing.assert_array_equal(first.offsets, second.offsets)
    # Each clip's roll is its own notes: the first clip's, rendered alone, is its slice.
    first_clip = sorted(real_clips)[0]
    alone = SPEC.render(read_notes(real_clips[first_clip]))
    np.testing.assert_array_equal(second.clip_rows(0), alone)


def test_cache_misses_when_settings_or_data_change(tmp_path, real_clips):
    folder = write_release_folder(tmp_path / "data", real_clips)
    cache = tmp_path / "cache"
    load_corpus(locate_emopia(folder), SPEC, cache, progress=False)
    other_fs = TimeRollSpec(fs=20, lowest_pitch=21, n_pitches=88, velocity=True)
    assert not load_corpus(locate_emopia(folder), other_fs, cache, progress=False).from_cache
    assert not load_corpus(
        locate_emopia(folder), BeatRollSpec.of(SegmentLayout()), cache, progress=False
    ).from_cache
    (folder / "midis" / "Q2_newsong_0.mid").write_bytes(make_midi([(0, 480, 60, 90)]))
    changed = load_corpus(locate_emopia(folder), SPEC, cache, progress=False)
    assert not changed.from_cache and "Q2_newsong_0" in [c.name for c in changed.labels]
    assert len(list(cache.iterdir())) == 4  # one entry per (data, settings), no leftovers


def test_cache_key_covers_source_settings_and_version(monkeypatch):
    base = cache_key("abc", SPEC.key())
    assert base == cache_key("abc", {**SPEC.key()}) and len(base) == 16
    assert base != cache_key("abd", SPEC.key())
    assert base != cache_key("abc", {**SPEC.key(), "velocity": False})
    monkeypatch.setattr(cache, "CACHE_VERSION", cache.CACHE_VERSION + 1)  # new rendering code
    assert cache_key("abc", SPEC.key()) != base


def test_a_damaged_cache_entry_is_rebuilt(tmp_path, real_clips):
    source = locate_emopia(write_release_folder(tmp_path / "data", real_clips))
    load_corpus(source, SPEC, tmp_path / "cache", progress=False)
    (entry,) = (tmp_path / "cache").iterdir()
    (entry / "index.json").write_text("{truncated")
    rebuilt = load_corpus(source, SPEC, tmp_path / "cache", progress=False)
    assert not rebuilt.from_cache and len(rebuilt) == len(real_clips)


def test_broken_files_are_skipped_counted_and_named_once(tmp_path, real_clips, caplog):
    folder = write_release_folder(tmp_path / "data", real_clips)
    (folder / "midis" / "Q1_corrupt_0.mid").write_bytes(b"MThd\x00\x00\x00\x06garbage")
    (folder / "midis" / "Q2_truncated_1.mid").write_bytes(next(iter(real_clips.values()))[:40])
    (folder / "midis" / "Q3_silent_0.mid").write_bytes(make_midi([]))
    (folder / "midis" / "my_song.mid").write_bytes(make_midi([(0, 480, 60, 90)]))
    for attempt in ("parse", "cache"):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="emopia_lightning.data.corpus"):
            corpus = load_corpus(locate_emopia(folder), SPEC, tmp_path / "cache", progress=False)
        assert corpus.from_cache == (attempt == "cache")
        assert [c.name for c in corpus.labels] == sorted(real_clips)
        skipped = dict(corpus.skipped)
        assert set(skipped) == {"Q1_corrupt_0", "Q2_truncated_1", "Q3_silent_0", "my_song"}
        assert "no pitched notes" in skipped["Q3_silent_0"]
        assert "not an EMOPIA clip name" in skipped["my_song"]
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and warnings[0].startswith("Skipped 4 of")
        assert all(name in warnings[0] for name in skipped)

"""No MIDI file, however broken or odd, crashes a run or slips through as garbage: the bad-input
corpus (``bad_midi.py``) mixed with real EMOPIA clips, through every path that reads MIDI."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from bad_midi import BAD_CASES, write_bad_cases

from conftest import compose_train, evaluate_config, write_release_folder
from emopia_lightning.data.cache import load_entry
from emopia_lightning.data.check import check
from emopia_lightning.data.corpus import load_corpus
from emopia_lightning.data.notes import MAX_SECONDS
from emopia_lightning.data.rolls import BeatRollSpec, TimeRollSpec
from emopia_lightning.data.segment_layout import SegmentLayout
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.train import train

STEMS = {name.rsplit(".", 1)[0]: case for name, case in BAD_CASES.items()}


@pytest.fixture
def mixed_folder(tmp_path, real_clips):
    """Real clips beside every bad case, laid out as an extracted release (midis/, split/)."""
    folder = write_release_folder(tmp_path / "mixed", dict(list(real_clips.items())[:12]))
    write_bad_cases(folder / "midis")
    return folder


@pytest.mark.parametrize("spec", [TimeRollSpec(fs=100, velocity=True), BeatRollSpec.of(SegmentLayout())],
                         ids=["clip rolls", "GAN pieces"])  # fmt: skip
def test_every_case_is_read_repaired_or_skipped_with_its_reason(mixed_folder, real_clips, spec, caplog):
    corpus = load_corpus(locate_emopia(mixed_folder), spec, progress=False)
    report = corpus.data_report()
    read = {label.name for label in corpus.labels}
    for stem, (_, decision, reason) in STEMS.items():
        if decision == "skipped":
            assert reason in report["skipped"][stem], stem
            assert stem not in read
        else:
            assert stem in read, stem
            repairs = report["repaired"].get(stem, [])
            assert any(reason in r for r in repairs) if decision == "repaired" else repairs == [], stem
    good = set(list(real_clips)[:12])
    assert good <= read and not set(report["repaired"]) & good  # EMOPIA's own clips need no repair
    assert report["files"] == len(good) + len(STEMS) == report["read"] + len(report["skipped"])
    # Every file named in the warnings; no roll longer than MAX_SECONDS allows.
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert all(stem in warned for stem in set(report["skipped"]) | set(report["repaired"]))
    most_rows = MAX_SECONDS * (100 if isinstance(spec, TimeRollSpec) else 1000 / 60 * 4)
    assert corpus.lengths().max() <= most_rows and corpus.rows.nbytes < 30e6


def test_a_file_that_vanishes_or_cannot_be_read_is_skipped_with_its_reason(mixed_folder, monkeypatch):
    source = locate_emopia(mixed_folder)
    stems = ["Q2_zero_tempo_0", "Q2_slow_tempo_0"]  # one vanishes, one is locked
    (mixed_folder / "midis" / f"{stems[0]}.mid").unlink()  # gone between listing and reading
    unreadable = mixed_folder / "midis" / f"{stems[1]}.mid"
    original = type(unreadable).read_bytes

    def read_bytes(path):  # as root every file is readable: refuse this one as a locked file would
        if path == unreadable:
            raise PermissionError(13, "Permission denied")
        return original(path)

    monkeypatch.setattr(type(unreadable), "read_bytes", read_bytes)
    skipped = load_corpus(source, TimeRollSpec(fs=10), progress=False).data_report()["skipped"]
    assert "No such file" in skipped[stems[0]] and "Permission denied" in skipped[stems[1]]


def test_training_on_emopia_mixed_with_bad_files_reports_every_file(mixed_folder, tmp_path, cache_dir):
    cfg = compose_train(["debug=fast_dev_run", f"data.root={mixed_folder}", "split=kfold",
                        "split.n_folds=3", "split.val_folds=2"], tmp_path / "run",
                        cache_dir)  # fmt: skip
    train(cfg)
    report = json.loads((tmp_path / "run" / "data_report.json").read_text())
    assert set(report["skipped"]) | {s for s in STEMS if STEMS[s][1] != "skipped"} >= set(STEMS)
    assert report["skip_reasons"]["no pitched notes"] == 3
    assert report["repair_reasons"]["tempo outside 10..1000 bpm"] == 2


def test_predict_names_each_bad_file_and_predicts_the_rest(mixed_folder, classifier_checkpoint, capsys):
    from emopia_lightning.predict import main

    files = sorted(str(p) for p in (mixed_folder / "midis").iterdir())
    assert main([str(classifier_checkpoint), *files, "--json"]) == 1
    out, err = capsys.readouterr()
    results = {r["file"].rsplit("/", 1)[-1].rsplit(".", 1)[0]: r for r in json.loads(out)}
    assert len(results) == len(files) and "Traceback" not in err
    for stem, (blob, decision, reason) in STEMS.items():
        name_only = "clip name" in reason  # predict takes any MIDI: names do not matter to it
        if decision == "skipped" and not name_only:
            assert ("Is a directory" if blob is None else reason) in results[stem]["error"], stem
        else:
            assert results[stem]["prediction"] in ("Q1", "Q2", "Q3", "Q4"), stem
    assert err.count("warning:") == sum(1 for _, d, _ in STEMS.values() if d == "repaired")


def test_the_check_command_reports_release_counts_splits_and_skips(mixed_folder, data_root):
    real = check(data_root)
    assert real["release"] == "EMOPIA 1.0 (midis.zip)" and real["songs"] == 387
    assert real["clips_per_quadrant"] == {"Q1": 250, "Q2": 265, "Q3": 253, "Q4": 310}
    assert "train.csv" in real["split_files"] and real["skipped"] == {}
    mixed = check(mixed_folder)
    assert mixed["release"].startswith("an extracted folder") and set(mixed["skipped"]) < set(STEMS)
    result = subprocess.run([sys.executable, "-m", "emopia_lightning.data.check", str(mixed_folder)],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0 and "skipped Q1_zero_division_0: header says 0 ticks" in result.stdout
    missing = subprocess.run([sys.executable, "-m", "emopia_lightning.data.check", str(mixed_folder / "nope")],
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    assert missing.returncode == 2 and missing.stderr.startswith("error: EMOPIA not found")


def test_two_processes_sharing_one_cache_write_one_valid_entry(mixed_folder, tmp_path):
    cache = tmp_path / "shared_cache"
    script = textwrap.dedent(f"""
        from emopia_lightning.data.corpus import load_corpus
        from emopia_lightning.data.rolls import TimeRollSpec
        from emopia_lightning.data.source import locate_emopia
        corpus = load_corpus(locate_emopia({str(mixed_folder)!r}), TimeRollSpec(fs=100), {str(cache)!r}, progress=False)
        print(len(corpus), int(corpus.rows.sum()))
    """)  # fmt: skip
    runs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]  # fmt: skip
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-500:] for _, err in outputs]
    assert outputs[0][0] == outputs[1][0]  # the same corpus
    entries = list(cache.iterdir())
    assert len(entries) == 1 and not entries[0].name.startswith(".")  # no staging folder left behind
    rolls, index = load_entry(entries[0])
    assert len(index["names"]) == int(outputs[0][0].split()[0]) and rolls.shape[0] == index["offsets"][-1]
    assert np.asarray(rolls).sum() == int(outputs[0][0].split()[1])


@pytest.mark.slow  # fits a feature judge on all of EMOPIA plus the bad files (about 30 s); training on them stays fast
def test_evaluate_on_emopia_mixed_with_bad_files_judges_the_good_ones(tmp_path, data_root, cache_dir):

    from conftest import NO_WAV, TINY_GAN
    from emopia_lightning.evaluate_generator import evaluate

    source = locate_emopia(data_root)  # all of EMOPIA with its split, the bad cases beside it
    folder = write_release_folder(tmp_path / "all", source.read_all()[0])
    (folder / "split").mkdir()
    for name, text in source.split_csvs.items():
        (folder / "split" / name).write_text(text)
    write_bad_cases(folder / "midis")
    gan = tmp_path / "gan"
    train(compose_train([*TINY_GAN, *NO_WAV, "model.generator_steps=2", "callbacks.judged_emotion=null",
                         f"data.root={folder}"], gan, cache_dir))  # fmt: skip
    assert len(json.loads((gan / "data_report.json").read_text())["skipped"]) == 11
    cfg = evaluate_config(
        tmp_path, cache_dir, ckpt=str(gan / "checkpoints" / "last.ckpt"), judge=None, fast=True
    )
    cfg.paths.data_dir = str(folder)
    results = evaluate(cfg)
    assert results["emotion"]["features"]["real"]["n"] == 382  # the test songs' segments, as on EMOPIA alone

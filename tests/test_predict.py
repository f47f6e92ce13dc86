"""The predict command on real clips, on MIDI that is not EMOPIA's, and on bad input."""

import json

import pytest
import torch

from conftest import exit_status, make_midi
from emopia_lightning.data.notes import read_notes
from emopia_lightning.emotion_models import CheckpointModel, load_emotion_model
from emopia_lightning.errors import CheckpointError
from emopia_lightning.models.emotion_classifier import EmotionClassifier
from emopia_lightning.predict import main


def test_predicts_real_clips_and_foreign_midi_while_naming_broken_files(
    tmp_path, classifier_checkpoint, real_clips, capsys
):
    files = []
    for stem, blob in list(real_clips.items())[:2]:
        (tmp_path / f"{stem}.mid").write_bytes(blob)
        files.append(str(tmp_path / f"{stem}.mid"))
    (tmp_path / "scale.mid").write_bytes(
        make_midi([(480 * i, 480, 60 + i, 80) for i in range(8)])
    )  # not EMOPIA
    (tmp_path / "broken.mid").write_bytes(b"MThd garbage")
    files += [str(tmp_path / "scale.mid"), str(tmp_path / "broken.mid"), str(tmp_path / "missing.mid")]
    assert main([str(classifier_checkpoint), *files, "--json"]) == 1  # some files failed
    out, err = capsys.readouterr()
    results = json.loads(out)
    assert [r["file"] for r in results] == files
    for result in results[:3]:
        assert result["prediction"] in ("Q1", "Q2", "Q3", "Q4")
        shares = result["probabilities"]
        assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3)
        assert result["arousal"] == pytest.approx(shares["Q1"] + shares["Q2"], abs=1e-3)  # high arousal
        assert result["valence"] == pytest.approx(shares["Q1"] + shares["Q4"], abs=1e-3)  # positive
    assert "unreadable MIDI" in results[3]["error"] and "No such file" in results[4]["error"]
    assert err.count("error:") == 2 and "Traceback" not in err
    assert main([str(classifier_checkpoint), files[2]]) == 0
    line = capsys.readouterr().out
    assert line.startswith(f"{files[2]}: Q") and "P(high arousal), P(positive valence): arousal 0." in line


def test_refuses_checkpoints_that_would_run_foreign_code_or_are_not_ours(
    tmp_path, classifier_checkpoint, capsys
):
    state = torch.load(classifier_checkpoint, weights_only=True)
    state["run_config"]["model"]["net"]["_target_"] = "os.system"
    torch.save(state, tmp_path / "tampered.ckpt")
    with pytest.raises(CheckpointError, match="os.system"):
        CheckpointModel(tmp_path / "tampered.ckpt")
    state["run_config"]["model"]["net"]["_target_"] = "emopia_lightning.data.source.os.getpid"
    torch.save(state, tmp_path / "tampered_path.ckpt")  # passes a prefix check, resolves to os
    with pytest.raises(CheckpointError, match="getpid"):
        CheckpointModel(tmp_path / "tampered_path.ckpt")
    wrong = torch.load(classifier_checkpoint, weights_only=True)
    wrong["run_config"]["model"]["net"]["hidden_size"] = 5  # weights no longer fit
    torch.save(wrong, tmp_path / "mismatch.ckpt")
    assert exit_status(main, [str(tmp_path / "mismatch.ckpt"), "x.mid"]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "cannot rebuild the model" in err and "Traceback" not in err
    torch.save({"state_dict": {}}, tmp_path / "foreign.ckpt")
    with pytest.raises(CheckpointError, match="no run_config"):
        CheckpointModel(tmp_path / "foreign.ckpt")
    (tmp_path / "text.ckpt").write_text("hello")
    assert exit_status(main, [str(tmp_path / "text.ckpt"), "x.mid"]) == 2
    assert "not a loadable checkpoint" in capsys.readouterr().err


def test_a_segment_judge_reads_every_segment_of_a_clip_and_averages_their_answers(
    segment_judge_run, real_clips, tmp_path, capsys, monkeypatch
):
    stem, blob = next(iter(real_clips.items()))
    (tmp_path / f"{stem}.mid").write_bytes(blob)
    model = load_emotion_model(segment_judge_run)
    views = model.datamodule.model_inputs(read_notes(blob))  # one 4-bar segment starting at every bar
    layout = model.datamodule.layout
    assert views.shape[1:] == (layout.segment_steps, layout.n_pitches) and len(views) > 1
    # What the judge is given, and what it answers, on the way through predict.
    given, answers, forward = [], [], EmotionClassifier.forward

    def recorded(self, inputs, lengths):
        logits = forward(self, inputs, lengths)
        given.append(inputs.clone())
        answers.append(torch.softmax(logits, dim=-1))
        return logits

    monkeypatch.setattr(EmotionClassifier, "forward", recorded)
    assert main([str(segment_judge_run), str(tmp_path / f"{stem}.mid"), "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert len(given) == 1 and torch.equal(given[0], views)  # every segment, in one batch
    shares = [result["probabilities"][q] for q in ("Q1", "Q2", "Q3", "Q4")]
    assert shares == pytest.approx(answers[0].mean(dim=0).tolist(), abs=1e-4)  # their mean (4 places)

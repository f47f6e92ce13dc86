"""Classical models as skops files: the round trip on real clips, predict with one, and the files
that are refused (tampered, foreign, made for other features)."""

import json
import zipfile

import numpy as np
import pytest
import skops.io
from sklearn.ensemble import RandomForestClassifier

from conftest import exit_status
from emopia_lightning.classical.features import FeatureSpec
from emopia_lightning.classical.model_file import ClassicalModel, load_classical_model
from emopia_lightning.config_registry import CONF_DIR, compose_config
from emopia_lightning.data.labels import QUADRANTS, parse_clip_name
from emopia_lightning.data.notes import read_notes
from emopia_lightning.emotion_models import load_emotion_model
from emopia_lightning.errors import CheckpointError
from emopia_lightning.predict import main

SPEC = FeatureSpec(("expert",))


def _fitted(real_clips, task: str) -> tuple[ClassicalModel, np.ndarray]:
    """A small forest on the expert features of the real test clips; returns it and their rows."""
    rows = np.concatenate([SPEC.render(read_notes(blob)) for blob in real_clips.values()])  # (clips, F)
    targets = [parse_clip_name(stem).target(task) for stem in real_clips]
    forest = RandomForestClassifier(20, random_state=0).fit(rows, targets)
    return ClassicalModel(
        forest, SPEC, task, {"model": "random_forest", "official_test_accuracy": None}
    ), rows


def test_a_saved_model_loads_back_and_predicts_as_it_did(real_clips, tmp_path):
    model, rows = _fitted(real_clips, "quadrant")
    path = model.save(tmp_path / "random_forest.skops")
    again = load_classical_model(path)
    assert again.task == "quadrant" and again.spec == SPEC and again.about["model"] == "random_forest"
    assert np.array_equal(again.pipeline.predict_proba(rows), model.pipeline.predict_proba(rows))
    for blob in real_clips.values():
        notes = read_notes(blob)
        assert np.allclose(again.probabilities(notes), model.probabilities(notes))
    assert isinstance(load_emotion_model(tmp_path), ClassicalModel)  # its run folder works too


def test_predict_takes_a_classical_model_like_a_checkpoint(real_clips, tmp_path, capsys):
    quadrants = _fitted(real_clips, "quadrant")[0].save(tmp_path / "quadrant.skops")
    arousal = _fitted(real_clips, "arousal")[0].save(tmp_path / "arousal.skops")
    files = []
    for stem, blob in list(real_clips.items())[:3]:
        (tmp_path / f"{stem}.mid").write_bytes(blob)
        files.append(str(tmp_path / f"{stem}.mid"))
    assert main([str(quadrants), *files, "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    for result, stem in zip(results, real_clips):
        shares = result["probabilities"]
        assert result["prediction"] == stem[:2]  # a forest on these very clips knows them
        assert result["arousal"] == pytest.approx(shares["Q1"] + shares["Q2"], abs=1e-3)
        assert result["valence"] == pytest.approx(shares["Q1"] + shares["Q4"], abs=1e-3)
    assert main([str(arousal), files[0], "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert set(result["probabilities"]) == {"low", "high"}
    assert result["arousal"] == result["probabilities"]["high"] and "valence" not in result
    assert exit_status(main, [str(tmp_path), files[0]]) == 2  # two model files there: which one?
    assert "holds 2 model files" in capsys.readouterr().err


def test_tampered_foreign_and_outdated_model_files_are_refused(real_clips, tmp_path, capsys):
    path = _fitted(real_clips, "quadrant")[0].save(tmp_path / "model.skops")
    with zipfile.ZipFile(path) as original:
        files = {name: original.read(name) for name in original.namelist()}
    schema = json.loads(files["schema.json"])
    schema["content"]["pipeline"]["__module__"] = "os"  # what an attacker would swap in
    schema["content"]["pipeline"]["__class__"] = "system"
    with zipfile.ZipFile(tmp_path / "tampered.skops", "w") as archive:
        for name, blob in {**files, "schema.json": json.dumps(schema).encode()}.items():
            archive.writestr(name, blob)
    with pytest.raises(CheckpointError, match="os.system"):
        load_classical_model(tmp_path / "tampered.skops")
    skops.io.dump({"weights": np.zeros(3)}, tmp_path / "foreign.skops")
    with pytest.raises(CheckpointError, match="not a emopia_lightning classical model file"):
        load_classical_model(tmp_path / "foreign.skops")
    record = skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))
    skops.io.dump({**record, "features_version": -1}, tmp_path / "old.skops")
    with pytest.raises(CheckpointError, match="features are version -1"):
        load_classical_model(tmp_path / "old.skops")
    (tmp_path / "junk.skops").write_bytes(b"not a zip")
    assert exit_status(main, [str(tmp_path / "junk.skops"), "x.mid"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "not a classical model file" in err and "Traceback" not in err


def test_arousal_times_valence_multiplies_its_halves_and_survives_a_model_file(real_clips, tmp_path):
    from emopia_lightning.classical.circumplex import ArousalTimesValence

    rows = np.concatenate([SPEC.render(read_notes(blob)) for blob in real_clips.values()])
    quadrants = np.array([parse_clip_name(stem).quadrant - 1 for stem in real_clips])
    forest = RandomForestClassifier(10, random_state=0)
    model = ArousalTimesValence(forest, forest).fit(rows, quadrants)
    shares = model.predict_proba(rows)
    high = model.arousal_.predict_proba(rows)[:, 1]
    positive = model.valence_.predict_proba(rows)[:, 1]
    assert np.allclose(shares[:, 0], high * positive) and np.allclose(
        shares[:, 2], (1 - high) * (1 - positive)
    )
    assert np.allclose(shares.sum(axis=1), 1.0) and model.feature_importances_.shape == (rows.shape[1],)
    path = ClassicalModel(model, SPEC, "quadrant", {}).save(tmp_path / "halves.skops")
    assert np.allclose(load_classical_model(path).pipeline.predict_proba(rows), shares)  # a trusted type


@pytest.fixture(scope="module")
def forty_clips(data_root):
    """Expert features and quadrants of 10 real clips per quadrant."""
    from emopia_lightning.data.source import locate_emopia

    source = locate_emopia(data_root)
    chosen = [stem for q in QUADRANTS for stem in sorted(s for s in source.members if s.startswith(q))[:10]]
    rows = np.concatenate([SPEC.render(read_notes(source.read(s))) for s in chosen])
    return rows, np.array([parse_clip_name(s).quadrant - 1 for s in chosen])


@pytest.mark.parametrize("name", sorted(p.stem for p in (CONF_DIR / "classical" / "model").glob("*.yaml")))
def test_every_classical_model_config_fits_and_survives_its_model_file(name, forty_clips, tmp_path):
    from hydra.utils import instantiate
    from sklearn.model_selection import StratifiedKFold

    from emopia_lightning.classical.models import build_pipeline

    cfg = compose_config("classical", overrides=[f"model={name}"], folder=CONF_DIR / "classical")
    rows, quadrants = forty_clips
    rfecv = dict(cfg.model.rfecv, min_features=40) if cfg.model.rfecv else None  # one elimination step
    pipeline = build_pipeline(instantiate(cfg.model.estimator), cfg.model.standardise, rfecv, None,
                              StratifiedKFold(3, shuffle=True, random_state=0)).fit(rows, quadrants)  # fmt: skip
    path = ClassicalModel(pipeline, SPEC, "quadrant", {"model": name}).save(tmp_path / f"{name}.skops")
    assert np.allclose(load_classical_model(path).pipeline.predict_proba(rows), pipeline.predict_proba(rows))

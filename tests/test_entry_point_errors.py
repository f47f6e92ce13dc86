"""Every entry point, given each kind of bad input it can meet, ends the same way: exit status 2
and one ``error:`` line that names what is wrong, never a traceback (``emopia_lightning.errors``).

The commands run in-process (``main()`` with ``sys.argv`` set), as a user's shell would run them.
"""

from __future__ import annotations

import importlib
import json
import re
import sys

import pytest
import torch

from emopia_lightning.checkpoints import chosen_checkpoint


@pytest.fixture(scope="module")
def bad(tmp_path_factory, classifier_checkpoint, composer_checkpoint) -> dict[str, str]:
    """Paths of the bad inputs: a missing data folder, an output folder under a plain file, and
    checkpoints tampered to build ``os.system``."""
    folder = tmp_path_factory.mktemp("bad_inputs")
    (folder / "a_file").write_text("not a folder")
    paths = {
        "missing": str(folder / "no_emopia_here"),
        "blocked": str(folder / "a_file" / "out"),
        "classifier": str(classifier_checkpoint),
        "composer": str(composer_checkpoint),
    }
    for name, checkpoint in (("classifier", classifier_checkpoint), ("composer", composer_checkpoint)):
        state = torch.load(chosen_checkpoint(checkpoint), weights_only=True)
        state["run_config"]["model"]["_target_"] = "os.system"
        torch.save(state, folder / f"tampered_{name}.ckpt")
        paths[f"tampered_{name}"] = str(folder / f"tampered_{name}.ckpt")
    jobs = folder / "sweep" / "0"
    (jobs / ".hydra").mkdir(parents=True)
    (jobs / ".hydra" / "overrides.yaml").write_text("- seed=0\n")
    (jobs / "metrics.json").write_text(json.dumps({"metrics": {"val/acc": 0.5}}))
    paths["sweep"], paths["empty"] = str(folder / "sweep"), str(folder)
    return paths


def run_as_user(module: str, args: list[str], monkeypatch, capsys, env: dict | None = None):
    """(exit status, stderr) of ``python -m module *args``."""
    # As `python -m` runs it: Hydra finds the configs beside the module's file.
    monkeypatch.setenv("HYDRA_MAIN_MODULE", "__main__")
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    entry = importlib.import_module(module)
    monkeypatch.setattr(sys, "argv", [module, *args])
    with pytest.raises(SystemExit) as exit:
        entry.main()
    return exit.value.code, capsys.readouterr().err


TRAIN, GENERATE, EVALUATE = (
    "emopia_lightning.train",
    "emopia_lightning.generate",
    "emopia_lightning.evaluate_generator",
)
CLASSICAL, APP, PREDICT = (
    "emopia_lightning.classical.__main__",
    "emopia_lightning.app.__main__",
    "emopia_lightning.predict",
)
ENSEMBLE, SUMMARIZE = "emopia_lightning.ensemble", "emopia_lightning.summarize"
CHECK, DOWNLOAD = "emopia_lightning.data.check", "emopia_lightning.data.download"
APP_ONLY_TRANSFORMER = ["generators.musegan=null", "classifier=null", "make_classify_model=none.skops"]

# (entry point, kind of bad input, arguments with {placeholders} from `bad`, env, what the line says)
CASES = [
    (TRAIN, "missing data", [], {"EMOPIA_ROOT": "{missing}"}, "EMOPIA not found.*no_emopia_here"),
    # The data folder is one option for every command, and the hint names it.
    (TRAIN, "missing data folder option", ["paths.data_dir={missing}"], {}, "no_emopia_here.*paths.data_dir=DIR"),
    (CLASSICAL, "missing data folder option", ["paths.data_dir={missing}"], {}, "no_emopia_here.*paths.data_dir=DIR"),
    (EVALUATE, "missing data folder option", ["ckpt={composer}", "fast=true", "paths.data_dir={missing}"], {},
     "no_emopia_here.*paths.data_dir=DIR"),
    (TRAIN, "wrong checkpoint", ["ckpt_path={composer}/checkpoints/last.ckpt"], {},
     "a checkpoint of TransformerComposer, not of this run's EmotionClassifier"),
    (TRAIN, "tampered checkpoint", ["ckpt_path={tampered_classifier}"], {}, "names \\['os.system'\\]"),
    (TRAIN, "out-of-range option", ["model=musegan", "task=arousal"], {}, "task must be quadrant"),
    (TRAIN, "option it cannot honour", ["model=musegan", "split=random"], {},
     "split=random: this run's data \\(EmopiaSegmentDataModule\\) reads no split"),
    (GENERATE, "wrong checkpoint", ["ckpt={classifier}"], {}, "not the composer"),
    (GENERATE, "tampered checkpoint", ["ckpt={tampered_composer}"], {}, "names \\['os.system'\\]"),
    (GENERATE, "unwritable output", ["ckpt={composer}", "out={blocked}"], {}, "cannot write to .*a_file/out"),
    (GENERATE, "out-of-range option", ["ckpt={composer}", "bars=0"], {}, "length must be 1 to 256 bars"),
    (EVALUATE, "missing data", ["ckpt={composer}", "fast=true"], {"EMOPIA_ROOT": "{missing}"}, "EMOPIA not found"),
    (EVALUATE, "wrong checkpoint", ["ckpt={classifier}", "fast=true"], {}, "not the composer"),
    (EVALUATE, "tampered checkpoint", ["ckpt={tampered_composer}", "fast=true"], {}, "names \\['os.system'\\]"),
    (EVALUATE, "unwritable output", ["ckpt={composer}", "fast=true", "out={blocked}"], {}, "cannot write to .*a_file/out"),
    (EVALUATE, "out-of-range option", ["ckpt={composer}", "n=0"], {}, "n must be a whole number of at least 1"),
    (CLASSICAL, "missing data", [], {"EMOPIA_ROOT": "{missing}"}, "EMOPIA not found"),
    (CLASSICAL, "unwritable output", ["out_dir={blocked}"], {}, "cannot write to .*a_file/out"),
    (CLASSICAL, "out-of-range option", ["cv=leave_one_out"], {}, "cv=leave_one_out: not an evaluation"),
    (APP, "missing data", ["generators.transformer={composer}", *APP_ONLY_TRANSFORMER],
     {"EMOPIA_ROOT": "{missing}", "EMOPIA_CACHE": "{empty}/cache"}, "EMOPIA not found"),
    (APP, "wrong checkpoint", ["generators.transformer={classifier}", *APP_ONLY_TRANSFORMER], {}, "not the composer"),
    (APP, "tampered checkpoint", ["generators.transformer={tampered_composer}", *APP_ONLY_TRANSFORMER], {},
     "names \\['os.system'\\]"),
    (APP, "out-of-range option", ["generators.transformer={composer}", *APP_ONLY_TRANSFORMER,
                                  "+composer_options.musegan.threshold=0.5"], {}, "options for musegan, which the page does not offer"),
    (APP, "out-of-range sample rate", ["generators.transformer={composer}", *APP_ONLY_TRANSFORMER, "sample_rate=441"],
     {}, "sample_rate must be a whole number of Hz, 8000 to 96000, got 441"),
    (PREDICT, "wrong checkpoint", ["{composer}", "x.mid"], {}, "holds TransformerComposer weights, not the emotion classifier asked for"),
    (PREDICT, "tampered checkpoint", ["{tampered_classifier}", "x.mid"], {}, "names \\['os.system'\\]"),
    (ENSEMBLE, "wrong checkpoint", ["{composer}"], {}, "holds TransformerComposer weights, not the emotion classifier asked for"),
    (ENSEMBLE, "tampered checkpoint", ["{tampered_classifier}"], {}, "names \\['os.system'\\]"),
    (ENSEMBLE, "unwritable output", ["{classifier}", "--out", "{blocked}/table.md"], {}, "cannot write to .*a_file/out"),
    (ENSEMBLE, "out-of-range option", ["{classifier}", "--classical", "svm_rbf"], {}, "--classical svm_rbf: choose one of"),
    (SUMMARIZE, "missing data", ["{empty}"], {}, "no finished jobs"),
    (SUMMARIZE, "unwritable output", ["{sweep}", "--out", "{blocked}/table.md"], {}, "cannot write to .*a_file/out"),
    (CHECK, "missing data", ["{missing}"], {}, "EMOPIA not found"),
    (DOWNLOAD, "unwritable output", ["{blocked}"], {}, "cannot write to .*a_file/out"),
]  # fmt: skip


@pytest.mark.parametrize(
    "module, kind, args, env, message",
    CASES,
    ids=[f"{c[0].removesuffix('.__main__').split('.')[-1]}-{c[1]}" for c in CASES],
)
def test_bad_input_ends_in_one_error_line(
    module, kind, args, env, message, bad, tmp_path, monkeypatch, capsys
):
    args = [a.format(**bad) for a in args]
    if module in (TRAIN, GENERATE, EVALUATE, CLASSICAL, APP):
        args.append(f"hydra.run.dir={tmp_path / 'run'}")
    status, err = run_as_user(module, args, monkeypatch, capsys, {k: v.format(**bad) for k, v in env.items()})
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert status == 2 and "Traceback" not in err, err[-3000:]
    assert len(errors) == 1, err[-3000:]
    assert re.search(message, errors[0]), errors[0]


@pytest.mark.parametrize("module", [TRAIN, GENERATE, EVALUATE, CLASSICAL, APP])
@pytest.mark.parametrize("mode", ["run", "sweep"])
def test_an_unwritable_hydra_run_folder_is_one_line_too(module, mode, bad, monkeypatch, capsys):
    args = [f"hydra.{mode}.dir={bad['blocked']}", *(["-m"] if mode == "sweep" else [])]
    status, err = run_as_user(module, args, monkeypatch, capsys)
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert status == 2 and "Traceback" not in err, err[-3000:]
    assert len(errors) == 1 and re.search("cannot write to .*a_file/out", errors[0]), err[-3000:]

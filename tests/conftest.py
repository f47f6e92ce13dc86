"""Shared fixtures: real EMOPIA from ../shared (or $EMOPIA_ROOT), tiny MIDI made in code, configs."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
import symusic
import torch
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf, open_dict

from emopia_lightning.config_registry import compose_config
from emopia_lightning.data.segment_layout import ONSET, SOUNDING
from emopia_lightning.project_root import PROJECT_ROOT

# A feature judge that fits in seconds: one SVM, one blend weight, a small forest.
TINY_FEATURE_JUDGE = {"svm": [[1.0, 1.0]], "svm_shares": [0.5], "trees": 20}
# Small nets, two critic steps per generator step, batches of 4: seconds on one core.
TINY_GAN = [
    "model=musegan",
    "model.generator.latent_dim=8",
    "model.generator.label_dim=4",
    "model.generator.channels=[8,8,4]",
    "model.critic.channels=[4,4,8]",
    "model.critic.hidden=16",
    "model.n_critic=2",
    "model.batch_size=4",
]
# A Transformer composer of 2 narrow layers over 64-token windows, validated every 2 steps.
TINY_COMPOSER = [
    "model=transformer_composer",
    "model.net.width=32",
    "model.net.layers=2",
    "model.net.heads=2",
    "model.warmup_steps=1",
    "data.window=64",
    "data.batch_size=4",
    "trainer.val_check_interval=2",
    "trainer.limit_val_batches=2",
    "callbacks.judged_emotion.every_n_steps=2",
    "callbacks.judged_emotion.n=2",
    "callbacks.samples.at_steps=[0]",
]
# A tiny CNN segment judge: one epoch of two batches.
TINY_JUDGE = [
    "experiment=segment_judge",
    "model.net.channels=[4,4,4,4,4,4]",
    "model.net.dense=8",
    "trainer.max_epochs=1",
    "trainer.limit_train_batches=2",
    "trainer.limit_val_batches=2",
    "test=false",
    "callbacks.confusion_matrix=null",
]

NO_WAV = ["callbacks.samples.wav=false"]

# Tests share two cores with pytest itself: one torch thread each keeps steps fast.
torch.set_num_threads(1)
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")


def emopia_root() -> Path:
    root = Path(os.environ.get("EMOPIA_ROOT", PROJECT_ROOT.parent / "shared" / "data" / "emopia"))
    if not (root / "midis.zip").exists() and not (root / "midis").exists():
        pytest.fail(f"EMOPIA is needed for the tests: not found at {root} (set EMOPIA_ROOT)")
    return root


@pytest.fixture(scope="session")
def data_root() -> Path:
    return emopia_root()


@pytest.fixture(scope="session")
def real_clips(data_root) -> dict[str, bytes]:
    """A few real clips per quadrant, from different songs, as MIDI bytes keyed by file stem."""
    from emopia_lightning.data.source import locate_emopia

    source = locate_emopia(data_root)
    chosen: dict[str, bytes] = {}
    songs_seen: set[str] = set()
    for stem in sorted(source.members):
        quadrant, song = stem[:2], stem[3:].rsplit("_", 1)[0]
        if song in songs_seen or sum(s.startswith(quadrant) for s in chosen) >= 3:
            continue
        songs_seen.add(song)
        chosen[stem] = source.read(stem)
    return chosen


def write_release_folder(folder: Path, clips: dict[str, bytes]) -> Path:
    """An extracted-release layout: ``folder/midis/*.mid``."""
    (folder / "midis").mkdir(parents=True, exist_ok=True)
    for stem, blob in clips.items():
        (folder / "midis" / f"{stem}.mid").write_bytes(blob)
    return folder


def write_release_zip(path: Path, clips: dict[str, bytes], top: str = "EMOPIA_1.0") -> Path:
    """A zipped release as downloaded: ``top/midis/*.mid``, plus macOS resource forks to ignore."""
    with zipfile.ZipFile(path, "w") as archive:
        for stem, blob in clips.items():
            archive.writestr(f"{top}/midis/{stem}.mid", blob)
            archive.writestr(f"__MACOSX/{top}/midis/._{stem}.mid", b"\x00\x05\x16\x07junk")
    return path


def make_midi(notes: list[tuple[int, int, int, int]], tpq: int = 480, qpm: float = 120.0) -> bytes:
    """MIDI bytes of one piano track; notes are (start tick, duration ticks, pitch, velocity)."""
    score = symusic.Score(tpq)
    score.tempos.append(symusic.Tempo(0, qpm))
    score.time_signatures.append(symusic.TimeSignature(0, 4, 4))
    track = symusic.Track("piano", 0, False)
    for start, duration, pitch, velocity in notes:
        track.notes.append(symusic.Note(start, duration, pitch, velocity))
    score.tracks.append(track)
    return score.dumps_midi()


def piece_of(notes: list[tuple[int, int, int, int]], steps: int, pitches: int = 84) -> np.ndarray:
    """A (steps, pitches, 2) piece (``data.segment_layout``) of (start, length, column, velocity)."""
    piece = np.zeros((steps, pitches, 2), dtype=np.uint8)
    for start, length, column, velocity in notes:
        piece[start : start + length, column, SOUNDING] = velocity
        piece[start, column, ONSET] = velocity
    return piece


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


def evaluate_config(tmp_path, cache_dir, **values) -> DictConfig:
    """evaluate_generator's config at test size: 3 segments per quadrant, a tiny feature judge."""
    # threshold 0.02: the tiny generators are a few steps from their start at 5 % density.
    base = {
        "n": 3, "seed": 0, "options": {"threshold": 0.02}, "real_part": "test", "qualified_steps": 2, "examples": 1,
        "write_clips": True, "ablation_ckpt": None, "real_piano_rolls": True, "out": str(tmp_path / "report"),
        "clips_dir": str(tmp_path / "clips"), "feature_judge": TINY_FEATURE_JUDGE, "fast": False,
        "pieces": {"n": 2, "bars": 12, "continuities": [0.0]},
        "realness": {"enabled": None, "real_parts": ["val", "test"], "trees": 20, "folds": 2, "top": 3},
        "paths": {"data_dir": str(emopia_root()), "cache_dir": str(cache_dir)},
    }  # fmt: skip
    return OmegaConf.create({**base, **values})


def exit_status(main, argv: list[str]) -> int:
    """The exit status of an argparse entry point: its return value, or the code it exits with."""
    try:
        return main(argv)
    except SystemExit as exit:
        return exit.code


def compose_train(overrides: list[str], output_dir: Path, cache: Path) -> DictConfig:
    """The train config as a test run needs it: CPU, no logger, tiny net, paths under tmp."""
    cfg = compose_config(
        config_name="train",
        return_hydra_config=True,
        overrides=[
            "logger=none",
            "trainer=cpu",
            "extras.print_config=false",
            "extras.torch_threads=1",
            "data.progress=false",
            *overrides,
        ],
    )
    HydraConfig().set_config(cfg)
    with open_dict(cfg):
        cfg.paths.output_dir = str(output_dir)
        cfg.paths.cache_dir = str(cache)
        cfg.paths.data_dir = str(emopia_root())
        if cfg.get("callbacks") and cfg.callbacks.get("judged_emotion"):
            cfg.callbacks.judged_emotion.candidates = TINY_FEATURE_JUDGE  # seconds, not a minute
    return cfg


@pytest.fixture(scope="session")
def gan_checkpoint(tmp_path_factory, cache_dir) -> Path:
    """A tiny label-conditioned MuseGAN after 3 generator steps (its notes need a low threshold)."""
    from emopia_lightning.train import train

    folder = tmp_path_factory.mktemp("gan")
    train(compose_train([*TINY_GAN, *NO_WAV, "model.generator_steps=3"], folder, cache_dir))
    return folder / "checkpoints" / "last.ckpt"


@pytest.fixture(scope="session")
def composer_checkpoint(tmp_path_factory, cache_dir) -> Path:
    """A tiny Transformer composer after 4 steps: its run folder (the checkpoint chosen on validation)."""
    from emopia_lightning.train import train

    folder = tmp_path_factory.mktemp("composer")
    train(compose_train([*TINY_COMPOSER, *NO_WAV, "trainer.max_steps=4"], folder, cache_dir))
    return folder


@pytest.fixture(scope="session")
def classifier_checkpoint(tmp_path_factory, cache_dir) -> Path:
    """A tiny quadrant LSTM after two training batches."""
    from emopia_lightning.train import train

    run = tmp_path_factory.mktemp("classifier")
    overrides = [
        "model.net.hidden_size=8",
        "model.net.num_layers=1",
        "data.max_seconds=8",
        "trainer.max_epochs=1",
        "trainer.limit_train_batches=2",
        "trainer.limit_val_batches=1",
        "test=false",
    ]
    train(compose_train(overrides, run, cache_dir))
    return run / "checkpoints" / "last.ckpt"


@pytest.fixture(scope="session")
def segment_judge_run(tmp_path_factory, cache_dir) -> Path:
    """A tiny CNN segment judge (``experiment=segment_judge``): its run folder."""
    from emopia_lightning.train import train

    folder = tmp_path_factory.mktemp("judge")
    train(compose_train(TINY_JUDGE, folder, cache_dir))
    return folder


# The Transformer composer's tests: a corpus of the real clips as its tokens, an untrained
# composer and one trained for a few seconds (imports inside: only those tests pay for them).
def composer_vocabulary():
    from emopia_lightning.data.composer_vocabulary import ComposerVocabulary

    return ComposerVocabulary(8)


@pytest.fixture(scope="session")
def composer_corpus(tmp_path_factory, real_clips):
    from emopia_lightning.data.corpus import load_corpus
    from emopia_lightning.data.source import locate_emopia

    folder = write_release_folder(tmp_path_factory.mktemp("clips"), real_clips)
    cache = tmp_path_factory.mktemp("composer_cache")
    return load_corpus(locate_emopia(folder), composer_vocabulary().remi, cache, progress=False)


def tiny_composer(conditional: bool = True, context: int = 48, seed: int = 0, every_bar: bool = True):
    """An untrained composer: its tokens are nearly uniform, so pieces are long token runs."""
    from functools import partial

    from emopia_lightning.models.components.decoder import DecoderTransformer
    from emopia_lightning.models.transformer_composer.module import TransformerComposer

    torch.manual_seed(seed)
    net = DecoderTransformer(
        composer_vocabulary().size, context=context, width=16, layers=1, heads=2, dropout=0.0
    )
    return TransformerComposer(
        net, partial(torch.optim.AdamW, lr=1e-3), conditional=conditional, condition_every_bar=every_bar
    ).eval()


@pytest.fixture(scope="session")
def fluent_composer(composer_corpus):
    """A tiny composer trained for a few seconds on the real clips: it has learnt REMI's grammar
    (a Pitch, then its Velocity and Duration), so its pieces hold notes."""
    from emopia_lightning.data.composer_windows import ComposerWindows

    composer = tiny_composer(context=64).train()
    optimizer = torch.optim.AdamW(composer.parameters(), lr=3e-3)
    corpus = composer_corpus
    windows = ComposerWindows(corpus, np.arange(len(corpus)), composer_vocabulary(), window=64, random=True)
    torch.manual_seed(0)
    for _ in range(150):
        batch = [windows[i] for i in torch.randint(len(corpus), (8,)).tolist()]
        ids = torch.nn.utils.rnn.pad_sequence([b[0] for b in batch], batch_first=True)
        loss, _ = composer._loss((ids, None, torch.tensor([b[1] for b in batch])), drop=True)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return composer.eval()

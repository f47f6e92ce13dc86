"""REMI tokens of real clips, the token data module, masked-token pretraining and starting a
classifier from it."""

import dataclasses
from functools import partial

import numpy as np
import pytest
import torch
from hydra.utils import instantiate

from conftest import compose_train, write_release_folder
from emopia_lightning.callbacks.pretrained_encoder import load_pretrained_encoder
from emopia_lightning.checkpoints import load_model
from emopia_lightning.data.corpus import load_corpus
from emopia_lightning.data.notes import Notes, read_notes
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.data.token_datamodule import EmopiaTokenDataModule
from emopia_lightning.data.tokens import MASK_ID, PAD_ID, SPECIAL_TOKENS, RemiSpec
from emopia_lightning.emotion_models import CheckpointModel
from emopia_lightning.errors import CheckpointError, RequestError
from emopia_lightning.models.components.token_transformer import TokenEncoder, TokenTransformerClassifier
from emopia_lightning.models.emotion_classifier import EmotionClassifier
from emopia_lightning.models.masked_tokens import IGNORE, MaskedTokenPretraining, mask_tokens
from emopia_lightning.train import train

SPEC = RemiSpec(num_velocities=8)
TINY = {"hidden_size": 8, "num_layers": 1, "num_heads": 2}
# The real clips, split at random (they have no official split files): 4 validation, 4 test.
SMALL_SPLIT = ["split=random", "split.val_size=4", "split.test_size=4", "data.max_tokens=64"]
TINY_NET = [f"model.net.{k}={v}" for k, v in TINY.items()]
ONE_EPOCH = ["trainer=cpu", "trainer.max_epochs=1", "trainer.limit_train_batches=1", "data.batch_size=4"]


@pytest.fixture(scope="module")
def clips_folder(tmp_path_factory, real_clips):
    return write_release_folder(tmp_path_factory.mktemp("clips"), real_clips)


def test_real_clips_tokenise_within_the_vocabulary_cache_and_decode_to_their_notes(
    tmp_path, clips_folder, real_clips
):
    source = locate_emopia(clips_folder)
    corpus = load_corpus(source, SPEC, tmp_path / "cache", progress=False)
    again = load_corpus(source, SPEC, tmp_path / "cache", progress=False)
    assert len(corpus) == len(real_clips) == 12 and again.from_cache and not corpus.from_cache
    np.testing.assert_array_equal(again.rows, corpus.rows)
    np.testing.assert_array_equal(again.offsets, corpus.offsets)
    assert corpus.rows.shape[1] == 1 and corpus.rows.dtype == np.int16
    # Clips hold no special token, and every id is in the vocabulary.
    assert corpus.rows.min() >= len(SPECIAL_TOKENS) and corpus.rows.max() < SPEC.vocab_size
    vocab = SPEC.tokenizer.vocab
    pitch_ids = [i for name, i in vocab.items() if name.startswith("Pitch_")]
    for i, label in enumerate(corpus.labels):
        notes = read_notes(real_clips[label.name])
        ids = corpus.clip_rows(i)[:, 0]
        assert np.isin(ids, pitch_ids).sum() == len(notes)  # one Pitch token a note
        assert ids[0] == vocab["Bar_None"]
    first = read_notes(real_clips[corpus.labels[0].name])
    decoded = SPEC.decode(corpus.clip_rows(0))
    assert sorted(n.pitch for n in decoded.tracks[0].notes) == sorted(first.pitch.tolist())


def test_bad_token_settings_are_refused_in_words():
    with pytest.raises(RequestError, match="num_velocities must be in 1..127"):
        RemiSpec(num_velocities=0)
    with pytest.raises(RequestError, match="max_tokens"):
        EmopiaTokenDataModule(root="x", cache_dir=None, split={"name": "official"}, max_tokens=0)
    encoder = TokenEncoder(SPEC.vocab_size, max_tokens=4, **TINY)
    with pytest.raises(ValueError, match="5 tokens, but the encoder has positions for 4"):
        encoder(torch.full((1, 5), 3), torch.tensor([5]))


def test_token_batches_crop_in_training_and_read_the_start_otherwise(tmp_path, clips_folder):
    split = {"name": "random", "val_size": 4, "test_size": 4, "seed": 0}
    datamodule = EmopiaTokenDataModule(
        str(clips_folder), str(tmp_path), split, max_tokens=64, batch_size=4, progress=False
    )
    datamodule.setup("fit")
    corpus = datamodule.corpus
    ids, lengths, targets = next(iter(datamodule.val_dataloader()))
    assert ids.dtype == torch.int64 and ids.shape == (4, 64) and lengths.tolist() == [64] * 4
    first = datamodule.datasets["val"].positions[0]
    np.testing.assert_array_equal(ids[0].numpy(), corpus.clip_rows(first)[:64, 0])  # the start
    assert targets.tolist() == datamodule.datasets["val"].targets.tolist()
    # Training windows: 64 tokens in a row from somewhere in the clip, not always its start.
    train_set = datamodule.datasets["train"]
    torch.manual_seed(0)
    starts = set()
    for _ in range(5):
        window, _ = train_set[0]
        whole = corpus.clip_rows(train_set.positions[0])[:, 0]
        matches = [s for s in range(len(whole) - 63) if np.array_equal(whole[s : s + 64], window.numpy())]
        assert len(window) == 64 and matches
        starts.add(matches[0])
    assert len(starts) > 1
    # A short clip is padded with PAD_ID after its length.
    short = EmopiaTokenDataModule.collate([(torch.tensor([5, 6, 7]), 0), (torch.tensor([8]), 1)])
    assert short[0].tolist() == [[5, 6, 7], [8, PAD_ID, PAD_ID]] and short[1].tolist() == [3, 1]


def test_masking_chooses_only_real_tokens_and_hides_most_of_them():
    generator = torch.Generator().manual_seed(0)
    lengths = torch.tensor([400, 37, 1, 0])
    ids = torch.randint(len(SPECIAL_TOKENS), SPEC.vocab_size, (4, 400), generator=generator)
    ids[torch.arange(400)[None, :] >= lengths[:, None]] = PAD_ID
    inputs, targets = mask_tokens(ids, lengths, 0.15, SPEC.vocab_size, generator)
    chosen = targets != IGNORE
    real = torch.arange(400)[None, :] < lengths[:, None]
    assert not (chosen & ~real).any()  # padding is never a target
    assert torch.equal(targets[chosen], ids[chosen]) and torch.equal(inputs[~chosen], ids[~chosen])
    assert chosen.sum(dim=1).tolist()[2:] == [1, 0]  # at least one a clip, none in an empty one
    assert 0.1 < chosen[0].float().mean() < 0.2
    hidden = (inputs[chosen] == MASK_ID).float().mean()
    assert 0.65 < hidden < 0.95  # 80 % of the chosen become MASK, the rest random or kept


def test_pretrained_encoder_starts_the_classifier_and_its_checkpoint_predicts_alone(
    tmp_path, clips_folder, real_clips
):
    pretrain = compose_train(
        ["experiment=remi_pretrain", *SMALL_SPLIT, *ONE_EPOCH, *TINY_NET],
        tmp_path / "pretrain", tmp_path / "cache",
    )  # fmt: skip
    pretrain.paths.data_dir = str(clips_folder)
    metrics = train(pretrain)
    assert "val/loss" in metrics and not any(k.startswith("test/") for k in metrics)  # test songs unread
    finetune = compose_train(
        ["experiment=remi_official", f"pretrained={tmp_path / 'pretrain'}", *SMALL_SPLIT, *ONE_EPOCH, *TINY_NET,
         "test=false"],
        tmp_path / "finetune", tmp_path / "cache",
    )  # fmt: skip
    finetune.paths.data_dir = str(clips_folder)
    # Before fit, the callback gives the classifier the pretraining run's chosen encoder, exactly.
    model = instantiate(finetune.model)
    instantiate(finetune.callbacks.pretrained_encoder).setup(None, model, "fit")
    chosen = torch.load(next((tmp_path / "pretrain" / "checkpoints").glob("epoch_*.ckpt")), weights_only=True)
    pretrained = {k[len("net.") :]: v for k, v in chosen["state_dict"].items() if k.startswith("net.")}
    own = model.net.encoder.state_dict()
    assert own.keys() == pretrained.keys() and all(torch.equal(own[k], pretrained[k]) for k in own)
    train(finetune)
    # The classifier's checkpoint rebuilds and predicts without the pretraining run.
    for path in (tmp_path / "pretrain" / "checkpoints").iterdir():
        path.unlink()
    network, _ = load_model(
        tmp_path / "finetune" / "checkpoints" / "last.ckpt", EmotionClassifier, "classifier"
    )
    assert isinstance(network.net, TokenTransformerClassifier)
    shares = CheckpointModel(tmp_path / "finetune" / "checkpoints" / "last.ckpt").probabilities(
        read_notes(next(iter(real_clips.values())))
    )
    assert shares.shape == (4,) and shares.sum() == pytest.approx(1.0, abs=1e-5)


def test_an_encoder_of_another_size_is_refused_in_words(tmp_path):
    encoder = TokenEncoder(SPEC.vocab_size, max_tokens=16, **TINY)
    module = MaskedTokenPretraining(encoder, SPEC.vocab_size, optimizer=partial(torch.optim.AdamW))
    config = {"model": {"_target_": "emopia_lightning.models.masked_tokens.MaskedTokenPretraining"}}
    torch.save({"state_dict": module.state_dict(), "run_config": config}, tmp_path / "pretrained.ckpt")
    wider = TokenTransformerClassifier(
        SPEC.vocab_size, 4, max_tokens=16, hidden_size=16, num_layers=1, num_heads=2
    )
    with pytest.raises(CheckpointError, match="masked-token pretraining network does not fit this model"):
        load_pretrained_encoder(wider.encoder, tmp_path / "pretrained.ckpt")
    classifier = {"model": {"_target_": "emopia_lightning.models.emotion_classifier.EmotionClassifier"}}
    torch.save({"state_dict": wider.state_dict(), "run_config": classifier}, tmp_path / "classifier.ckpt")
    with pytest.raises(
        CheckpointError, match="not a masked-token pretraining checkpoint .* nor a Transformer composer"
    ):
        load_pretrained_encoder(wider.encoder, tmp_path / "classifier.ckpt")


def _decoded_notes(spec: RemiSpec, notes):
    """(onset beat, pitch, length in beats, velocity) of each note, after tokens and back."""
    score = spec.decode(spec.tokens(notes))
    tpq = score.ticks_per_quarter
    return sorted((n.time / tpq, n.pitch, n.duration / tpq, n.velocity) for n in score.tracks[0].notes)


def test_real_clips_come_back_from_their_tokens_within_the_grid(real_clips):
    """Onsets on the grid of 8 positions a beat, pitches exact, lengths on MidiTok's duration grid
    (1/8 beat up to 4 beats, 1/4 up to 12, longer ones held 12) within a step, velocities within
    half a bin."""
    for blob in list(real_clips.values())[:4]:
        notes = read_notes(blob)
        shift = np.floor(notes.start_beat.min() / 4) * 4  # tokens start at the first bar with a note
        back = _decoded_notes(SPEC, notes)
        assert len(back) == len(notes)
        for pitch in np.unique(notes.pitch):
            mine = np.flatnonzero(notes.pitch == pitch)
            mine = mine[np.argsort(notes.start_beat[mine], kind="stable")]
            theirs = [n for n in back if n[1] == pitch]  # sorted by onset
            assert len(theirs) == len(mine)
            for index, (onset, _, length, velocity) in zip(mine, theirs):
                assert abs(onset - (notes.start_beat[index] - shift)) <= 1 / 16 + 1e-9
                held = min(notes.end_beat[index] - notes.start_beat[index], 12)
                grid = 1 / 8 if held < 4 else 1 / 4
                assert abs(length - held) <= grid + 1e-9 or (length == 1 / 8 and held < 1 / 8)
                assert abs(int(velocity) - int(notes.velocity[index])) <= 8


def test_sounding_tokens_hold_each_note_through_the_pedal():
    # Two quarter notes at 120 bpm; the pedal is down from beat 0.5 to 3 (0.25 s to 1.5 s); the
    # second key is struck again at beat 2, which ends its first sound there.
    notes = Notes.from_beats([0, 0, 2], [1, 1, 2.5], [60, 64, 64], [80, 80, 80], qpm=120)
    notes = dataclasses.replace(notes, pedal_start_s=np.array([0.25]), pedal_end_s=np.array([1.5]))
    assert notes.sounding_ends().tolist() == [1.5, 1.0, 1.5]  # C held to the lift, E to its new strike
    sounding = notes.as_sounding()
    assert sounding.end_beat.tolist() == [3.0, 2.0, 3.0] and not len(sounding.pedal_start_s)
    held, pedalled = RemiSpec(8), RemiSpec(8, sounding=True)
    assert [n[2] for n in _decoded_notes(held, notes)] == [1.0, 1.0, 0.5]
    assert [n[2] for n in _decoded_notes(pedalled, notes)] == [3.0, 2.0, 1.0]
    assert held.key() != pedalled.key()  # cached apart


def test_real_clips_with_the_pedal_sound_longer_than_their_keys_are_held(real_clips):
    pedalled = [read_notes(blob) for blob in real_clips.values()]
    pedalled = [notes for notes in pedalled if len(notes.pedal_start_s)]
    assert len(pedalled) >= 6  # most EMOPIA clips carry the sustain pedal
    for notes in pedalled:
        sounding = notes.as_sounding()
        assert np.all(sounding.end_beat >= notes.end_beat - 1e-9)
        assert np.median(sounding.end_s - sounding.start_s) > np.median(notes.end_s - notes.start_s)

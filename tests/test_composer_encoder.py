"""The Transformer composer as a pretrained encoder: the fine-tuning classifier starts from the
composer's exact weights, reads a real clip as the composer does, trains and predicts alone, and
refuses a composer whose songs include its test songs."""

import shutil

import numpy as np
import pytest
import torch
from hydra.utils import instantiate

from conftest import compose_train
from emopia_lightning.checkpoints import chosen_checkpoint, load_model
from emopia_lightning.data.composer_vocabulary import ComposerVocabulary
from emopia_lightning.data.notes import read_notes
from emopia_lightning.data.tokens import PAD_ID
from emopia_lightning.emotion_models import CheckpointModel
from emopia_lightning.errors import CheckpointError
from emopia_lightning.models.components.composer_encoder import ComposerEncoderClassifier, read_in_windows
from emopia_lightning.models.emotion_classifier import EmotionClassifier
from emopia_lightning.models.transformer_composer.module import TransformerComposer
from emopia_lightning.train import train

# The sizes of conftest's TINY_COMPOSER; two 63-token windows of each clip.
TINY_ENCODER = [
    "model.net.width=32", "model.net.layers=2", "model.net.heads=2", "model.net.context=64",
    "data.max_tokens=126", "data.batch_size=4",
]  # fmt: skip
ONE_BATCH = [
    "trainer.max_epochs=1", "trainer.limit_train_batches=1", "trainer.limit_val_batches=1",
    "trainer.limit_test_batches=1", "evaluate_train=false", "callbacks.confusion_matrix=null",
]  # fmt: skip


def finetune_config(tmp_path, cache_dir, composer_run, *overrides):
    return compose_train(
        ["experiment=composer_encoder_official", f"pretrained={composer_run}", *TINY_ENCODER, *overrides],
        tmp_path / "finetune", cache_dir,
    )  # fmt: skip


def test_the_classifier_starts_from_the_composer_and_reads_a_real_clip_as_it_does(
    tmp_path, cache_dir, composer_checkpoint, real_clips
):
    cfg = finetune_config(tmp_path, cache_dir, composer_checkpoint)
    model = instantiate(cfg.model)
    instantiate(cfg.callbacks.pretrained_encoder).setup(None, model, "fit")
    composer, _ = load_model(chosen_checkpoint(composer_checkpoint), TransformerComposer, "composer")
    ours, theirs = model.net.encoder.state_dict(), composer.net.state_dict()
    assert ours.keys() == theirs.keys() and all(torch.equal(ours[k], theirs[k]) for k in ours)

    vocabulary = ComposerVocabulary(8)
    ids = torch.from_numpy(vocabulary.remi.tokens(read_notes(next(iter(real_clips.values())))))[:100]
    ids = ids.to(torch.int64).reshape(1, -1)  # (1, 100): a window of 63 and one of 37
    net = model.net.eval()
    with torch.inference_mode():
        states = read_in_windows(net.encoder, vocabulary.condition(None), ids)[0]
        for start in (0, 63):  # each window as the composer reads a piece: after "no emotion"
            window = torch.cat([torch.tensor([vocabulary.condition(None)]), ids[0, start : start + 63]])
            torch.testing.assert_close(states[start : start + 63], composer.net.hidden(window[None])[0, 1:])
        # The padding after a clip changes nothing; a clip of other tokens reads otherwise.
        padded = torch.cat([ids, torch.full((1, 40), PAD_ID)], dim=1)
        torch.testing.assert_close(net(ids, torch.tensor([100])), net(padded, torch.tensor([100])))
        assert not torch.allclose(net(ids, torch.tensor([100])), net(ids.flip(1), torch.tensor([100])))


def test_fine_tuning_trains_tests_and_its_checkpoint_predicts_without_the_composer(
    tmp_path, cache_dir, composer_checkpoint, real_clips
):
    # Fine-tune from a copy of the composer's run, then remove the copy: the checkpoint alone must do.
    composer_run = shutil.copytree(composer_checkpoint, tmp_path / "composer")
    metrics = train(finetune_config(tmp_path, cache_dir, composer_run, *ONE_BATCH))
    assert {"val/acc", "test/acc"} <= metrics.keys() and 0 <= metrics["test/acc"] <= 1
    checkpoint = tmp_path / "finetune" / "checkpoints" / "last.ckpt"
    trained = torch.load(checkpoint, weights_only=True)["state_dict"]
    shutil.rmtree(composer_run)
    network, _ = load_model(checkpoint, EmotionClassifier, "classifier")
    assert isinstance(network.net, ComposerEncoderClassifier)
    rebuilt = network.state_dict()
    assert rebuilt.keys() == trained.keys() and all(torch.equal(rebuilt[k], trained[k]) for k in trained)
    # The weights are the fine-tuned ones, not the composer's: one batch of training moved them.
    composer, _ = load_model(chosen_checkpoint(composer_checkpoint), TransformerComposer, "composer")
    encoder = network.net.encoder.state_dict()
    assert any(not torch.equal(encoder[k], v) for k, v in composer.net.state_dict().items())
    notes = read_notes(next(iter(real_clips.values())))
    model = CheckpointModel(checkpoint)
    inputs = model.datamodule.model_inputs(notes)
    with torch.no_grad():
        expected = torch.softmax(network(inputs, torch.full((len(inputs),), inputs.shape[1])), dim=-1)
    np.testing.assert_allclose(model.probabilities(notes), expected.mean(dim=0).numpy(), atol=1e-6)


def test_a_composer_that_read_the_test_songs_is_refused(tmp_path, cache_dir, composer_checkpoint):
    # The composer learnt the official training songs; a random split tests on some of them.
    cfg = finetune_config(tmp_path, cache_dir, composer_checkpoint, *ONE_BATCH, "split=random")
    with pytest.raises(CheckpointError, match="of this run's test songs"):
        train(cfg)
    assert not (tmp_path / "finetune" / "checkpoints" / "last.ckpt").exists()

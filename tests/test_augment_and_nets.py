"""Augmentation keeps labels and shapes; the new nets' shapes and padding invariance."""

import numpy as np
import pytest
import torch

from emopia_lightning.data.augment import Augment
from emopia_lightning.data.clip_dataset import ClipRollDataset
from emopia_lightning.data.corpus import load_corpus
from emopia_lightning.data.rolls import TimeRollSpec
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.models.components.lstm import LSTMClassifierNet
from emopia_lightning.models.components.short_chunk_cnn import ShortChunkCNNRes


def test_transpose_shifts_every_note_by_one_interval():
    torch.manual_seed(0)
    roll = torch.zeros(6, 20)
    roll[0, 5] = roll[3, 10] = 1.0
    for _ in range(20):
        out = Augment(transpose=3)(roll)
        assert out.shape == roll.shape
        (t0,), (t3,) = out[0].nonzero()[:, 0].tolist(), out[3].nonzero()[:, 0].tolist()
        assert t3 - t0 == 5 and -3 <= t0 - 5 <= 3  # the interval survives; the shift is bounded


def test_crop_and_velocity_jitter_stay_in_bounds():
    torch.manual_seed(0)
    augment = Augment(crop=True, velocity_jitter=0.5)
    starts = {augment.window(100, 30).start for _ in range(50)}
    assert min(starts) >= 0 and max(starts) <= 70 and len(starts) > 5
    assert augment.window(20, 30) == slice(0, 20) and Augment().window(100, 30) == slice(0, 30)
    out = augment(torch.full((4, 3), 0.9))
    assert 0.0 <= out.min() and out.max() <= 1.0


def test_augmented_training_items_keep_their_labels(data_root, cache_dir):
    corpus = load_corpus(
        locate_emopia(data_root),
        TimeRollSpec(fs=8, lowest_pitch=21, n_pitches=88, velocity=True),
        cache_dir,
        progress=False,
    )
    positions = np.arange(0, len(corpus), 97)
    plain = ClipRollDataset(corpus, positions, "quadrant", 80, True)
    augmented = ClipRollDataset(
        corpus, positions, "quadrant", 80, True, Augment(transpose=2, crop=True, velocity_jitter=0.1)
    )
    torch.manual_seed(1)
    for i in range(len(positions)):
        (x, y), (xa, ya) = plain[i], augmented[i]
        assert y == ya == corpus.labels[positions[i]].quadrant - 1
        assert xa.shape == x.shape and xa.dtype == torch.float32 and 0 <= xa.min() and xa.max() <= 1


def test_short_chunk_cnn_shapes_and_chunk_mean_ignores_padding():
    torch.manual_seed(0)
    net = ShortChunkCNNRes(88, 4, chunk_frames=16, channels=(4, 8, 8), dense=8).eval()
    clip = torch.rand(1, 40, 88)  # 2.5 chunks
    logits = net(clip, torch.tensor([40]))
    assert logits.shape == (1, 4)
    padded = torch.cat([clip, torch.zeros(1, 50, 88)], dim=1)  # padding adds 3 more chunks
    torch.testing.assert_close(net(padded, torch.tensor([40])), logits)
    batch = net(torch.rand(3, 64, 88), torch.tensor([64, 20, 1]))
    assert batch.shape == (3, 4) and torch.isfinite(batch).all()
    # In training, padding chunks must not reach BatchNorm's batch statistics either.
    net.train()
    for module in net.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    two = torch.rand(2, 40, 88)
    lengths = torch.tensor([40, 33])
    longer = torch.cat([two, torch.zeros(2, 50, 88)], dim=1)
    torch.testing.assert_close(net(longer, lengths), net(two, lengths))


@pytest.mark.parametrize("bidirectional", [False, True])
def test_attention_pooling_ignores_padding(bidirectional):
    torch.manual_seed(0)
    net = LSTMClassifierNet(
        12, 3, hidden_size=8, num_layers=1, pooling="attention", bidirectional=bidirectional
    ).eval()
    clip = torch.rand(1, 6, 12)
    padded = torch.cat([clip, torch.rand(1, 5, 12)], dim=1)  # even noisy padding is masked out
    torch.testing.assert_close(net(clip, torch.tensor([6])), net(padded, torch.tensor([6])))

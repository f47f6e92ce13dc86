"""The piece layout is defined once: every config that reads segments reads ``data.layout``, and the
data, the nets, the judge and the writer agree on its shapes."""

import numpy as np
import pytest
import torch
from hydra.utils import instantiate

from conftest import compose_train, piece_of
from emopia_lightning.config_registry import CONF_DIR
from emopia_lightning.data.segment_layout import ONSET, SOUNDING, SegmentLayout, as_written, piece_notes
from emopia_lightning.errors import RequestError

SEGMENT_CONFIGS = [
    ["model=musegan"],
    ["model=musegan", "label_aug=false"],
    ["model=musegan", "data.layout.bars=2", "data.layout.steps_per_beat=2"],  # another layout, same code
    *[[f"experiment={path.stem}"] for path in sorted((CONF_DIR / "experiment").glob("*.yaml"))],
    ["hparams_search=musegan_optuna"],
]


@pytest.mark.parametrize("overrides", SEGMENT_CONFIGS, ids=lambda o: " ".join(o))
def test_every_config_reads_one_layout_and_the_shapes_agree(overrides, tmp_path, cache_dir):
    cfg = compose_train(overrides, tmp_path, cache_dir)
    if "layout" not in cfg.data:
        # Clip classifiers (rolls or tokens) read no segments; the Transformer composer reads tokens,
        # and its pieces are judged and pictured in the default layout.
        assert cfg.data._target_.endswith(
            ("EmopiaClipDataModule", "EmopiaTokenDataModule", "EmopiaComposerDataModule")
        )
        if cfg.data._target_.endswith("EmopiaComposerDataModule"):
            assert instantiate(cfg.model).layout == SegmentLayout()
        return
    layout = SegmentLayout.of(cfg.data.layout)
    datamodule = instantiate(cfg.data)
    assert datamodule.layout == layout and datamodule.segment_shape == layout.net_shape
    model = instantiate(cfg.model)
    if hasattr(model, "generator"):  # the GAN: writes what its critic and the data hold
        assert model.generator.layout == model.critic.layout == layout
        latents = model.sample_latents(2, torch.Generator().manual_seed(0))
        fake = model.generate(latents, torch.tensor([0, 3]))
        assert fake.shape == (2, *layout.net_shape)
        assert model.critic(fake, torch.tensor([0, 3]) if model.hparams.conditional else None).shape == (2,)
        assert layout.from_net(fake.numpy()).shape == (2, layout.segment_steps, layout.n_pitches, 2)
    else:  # a segment classifier: one chunk is one segment of the layout
        assert cfg.model.net.input_size == layout.n_pitches
        assert cfg.model.net.chunk_frames == layout.segment_steps


def test_a_layout_refuses_impossible_values():
    with pytest.raises(RequestError, match="positive whole number"):
        SegmentLayout(bars=0)
    with pytest.raises(RequestError, match="exceed MIDI's 127"):
        SegmentLayout(lowest_pitch=60, n_pitches=84)


def test_net_channels_round_trip_to_the_same_piece():
    layout = SegmentLayout()
    piece = piece_of([(0, 4, 38, 100), (4, 4, 38, 40), (2, 30, 50, 64), (60, 4, 83, 127)], 64)
    channels = layout.to_net(piece)  # (bars, steps, pitches, 3)
    assert channels.shape == layout.net_shape
    assert channels[0, 4, 38].tolist() == pytest.approx([1.0, 1.0, 40 / 127])  # a re-strike: onset and sound
    assert channels[0, 5, 38].tolist() == pytest.approx([0.0, 1.0, 40 / 127])  # held
    assert np.array_equal(layout.from_net(channels), piece)


def test_from_net_reads_velocity_relative_to_the_sounding_probability():
    layout = SegmentLayout(n_pitches=12, bars=1)
    channels = np.zeros(layout.net_shape, np.float32)
    channels[0, 0, 5] = [0.9, 0.8, 0.4]  # onset probability, sounding probability, velocity x sounding
    channels[0, 1:4, 5] = [0.1, 0.8, 0.4]  # held on
    channels[0, 4, 5] = [0.9, 0.3, 0.1]  # an onset where nothing sounds: none
    piece = layout.from_net(channels[None])[0]
    assert piece[:5, 5, SOUNDING].tolist() == [64, 64, 64, 64, 0]  # 0.4 / 0.8 = 0.5 -> 64, one note
    assert piece[:5, 5, ONSET].tolist() == [64, 0, 0, 0, 0]


def test_as_written_gives_each_note_the_mean_velocity_of_its_steps_throughout():
    piece = np.zeros((8, 3, 2), np.uint8)
    piece[0:4, 0, SOUNDING] = [90, 80, 70, 60]  # a generated note fading along its steps
    piece[0, 0, ONSET] = 90
    piece[5:7, 2, SOUNDING] = 50  # sounding without an onset
    written = as_written(piece)
    assert written[:, 0, SOUNDING].tolist() == [75, 75, 75, 75, 0, 0, 0, 0]
    assert written[:, 0, ONSET].tolist() == [75, 0, 0, 0, 0, 0, 0, 0]
    assert written[:, 2, ONSET].tolist() == [0, 0, 0, 0, 0, 50, 0, 0]
    assert len(piece_notes(written)) == len(piece_notes(piece)) == 2

"""A checkpoint pins every constructor argument, so a changed default cannot change an old model."""

import inspect

import torch
from hydra.utils import get_class

from conftest import NO_WAV, TINY_COMPOSER, compose_train
from emopia_lightning.checkpoints import chosen_checkpoint, load_model
from emopia_lightning.composing.composer import Composer
from emopia_lightning.models.components.decoder import DecoderTransformer
from emopia_lightning.train import train


def _nodes(node):
    if isinstance(node, dict):
        if "_target_" in node:
            yield node
        for value in node.values():
            yield from _nodes(value)


def test_every_constructor_argument_is_in_the_checkpoint(composer_checkpoint, gan_checkpoint):
    for run in (composer_checkpoint, gan_checkpoint):
        config = torch.load(chosen_checkpoint(run), weights_only=True)["run_config"]
        for part in ("model", "data"):
            for node in _nodes(config[part]):
                parameters = inspect.signature(get_class(node["_target_"])).parameters
                plain = [
                    n
                    for n, p in parameters.items()
                    if p.default is None or isinstance(p.default, (bool, int, float, str, tuple))
                ]
                assert set(plain) <= set(node), (node["_target_"], set(plain) - set(node))


def test_a_checkpoint_written_before_a_default_changed_is_rebuilt_as_trained(
    tmp_path, cache_dir, monkeypatch
):
    # The run leaves the decoder's dropout to its default, 0.1.
    cfg = compose_train([*TINY_COMPOSER, *NO_WAV, "~model.net.dropout", "trainer.max_steps=2",
                         "callbacks.judged_emotion=null"], tmp_path, cache_dir)  # fmt: skip
    train(cfg)
    checkpoint = tmp_path / "checkpoints" / "last.ckpt"
    defaults = list(DecoderTransformer.__init__.__defaults__)
    with_defaults = list(inspect.signature(DecoderTransformer).parameters)[-len(defaults) :]
    dropout = with_defaults.index("dropout")
    assert defaults[dropout] == 0.1
    defaults[dropout] = 0.5  # today's default
    monkeypatch.setattr(DecoderTransformer.__init__, "__defaults__", tuple(defaults))
    model, _ = load_model(checkpoint, Composer, "composer")
    assert model.net.dropout.p == 0.1  # as trained, not today's 0.5
    assert DecoderTransformer(vocab_size=8).dropout.p == 0.5  # the new default is in force

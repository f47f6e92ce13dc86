"""A checkpoint pins every constructor argument, so a changed default cannot change an old model."""

import inspect

import pytest
import torch
from hydra.utils import get_class

from conftest import NO_WAV, TINY_COMPOSER, compose_train
from emopia_lightning.checkpoints import RunConfigInCheckpoints, chosen_checkpoint, load_model
from emopia_lightning.composing.composer import Composer
from emopia_lightning.config_registry import CONF_DIR
from emopia_lightning.models.components.decoder import DecoderTransformer
from emopia_lightning.train import train
from emopia_lightning.utils.runtime import plain_config


def _nodes(node):
    """Every config node that builds an object, inside dicts and lists alike."""
    if isinstance(node, dict):
        if "_target_" in node:
            yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def _left_out(config: dict) -> dict[str, set[str]]:
    """For each class the model and data parts build: its constructor arguments with a default
    (any default) that the config does not write out."""
    missing = {}
    for part in ("model", "data"):
        for node in _nodes(config[part]):
            parameters = inspect.signature(get_class(node["_target_"])).parameters
            with_default = {n for n, p in parameters.items() if p.default is not inspect.Parameter.empty}
            if with_default - set(node):
                missing[node["_target_"]] = with_default - set(node)
    return missing


def test_every_constructor_argument_is_in_the_checkpoints_of_a_composer_a_gan_and_a_classifier(
    composer_checkpoint, gan_checkpoint, classifier_checkpoint
):
    for run in (composer_checkpoint, gan_checkpoint, classifier_checkpoint):
        config = torch.load(chosen_checkpoint(run), weights_only=True)["run_config"]
        assert len(list(_nodes(config["model"]))) >= 2  # the module and its network at least
        assert _left_out(config) == {}


CONFIGS = [f"model={p.stem}" for p in sorted((CONF_DIR / "model").glob("*.yaml"))] + [
    f"experiment={p.stem}" for p in sorted((CONF_DIR / "experiment").glob("*.yaml"))
]


@pytest.mark.parametrize("choice", CONFIGS)
def test_every_model_and_experiment_config_is_pinned_whole_in_what_checkpoints_hold(
    choice, tmp_path, cache_dir
):
    cfg = compose_train([choice], tmp_path, cache_dir)
    written = RunConfigInCheckpoints(plain_config(cfg)).run_config  # what on_save_checkpoint stores
    assert _left_out(written) == {}


def test_classes_built_from_inside_a_list_are_pinned_too():
    decoder = "emopia_lightning.models.components.decoder.DecoderTransformer"
    config = {
        "model": {"_target_": decoder, "vocab_size": 8, "extra": [{"_target_": decoder, "vocab_size": 4}]}
    }
    config["data"] = {"steps": [[{"_target_": decoder, "vocab_size": 2}]]}
    assert _left_out(config)  # as written, the defaults are left out
    written = RunConfigInCheckpoints(config).run_config
    assert _left_out(written) == {}
    assert written["data"]["steps"][0][0]["dropout"] == 0.1 == written["model"]["extra"][0]["dropout"]


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

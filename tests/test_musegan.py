"""The label-conditioned MuseGAN: nets, one manual-optimisation step, training, resuming, sampling."""

import pytest
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from torch import nn

from conftest import NO_WAV, TINY_GAN, compose_train
from emopia_lightning.data.segment_layout import SegmentLayout
from emopia_lightning.errors import RequestError
from emopia_lightning.models.musegan.module import MuseGAN, gradient_penalty, linear_decay
from emopia_lightning.models.musegan.networks import (
    MuseGANCritic,
    MuseGANGenerator,
    TimeDownsample,
    TimeUpsample,
)
from emopia_lightning.train import train


def test_generator_and_critic_shapes_and_ranges():
    generator, critic = MuseGANGenerator(), MuseGANCritic()
    latents, labels = torch.randn(3, 2, 64), torch.tensor([0, 1, 3])
    segments = generator(latents, labels)
    assert segments.shape == (3, 4, 16, 84, 3) == (3, *SegmentLayout().net_shape)
    assert 0.0 <= segments.min() and segments.max() <= 1.0
    onset, sounding, velocity = segments.unbind(-1)
    assert (onset <= sounding).all() and (velocity <= sounding).all()  # neither where nothing sounds
    assert float(sounding.mean()) == pytest.approx(0.5, abs=0.1)  # the default start density
    assert critic(segments, labels).shape == (3,)
    # One loudness per octave and bar: every sounding cell of an octave in a bar has one velocity.
    level = (velocity / sounding)[0, 1, :, 12:24]  # bar 2, the second octave
    assert torch.allclose(level, level[0, 0].expand_as(level), atol=1e-5)
    with pytest.raises(RequestError, match="must divide a bar"):
        MuseGANGenerator(dynamics_steps=5)
    with pytest.raises(RequestError, match="whole octaves"):
        MuseGANGenerator({"n_pitches": 80})


def test_the_nets_follow_the_layout():
    layout = SegmentLayout(lowest_pitch=36, n_pitches=48, steps_per_beat=2, bars=2)
    generator, critic = MuseGANGenerator(layout, n_classes=0), MuseGANCritic(layout, n_classes=0)
    segments = generator(torch.randn(5, 2, 64))
    assert segments.shape == (5, 2, 8, 48, 3) == (5, *layout.net_shape)
    assert critic(segments).shape == (5,)


def test_time_upsample_is_a_transposed_convolution_with_kernel_equal_to_stride():
    torch.manual_seed(0)
    layer = TimeUpsample(3, 5, factor=2)
    conv = nn.ConvTranspose2d(3, 5, (2, 1), stride=(2, 1))
    # linear output (factor, C_out) per input cell == the transposed conv's kernel taps over time
    conv.weight.data = layer.linear.weight.data.view(2, 5, 3).permute(2, 1, 0).unsqueeze(-1)
    conv.bias.data = layer.linear.bias.data.view(2, 5)[0].clone()
    layer.linear.bias.data = conv.bias.data.repeat(2)
    x = torch.randn(2, 4, 7, 3)  # (N, T, octaves, C) channels last
    reference = torch.relu(layer.norm(conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1).reshape(-1, 5)))
    assert torch.allclose(layer(x), reference.view(2, 8, 7, 5), atol=1e-5)


def test_time_downsample_is_a_convolution_with_kernel_equal_to_stride():
    torch.manual_seed(0)
    layer = TimeDownsample(3, 5, factor=4)
    conv = nn.Conv2d(3, 5, (4, 1), stride=(4, 1))
    conv.weight.data = layer.linear.weight.data.view(5, 4, 3).permute(0, 2, 1).unsqueeze(-1)
    conv.bias.data = layer.linear.bias.data.clone()
    x = torch.randn(2, 8, 7, 3)
    reference = nn.functional.leaky_relu(conv(x.permute(0, 3, 1, 2)), 0.2).permute(0, 2, 3, 1)
    assert torch.allclose(layer(x), reference, atol=1e-5)


def test_only_the_label_changes_a_conditioned_generators_output():
    torch.manual_seed(0)
    conditioned, plain = MuseGANGenerator().eval(), MuseGANGenerator(n_classes=0).eval()
    latents = torch.randn(1, 2, 64).expand(4, -1, -1)  # one latent, four emotions
    labels = torch.arange(4)
    out = conditioned(latents, labels)
    for a in range(4):
        for b in range(a + 1, 4):
            assert (out[a] - out[b]).abs().max() > 1e-3
    same = plain(latents, labels)
    assert torch.equal(same[0], same[3])  # unconditioned: labels are ignored


def test_gradient_penalty_of_a_linear_critic_is_exact():
    weights = torch.full((4, 16, 84), 0.01)  # ||w|| = 0.01 * sqrt(5376)

    def critic(x, labels):
        return (x * weights).flatten(1).sum(1)

    real, fake = torch.rand(6, 4, 16, 84), torch.rand(6, 4, 16, 84)
    penalty = gradient_penalty(critic, real, fake, None)
    assert torch.isfinite(penalty)
    assert penalty.item() == pytest.approx((0.01 * 5376**0.5 - 1) ** 2, rel=1e-4)  # float32


def test_linear_decay_ends_at_the_final_fraction():
    factor = linear_decay(100, 0.1)
    assert factor(0) == 1.0 and factor(50) == pytest.approx(0.55)
    assert factor(100) == factor(500) == pytest.approx(0.1)  # then stays there


def _parameters(module: nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in module.named_parameters()}


def _changed(before: dict, module: nn.Module) -> set[str]:
    return {name for name, p in module.named_parameters() if not torch.equal(before[name], p.detach())}


AC_GAN = ["model.aux_weight=1.0", "model.critic.aux_classes=4"]
PROJECTION_ONLY = ["model.aux_weight=0", "model.critic.aux_classes=0"]


def test_the_default_gan_has_the_ac_gan_head_only_with_labels(tmp_path, cache_dir):
    labelled = compose_train(["model=musegan"], tmp_path, cache_dir).model
    assert labelled.aux_weight == 3.0 and labelled.critic.aux_classes == 4
    unlabelled = compose_train(["model=musegan", "label_aug=false"], tmp_path, cache_dir).model
    assert (
        unlabelled.aux_weight == 0 and unlabelled.critic.aux_classes == 0 and unlabelled.critic.n_classes == 0
    )


@pytest.mark.parametrize("conditioning", [PROJECTION_ONLY, AC_GAN], ids=["projection", "projection+ac_gan"])
def test_one_step_updates_the_critic_on_its_steps_and_the_generator_on_its_own(
    tmp_path, cache_dir, conditioning
):
    cfg = compose_train(
        [*TINY_GAN, *conditioning, "model.generator_steps=1", "callbacks=none"], tmp_path, cache_dir
    )
    model: MuseGAN = instantiate(cfg.model)
    record = []

    def watch(method, kind):
        def wrapped(*args, **kwargs):
            before = (_parameters(model.generator), _parameters(model.critic))
            result = method(*args, **kwargs)
            record.append((kind, _changed(before[0], model.generator), _changed(before[1], model.critic)))
            return result

        return wrapped

    model._critic_step = watch(model._critic_step, "critic")
    model._generator_step = watch(model._generator_step, "generator")
    trainer = instantiate(cfg.trainer, logger=False, enable_checkpointing=False, enable_progress_bar=False)
    trainer.fit(model, datamodule=instantiate(cfg.data))
    assert [kind for kind, _, _ in record] == ["critic", "critic", "generator"]
    # Every weight moves on its own net's step (some biases get no gradient: the WGAN loss cancels
    # the critic's output bias; batch norm cancels the generator's biases before it).
    weights_g = {n for n, _ in model.generator.named_parameters() if n.endswith("weight")}
    weights_d = {n for n, _ in model.critic.named_parameters() if n.endswith("weight")}
    for kind, generator_changed, critic_changed in record:
        if kind == "critic":
            assert generator_changed == set() and critic_changed >= weights_d
        else:
            assert critic_changed == set() and generator_changed >= weights_g
    assert all(p.requires_grad for p in model.critic.parameters())  # untoggled after the G step
    assert trainer.global_step == 3  # Lightning counts 2 critic + 1 generator optimiser steps


def test_segment_datamodule_cuts_every_clip_and_keeps_songs_in_one_part(tmp_path, cache_dir):
    cfg = compose_train(["model=musegan"], tmp_path, cache_dir)
    datamodule = instantiate(cfg.data)
    datamodule.setup("fit")
    train_set = datamodule.datasets["train"]
    assert len(train_set) == 4853  # the report had 4,842 segments of 4 bars
    segment, target = train_set[0]
    assert segment.shape == (4, 16, 84, 3)
    onset, sounding, velocity = segment.unbind(-1)
    assert set(onset.unique().tolist()) == {0.0, 1.0} and set(sounding.unique().tolist()) == {0.0, 1.0}
    assert (onset <= sounding).all() and torch.equal(velocity > 0, sounding > 0)
    assert 0.2 < velocity[sounding > 0].mean() < 0.8  # EMOPIA's velocities / 127
    assert target == datamodule.corpus.labels[train_set.segments.clips[0]].quadrant - 1
    split = compose_train(["model=musegan", "+data.split={name: official}"], tmp_path, cache_dir)
    parts = instantiate(split.data)
    parts.setup("fit")
    songs = {
        part: {parts.corpus.labels[c].song_id for c in ds.segments.clips}
        for part, ds in parts.datasets.items()
    }
    assert not songs["train"] & songs["test"] and not songs["val"] & songs["test"]


def test_training_writes_samples_loss_curves_and_resumes_where_it_stopped(tmp_path, cache_dir):
    # Saved every 2 generator steps (6 optimiser steps): the run's end (step 3) is saved on its own.
    steps = ["callbacks.samples.at_steps=[0,2]", "callbacks.model_checkpoint.every_n_train_steps=6"]
    first = compose_train([*TINY_GAN, *NO_WAV, *steps, "model.generator_steps=3"], tmp_path, cache_dir)
    metrics = train(first)
    assert {"train/loss_d", "train/loss_g", "train/wasserstein", "train/gp"} <= set(metrics)
    for step in (0, 2, 3):  # the chosen steps and the last one
        folder = tmp_path / "samples" / f"step_{step:06d}"
        assert sorted(p.name for p in folder.glob("*.mid")) == ["Q1.mid", "Q2.mid", "Q3.mid", "Q4.mid"]
        assert (folder / "piano_roll.png").stat().st_size > 5000
    assert (tmp_path / "loss_curves.png").stat().st_size > 5000
    last = tmp_path / "checkpoints" / "last.ckpt"
    assert torch.load(last, weights_only=True)["global_step"] == 9  # 3 generator steps x (2 + 1)

    first_sample = (tmp_path / "samples" / "step_000000" / "Q1.mid").stat().st_mtime_ns
    resumed = compose_train(
        [*TINY_GAN, *NO_WAV, *steps, "model.generator_steps=5", "ckpt_path=last"], tmp_path, cache_dir
    )
    train(resumed)
    state = torch.load(last, weights_only=True)
    assert state["global_step"] == 15
    for scheduler, start in zip(state["lr_schedulers"], (resumed.model.lr_g, resumed.model.lr_d)):
        assert scheduler["last_epoch"] == 5 and scheduler["_last_lr"][0] == pytest.approx(start * 0.1)
    history = next(v for k, v in state["callbacks"].items() if "GANLossCurves" in k)["history"]
    assert history["step"] == [1, 2, 3, 4, 5]  # one curve across the kill, no step twice
    folders = sorted(p.name for p in (tmp_path / "samples").iterdir())
    assert folders == ["step_000000", "step_000002", "step_000003", "step_000005"]
    assert (tmp_path / "samples" / "step_000000" / "Q1.mid").stat().st_mtime_ns == first_sample  # not redone


@pytest.mark.parametrize("label_aug, classes", [("true", 4), ("false", 0)])
def test_model_musegan_label_aug_trains_with_fast_dev_run(tmp_path, cache_dir, label_aug, classes):
    cfg = compose_train(
        ["model=musegan", f"label_aug={label_aug}", "debug=fast_dev_run"], tmp_path, cache_dir
    )
    assert cfg.model.generator.n_classes == classes and cfg.model.critic.n_classes == classes
    metrics = train(cfg)
    assert torch.isfinite(torch.tensor(metrics["train/loss_g"]))
    assert (tmp_path / "samples" / "step_000001" / "piano_roll.png").exists()


def test_the_auxiliary_classifier_needs_labels_and_its_head(tmp_path, cache_dir):
    for overrides in (["label_aug=false", *AC_GAN], ["model.aux_weight=1.0", "model.critic.aux_classes=0"]):
        cfg = compose_train([*TINY_GAN, *overrides], tmp_path, cache_dir)
        with pytest.raises(InstantiationException, match="aux_weight > 0 needs label_aug=true and a critic"):
            instantiate(cfg.model)


def test_an_unconditioned_critic_ignores_labels():
    critic = MuseGANCritic(n_classes=0)
    segments = torch.rand(2, 4, 16, 84, 3)
    assert torch.equal(critic(segments, torch.tensor([0, 1])), critic(segments, torch.tensor([3, 2])))


def test_a_batch_that_is_not_n_critic_batches_is_refused(tmp_path, cache_dir):
    cfg = compose_train(
        [*TINY_GAN, *NO_WAV, "model.generator_steps=1", "data.batch_size=5"], tmp_path, cache_dir
    )
    with pytest.raises(RequestError, match="n_critic \\* batch_size = 8"):
        train(cfg)


def test_the_gan_refuses_a_task_other_than_quadrant(tmp_path, cache_dir):
    cfg = compose_train(["model=musegan", "task=arousal"], tmp_path, cache_dir)
    with pytest.raises(InstantiationException, match="task must be quadrant"):
        instantiate(cfg.model)


@pytest.mark.scaleout  # a subprocess multirun of both arms (about 7 s)
def test_the_label_ablation_sweep_runs_both_arms(tmp_path):
    import os
    import subprocess
    import sys

    from conftest import emopia_root
    from emopia_lightning.project_root import PROJECT_ROOT

    tiny = [o for o in TINY_GAN if o != "model=musegan"]
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "EMOPIA_ROOT": str(emopia_root()),
        "EMOPIA_CACHE": str(tmp_path / "cache"),
    }
    command = [sys.executable, "-m", "emopia_lightning.train", "-m", "experiment=musegan_label_ablation",
               *tiny, *NO_WAV, "model.generator_steps=2", "logger=none", "extras.print_config=false",
               "callbacks.judged_emotion=null",
               f"hydra.sweep.dir={tmp_path}/sweep"]  # fmt: skip
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    for job, conditional in (("0", True), ("1", False)):
        state = torch.load(tmp_path / "sweep" / job / "checkpoints" / "last.ckpt", weights_only=True)
        assert state["hyper_parameters"]["conditional"] is conditional
        assert (tmp_path / "sweep" / job / "samples" / "step_000002" / "piano_roll.png").exists()

"""LightningModule: an emotion-conditioned decoder-only Transformer over REMI tokens, or over
learned tokens of each bar's notes (``learned_size``, ``data.bar_tokens``).

A training window (``data.composer_windows``, REMI from a bar line) carries its condition: the
quadrant, or "no emotion" with probability ``label_dropout`` (and always when ``conditional`` is
false, ``label_aug=false``), so that one model gives both halves of classifier-free guidance. With
``condition_every_bar`` the condition token stands in for every ``Bar`` token, so the emotion is
restated at each bar line at no cost in length, and a plan can change it at any bar; without it
(composers trained before it) the condition is read once, before the window. The loss is
the next token's cross-entropy; ``val/loss`` is its mean per token over the validation songs'
windows, with the true emotion (the checkpoint is chosen on it). A composer of learned tokens takes
its tokenizer from the data module and keeps it in its checkpoints.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import pytorch_lightning as pl
import torch
import torch.nn.functional as F

from emopia_lightning.composing.composer import Composer
from emopia_lightning.composing.request import PieceRequest
from emopia_lightning.data.bar_tokens import BarTokenizer
from emopia_lightning.data.composer_vocabulary import IGNORE, ComposerVocabulary
from emopia_lightning.data.notes import Notes
from emopia_lightning.data.tokens import PAD_ID
from emopia_lightning.data.tonic import OCTAVE, nearest_shift, to_c
from emopia_lightning.errors import RequestError
from emopia_lightning.models.components.decoder import DecoderTransformer
from emopia_lightning.models.transformer_composer.sampling import TransformerOptions, compose_notes
from emopia_lightning.models.transformer_composer.token_layout import TokenLayout

TONIC_STREAM = 12  # the seed's random stream that draws a key-relative piece's tonic
BAR_TOKENIZER_KEY = "bar_tokenizer"  # a checkpoint's entry: the learned bar tokenizer, as JSON


def key_shift(request: PieceRequest) -> int:
    """Semitones from C to a piece's key: its prompt's, or a tonic its seed draws."""
    if request.prompt is not None and len(request.prompt):
        return -to_c(request.prompt.pitch)
    return nearest_shift(int(np.random.default_rng([request.seed, TONIC_STREAM]).integers(OCTAVE)), [])


def warmup_cosine(warmup_steps: int, total_steps: int, final_fraction: float) -> Callable[[int], float]:
    """LR factor: linear warm-up over ``warmup_steps``, then a cosine down to ``final_fraction``."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
        return final_fraction + (1 - final_fraction) * 0.5 * (1 + math.cos(math.pi * progress))

    return factor


class TransformerComposer(pl.LightningModule, Composer):
    options_type = TransformerOptions
    continues_prompts = True

    def __init__(
        self,
        net: DecoderTransformer,
        optimizer: Callable,
        num_velocities: int = 8,
        conditional: bool = True,
        label_dropout: float = 0.1,
        warmup_steps: int = 200,
        lr_final_fraction: float = 0.1,
        name: str = "transformer",
        task: str = "quadrant",
        # False for composers trained before the emotion was restated at every bar (their
        # checkpoints lack the setting); the configs set true.
        condition_every_bar: bool = False,
        sounding: bool = False,  # trained on notes as they sound (data.sounding), so it reads prompts so
        learned_size: int = 0,  # the learned bar tokens' vocabulary (data.bar_tokens.vocab_size); 0: REMI
        key_relative: bool = False,  # trained on clips moved to C (data.key_relative): it writes in C
    ):
        super().__init__()
        if task != "quadrant":
            raise RequestError(
                f"the composer is conditioned on the emotion quadrant: task must be quadrant, got {task!r}"
            )
        if not 0 <= label_dropout < 1:
            raise RequestError(f"label_dropout must be in [0, 1), got {label_dropout}")
        self.save_hyperparameters(ignore=["net", "optimizer"], logger=False)
        self.net = net
        self.optimizer_factory = optimizer
        self.token_layout = TokenLayout(
            ComposerVocabulary(num_velocities, bool(sounding), int(learned_size)), bool(condition_every_bar)
        )
        if net.embed.num_embeddings != self.vocabulary.size:
            raise RequestError(
                f"the net reads {net.embed.num_embeddings} tokens, the vocabulary has {self.vocabulary.size}"
            )

    @property
    def vocabulary(self) -> ComposerVocabulary:
        return self.token_layout.vocabulary

    def _use_tokenizer(self, tokenizer: BarTokenizer) -> None:
        self.token_layout = replace(self.token_layout, vocabulary=self.vocabulary.with_tokenizer(tokenizer))

    def setup(self, stage: str) -> None:
        datamodule = getattr(self.trainer, "datamodule", None)
        if self.hparams.learned_size and datamodule is not None:
            self._use_tokenizer(datamodule.vocabulary.bar_tokenizer)

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        if self.vocabulary.bar_tokenizer is not None:
            checkpoint[BAR_TOKENIZER_KEY] = self.vocabulary.bar_tokenizer.to_json()

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        if BAR_TOKENIZER_KEY in checkpoint:
            self._use_tokenizer(
                BarTokenizer.from_json(checkpoint[BAR_TOKENIZER_KEY], self.vocabulary.remi.tokenizer)
            )

    @property
    def description(self) -> str:
        kind = "emotion-conditioned" if self.hparams.conditional else "unconditioned"
        return f"{self.hparams.name} ({kind})"

    def compose_notes(self, requests: Sequence[PieceRequest], options: TransformerOptions) -> list[Notes]:
        if not self.hparams.key_relative:
            return compose_notes(self.net, self.token_layout, self.hparams.conditional, requests, options)
        # It writes in C: a prompt is read in C, and the new bars go to the piece's key.
        shifts = [key_shift(r) for r in requests]
        in_c = [
            r if r.prompt is None else replace(r, prompt=r.prompt.transposed(-s))
            for r, s in zip(requests, shifts)
        ]
        notes = compose_notes(self.net, self.token_layout, self.hparams.conditional, in_c, options)
        return [n.transposed(s) for n, s in zip(notes, shifts)]

    # -- training -------------------------------------------------------------------------------

    def _conditions(self, quadrants: torch.Tensor, drop: bool) -> torch.Tensor:
        """(B,) condition tokens: the quadrant's, or no emotion where dropped (or unconditional)."""
        none = torch.full_like(quadrants, self.vocabulary.condition(None))
        if not self.hparams.conditional:
            return none
        conditions = quadrants + self.vocabulary.condition(0)
        if drop and self.hparams.label_dropout:
            dropped = torch.rand(quadrants.shape, device=quadrants.device) < self.hparams.label_dropout
            conditions = torch.where(dropped, none, conditions)
        return conditions

    def _loss(self, batch, drop: bool) -> tuple[torch.Tensor, int]:
        ids, _, quadrants = batch  # (B, T) PAD-padded windows from a Bar, (B,) lengths, (B,) quadrants
        marked = self.token_layout.marked(ids, self._conditions(quadrants, drop)[:, None])
        inputs, targets = marked[:, :-1], marked[:, 1:]  # (B, T') each
        targets = targets.masked_fill(targets == PAD_ID, IGNORE)  # each input's next token
        logits = self.net(inputs)  # (B, T', V)
        loss = F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(), ignore_index=IGNORE)
        return loss, int((targets != IGNORE).sum())

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        loss, tokens = self._loss(batch, drop=True)
        self.log("train/loss", loss, prog_bar=True, batch_size=tokens)
        return loss

    def validation_step(self, batch, batch_idx: int) -> None:
        loss, tokens = self._loss(batch, drop=False)
        # Weighted by tokens, so the epoch's value is the mean per token, not per batch.
        self.log("val/loss", loss, prog_bar=True, batch_size=tokens, sync_dist=True)

    def configure_optimizers(self):
        optimizer = self.optimizer_factory(params=self.parameters())
        total = (
            self.trainer.max_steps if self.trainer.max_steps > 0 else self.trainer.estimated_stepping_batches
        )
        schedule = warmup_cosine(self.hparams.warmup_steps, int(total), self.hparams.lr_final_fraction)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

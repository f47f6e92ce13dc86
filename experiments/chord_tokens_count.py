"""How often MidiTok's Chord tokens (``use_chords``) name a chord in EMOPIA: REMI with our settings
and chords on, over every clip, counted against notes and bars.

``python experiments/chord_tokens_count.py``
"""

from __future__ import annotations

import copy

import numpy as np
from tqdm import tqdm

from emopia_lightning.config_registry import compose_config
from emopia_lightning.data.notes import read_notes
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.data.tokens import TICKS_PER_BEAT, remi_tokenizer


def main() -> None:
    import miditok

    config = copy.deepcopy(remi_tokenizer(8).config)
    config.use_chords = True
    tokenizer = miditok.REMI(config)
    source = locate_emopia(compose_config("generate", ["ckpt=x"]).paths.data_dir)
    counts = {"Chord": 0, "Pitch": 0, "Bar": 0}
    names = np.array([token.split("_")[0] for token in sorted(tokenizer.vocab, key=tokenizer.vocab.get)])
    blobs, _ = source.read_all()
    for midi in tqdm(blobs.values(), desc="clips"):
        (sequence,) = tokenizer(read_notes(midi).to_score(ticks_per_beat=TICKS_PER_BEAT))
        kinds = names[np.asarray(sequence.ids)]
        for kind in counts:
            counts[kind] += int((kinds == kind).sum())
    print(
        f"{counts['Chord']} Chord tokens for {counts['Pitch']} notes in {counts['Bar']} bars: "
        f"{counts['Chord'] / counts['Bar']:.4f} a bar"
    )


if __name__ == "__main__":
    main()

"""The creator's page (Gradio): tab "Compose" writes a new piece for an emotion, tab "What emotion
is this?" reads the emotion of an uploaded MIDI file. Every request goes through Gradio's queue,
in one concurrency group: two cores do one piece at a time best, and the renderers and pyplot are
not made for threads."""

from __future__ import annotations

import gradio as gr

from emopia_lightning.app.actions import PageActions, new_seed
from emopia_lightning.app.composer import BARS
from emopia_lightning.composing.request import TEMPI
from emopia_lightning.data.labels import EMOTION_NAMES, QUADRANTS, circumplex_signs
from emopia_lightning.errors import ProjectError

CONCURRENCY_GROUP = "cpu"


def emotion_choices() -> list[tuple[str, str]]:
    """(label, quadrant) per quadrant: ``sad / depressed (Q3: low arousal, negative valence)``."""
    choices = []
    for quadrant in QUADRANTS:
        valence_sign, arousal_sign = circumplex_signs(quadrant)
        arousal, valence = (
            ("high" if arousal_sign > 0 else "low"),
            ("positive" if valence_sign > 0 else "negative"),
        )
        words = " / ".join(EMOTION_NAMES[quadrant][:2])
        choices.append((f"{words} ({quadrant}: {arousal} arousal, {valence} valence)", quadrant))
    return choices


def _shown(action):
    """``action`` with a refusal (a ProjectError) shown on the page as one message, not a trace."""

    def run(*args):
        try:
            return action(*args)
        except ProjectError as error:
            raise gr.Error(str(error), print_exception=False) from None

    return run


def build_page(actions: PageActions, concurrency: int = 1) -> gr.Blocks:
    pictures = actions.circumplex_pictures()

    def compose(emotion, bars, qpm, seed, composer):
        piece = actions.compose(emotion, bars, qpm, seed, composer)
        seconds = int(bars) * actions.composers.composer(composer).layout.beats_per_bar * 60 / float(qpm)
        status = (
            f"**{piece.name}**: {int(bars)} bars at {float(qpm):g} bpm, {seconds:.0f} s, by the {composer}. "
            "The same composer, emotion, length, tempo and seed write this piece again."
        )
        if piece.audio_note:
            status += f"\n\nNo audio here: {piece.audio_note}. The MIDI plays in any MIDI player."
        wav = str(piece.wav) if piece.wav else None
        return (
            str(piece.roll), wav, gr.DownloadButton(value=str(piece.midi), interactive=True),
            gr.DownloadButton(value=wav, interactive=wav is not None), status,
        )  # fmt: skip

    def read(upload):
        try:
            reading, chart = actions.read(upload)
        except ProjectError as refused:  # said beside the upload, where the creator looks
            return None, f"**This file cannot be read.** {refused}"
        text = f"**{reading.verdict}**\n\nRead by {reading.reader}."
        if reading.repairs:
            text += "\n\nRepaired while reading: " + "; ".join(reading.repairs)
        return str(chart), text

    with gr.Blocks(title="emopia_lightning: music for a mood", delete_cache=(600, 3600)) as page:
        gr.Markdown(
            "# Music for a mood\nNew piano music in the emotion you choose, written on request by a "
            "composer trained on EMOPIA (an emotion-conditioned Transformer, or a MuseGAN), or the "
            "emotion of a MIDI file you have."
        )
        with gr.Tab("Compose"):
            with gr.Row():
                with gr.Column(scale=3):
                    emotion = gr.Radio(emotion_choices(), value="Q1", label="Emotion")
                    names = actions.composers.names
                    composer = gr.Radio(names, value=names[0], label="Composer (the first measured best)")
                    bars = gr.Slider(*BARS, value=16, step=1, label="Length (bars)")
                    qpm = gr.Slider(*TEMPI, value=120, step=1, label="Tempo (bpm)")
                    with gr.Row():
                        seed = gr.Number(value=0, precision=0, minimum=0, label="Seed", scale=3)
                        surprise = gr.Button("Surprise me", scale=1, size="sm")
                with gr.Column(scale=1, min_width=200):
                    circumplex = gr.Image(str(pictures["Q1"]), label="Valence and arousal", interactive=False,
                                          show_label=False, buttons=[])  # fmt: skip
            with gr.Row():
                write = gr.Button("Compose", variant="primary")
                another = gr.Button("Another one")
            status = gr.Markdown()
            roll = gr.Image(label="Piano roll", interactive=False, type="filepath", show_label=False)
            audio = gr.Audio(label="Listen", type="filepath", interactive=False)
            with gr.Row():
                midi_file = gr.DownloadButton("Download MIDI", interactive=False)
                wav_file = gr.DownloadButton("Download WAV", interactive=False)
        with gr.Tab("What emotion is this?"):
            limit = f"up to {actions.max_upload_bytes / 2**20:g} MB"
            upload = gr.File(label=f"A MIDI file ({limit})", file_types=[".mid", ".midi"], type="filepath")
            verdict = gr.Markdown()
            chart = gr.Image(label="Probabilities", interactive=False, type="filepath", show_label=False)

        # The API (gradio_client, the load benchmark) offers the two actions: /compose and /read.
        private = {"queue": False, "api_visibility": "private"}
        emotion.change(lambda q: str(pictures[q]), emotion, circumplex, **private)
        surprise.click(new_seed, None, seed, **private)
        settings, outputs = [emotion, bars, qpm, seed, composer], [roll, audio, midi_file, wav_file, status]
        queued = {"concurrency_limit": concurrency, "concurrency_id": CONCURRENCY_GROUP}
        write.click(_shown(compose), settings, outputs, api_name="compose", **queued)
        another.click(new_seed, None, seed, **private).then(
            _shown(compose), settings, outputs, api_visibility="private", **queued
        )
        upload.upload(read, upload, [chart, verdict], api_name="read", **queued)
    return page

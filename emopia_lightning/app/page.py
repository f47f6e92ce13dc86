"""The creator's page (Gradio): tab "Compose" writes a new piece for an emotion (one that may turn
into a second), by bars or seconds, and more of a piece (continue it, or another like it); tab
"What emotion is this?" reads the emotion of an uploaded MIDI file.

Every request goes through Gradio's queue, in one concurrency group: two cores do one piece at a
time best, and the renderers and pyplot are not made for threads. Compose requests that wait
together are composed as one batch (``batch=True``): one sampling batch, each request its own
piece (``PageActions.batch``)."""

from __future__ import annotations

import gradio as gr

from emopia_lightning.app.actions import NO_TURN, PageActions, Settings, new_seed
from emopia_lightning.app.composer import BARS, PagePiece
from emopia_lightning.composing.request import TEMPI
from emopia_lightning.data.labels import EMOTION_NAMES, QUADRANTS, circumplex_signs
from emopia_lightning.errors import ProjectError

CONCURRENCY_GROUP = "cpu"
MAX_BATCH = 8  # compose requests sampled together at most
SECONDS = (0, 300)  # the page's length in seconds (0: by bars)


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


def heard_along(piece: PagePiece) -> str:
    """``bars 1–16 tense (Q2), 17–32 calm (Q4)``: the windows' likeliest quadrants, runs merged."""
    along = piece.along
    if along is None or along.quadrants is None:
        return ""
    runs: list[list] = []
    for start, verdict in zip(along.starts.tolist(), along.verdicts()):
        if runs and runs[-1][2] == verdict and start <= runs[-1][1]:
            runs[-1][1] = start + along.window_bars
        else:
            runs.append([start, start + along.window_bars, verdict])
    words = [f"{a + 1}–{b} {EMOTION_NAMES[q][0]} ({q})" for a, b, q in runs]
    return f"\n\nEmotion along the piece (4-bar windows, under the roll): bars {', '.join(words)}."


def status_of(piece: PagePiece, composer: str) -> str:
    request = piece.request
    seconds = request.end_beat * 60 / request.qpm
    length = f"{request.total_bars} bars" if request.seconds is None else f"{seconds:.1f} s"
    opening = f", opening with {request.prompt_bars} bars of {request.prompt_name}" if request.prompt else ""
    status = (
        f"**{piece.name}**: {length} at {request.qpm:g} bpm ({seconds:.0f} s){opening}, by the {composer}. "
        "The same settings write this piece again." + heard_along(piece)
    )
    if piece.audio_note:
        status += f"\n\nNo audio here: {piece.audio_note}. The MIDI plays in any MIDI player."
    return status


def shown(piece: PagePiece, composer: str) -> tuple:
    """The Compose tab's outputs for a piece: roll, audio, MIDI download, status."""
    wav = str(piece.wav) if piece.wav else None
    midi = gr.DownloadButton(value=str(piece.midi), interactive=True)
    return str(piece.roll), wav, midi, status_of(piece, composer)


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

    def compose_batch(*columns):
        """Gradio's batch: one list per input, one per output."""
        settings = [Settings(e, b, q, s, c, t, tn, sec) for e, t, tn, b, sec, q, s, c in zip(*columns)]
        outputs = []
        for asked, piece in zip(settings, actions.batch(settings)):
            if isinstance(piece, ProjectError):
                refused = gr.DownloadButton(value=None, interactive=False)
                outputs.append((None, None, refused, f"**Not composed:** {piece}"))
            else:
                outputs.append(shown(piece, asked.composer))
        return tuple(map(list, zip(*outputs)))

    def continue_this(emotion, then, turn, bars, seconds, qpm, seed, composer, start):
        piece = actions.continued(Settings(emotion, bars, qpm, seed, composer, then, turn, seconds), start)
        return *shown(piece, composer), str(piece.midi)

    def another_like_this(emotion, then, turn, bars, seconds, qpm, seed, composer, start, keep):
        settings = Settings(emotion, bars, qpm, seed, composer, then, turn, seconds)
        piece = actions.another_like(settings, start, keep)
        return *shown(piece, composer), str(piece.midi)

    def start_from(upload, current):
        try:
            path, bars = actions.start_from(upload)
        except ProjectError as refused:  # said beside the upload: nothing is composed
            return current, f"**This file cannot be continued.** {refused}"
        return str(path), f"**{path.name}**: {bars} whole bars. *Continue this* writes new bars after them."

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
        current = gr.State(None)  # the MIDI file "Continue this" and "Another like this" start from
        with gr.Tab("Compose"):
            with gr.Row():
                with gr.Column(scale=3):
                    emotion = gr.Radio(emotion_choices(), value="Q1", label="Emotion")
                    then = gr.Radio([("stays", NO_TURN), *[(f"{EMOTION_NAMES[q][0]} ({q})", q) for q in QUADRANTS]], value=NO_TURN,
                                    label="Then turns to")  # fmt: skip
                    turn = gr.Number(
                        value=0, precision=0, minimum=0, label="Turn after bar (0: in the middle)"
                    )
                    names = actions.composers.names
                    composer = gr.Radio(names, value=names[0], label="Composer (the first measured best)")
                    bars = gr.Slider(*BARS, value=16, step=1, label="Length (bars)")
                    seconds = gr.Number(value=0, minimum=SECONDS[0], maximum=SECONDS[1],
                                        label="Length in seconds (0: use the bars)")  # fmt: skip
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
            with gr.Accordion("More of this piece", open=True):
                with gr.Row():
                    continue_button = gr.Button("Continue this")
                    like = gr.Button("Another like this")
                    keep = gr.Number(value=8, precision=0, minimum=1, label="Bars kept by Another like this")
                start = gr.File(label="Or start from a MIDI file (Continue this writes more of it)",
                                file_types=[".mid", ".midi"], type="filepath")  # fmt: skip
            status = gr.Markdown()
            roll = gr.Image(label="Piano roll", interactive=False, type="filepath", show_label=False)
            audio = gr.Audio(
                label="Listen (the player downloads the WAV)", type="filepath", interactive=False
            )
            midi_file = gr.DownloadButton("Download MIDI", interactive=False)
        with gr.Tab("What emotion is this?"):
            limit = f"up to {actions.max_upload_bytes / 2**20:g} MB"
            upload = gr.File(label=f"A MIDI file ({limit})", file_types=[".mid", ".midi"], type="filepath")
            verdict = gr.Markdown()
            chart = gr.Image(label="Probabilities", interactive=False, type="filepath", show_label=False)

        # The API (gradio_client, the load benchmark) offers the two actions: /compose and /read.
        private = {"queue": False, "api_visibility": "private"}
        emotion.change(lambda q: str(pictures[q]), emotion, circumplex, **private)
        surprise.click(new_seed, None, seed, **private)
        settings = [emotion, then, turn, bars, seconds, qpm, seed, composer]
        outputs = [roll, audio, midi_file, status]
        queued = {"concurrency_limit": concurrency, "concurrency_id": CONCURRENCY_GROUP}
        batched = {"batch": True, "max_batch_size": MAX_BATCH, **queued}
        remember = {
            "fn": lambda path, old: path or old,
            "inputs": [midi_file, current],
            "outputs": current,
            **private,
        }
        write.click(compose_batch, settings, outputs, api_name="compose", **batched).then(**remember)
        another.click(new_seed, None, seed, **private).then(
            compose_batch, settings, outputs, api_visibility="private", **batched
        ).then(**remember)
        continue_button.click(_shown(continue_this), [*settings, current], [*outputs, current],
                              api_visibility="private", **queued)  # fmt: skip
        like.click(new_seed, None, seed, **private).then(
            _shown(another_like_this), [*settings, current, keep], [*outputs, current],
            api_visibility="private", **queued,
        )  # fmt: skip
        start.upload(start_from, [start, current], [current, status], **private)
        upload.upload(read, upload, [chart, verdict], api_name="read", **queued)
    return page

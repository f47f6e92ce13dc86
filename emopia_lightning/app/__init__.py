"""The creator's page: ``python -m emopia_lightning.app`` (``make serve``) serves a Gradio page on
127.0.0.1:7860 that composes a new piece for a chosen emotion and reads the emotion of a MIDI file."""

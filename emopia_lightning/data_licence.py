"""The EMOPIA licence, said beside what is made from it: checkpoints and generated music."""

from __future__ import annotations

from pathlib import Path

NOTE_NAME = "DATA_LICENSE.txt"
NOTE = """\
Made from the EMOPIA dataset (Hung et al., ISMIR 2021), which is licensed CC BY-NC-SA 4.0
(https://creativecommons.org/licenses/by-nc-sa/4.0/). Checkpoints trained on it and the music
they write are derived from it: use them non-commercially, credit EMOPIA, and share what you
make from them under the same terms. Do not commit them to a public repository with the code
(whose own MIT licence does not cover them).
"""


def write_licence_note(folder: str | Path) -> Path:
    """``folder/DATA_LICENSE.txt`` (written once)."""
    path = Path(folder) / NOTE_NAME
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(NOTE)
    return path

"""Download EMOPIA 2.2 for users with internet: ``python -m emopia_lightning.data.download DIR``.

Delegates to muspy's EMOPIA downloader (checksummed); nothing in the project needs it when the data
is already on disk. Afterwards point ``EMOPIA_ROOT`` (or ``data.root``) at ``DIR``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from emopia_lightning.utils.cli import say_error


def download(folder: str) -> Path:
    import muspy

    root = Path(folder).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    muspy.EMOPIADataset(root, download_and_extract=True)
    return root


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(say_error("usage: python -m emopia_lightning.data.download DIR"))
    print(f"EMOPIA is in {download(sys.argv[1])}; set EMOPIA_ROOT to that folder")

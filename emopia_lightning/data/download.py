"""Download EMOPIA 2.2 for users with internet: ``python -m emopia_lightning.data.download DIR``.

Delegates to muspy's EMOPIA downloader (checksummed); nothing in the project needs it when the data
is already on disk. Afterwards point ``EMOPIA_ROOT`` (or ``paths.data_dir``) at ``DIR``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from emopia_lightning.errors import ProjectError, one_line_errors, writable_folder


def download(folder: str) -> Path:
    import muspy

    root = writable_folder(Path(folder).expanduser())
    try:
        muspy.EMOPIADataset(root, download_and_extract=True)
    except Exception as error:  # no network, a refused or damaged download: muspy's own words
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ProjectError(f"cannot download EMOPIA into {root}: {first_line}") from None
    return root


def build_parser() -> argparse.ArgumentParser:
    """This command's arguments (the README test parses the README's lines with it)."""
    parser = argparse.ArgumentParser(description="Download EMOPIA (needs the internet).")
    parser.add_argument("folder", help="where to put it")
    return parser


@one_line_errors
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    print(f"EMOPIA is in {download(args.folder)}; set EMOPIA_ROOT to that folder")
    return 0


if __name__ == "__main__":
    sys.exit(main())

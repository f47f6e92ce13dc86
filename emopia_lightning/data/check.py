"""What a data folder holds: ``python -m emopia_lightning.data.check [DIR] [--json]`` (default: the
configs' ``paths.data_dir``, ``$EMOPIA_ROOT`` or ``../shared/data/emopia``). Flags, not Hydra
overrides, as ``predict``: it takes paths and no config.

Reports the release it matches (by checksum; a mismatch is a warning, not an error: a user's own
copy may be re-zipped), clips per quadrant and songs, the split files found, and every file that
would be skipped or repaired, and why. Exit status 0 when EMOPIA is found, 2 when it is not.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections import Counter

from emopia_lightning.config_registry import compose_config
from emopia_lightning.data.corpus import load_corpus
from emopia_lightning.data.rolls import TimeRollSpec
from emopia_lightning.data.source import EmopiaSource, locate_emopia
from emopia_lightning.errors import one_line_errors

# Known releases: (algorithm, digest) -> name. The workplace's copy of the 1.0 clips (midis.zip,
# its README's sha256) and the 2.2 release zip (md5 from muspy's checksummed downloader).
KNOWN_RELEASES = {
    ("sha256", "b2d10d15cffe1d9c9caa5cd93cd7f286314cfa1490e507de017f662bd1c30d6d"): "EMOPIA 1.0 (midis.zip)",
    ("md5", "bad5171786a4898f37fc2678e99afd94"): "EMOPIA 2.2 (EMOPIA_2.2.zip)",
}
COUNT_ONLY = TimeRollSpec(fs=1.0)  # the cheapest roll: only reading and checking matter here


def release(source: EmopiaSource) -> str:
    """The release a zip matches, or why none is named."""
    if not source.is_zip:
        return "an extracted folder (no zip checksum to compare)"
    blob = source.location.read_bytes()
    for (algorithm, digest), name in KNOWN_RELEASES.items():
        if hashlib.new(algorithm, blob).hexdigest() == digest:
            return name
    return f"warning: {source.location.name} matches no known release (sha256 {hashlib.sha256(blob).hexdigest()[:16]}...)"


def default_root() -> str:
    """``paths.data_dir`` as the configs define it ($EMOPIA_ROOT, else ../shared/data/emopia)."""
    return str(compose_config("generate").paths.data_dir)


def check(root: str | os.PathLike) -> dict:
    source = locate_emopia(root)
    corpus = load_corpus(source, COUNT_ONLY, cache_dir=None, progress=False, warn=False)
    report = corpus.data_report()
    return {
        "location": str(source.location),
        "release": release(source),
        "clips_per_quadrant": dict(sorted(Counter(f"Q{label.quadrant}" for label in corpus.labels).items())),
        "songs": len({label.song_id for label in corpus.labels}),
        "split_files": sorted(source.split_csvs),
        **report,
    }


def _print(result: dict) -> None:
    print(f"EMOPIA at {result['location']}: {result['release']}")
    quadrants = ", ".join(f"{q} {n}" for q, n in result["clips_per_quadrant"].items())
    print(f"{result['read']} clips read of {result['files']} files ({quadrants}); {result['songs']} songs")
    print(f"split files: {', '.join(result['split_files']) or 'none (the official split is unavailable)'}")
    for name, reason in result["skipped"].items():
        print(f"skipped {name}: {reason}")
    for name, repairs in result["repaired"].items():
        print(f"repaired {name}: {'; '.join(repairs)}")


def build_parser() -> argparse.ArgumentParser:
    """This command's arguments (the README test parses the README's lines with it)."""
    parser = argparse.ArgumentParser(description="What an EMOPIA data folder holds.")
    default = default_root()
    parser.add_argument("root", nargs="?", default=default, help=f"a folder or zip (default: {default})")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


@one_line_errors
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result = check(args.root)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

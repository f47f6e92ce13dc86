"""The checkout's root folder: default paths in conf/ and reports are relative to it."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

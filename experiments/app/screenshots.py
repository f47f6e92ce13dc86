"""The README's pictures of the page: ``make serve`` in one terminal, then
``.venv/bin/python experiments/app/screenshots.py [--url http://127.0.0.1:7860/]``.

Composes a sad 16-bar piece (seed 7) on tab "Compose", downloads its MIDI, and has tab "What
emotion is this?" read that generated piece (not an EMOPIA clip: the dataset's notes stay out of
the repository); then, on a fresh page, a turning piece (tense, then calm after bar 8, 16 bars,
seed 7) with its emotion along it. Writes ``compose.png``, ``emotion.png`` and ``turning.png``
(``--only-turning``: that one alone; the page's composer must mark every bar to turn) beside this
script, with Debian's Chromium (``$CHROMIUM``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent


def small_png(path: Path) -> None:
    """The screenshot in 256 colours: a fifth of the bytes, the same picture to the eye."""
    from PIL import Image

    Image.open(path).convert("RGB").quantize(256).save(path, optimize=True)


def turning(page, url: str) -> None:
    page.goto(url)
    page.get_by_label("tense / angry", exact=False).check()
    page.get_by_label("calm (Q4)", exact=True).check()
    seed = page.get_by_label("Seed")
    seed.fill("7")
    seed.press("Enter")
    name = "tense-Q2_then-calm-Q4-at-8_seed-7_16-bars_120-bpm_transformer"
    page.get_by_role("button", name="Compose", exact=True).click()
    page.wait_for_selector(f'a[href*="/{name}.wav"]', state="attached", timeout=120_000)
    page.wait_for_timeout(2000)  # the player draws its waveform, the images fade in
    page.screenshot(path=HERE / "turning.png", full_page=True)
    small_png(HERE / "turning.png")


def main() -> None:
    parser = argparse.ArgumentParser(description="Screenshots of the served page for the README.")
    parser.add_argument("--url", default="http://127.0.0.1:7860/")
    parser.add_argument("--only-turning", action="store_true", help="the turning piece's picture alone")
    args = parser.parse_args()
    with sync_playwright() as driver, tempfile.TemporaryDirectory() as folder:
        browser = driver.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900}, accept_downloads=True)
        if args.only_turning:
            turning(page, args.url)
            browser.close()
            print(f"wrote {HERE / 'turning.png'}")
            return
        page.goto(args.url)
        page.get_by_label("sad / depressed", exact=False).check()
        seed = page.get_by_label("Seed")
        seed.fill("7")
        seed.press("Enter")
        page.get_by_role("button", name="Compose", exact=True).click()
        page.wait_for_selector("audio[src]", state="attached", timeout=60_000)
        page.wait_for_timeout(2000)  # the player draws its waveform, the images fade in
        page.screenshot(path=HERE / "compose.png", full_page=True)
        small_png(HERE / "compose.png")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download MIDI").click()
        midi = Path(folder) / download.value.suggested_filename
        download.value.save_as(midi)
        page.get_by_role("tab", name="What emotion is this?").click()
        page.locator("input[type=file]").last.set_input_files(midi)  # the reading tab's
        page.get_by_text("Read by").wait_for(timeout=60_000)
        page.wait_for_timeout(2000)
        page.screenshot(path=HERE / "emotion.png", full_page=True)
        small_png(HERE / "emotion.png")
        turning(page, args.url)
        browser.close()
    print(f"wrote {HERE / 'compose.png'}, {HERE / 'emotion.png'} and {HERE / 'turning.png'}")


if __name__ == "__main__":
    main()

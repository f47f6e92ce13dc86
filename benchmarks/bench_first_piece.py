"""One creator alone: the first piece after the page opens, in Chromium, against the same request
in-process.

``python benchmarks/bench_first_piece.py [app overrides ...]`` serves the page (make run's composer
by default, as ``bench_app_load.py`` does), opens it in headless Chromium (Playwright, ``$CHROMIUM``
or Debian's), asks for calm, 24 bars at 90 bpm, seed 0, and times the click on Compose until the
player holds that piece's WAV. Then, in this process, it loads the same composer and emotion
reader, writes one piece first (as the page's warm-up does), and times the same request through
``Composers.compose`` (MIDI, WAV, picture and the emotion along the piece).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from bench_app_load import start_page, stop_page
from omegaconf import open_dict

from emopia_lightning.app.__main__ import emotion_reader, offered_generators
from emopia_lightning.app.actions import PageActions, Settings
from emopia_lightning.app.composer import Composers
from emopia_lightning.app.workspace import Workspace
from emopia_lightning.config_registry import compose_config

NAME = "calm-Q4_seed-0_24-bars_90-bpm_transformer"


def in_the_browser(url: str) -> float:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(url)
        page.get_by_label("calm / relaxed", exact=False).check()
        for label, value in (("number input for Length (bars)", 24), ("number input for Tempo (bpm)", 90)):
            field = page.get_by_label(label)
            field.fill(str(value))
            field.press("Enter")
        page.wait_for_timeout(1000)
        started = time.perf_counter()
        page.get_by_role("button", name="Compose", exact=True).click()
        page.wait_for_selector(f'a[href*="/{NAME}.wav"]', state="attached", timeout=120_000)
        seconds = time.perf_counter() - started
        browser.close()
    return seconds


def in_process(overrides: list[str]) -> float:
    cfg = compose_config("app", overrides)
    with open_dict(cfg):
        cfg.paths.output_dir = tempfile.mkdtemp()
    composers = Composers.load(offered_generators(cfg), cfg.renderer, cfg.composer_options, cfg.sample_rate)
    workspace = Workspace()
    try:
        actions = PageActions(composers, emotion_reader(cfg, composers), workspace)
        actions.warm_up()
        started = time.perf_counter()
        actions.compose(Settings("calm", 24, 90, 0, "transformer"))
        return time.perf_counter() - started
    finally:
        workspace.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("overrides", nargs="*", help="the served page's options (generators.NAME=CKPT ...)")
    args = parser.parse_args()
    server, url = start_page(args.overrides)
    try:
        page_seconds = in_the_browser(url)
    finally:
        stop_page(server)
    alone = in_process(args.overrides)
    print(f"first piece on the page (click to player): {page_seconds:.2f} s; the same request in-process: "
          f"{alone:.2f} s; the page's own share {page_seconds - alone:+.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()

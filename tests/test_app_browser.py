"""The creator's page in a real browser: ``python -m emopia_lightning.app`` served, then driven by
headless Chromium through Playwright. The browser is the system's (Debian's ``chromium``; ``.ci/run``
installs it): Playwright cannot download its own here. ``$CHROMIUM`` points elsewhere."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import emopia_root
from emopia_lightning.composing.request import whole_bars
from emopia_lightning.data.notes import read_notes
from emopia_lightning.project_root import PROJECT_ROOT

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
playwright = pytest.importorskip(
    "playwright.sync_api", reason="playwright is a dev dependency (make install)"
)
MISSING = None if CHROMIUM.is_file() else f"no Chromium at {CHROMIUM} (apt-get install chromium)"
# Off CI a missing browser skips; under CI (.ci/run sets CI=true) the test fails instead: it is the
# only check of what a creator sees, and a skip would pass unnoticed.
pytestmark = pytest.mark.skipif(MISSING is not None and not os.environ.get("CI"), reason=str(MISSING))


@pytest.fixture(scope="module", autouse=True)
def chromium_under_ci():  # before the module's other fixtures start the page
    if MISSING:
        pytest.fail(f"{MISSING}; CI must run the browser test (.ci/run installs Chromium as root)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory, gan_checkpoint, composer_checkpoint, classifier_checkpoint):
    """(URL, the server's temp root, the process): the page as `make serve` starts it, on a free port,
    offering a tiny Transformer composer (the default) and a tiny MuseGAN."""
    folder = tmp_path_factory.mktemp("app")
    temp_root = folder / "tmp"
    temp_root.mkdir()
    port = _free_port()
    command = [
        sys.executable, "-m", "emopia_lightning.app", f"generators.transformer={composer_checkpoint}",
        f"generators.musegan={gan_checkpoint}", "+composer_options.musegan.threshold=0.02",  # a 3-step GAN
        f"classifier={classifier_checkpoint}", f"port={port}",
        f"paths.data_dir={emopia_root()}", f"hydra.run.dir={folder / 'run'}",
    ]  # fmt: skip
    env = {**os.environ, "TMPDIR": str(temp_root), "OMP_NUM_THREADS": "1"}
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"the page did not start:\n{(folder / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
    yield url, temp_root, server
    if server.poll() is None:
        server.send_signal(signal.SIGINT)  # as Ctrl-C: the page stops and removes its folder
        server.wait(timeout=30)
    log.close()


@pytest.fixture
def page(served):
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
        tab.goto(served[0])
        yield tab
        browser.close()


def test_a_creator_composes_a_sad_piece_hears_it_downloads_it_and_a_broken_upload_is_explained(
    page, served, tmp_path
):
    page.get_by_label("sad / depressed", exact=False).check()
    length = page.get_by_label("number input for Length (bars)")
    length.fill("8")
    length.press("Enter")
    for composer in ("transformer", "musegan"):  # the first is chosen unless the creator picks another
        if composer != "transformer":
            page.get_by_label(composer, exact=True).check()
        name = f"sad-Q3_seed-0_8-bars_120-bpm_{composer}"
        page.get_by_role("button", name="Compose", exact=True).click()
        _wait_for_piece(page, name)
        with page.expect_download() as download:
            page.get_by_role("button", name="Download MIDI").click()
        assert download.value.suggested_filename == f"{name}.mid"
        midi = tmp_path / download.value.suggested_filename
        download.value.save_as(midi)
        assert read_notes(midi.read_bytes()).end_beat.max() == 8 * 4  # 8 bars of 4/4, to the last beat
        page.screenshot(path=tmp_path / f"compose_{composer}.png", full_page=True)

    page.get_by_role("tab", name="What emotion is this?").click()
    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"MThd garbage")
    page.locator("input[type=file]").last.set_input_files(broken)  # the reading tab's (the last)
    page.get_by_text("broken.mid is not a MIDI file that can be read").wait_for(timeout=30_000)
    assert "Traceback" not in page.content()
    page.screenshot(path=tmp_path / "read.png", full_page=True)
    assert (tmp_path / "compose_transformer.png").stat().st_size > 50_000 and (
        tmp_path / "read.png"
    ).stat().st_size > 10_000


def _wait_for_piece(page, name: str) -> None:
    """Until the player holds the WAV of the piece ``name`` (its source, as the player's download
    link gives it; the <audio> plays a blob of it): not the previous piece's player."""
    page.wait_for_selector(f'a[href*="/{name}.wav"]', state="attached", timeout=90_000)
    page.get_by_text(name).first.wait_for(timeout=10_000)


def _set_number(page, label: str, value) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(str(value))
    field.press("Enter")


def _start_from(page, midi) -> None:
    """Choose ``midi`` in the Compose tab's "Or start from a MIDI file", as a creator does."""
    chosen = page.get_by_role("button", name="Clear", exact=True)
    if chosen.count():  # a file chosen before: cleared first, as a creator would
        chosen.first.click()
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Click to upload or drop files").first.click()
    chooser.value.set_files(midi)


def _downloaded_midi(page, tmp_path, name: str):
    with page.expect_download() as download:
        page.get_by_role("button", name="Download MIDI").click()
    assert download.value.suggested_filename == f"{name}.mid"
    download.value.save_as(tmp_path / f"{name}.mid")
    return read_notes((tmp_path / f"{name}.mid").read_bytes())


def test_a_creator_composes_by_seconds_a_turning_piece_and_continues_a_real_clip(
    page, served, tmp_path, real_clips
):
    _set_number(page, "Length in seconds (0: use the bars)", 20)
    name = "happy-Q1_seed-0_20-s_120-bpm_transformer"
    page.get_by_role("button", name="Compose", exact=True).click()
    _wait_for_piece(page, name)
    assert abs(_downloaded_midi(page, tmp_path, name).end_s.max() - 20) <= 0.5  # within a beat at 120 bpm

    _set_number(page, "Length in seconds (0: use the bars)", 0)
    page.get_by_label("tense / angry", exact=False).check()
    page.get_by_label("calm (Q4)", exact=True).check()
    length = page.get_by_label("number input for Length (bars)")
    length.fill("8")
    length.press("Enter")
    name = "tense-Q2_then-calm-Q4-at-4_seed-0_8-bars_120-bpm_transformer"
    page.get_by_role("button", name="Compose", exact=True).click()
    _wait_for_piece(page, name)
    # The test composer (4 training steps) writes few notes: whichever windows hold them are read
    page.get_by_text("Emotion along the piece (4-bar windows, under the roll): bars ").wait_for(
        timeout=10_000
    )
    roll = page.locator(f'img[src*="{name}.png"]')
    roll.wait_for(timeout=10_000)
    picture = page.request.get(roll.get_attribute("src")).body()
    height = int.from_bytes(picture[20:24], "big")  # the PNG header's height
    assert height > 400  # the roll (4 in at 72 dpi) and the emotion along it underneath

    stem, blob = list(real_clips.items())[1]
    clip = tmp_path / f"{stem}.mid"
    clip.write_bytes(blob)
    page.get_by_label("stays", exact=True).check()
    _start_from(page, clip)
    page.get_by_text(f"{stem}.mid: ").wait_for(timeout=30_000)
    page.get_by_role("button", name="Continue this", exact=True).click()
    name = f"tense-Q2_seed-0_8-bars_120-bpm_after-{stem}_transformer"
    _wait_for_piece(page, name)
    continued = _downloaded_midi(page, tmp_path, name)
    kept, bars = whole_bars(read_notes(blob))
    opening = continued.start_beat < bars * 4
    assert continued.pitch[opening].tolist() == kept.pitch.tolist()  # the clip's notes, unchanged
    assert continued.start_beat[opening] == pytest.approx(kept.start_beat, abs=1 / 480)
    assert continued.end_beat.max() == (bars + 8) * 4

    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"MThd garbage")
    _start_from(page, broken)
    page.get_by_text("This file cannot be continued. broken.mid is not a MIDI file").wait_for(timeout=30_000)
    assert page.locator(f'a[href*="/{name}.wav"]').count() == 1  # nothing composed: the piece stays
    assert "Traceback" not in page.content()


def _outward_address() -> str | None:
    """This machine's address on its network (no packet is sent), or None without one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_the_page_refuses_connections_from_the_network(served):
    url, _, _ = served
    outward = _outward_address()
    if outward is None:
        pytest.skip("this machine has no network address to try the page from")
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    with pytest.raises(OSError):  # served on 127.0.0.1 only
        socket.create_connection((outward, port), timeout=2).close()


def test_the_page_removes_its_folder_when_killed(served):  # last: it stops the shared server
    url, temp_root, server = served
    (workspace,) = temp_root.glob("emopia_app_*")  # everything it writes is in one folder of its own
    assert (workspace / "gradio").is_dir()
    server.send_signal(signal.SIGTERM)  # what `kill` and service managers send; Ctrl-C does the same
    assert server.wait(timeout=30) == 0
    assert not workspace.exists()

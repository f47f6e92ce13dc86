"""Load on the creator's page: concurrent clients asking for pieces through its API.

``python benchmarks/bench_app_load.py [--clients 4] [--pieces 25] [--bars 16] [--url URL]
[app overrides ...]``

Without ``--url`` it serves the page itself (``python -m emopia_lightning.app`` with the overrides
given, e.g. ``generators.transformer=CKPT concurrency=1``; make run's composer by default) on a
free port and stops it after; ``--composer`` names the composer asked (default: the page's first). Each client (its own
``gradio_client.Client``, in its own thread) asks ``/compose`` for ``--pieces`` pieces one after
another, cycling through the four emotions, and downloads what comes back (piano roll, the WAV for
the player, which also downloads it, and the MIDI): more than a browser, which fetches a
download only on a click. One warm-up piece first, not counted. Prints the latency p50 / p95 / max
of every request, the failures and the throughput.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from gradio_client import Client
from step_timer import QUICK_HELP

from emopia_lightning.data.labels import QUADRANTS
from emopia_lightning.project_root import PROJECT_ROOT


def start_page(overrides: list[str]) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "emopia_lightning.app",
        f"port={port}",
        "hydra.run.dir=outputs/bench_app",
        *overrides,
    ]
    server = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 600  # the first start may train make run's generator
    while server.poll() is None and time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return server, url
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit(f"the page did not start: {' '.join(command)}")


def stop_page(server: subprocess.Popen) -> None:
    """Stop the page as Ctrl-C does; one that takes over a minute (a loaded machine) is killed, so
    that a benchmark's figures still print."""
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        print("the page took over 60 s to stop; killed")
        server.kill()
        server.wait()


def quick_composer() -> list[str]:
    """The page's options for a tiny Transformer composer, trained here for 2 steps (~20 s)."""
    run = Path(tempfile.mkdtemp(prefix="bench_app_composer_"))
    tiny = ["model=transformer_composer", "model.net.width=32", "model.net.layers=2", "model.net.heads=2",
            "data.window=64", "trainer.max_steps=2", "trainer.val_check_interval=2", "trainer.limit_val_batches=1",
            "callbacks.judged_emotion=null", "callbacks.samples=null",
            "logger=none", f"hydra.run.dir={run}"]  # fmt: skip
    subprocess.run([sys.executable, "-m", "emopia_lightning.train", *tiny], cwd=PROJECT_ROOT, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return [f"generators.transformer={run}"]


# One TLS context for every request of every client (gradio_client hands ``ssl_verify`` to httpx's
# ``verify``, which takes a context): httpx otherwise builds one, reading the CA bundle, per request,
# which cost the load generator half its CPU on the two cores it shares with the page.
SHARED_TLS = ssl.create_default_context()


def new_client(url: str, folder: str) -> Client:
    return Client(url, verbose=False, download_files=folder, ssl_verify=SHARED_TLS)


def compose_arguments(emotion: str, bars: int, seed: int, composer: str) -> tuple:
    """/compose's inputs (app.page): emotion, then (none: it stays), turn, bars, seconds (0: by
    bars), tempo, seed, composer."""
    return emotion, "none", 0, bars, 0, 120, seed, composer


def client_run(url: str, client_index: int, pieces: int, bars: int, composer: str, latencies: list,
               failures: list) -> None:  # fmt: skip
    folder = tempfile.mkdtemp(prefix=f"bench_client{client_index}_")
    client = new_client(url, folder)
    for i in range(pieces):
        emotion = QUADRANTS[(client_index + i) % len(QUADRANTS)]
        started = time.perf_counter()
        try:
            client.predict(
                *compose_arguments(emotion, bars, 1000 * client_index + i, composer), api_name="/compose"
            )
            latencies.append(time.perf_counter() - started)
        except Exception as error:  # a failed request is counted, and the load goes on
            failures.append(f"client {client_index}, piece {i}: {type(error).__name__}: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--pieces", type=int, default=25, help="pieces each client asks for")
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--url", help="a page already served (default: serve one here)")
    parser.add_argument(
        "--composer", default="transformer", help="the composer asked, by its name on the page"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=QUICK_HELP + "; a tiny composer, trained first",
    )
    parser.add_argument("overrides", nargs="*", help="the served page's options (generators.NAME=CKPT ...)")
    args = parser.parse_args()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    if args.quick:
        args.clients, args.pieces, args.bars = 1, 2, 8
        args.overrides = [*quick_composer(), "generators.musegan=null", *args.overrides]
    server, url = (None, args.url) if args.url else start_page(args.overrides)
    try:
        new_client(url, tempfile.mkdtemp()).predict(
            *compose_arguments("Q1", args.bars, 0, args.composer), api_name="/compose"
        )  # one piece first (the page warms up itself; this warms the client)
        latencies: list[float] = []
        failures: list[str] = []
        threads = [
            threading.Thread(
                target=client_run, args=(url, c, args.pieces, args.bars, args.composer, latencies, failures)
            )
            for c in range(args.clients)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    finally:
        if server is not None:
            stop_page(server)
    total = args.clients * args.pieces
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] if ordered else float("nan")
    served = " ".join(args.overrides) or "defaults"
    print(
        f"{args.clients} clients x {args.pieces} pieces of {args.bars} bars on {os.cpu_count()} CPUs ({url}; {served})"
    )
    print(f"latency p50 {statistics.median(ordered) if ordered else float('nan'):.2f} s, p95 {p95:.2f} s, "
          f"max {max(ordered, default=float('nan')):.2f} s; failures {len(failures)} of {total}; "
          f"{len(latencies) / wall:.2f} pieces/s over {wall:.0f} s")  # fmt: skip
    for failure in failures[:10]:
        print("  " + failure)


if __name__ == "__main__":
    main()

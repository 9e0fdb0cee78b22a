"""Load test of the review server: concurrent clients post corrections to a real uvicorn server
(`attribution review` in a subprocess), then the script checks that every one was stored and
exported. Not a test: run it by hand and copy the figures into the README.

    python scripts/load_review.py OUTDIR [--clients 8] [--corrections 2000] [--kill-after N]

OUTDIR is an annotation folder (`attribution annotate seeds -o OUTDIR`). Its articles are copied
under new ids into a temporary folder until there is a sentence for every correction, so each
correction lands on its own sentence and the export must hold exactly one label per correction.
Each client keeps one connection open and posts as fast as the server answers, as a browser
does; the token is read from a page, as the browser reads it. With --kill-after N the server is
killed (SIGKILL) once N corrections are answered, and the script reports how many of the
answered corrections the database kept (all of them, or the durability claim is broken).
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from attribution.document import SPEAKER_LABELS
from attribution.labels import read_labels
from attribution.review.store import Store


def replicate(outdir: Path, folder: Path, sentences_needed: int) -> list[tuple[str, int, int, str]]:
    """Copies of OUTDIR's articles in `folder`; returns (article, sentence, start, predicted speaker) slots."""
    records = [json.loads(line) for line in (outdir / "annotations.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    copies, slots = [], []
    while len(slots) < sentences_needed:
        for record in records:
            copy = dict(record, id=f"{record['id']}-copy{len(copies)}")
            copies.append(copy)
            slots += [(copy["id"], s["id"], s["start"], s["speaker"]["label"]) for s in copy["sentences"] if s["speaker"]]  # boilerplate has none
    (folder / "annotations.jsonl").write_text("".join(json.dumps(c) + "\n" for c in copies), encoding="utf-8")
    return slots[:sentences_needed]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"error: the server at {url} did not answer within {seconds:.0f} s")


class Answered:
    """The corrections the server answered 200 to, shared by the clients."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.slots: list[tuple[str, int, str]] = []

    def add(self, article: str, start: int, speaker: str) -> int:
        with self.lock:
            self.slots.append((article, start, speaker))
            return len(self.slots)


def client_run(base: str, token: str, work: list[tuple[str, int, int, str]], answered: Answered, killed: bool) -> list[float]:
    latencies = []
    with httpx.Client(base_url=base, headers={"X-Review-Token": token}, timeout=60) as client:
        for number, (article, sentence, start, speaker) in enumerate(work):
            started = time.perf_counter()
            try:
                answer = client.post(f"/api/articles/{article}/sentences/{sentence}/correct",
                                     json={"reviewer": f"load-{number % 8}", "speaker": speaker})
            except httpx.TransportError:
                if killed:
                    return latencies  # the server was killed on purpose
                raise
            latencies.append(time.perf_counter() - started)
            if answer.status_code != 200:
                raise SystemExit(f"error: {article} S{sentence}: {answer.status_code} {answer.text}")
            answered.add(article, start, speaker)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path, help="annotation folder written by `attribution annotate`")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--corrections", type=int, default=2000)
    parser.add_argument("--kill-after", type=int, default=0, help="SIGKILL the server once this many corrections are answered")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder, db = Path(tmp), Path(tmp) / "load.sqlite3"
        # Each correction moves the sentence's speaker to the next label, so it differs from the prediction.
        work = [(a, s, start, SPEAKER_LABELS[(SPEAKER_LABELS.index(p) + 1) % len(SPEAKER_LABELS)])
                for a, s, start, p in replicate(args.outdir, folder, args.corrections)]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-m", "attribution.cli", "review", str(folder), "--db", str(db), "--port", str(port)])
        try:
            wait_for(base + "/")
            page = httpx.get(f"{base}/articles/{work[0][0]}").text
            token = re.search(r'<meta name="review-token" content="([^"]+)">', page).group(1)
            shares = [work[n :: args.clients] for n in range(args.clients)]
            answered = Answered()
            started = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                runs = [pool.submit(client_run, base, token, share, answered, bool(args.kill_after)) for share in shares]
                while args.kill_after and len(answered.slots) < args.kill_after and not all(r.done() for r in runs):
                    time.sleep(0.001)
                if args.kill_after:
                    server.send_signal(signal.SIGKILL)
                latencies = [x for run in runs for x in run.result()]
            elapsed = time.perf_counter() - started
            corrected = None if args.kill_after else sum(row["corrected"] for row in httpx.get(base + "/api/articles").json())
        finally:
            server.terminate()
            server.wait(timeout=30)
        stored = Store(db).count("correct")
        out = folder / "export.jsonl"
        subprocess.run([sys.executable, "-m", "attribution.cli", "labels", "export", "--db", str(db), "-o", str(out)], check=True)
        exported = {(x.article, x.start): x.speaker for x in read_labels(out)}
    if args.kill_after:
        kept = sum(exported.get((article, start)) == speaker for article, start, speaker in answered.slots)
        print(f"server killed after {len(answered.slots)} answered corrections ({args.clients} clients); "
              f"{kept} of them survived (stored {stored}, exported {len(exported)})")
        if kept != len(answered.slots):
            raise SystemExit("error: an answered correction was lost")
        print("ok: every answered correction survived the kill")
        return
    cuts = statistics.quantiles(latencies, n=100)
    print(f"{len(latencies)} corrections by {args.clients} clients in {elapsed:.2f} s: {len(latencies) / elapsed:,.0f} requests/s; "
          f"latency p50 {cuts[49] * 1000:.1f} ms, p95 {cuts[94] * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms")
    print(f"stored {stored}, shown as corrected {corrected}, exported {len(exported)}")
    if not stored == corrected == len(exported) == args.corrections:
        raise SystemExit(f"error: expected {args.corrections} corrections stored, shown and exported")
    if exported != {(article, start): speaker for article, _, start, speaker in work}:
        raise SystemExit("error: the exported speakers differ from the corrections posted")
    print("ok: every correction stored, shown and exported")


if __name__ == "__main__":
    main()

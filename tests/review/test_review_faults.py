"""A fault survived: a review server killed (SIGKILL) under concurrent clients keeps every
correction it answered (the real command, in a subprocess)."""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from attribution.document import SPEAKER_LABELS
from attribution.labels import read_labels

pytestmark = pytest.mark.slow
CLI = [sys.executable, "-m", "attribution.cli"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def test_a_killed_review_server_keeps_every_correction_it_answered(review_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "review"
    folder.mkdir()
    shutil.copy(review_folder / "annotations.jsonl", folder / "annotations.jsonl")
    records = [json.loads(line) for line in (folder / "annotations.jsonl").read_text(encoding="utf-8").splitlines()]
    slots = [(r["id"], s["id"], s["start"], s["speaker"]["label"]) for r in records for s in r["sentences"] if s["speaker"]][:60]
    db, port = tmp_path / "review.sqlite3", _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([*CLI, "review", str(folder), "--db", str(db), "--port", str(port)], stderr=subprocess.DEVNULL)
    try:
        _wait_for(base + "/")
        token = re.search(r'<meta name="review-token" content="([^"]+)">', httpx.get(f"{base}/articles/{slots[0][0]}").text).group(1)
        answered: list[tuple[str, int, str]] = []
        lock = threading.Lock()

        def client(share: list[tuple[str, int, int, str]]) -> None:
            with httpx.Client(base_url=base, headers={"X-Review-Token": token}, timeout=30) as http:
                for article, sentence, start, predicted in share:
                    speaker = SPEAKER_LABELS[(SPEAKER_LABELS.index(predicted) + 1) % len(SPEAKER_LABELS)]
                    try:
                        reply = http.post(f"/api/articles/{article}/sentences/{sentence}/correct", json={"reviewer": "kill", "speaker": speaker})
                    except httpx.TransportError:
                        return  # the server is gone
                    if reply.status_code == 200:
                        with lock:
                            answered.append((article, start, speaker))

        threads = [threading.Thread(target=client, args=(slots[n::4],)) for n in range(4)]
        for thread in threads:
            thread.start()
        while len(answered) < 20 and any(t.is_alive() for t in threads):
            time.sleep(0.005)
        server.send_signal(signal.SIGKILL)
        for thread in threads:
            thread.join()
    finally:
        server.kill()
        server.wait()
    assert 20 <= len(answered) < len(slots)  # killed midway
    out = tmp_path / "export.jsonl"
    assert subprocess.run([*CLI, "labels", "export", "--db", str(db), "-o", str(out)], capture_output=True).returncode == 0
    exported = {(label.article, label.start): label.speaker for label in read_labels(out)}
    assert all(exported.get((article, start)) == speaker for article, start, speaker in answered)

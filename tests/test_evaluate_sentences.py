"""`evaluate sentences` scores sentence labels against standoff labels, matched by overlap."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from attribution.cli import app
from attribution.labels import SentenceLabel, sentence_hash, write_labels
from tests.conftest import SEEDS
from tests.test_seeds import A000

# (words of a sentence in seed 000, speaker, certainty) as a careful reader labels them.
GOLD = [
    ("He added that the likely offensive", "us_official", "probable"),
    ("At the same time, Ukraine is suffering", "unattributed", "certain"),
    ("CNN previously reported that", "media", "certain"),
    ("a source in the Turkish Foreign Ministry said", "other_official", "certain"),
]


def write_gold(path, wrong_speaker: bool = False) -> None:
    text = (SEEDS / f"{A000}.txt").read_text(encoding="utf-8")
    lines = text.split("\n")
    labels = []
    for words, speaker, certainty in GOLD:
        line = next(line for line in lines if words in line)
        start = text.index(line)
        if wrong_speaker and speaker == "media":
            speaker = "expert"
        labels.append(SentenceLabel(A000, start, start + len(line), sentence_hash(line), speaker, certainty))
    write_labels(path, labels)


def evaluate(path) -> dict:
    # The rules: their labels on these sentences are settled, so the scoring itself is what is tested.
    result = CliRunner().invoke(app, ["evaluate", "sentences", str(path), "--corpus", str(SEEDS), "--rules", "--json", "--workers", "1"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def test_scores_against_gold_labels(tmp_path):
    gold = tmp_path / "gold.jsonl"
    write_gold(gold)
    scores = evaluate(gold)
    assert scores["n"] == 4 and scores["stale"] == 0
    assert scores["speaker_acc"] == 1.0 and scores["certainty_acc"] == 1.0
    write_gold(gold, wrong_speaker=True)
    assert evaluate(gold)["speaker_acc"] == 0.75


def test_labels_of_a_changed_article_are_not_applied(tmp_path):
    gold = tmp_path / "gold.jsonl"
    write_gold(gold)
    records = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines()]
    records[0]["sha1"] = "0" * 16
    gold.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    scores = evaluate(gold)
    assert scores["stale"] == 1 and scores["n"] == 3

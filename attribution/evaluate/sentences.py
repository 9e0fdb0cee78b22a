"""Score sentence labels (speaker, certainty) against the team's standoff labels.

Gold sentences are matched to predicted ones by the largest character overlap, so a change of
sentence segmentation does not break the comparison. Labels whose sentence hash no longer
matches the article text are skipped and counted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from sklearn.metrics import accuracy_score, f1_score

from attribution.document import Article
from attribution.labels import SentenceLabel, labels_by_article
from attribution.pipeline import Annotated, Pipeline


def load_split(splits: Path, split: str) -> set[str]:
    data = json.loads(splits.read_text(encoding="utf-8"))
    if split not in data:
        raise ValueError(f"{splits} has no split {split!r}")
    return set(data[split])


def evaluate_sentences(gold_path: Path, corpus: Path, pipeline: Pipeline, articles: set[str] | None = None,
                       workers: int = 0) -> dict:
    gold = labels_by_article(gold_path, articles)
    texts = {article_id: (corpus / f"{article_id}.txt").read_text(encoding="utf-8") for article_id in gold}
    pairs: list[tuple[SentenceLabel, dict]] = []
    stale = 0
    results = pipeline.run((Article(article_id, text) for article_id, text in texts.items()), workers=workers)
    for result in results:
        if not isinstance(result, Annotated):
            raise RuntimeError(f"{result.article_id}: {result.message}")
        text = texts[result.article_id]
        for label in gold[result.article_id]:
            if not label.matches(text):
                stale += 1
                continue
            pairs.append((label, _best_match(label, result.record["sentences"])))
    return _scores(pairs, stale)


def _best_match(label: SentenceLabel, sentences: Iterable[dict]) -> dict:
    return max(sentences, key=lambda s: min(s["end"], label.end) - max(s["start"], label.start))


def _scores(pairs: list[tuple[SentenceLabel, dict]], stale: int) -> dict:
    def score(gold: list[str], predicted: list[str]) -> tuple[float, float]:
        labels = sorted(set(gold))  # macro-F1 over the labels the gold data has
        return accuracy_score(gold, predicted), f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)

    speaker = score([g.speaker for g, _ in pairs], [p["speaker"]["label"] for _, p in pairs])
    certainty = score([g.certainty for g, _ in pairs], [p["certainty"]["label"] for _, p in pairs])
    return {
        "speaker_acc": round(speaker[0], 4),
        "speaker_macro_f1": round(speaker[1], 4),
        "certainty_acc": round(certainty[0], 4),
        "certainty_macro_f1": round(certainty[1], 4),
        "n": len(pairs),
        "stale": stale,
    }

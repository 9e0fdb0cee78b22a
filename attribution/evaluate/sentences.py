"""Score sentence labels (speaker, certainty) against the team's standoff labels.

Gold sentences are matched to predicted ones by the largest character overlap, so a change of
sentence segmentation does not break the comparison. Labels whose sentence hash no longer
matches the article text are skipped and counted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from attribution.document import Article
from attribution.files import write_atomic
from attribution.labels import SentenceLabel, labels_by_article
from attribution.pipeline import Annotated, Pipeline


def load_split(splits: Path, split: str) -> set[str]:
    if not splits.is_file():
        raise FileNotFoundError(f"{splits}: no splits file (pass --splits, or put splits.json beside the labels)")
    data = json.loads(splits.read_text(encoding="utf-8"))
    if split not in data:
        raise ValueError(f"{splits} has no split {split!r}")
    return set(data[split])


def labeled_texts(gold: dict, corpus: Path) -> dict[str, str]:
    """The text of each labeled article in `gold` (by article id), from `corpus/ID.txt`."""
    texts = {}
    for article_id in gold:
        path = corpus / f"{article_id}.txt"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: the text of labeled article {article_id} is missing")
        texts[article_id] = path.read_text(encoding="utf-8")
    return texts


def evaluate_sentences(gold_path: Path, corpus: Path, pipeline: Pipeline, articles: set[str] | None = None,
                       workers: int = 0, errors: Path | None = None) -> dict:
    """Annotate the labeled articles and score their sentences; with `errors`, every sentence
    whose speaker or certainty differs goes to that JSONL file (gold, prediction, text)."""
    gold = labels_by_article(gold_path, articles)
    texts = labeled_texts(gold, corpus)
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
            pairs.append((label, best_match(label, result.record["sentences"])))
    if errors is not None:
        _write_errors(errors, pairs, texts)
    return _scores(pairs, stale)


def _write_errors(path: Path, pairs: list[tuple[SentenceLabel, dict]], texts: dict[str, str]) -> None:
    lines = []
    for label, predicted in pairs:
        speaker = predicted["speaker"]["label"] if predicted["speaker"] else None
        certainty = predicted["certainty"]["label"] if predicted["certainty"] else None
        if (speaker, certainty) != (label.speaker, label.certainty):
            lines.append(json.dumps({
                "article": label.article, "start": label.start, "end": label.end,
                "gold": {"speaker": label.speaker, "certainty": label.certainty,
                         "source": texts[label.article][label.source[0] : label.source[1]] if label.source else None},
                "predicted": {"speaker": speaker, "certainty": certainty, "source": (predicted["speaker"] or {}).get("source"),
                              "by": (predicted["speaker"] or {}).get("by")},
                "text": texts[label.article][label.start : label.end]}, ensure_ascii=False) + "\n")
    write_atomic(path, "".join(lines))


def best_match(label: SentenceLabel, sentences: Iterable[dict]) -> dict:
    """The predicted sentence that overlaps the gold one most; page furniture, which has no
    labels, stands as the label format writes it: the article's own, certain."""
    found = max(sentences, key=lambda s: min(s["end"], label.end) - max(s["start"], label.start))
    if found.get("boilerplate") and found["speaker"] is None:
        found = {**found, "speaker": {"label": "unattributed", "by": "boilerplate"}, "certainty": {"label": "certain", "by": "boilerplate"}}
    return found


def _scores(pairs: list[tuple[SentenceLabel, dict]], stale: int) -> dict:
    """Accuracy and macro-F1 (over the labels the gold data has) of speaker and certainty, per-
    label precision, recall and F1, confusion matrices (gold row, predicted column), and the
    speaker errors split into affiliation (attributed on both sides, another label) and
    attributed-or-not (one side says `unattributed`)."""
    scores: dict = {}
    details: dict = {}
    for field in ("speaker", "certainty"):
        gold = [getattr(g, field) for g, _ in pairs]
        predicted = [p[field]["label"] if p[field] else "none" for _, p in pairs]
        labels = sorted(set(gold))
        scores[f"{field}_acc"] = round(accuracy_score(gold, predicted), 4) if pairs else 0.0
        scores[f"{field}_macro_f1"] = round(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0), 4) if pairs else 0.0
        shown = sorted(set(gold) | set(predicted))
        precision, recall, f1, support = precision_recall_fscore_support(gold, predicted, labels=shown, zero_division=0)
        details[field] = {
            "per_label": {label: {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4), "gold": int(n)}
                          for label, p, r, f, n in zip(shown, precision, recall, f1, support)},
            "confusion": {"labels": shown, "rows": confusion_matrix(gold, predicted, labels=shown).tolist() if pairs else []},
        }
    wrong = [(g.speaker, p["speaker"]["label"] if p["speaker"] else "none") for g, p in pairs
             if p["speaker"] is None or g.speaker != p["speaker"]["label"]]
    details["speaker"]["errors"] = {
        "affiliation": sum(1 for gold, predicted in wrong if "unattributed" not in (gold, predicted)),
        "attributed_or_not": sum(1 for gold, predicted in wrong if "unattributed" in (gold, predicted)),
    }
    return {**scores, "n": len(pairs), "stale": stale, **details}


def print_report(scores: dict) -> None:
    """The figures as tables for people."""
    print(f"{scores['n']} sentences ({scores['stale']} labels skipped: their article changed)")
    for field in ("speaker", "certainty"):
        print(f"\n{field}: accuracy {scores[f'{field}_acc']:.3f}, macro-F1 {scores[f'{field}_macro_f1']:.3f}")
        print(f"  {'label':<20} {'P':>6} {'R':>6} {'F1':>6} {'gold':>6}")
        for label, values in scores[field]["per_label"].items():
            print(f"  {label:<20} {values['precision']:6.3f} {values['recall']:6.3f} {values['f1']:6.3f} {values['gold']:6d}")
        labels = scores[field]["confusion"]["labels"]
        short = [label[:8] for label in labels]
        print("  confusion (gold rows, predicted columns):")
        print("  " + " " * 20 + " ".join(f"{name:>8}" for name in short))
        for label, row in zip(labels, scores[field]["confusion"]["rows"]):
            print(f"  {label:<20}" + " ".join(f"{count:8d}" for count in row))
    errors = scores["speaker"]["errors"]
    print(f"\nspeaker errors: {errors['affiliation']} affiliation, {errors['attributed_or_not']} attributed-or-not")

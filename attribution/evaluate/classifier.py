"""Scores of the classifier's heads on the public corpora and on the team's war-news examples,
from its predictions (`Predictor.predict`); the predictor calibrates the probabilities."""

from __future__ import annotations

import numpy as np
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import accuracy_score, f1_score

from attribution.classify.model import Example
from attribution.classify.predict import Outputs, Predictor
from attribution.corpora.public import unit_to_pei


def factuality_scores(outputs: Outputs, examples: list[Example]) -> dict:
    gold, predicted = [], []
    for example, values in zip(examples, outputs.factuality):
        for target, value in zip(example.factuality, values):
            if value is not None:  # a predicate cut off by truncation has no prediction
                gold.append(target)
                predicted.append(value)
    gold_array, predicted_array = np.array(gold), np.array(predicted)
    return {
        "pearson": _rounded(pearsonr(gold_array, predicted_array)[0]) if len(gold) > 1 else None,
        "mae": _rounded(np.abs(gold_array - predicted_array).mean()) if gold else None,
        "n": len(gold),
    }


def certainty_scores(outputs: Outputs, examples: list[Example]) -> dict:
    gold = np.array([unit_to_pei(e.score) for e in examples])
    predicted = np.array([unit_to_pei(v) for v in outputs.pei])
    enough = len(examples) > 1
    return {
        "pearson": _rounded(pearsonr(gold, predicted)[0]) if enough else None,
        "spearman": _rounded(spearmanr(gold, predicted)[0]) if enough else None,
        "mae": _rounded(np.abs(gold - predicted).mean()) if len(gold) else None,
        "n": len(examples),
    }


def hedging_scores(predictor: Predictor, outputs: Outputs, examples: list[Example]) -> dict:
    gold = np.array([e.hedged for e in examples])
    probabilities = predictor.calibrated(outputs, "hedge")
    predicted = probabilities.argmax(axis=1)
    return {
        "macro_f1": _rounded(f1_score(gold, predicted, average="macro", labels=[0, 1], zero_division=0)),
        "uncertain_f1": _rounded(f1_score(gold, predicted, pos_label=1, zero_division=0)),
        "ece": _rounded(expected_calibration_error(probabilities, gold)),
        "n": len(examples),
    }


def news_scores(predictor: Predictor, outputs: Outputs, examples: list[Example]) -> dict:
    """Speaker, certainty (and whose sentence it is, where the model has the head) accuracy and
    macro-F1 over the labels the gold data has, and ECE, of the heads alone."""
    scores: dict = {}
    heads = ["speaker", "certainty"] + (["who"] if predictor.model.config.who_labels else [])
    for head in heads:
        gold = np.array([getattr(e, head) for e in examples])
        probabilities = predictor.calibrated(outputs, head)
        predicted = probabilities.argmax(axis=1)
        scores[f"{head}_acc"] = _rounded(accuracy_score(gold, predicted))
        scores[f"{head}_macro_f1"] = _rounded(f1_score(gold, predicted, labels=sorted(set(gold.tolist())),
                                                       average="macro", zero_division=0))
        scores[f"{head}_ece"] = _rounded(expected_calibration_error(probabilities, gold))
    scores["n"] = len(examples)
    return scores


def _rounded(value: float) -> float:
    return round(float(value), 4)


def expected_calibration_error(probabilities: np.ndarray, gold: np.ndarray, bins: int = 15) -> float:
    """Top-label ECE: |accuracy - confidence| over equal-width confidence bins, weighted by size."""
    if len(gold) == 0:
        return 0.0
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == gold
    edges = np.linspace(0.0, 1.0, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            error += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(error)

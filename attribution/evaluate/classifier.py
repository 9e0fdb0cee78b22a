"""Scores of the classifier's heads on the public corpora and on the team's war-news examples."""

from __future__ import annotations

import numpy as np
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import accuracy_score, f1_score

from attribution.classify.corpora import Example, unit_to_pei
from attribution.classify.predict import Predictor, expected_calibration_error


def factuality_scores(predictor: Predictor, examples: list[Example]) -> dict:
    outputs = predictor.predict(examples)
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


def certainty_scores(predictor: Predictor, examples: list[Example]) -> dict:
    outputs = predictor.predict(examples)
    gold = np.array([unit_to_pei(e.score) for e in examples])
    predicted = np.array([unit_to_pei(v) for v in outputs.pei])
    enough = len(examples) > 1
    return {
        "pearson": _rounded(pearsonr(gold, predicted)[0]) if enough else None,
        "spearman": _rounded(spearmanr(gold, predicted)[0]) if enough else None,
        "mae": _rounded(np.abs(gold - predicted).mean()) if len(gold) else None,
        "n": len(examples),
    }


def hedging_scores(predictor: Predictor, examples: list[Example]) -> dict:
    outputs = predictor.predict(examples)
    gold = np.array([e.hedged for e in examples])
    probabilities = predictor.calibrated(outputs, "hedge")
    predicted = probabilities.argmax(axis=1)
    return {
        "macro_f1": _rounded(f1_score(gold, predicted, average="macro", labels=[0, 1], zero_division=0)),
        "uncertain_f1": _rounded(f1_score(gold, predicted, pos_label=1, zero_division=0)),
        "ece": _rounded(expected_calibration_error(probabilities, gold)),
        "n": len(examples),
    }


def news_scores(predictor: Predictor, examples: list[Example]) -> dict:
    """Speaker and certainty accuracy and macro-F1 (over the labels the gold data has), and ECE."""
    outputs = predictor.predict(examples)
    scores: dict = {}
    for head in ("speaker", "certainty"):
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

"""A linear-chain CRF tagger that runs from plain arrays (no pickle, no CRF library at run time).

Training uses CRFsuite (`attribution train spans`); its weights are exported to an `.npz` file
of labels, feature names, a feature-by-label weight matrix and label-to-label transitions, and
tagging here is the same Viterbi decoding over them. Features are strings (value 1) plus,
optionally, a dense vector per token whose components are the features named `v:0`, `v:1`, ...
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

DENSE_PREFIX = "v:"


class CRF:
    def __init__(self, labels: list[str], attributes: list[str], weights: np.ndarray, transitions: np.ndarray) -> None:
        self.labels = labels
        self.index = {name: n for n, name in enumerate(attributes)}
        self.attributes = attributes
        self.weights = weights.astype(np.float32)
        self.transitions = transitions.astype(np.float32)  # [from, to]
        dense = sorted((int(name[2:]), n) for n, name in enumerate(attributes) if name.startswith(DENSE_PREFIX))
        self.dense_weights = None
        if dense:
            self.dense_weights = np.zeros((dense[-1][0] + 1, len(labels)), dtype=np.float32)
            for component, n in dense:
                self.dense_weights[component] = self.weights[n]
        self._label_range = np.arange(len(labels))
        self._outside = labels.index("O") if "O" in labels else None
        self._transition_spread = 2 * float(self.transitions.max() - self.transitions.min())
        self._padded = np.vstack([self.weights, np.zeros((1, len(labels)), dtype=np.float32)])

    @classmethod
    def from_crfsuite(cls, info) -> CRF:
        """From a `pycrfsuite.Tagger().info()`: state features {(attribute, label): weight} and
        transitions {(from, to): weight}."""
        labels = sorted({label for _, label in info.state_features} | {label for pair in info.transitions for label in pair})
        label_index = {label: n for n, label in enumerate(labels)}
        attributes = sorted({attribute for attribute, _ in info.state_features})
        attribute_index = {name: n for n, name in enumerate(attributes)}
        weights = np.zeros((len(attributes), len(labels)), dtype=np.float32)
        for (attribute, label), weight in info.state_features.items():
            weights[attribute_index[attribute], label_index[label]] = weight
        transitions = np.zeros((len(labels), len(labels)), dtype=np.float32)
        for (first, second), weight in info.transitions.items():
            transitions[label_index[first], label_index[second]] = weight
        return cls(labels, attributes, weights, transitions)

    def save(self, path: Path) -> None:
        np.savez_compressed(path, labels=np.array(self.labels), attributes=np.array(self.attributes),
                            weights=self.weights.astype(np.float16), transitions=self.transitions)

    @classmethod
    def load(cls, path: Path) -> CRF:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["labels"].tolist(), data["attributes"].tolist(), data["weights"], data["transitions"])

    def emissions(self, rows: list[list[str]], dense: np.ndarray | None = None) -> np.ndarray:
        """Score of every label at every position: the sum of the known features' weights
        (unknown features point at a row of zeros), plus the dense vectors' share."""
        index, unknown = self.index, len(self.attributes)
        columns = [index.get(feature, unknown) for row in rows for feature in row]
        starts = np.cumsum([0] + [len(row) for row in rows[:-1]])
        scores = np.add.reduceat(self._padded[np.array(columns)], starts, axis=0)
        if dense is not None and self.dense_weights is not None:
            scores += dense[:, : len(self.dense_weights)].astype(np.float32) @ self.dense_weights
        return scores

    def _surely_outside(self, scores: np.ndarray) -> bool:
        """True when "O" wins every position by more than any transitions could make up, so the
        best sequence is all "O" without decoding (most sentences hold no cue)."""
        if self._outside is None:
            return False
        others = np.delete(scores, self._outside, axis=1).max(axis=1)
        return bool((scores[:, self._outside] - others).min() > self._transition_spread)

    def tag(self, rows: list[list[str]], dense: np.ndarray | None = None, bias: dict[str, float] | None = None) -> list[str]:
        """The best label sequence (Viterbi). `bias` adds to the scores of the labels it names
        everywhere, e.g. {"B": 0.5} finds more spans, trading precision for recall."""
        if not rows:
            return []
        scores = self.emissions(rows, dense)
        for label, amount in (bias or {}).items():
            scores[:, self.labels.index(label)] += amount
        if self._surely_outside(scores):
            return ["O"] * len(rows)
        best = scores[0]
        back = np.zeros(scores.shape, dtype=np.int64)
        for position in range(1, len(rows)):
            candidates = best[:, None] + self.transitions
            back[position] = pointers = candidates.argmax(axis=0)
            best = candidates[pointers, self._label_range] + scores[position]
        path = [int(best.argmax())]
        for position in range(len(rows) - 1, 0, -1):
            path.append(int(back[position, path[-1]]))
        return [self.labels[n] for n in reversed(path)]

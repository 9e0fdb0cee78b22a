"""Which claims of different articles are the same claim.

Candidates come from blocking, so the work grows with the batch, not with its square: each
claim's nearest neighbours by sentence vector (an HNSW graph, FAISS) and the claims that share a
figure's unit or a party within the same week (blocks that grow too common say nothing and are
dropped). A small logistic model (`models/linker`, trained on the team's clusters) scores each
candidate pair from the vectors and the two frames; clusters grow by average linkage, so one
strong pair cannot chain two unrelated stories together.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from itertools import combinations
from pathlib import Path

import numpy as np

from attribution import resources
from attribution.claims.frames import ClaimFrame
from attribution.claims.quantities import Quantity
from attribution.claims.vectors import sentence_vectors
from attribution.encoder.lora import LoraSettings
from attribution.files import write_atomic

NEIGHBOURS = 12  # nearest neighbours a claim is compared with
FLOOR = 0.3  # neighbours less similar than this are not candidates
BLOCK_LIMIT = 40  # a key shared by more claims than this is too common to block on
MAX_CLUSTER = 80
_WORD = re.compile(r"[a-z0-9][a-z0-9'-]+")


@dataclass
class Claim:
    """One sentence's claim, as the linker sees it."""

    article: str
    sentence: int  # the sentence's id in its article
    start: int
    end: int
    text: str  # the sentence
    content: str  # what it claims: the sentence without its source and reporting cue
    frame: ClaimFrame
    certainty: str

    @property
    def key(self) -> tuple[str, int]:
        return self.article, self.sentence


def content_words(text: str) -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS)


def _week(when: date | None) -> str:
    return f"{when.isocalendar()[0]}-{when.isocalendar()[1]}" if when else "?"


def candidate_pairs(claims: list[Claim], vectors: np.ndarray) -> set[tuple[int, int]]:
    """Index pairs (i < j, different articles) worth scoring."""
    import faiss

    pairs: set[tuple[int, int]] = set()
    if len(claims) < 2:
        return pairs
    index = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efSearch = 64
    index.add(vectors)
    similarity, neighbours = index.search(vectors, min(NEIGHBOURS + 1, len(claims)))
    for i, (row, scores) in enumerate(zip(neighbours, similarity)):
        for j, score in zip(row, scores):
            if j >= 0 and j != i and score >= FLOOR and claims[i].article != claims[j].article:
                pairs.add((min(i, j), max(i, j)))
    blocks: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, claim in enumerate(claims):
        week = _week(claim.frame.when)
        for unit in {q.unit for q in claim.frame.quantities if q.unit}:
            blocks[("unit", unit, week)].append(i)
        for party in claim.frame.participants:
            blocks[("party", party.lower(), week, claim.frame.predicate)].append(i)
    for members in blocks.values():
        if len(members) > BLOCK_LIMIT:
            continue
        for i, j in combinations(members, 2):
            if claims[i].article != claims[j].article:
                pairs.add((min(i, j), max(i, j)))
    return pairs


def _shared_unit(a: list[Quantity], b: list[Quantity]) -> set[str]:
    return {q.unit for q in a if q.unit} & {q.unit for q in b if q.unit}


def figures_conflict(a: ClaimFrame, b: ClaimFrame) -> bool:
    """Different figures for the same quantity at about the same time: a unit both count, and
    no figure of one for it that the other's could be."""
    units = _shared_unit(a.quantities, b.quantities)
    if not units or (a.when and b.when and abs((a.when - b.when).days) > 7):
        return False
    return any(not any(x.compatible(y) for x in a.quantities if x.unit == unit for y in b.quantities if y.unit == unit)
               for unit in units)


FEATURES = ("cosine", "words", "parties", "party_shared", "places", "unit_shared", "figure_agrees", "figure_conflicts",
            "days_apart", "predicate", "origin", "speaker", "both_own_voice")


def pair_features(a: Claim, b: Claim, cosine: float, words: tuple[frozenset[str], frozenset[str]]) -> list[float]:
    fa, fb = a.frame, b.frame
    parties_a, parties_b = {p.lower() for p in fa.participants}, {p.lower() for p in fb.participants}
    union = parties_a | parties_b
    wa, wb = words
    units = _shared_unit(fa.quantities, fb.quantities)
    agrees = any(x.compatible(y) for x in fa.quantities for y in fb.quantities if x.unit == y.unit and x.unit in units)
    days = min(abs((fa.when - fb.when).days), 30) / 30 if fa.when and fb.when else 1.0
    return [
        cosine,
        len(wa & wb) / max(1, len(wa | wb)),
        len(parties_a & parties_b) / len(union) if union else 0.0,
        float(bool(parties_a & parties_b)),
        float(bool(set(fa.places) & set(fb.places))),
        float(bool(units)),
        float(agrees),
        float(figures_conflict(fa, fb)),
        days,
        float(fa.predicate == fb.predicate),
        float(fa.origin == fb.origin),
        float(fa.speaker == fb.speaker),
        float(fa.speaker == fb.speaker == "unattributed"),
    ]


@dataclass(frozen=True)
class Linker:
    """The pair scorer: sentence vectors from the base encoder with the linker's adapters, a
    logistic model over FEATURES, and the average score clusters join at."""

    weights: tuple[float, ...]
    bias: float
    threshold: float
    adapters: Path | None = None  # LoRA weights of the claim encoder; None: the base encoder
    lora: LoraSettings = field(default_factory=LoraSettings)

    def score(self, features: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-(features @ np.asarray(self.weights) + self.bias)))

    def vectors(self, texts: list[str]) -> np.ndarray:
        return sentence_vectors(texts, self.adapters, self.lora)

    def save(self, folder: Path) -> None:
        """linker.json beside the adapters file (which training writes itself)."""
        folder.mkdir(parents=True, exist_ok=True)
        data = {"features": list(FEATURES), "weights": list(self.weights), "bias": self.bias, "threshold": self.threshold,
                "adapters": self.adapters.name if self.adapters else None, "lora": asdict(self.lora)}
        write_atomic(folder / "linker.json", json.dumps(data, indent=2) + "\n")

    @classmethod
    def load(cls, folder: str | Path | None = None) -> Linker:
        folder = Path(folder or resources.model_folder("linker"))
        path = folder / "linker.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(f"{path}: no claim linker there (`attribution train linker` makes one)") from None
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path}: made for features {data['features']}, this version computes {list(FEATURES)}")
        return cls(tuple(data["weights"]), float(data["bias"]), float(data["threshold"]),
                   folder / data["adapters"] if data.get("adapters") else None, LoraSettings(**data.get("lora", {})))


class PairScores:
    """Pair features, and their scores computed once each, on demand (clusters ask for pairs
    blocking did not)."""

    def __init__(self, claims: list[Claim], vectors: np.ndarray, linker: Linker | None) -> None:
        self.claims, self.vectors, self.linker = claims, vectors, linker
        self.words = [content_words(c.content) for c in claims]
        self.known: dict[tuple[int, int], float] = {}

    def features(self, pairs: list[tuple[int, int]]) -> np.ndarray:
        rows = [pair_features(self.claims[i], self.claims[j], float(self.vectors[i] @ self.vectors[j]), (self.words[i], self.words[j]))
                for i, j in pairs]
        return np.asarray(rows, dtype=float).reshape(len(pairs), len(FEATURES))

    def of(self, pairs: list[tuple[int, int]]) -> list[float]:
        missing = [p for p in pairs if p not in self.known]
        if missing:
            self.known.update(zip(missing, self.linker.score(self.features(missing)).tolist()))
        return [self.known[p] for p in pairs]


def cluster(claims: list[Claim], vectors: np.ndarray, linker: Linker) -> list[list[int]]:
    """Groups of claim indexes, each with members in two articles at least, most central first."""
    scores = PairScores(claims, vectors, linker)
    pairs = sorted(candidate_pairs(claims, vectors))
    ranked = sorted((s, p) for p, s in zip(pairs, scores.of(pairs)) if s >= linker.threshold)
    group = list(range(len(claims)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(claims))}
    for _, (i, j) in reversed(ranked):  # strongest pair first
        a, b = group[i], group[j]
        if a == b or len(members[a]) + len(members[b]) > MAX_CLUSTER:
            continue
        cross = [(min(x, y), max(x, y)) for x in members[a] for y in members[b] if claims[x].article != claims[y].article]
        if not cross or sum(scores.of(cross)) / len(cross) < linker.threshold:
            continue
        if len(members[a]) < len(members[b]):
            a, b = b, a
        for k in members.pop(b):
            group[k] = a
            members[a].append(k)
    found = []
    for indexes in members.values():
        if len({claims[k].article for k in indexes}) < 2:
            continue

        def centrality(k: int) -> float:
            others = [(min(k, x), max(k, x)) for x in indexes if claims[x].article != claims[k].article]
            return sum(scores.of(others)) / len(others)

        found.append(sorted(indexes, key=lambda k: (-centrality(k), claims[k].key)))
    return sorted(found, key=lambda g: (-len(g), claims[g[0]].key))

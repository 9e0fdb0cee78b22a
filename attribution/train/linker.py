"""Training the claim linker (`attribution train linker`), in two steps on separate clusters:

1. the claim encoder: LoRA adapters on the base encoder, trained contrastively on the training
   clusters (two members of a cluster, from different articles, against the other pairs of the
   batch and against the member's most similar non-member of its own set), so that sentences
   making the same claim come close and sentences on the same topic do not;
2. the pair scorer: a logistic model over the pair features of `claims/link.py`, fitted on the
   candidate pairs of the fitting clusters (positive when a gold cluster holds both sentences),
   and the clustering threshold that gives the best link F1 on them.

The held-out clusters are only scored, for the model card."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from attribution.claims.corroborate import claims_of, cluster_rows, link_claims
from attribution.claims.gold import ClaimCluster
from attribution.claims.link import FEATURES, Claim, Linker, PairScores, candidate_pairs
from attribution.claims.vectors import sentence_vectors
from attribution.encoder.lora import LoraSettings
from attribution.evaluate.claims import _pairs, gold_groups, score_clusters
from attribution.train.card import Section, table, write_card

THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.3, 0.96, 0.05))
ADAPTERS = "adapters.safetensors"


@dataclass
class LinkerData:
    """One gold set with the output of the pipeline for its articles, ready to fit on or score."""

    gold: list[ClaimCluster]
    records: list[dict[str, Any]]
    claims: list[Claim]
    vectors: np.ndarray

    @classmethod
    def of(cls, gold: list[ClaimCluster], records: list[dict[str, Any]], linker: Linker | None = None) -> LinkerData:
        claims = [c for r in records for c in claims_of(r)]
        texts = [c.content for c in claims]
        return cls(gold, records, claims, linker.vectors(texts) if linker else sentence_vectors(texts))

    def groups(self) -> list[list[int]]:
        """The gold clusters as claim indexes, those with members in two articles."""
        index = {c.key: k for k, c in enumerate(self.claims)}
        found = []
        for keys in gold_groups(self.gold, self.records)[0]:
            members = sorted({index[k] for k in keys if k in index})
            if len({self.claims[k].article for k in members}) >= 2:
                found.append(members)
        return found

    def examples(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Features and labels of the candidate pairs, and the share of gold pairs blocking finds."""
        groups, _ = gold_groups(self.gold, self.records)
        wanted = _pairs(groups)
        pairs = sorted(candidate_pairs(self.claims, self.vectors))
        labels = np.array([frozenset((self.claims[i].key, self.claims[j].key)) in wanted for i, j in pairs], dtype=int)
        reachable = {k for g in groups for k in g} & {c.key for c in self.claims}
        found = labels.sum() / max(1, len({p for p in wanted if p <= reachable}))
        return PairScores(self.claims, self.vectors, None).features(pairs), labels, float(found)

    def score(self, linker: Linker) -> dict[str, Any]:
        groups = link_claims(self.claims, linker, self.vectors)
        return score_clusters(self.gold, self.records, cluster_rows(groups))


def fit(data: LinkerData, adapters: Path | None = None, lora: LoraSettings | None = None, seed: int = 13) -> tuple[Linker, dict[str, Any]]:
    """The pair scorer and threshold on `data` (whose vectors come from the encoder `adapters` makes)."""
    from sklearn.linear_model import LogisticRegression

    features, labels, blocking_recall = data.examples()
    if labels.sum() == 0 or labels.sum() == len(labels):
        raise ValueError("the gold clusters give no positive or no negative candidate pair to learn from")
    model = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced", random_state=seed).fit(features, labels)
    weights, bias = tuple(float(w) for w in model.coef_[0]), float(model.intercept_[0])
    lora = lora or LoraSettings()
    sweep = {t: data.score(Linker(weights, bias, t, adapters, lora)) for t in THRESHOLDS}
    best = max(sweep, key=lambda t: (sweep[t]["link"]["f1"], sweep[t]["conflict"]["f1"]))
    report = {"pairs": int(len(labels)), "positive_pairs": int(labels.sum()), "blocking_recall": round(blocking_recall, 4),
              "threshold": best, "sweep": {str(t): {"link_f1": s["link"]["f1"], "conflict_f1": s["conflict"]["f1"],
                                                    "coverage": s["coverage"]} for t, s in sweep.items()}}
    return Linker(weights, bias, best, adapters, lora), report


def write_linker_card(out: Path, linker: Linker, report: dict[str, Any], scores: dict[str, dict[str, Any]]) -> None:
    rows = [[name, s["link"]["precision"], s["link"]["recall"], s["link"]["f1"], s["conflict"]["precision"], s["conflict"]["recall"],
             s["conflict"]["f1"], s["coverage"], s["gold"]["clusters"], s["gold"]["articles"]] for name, s in scores.items()]
    sections = [
        Section("Data", "Fitted on the candidate pairs of the team's claim clusters (`data/claims/`, format in data/README.md) "
                f"over the pipeline's output for their articles: {report['pairs']} pairs, {report['positive_pairs']} in a gold "
                f"cluster; blocking finds {report['blocking_recall']:.1%} of the gold pairs between claim sentences."),
        Section("Claim encoder", f"LoRA adapters (r {linker.lora.r}) on all-MiniLM-L6-v2, trained contrastively for "
                f"{report['encoder']['steps']} steps on {report['encoder']['clusters']} training clusters "
                f"({report['encoder']['minutes']} min on this machine's CPU); recipe `{report['recipe']}`." if linker.adapters
                else "all-MiniLM-L6-v2 as it ships (mean-pooled, normalised), not tuned (`--steps 0`)."),
        Section("Metrics", "Pairs of sentences from different articles (`attribution evaluate claims`):\n\n" + table(
            ["set", "link P", "link R", "link F1", "conflict P", "conflict R", "conflict F1", "coverage", "clusters", "articles"], rows)),
        Section("Weights", table(["feature", "weight"], [[name, f"{w:+.3f}"] for name, w in zip(FEATURES, linker.weights)])
                + f"\n\nbias {linker.bias:+.3f}; clusters join at an average pair score of {linker.threshold} "
                "(the best link F1 on the fitting clusters)."),
    ]
    write_card(out, "Claim linker", "Scores whether two sentences of different articles make the same claim "
               "(`attribution/claims/link.py`): a logistic model over the similarity of the claim encoder's sentence vectors "
               "and over the two claim frames.", sections, ["linker.json"] + ([ADAPTERS] if linker.adapters else []))


@dataclass(frozen=True)
class EncoderRecipe:
    steps: int = 400
    pairs: int = 24  # clusters a batch draws a positive pair from
    learning_rate: float = 5e-4
    scale: float = 20.0  # cosine to logit (a temperature of 0.05)
    hard_negatives: int = 20  # a member's hard negative is drawn from its most similar non-members
    seed: int = 13


def train_claim_encoder(sets: list[LinkerData], out: Path, recipe: EncoderRecipe, settings: LoraSettings, report=None) -> dict:
    """Train the adapters on the sets' clusters (their vectors: the base encoder's, for the hard
    negatives) and write them to out/ADAPTERS; returns the training log."""
    import torch

    from attribution.claims.vectors import batch, pooled
    from attribution.encoder.lora import create, save
    from attribution.train.loop import Schedule, seed_everything, train_loop

    rng = seed_everything(recipe.seed)
    clusters = [(data, members) for data in sets for members in data.groups()]
    if not clusters:
        raise ValueError("the training clusters hold no cluster with members in two articles")
    hard: dict[tuple[int, int], list[int]] = {}
    for number, data in enumerate(sets):
        similarity = data.vectors @ data.vectors.T
        for members in data.groups():
            outside = np.setdiff1d(np.arange(len(data.claims)), members)
            for k in members:
                hard[(number, k)] = outside[np.argsort(-similarity[k, outside])[: recipe.hard_negatives]].tolist()
    position = {id(data): number for number, data in enumerate(sets)}
    model = create(settings)

    def next_loss(step: int) -> torch.Tensor:
        anchors, positives, negatives = [], [], []
        for data, members in rng.sample(clusters, min(recipe.pairs, len(clusters))):
            first = rng.choice(members)
            others = [k for k in members if data.claims[k].article != data.claims[first].article]
            second = rng.choice(others)
            anchors.append(data.claims[first].content)
            positives.append(data.claims[second].content)
            negatives.append(data.claims[rng.choice(hard[(position[id(data)], first)])].content)
        vectors = pooled(model, batch(anchors + positives + negatives))
        a, rest = vectors[: len(anchors)], vectors[len(anchors) :]
        logits = recipe.scale * a @ rest.T  # each anchor against every positive and hard negative
        targets = torch.arange(len(anchors))
        back = recipe.scale * rest[: len(anchors)] @ a.T  # and each positive against every anchor
        return (torch.nn.functional.cross_entropy(logits, targets) + torch.nn.functional.cross_entropy(back, targets)) / 2

    adapters = [p for p in model.parameters() if p.requires_grad]
    log = train_loop(model, [(adapters, recipe.learning_rate)], Schedule(recipe.steps, 0.1, 0.01), next_loss, report)
    save(model, model, out / ADAPTERS)
    return {**log, "clusters": len(clusters)}


def run_linker_training(train: list[LinkerData], fitting: LinkerData, held_out: list[tuple[str, LinkerData]], out: Path,
                        recipe: EncoderRecipe, settings: LoraSettings, report=None) -> dict[str, Any]:
    """Both steps, the model files and the card; returns the scores the card states."""
    out.mkdir(parents=True, exist_ok=True)
    if recipe.steps:
        log, adapters = train_claim_encoder(train, out, recipe, settings, report), out / ADAPTERS
    else:  # the base encoder as it is: the pair scorer alone is fitted
        log, adapters = {"steps": 0, "minutes": 0.0, "clusters": 0}, None
        (out / ADAPTERS).unlink(missing_ok=True)
    encoder = Linker((0.0,) * len(FEATURES), 0.0, 0.5, adapters, settings)

    def tuned(data: LinkerData) -> LinkerData:
        return LinkerData(data.gold, data.records, data.claims, encoder.vectors([c.content for c in data.claims]))

    fitted = tuned(fitting)
    linker, fit_report = fit(fitted, adapters, settings)
    linker.save(out)
    scores = {"fitting": fitted.score(linker), **{name: tuned(data).score(linker) for name, data in held_out}}
    write_linker_card(out, linker, {**fit_report, "encoder": log, "recipe": asdict(recipe)}, scores)
    return {"encoder": log, "fit": fit_report, "scores": scores}

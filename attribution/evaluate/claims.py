"""Claim clusters against the team's (`attribution evaluate claims GOLD OUT`).

Gold members point into articles by offsets; each is matched to the output's sentence that
overlaps it most, so a small difference in sentence splitting does not count as an error.
Scores are over unordered pairs of sentences from different articles:
- link: pairs that share a cluster, over every pair the output links among the articles OUT holds
  (an output link between sentences the gold leaves out counts against precision);
- conflict: the pairs marked as contradicting;
- coverage: the share of gold member sentences that the output puts in some cluster.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from attribution.claims.gold import ClaimCluster

SentenceKey = tuple[str, int]  # (article, sentence id)


def sentence_index(records: list[dict[str, Any]]) -> dict[str, list[tuple[int, int, int]]]:
    """Per article: its sentences as (start, end, id)."""
    return {r["id"]: [(s["start"], s["end"], s["id"]) for s in r["sentences"]] for r in records}


def locate(index: dict[str, list[tuple[int, int, int]]], article: str, start: int, end: int) -> SentenceKey | None:
    """The sentence of `article` that overlaps [start, end) most."""
    best, overlap = None, 0
    for s_start, s_end, number in index.get(article, []):
        shared = min(end, s_end) - max(start, s_start)
        if shared > overlap:
            best, overlap = number, shared
    return (article, best) if best is not None else None


def _pairs(groups: list[list[SentenceKey]]) -> set[frozenset[SentenceKey]]:
    found = set()
    for members in groups:
        for a, b in combinations(set(members), 2):
            if a[0] != b[0]:
                found.add(frozenset((a, b)))
    return found


def gold_groups(gold: list[ClaimCluster], records: list[dict[str, Any]]) -> tuple[list[list[SentenceKey]], set[frozenset[SentenceKey]]]:
    """The gold clusters as sentence keys of the output, and the gold conflict pairs; members in
    articles the output does not hold are left out."""
    index = sentence_index(records)
    groups, conflicts = [], set()
    for cluster in gold:
        keys = [locate(index, m.article, m.start, m.end) for m in cluster.members]
        groups.append([k for k in keys if k is not None])
        for i, j in cluster.conflicts:
            if keys[i] is not None and keys[j] is not None and keys[i] != keys[j]:
                conflicts.add(frozenset((keys[i], keys[j])))
    return groups, conflicts


def _prf(found: set, wanted: set) -> dict[str, float]:
    hits = len(found & wanted)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(wanted) if wanted else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "found": len(found), "gold": len(wanted),
            "correct": hits}


def score_clusters(gold: list[ClaimCluster], records: list[dict[str, Any]], predicted: list[dict[str, Any]]) -> dict[str, Any]:
    """Link, conflict and coverage figures for predicted claims.jsonl rows."""
    groups, gold_conflicts = gold_groups(gold, records)
    held = {r["id"] for r in records}
    predicted_groups, predicted_conflicts = [], set()
    for row in predicted:
        keys = [(m["article"], m["sentence"]) for m in row["members"] if m["article"] in held]
        predicted_groups.append(keys)
        for i, j in row.get("conflicts", []):
            predicted_conflicts.add(frozenset((keys[i], keys[j])))
    gold_pairs, found_pairs = _pairs(groups), _pairs(predicted_groups)
    gold_members = {k for g in groups for k in g}
    placed = {k for g in predicted_groups for k in g}
    among_gold = {p for p in found_pairs if p <= gold_members}
    return {
        "link": _prf(found_pairs, gold_pairs),
        "conflict": _prf(predicted_conflicts, gold_conflicts),
        "coverage": round(len(gold_members & placed) / len(gold_members), 4) if gold_members else 0.0,
        # Precision counting only links between sentences the gold has in some cluster: how much
        # of the rest is the gold's incompleteness rather than the linker's error.
        "link_precision_among_gold_sentences": _prf(among_gold, gold_pairs)["precision"],
        "gold": {"clusters": len(gold), "members": len(gold_members), "articles": len({k[0] for k in gold_members}),
                 "conflict_pairs": len(gold_conflicts)},
        "predicted": {"clusters": len(predicted), "members": len(placed)},
    }

"""Score predicted attributions against PolNeAR's gold spans (`attribution evaluate polnear`).

Per role (source, cue, content), over the distinct spans of that role in each article:
- exact: a span counts when the other side has the identical span, both compared after
  trimming spaces and punctuation at their edges (a span that is only punctuation, like the
  cue ":", is kept as it is);
- overlap: each predicted span earns its largest character overlap with a gold span over its
  own length (precision), each gold span likewise against the predictions (recall).
Per attribution: a predicted attribution matches a gold one when their cues overlap, their
contents overlap by at least half of the gold content, and their sources overlap or are both
absent; each attribution matches at most one on the other side (a maximum matching).
Discontinuous spans are compared as the set of their pieces.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from attribution.corpora.polnear import Fragments, GoldAttribution, read_corpus
from attribution.document import Article
from attribution.pipeline import Failed, Pipeline

ROLES = ("source", "cue", "content")
_CONTENT_SHARE = 0.5


def _is_edge(char: str) -> bool:
    return char.isspace() or unicodedata.category(char)[0] == "P"


def normalise(fragments: Fragments, text: str) -> Fragments:
    """Pieces trimmed of spaces and punctuation at their edges; pieces with only spaces and
    punctuation between them merged."""
    pieces = []
    for start, end in fragments:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        inner_start, inner_end = start, end
        while inner_start < inner_end and _is_edge(text[inner_start]):
            inner_start += 1
        while inner_end > inner_start and _is_edge(text[inner_end - 1]):
            inner_end -= 1
        if inner_end > inner_start:
            pieces.append((inner_start, inner_end))
        elif end > start:
            pieces.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(pieces):
        if merged and all(_is_edge(char) for char in text[merged[-1][1] : start]):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def length(fragments: Fragments) -> int:
    return sum(end - start for start, end in fragments)


def overlap(a: Fragments, b: Fragments) -> int:
    return sum(max(0, min(e1, e2) - max(s1, s2)) for s1, e1 in a for s2, e2 in b)


@dataclass
class RoleTally:
    predicted: int = 0
    gold: int = 0
    exact_predicted: int = 0  # predicted spans with an identical gold span
    exact_gold: int = 0
    overlap_predicted: float = 0.0  # sum of each predicted span's best overlap share
    overlap_gold: float = 0.0

    def add(self, predicted: set[Fragments], gold: set[Fragments]) -> None:
        self.predicted += len(predicted)
        self.gold += len(gold)
        self.exact_predicted += len(predicted & gold)
        self.exact_gold += len(predicted & gold)
        for span in predicted:
            self.overlap_predicted += max((overlap(span, g) for g in gold), default=0) / max(1, length(span))
        for span in gold:
            self.overlap_gold += max((overlap(span, p) for p in predicted), default=0) / max(1, length(span))

    def scores(self) -> dict[str, list[float]]:
        return {
            "exact": prf(self.exact_predicted, self.predicted, self.exact_gold, self.gold),
            "overlap": prf(self.overlap_predicted, self.predicted, self.overlap_gold, self.gold),
        }


@dataclass
class Tally:
    roles: dict[str, RoleTally] = field(default_factory=lambda: {role: RoleTally() for role in ROLES})
    predicted: int = 0
    gold: int = 0
    matched: int = 0
    articles: int = 0

    def add(self, text: str, predicted: Iterable[GoldAttribution], gold: Iterable[GoldAttribution]) -> None:
        predicted = [_normalised(a, text) for a in predicted]
        gold = [_normalised(a, text) for a in gold]
        for role in ROLES:
            self.roles[role].add({getattr(a, role) for a in predicted if getattr(a, role)},
                                 {getattr(a, role) for a in gold if getattr(a, role)})
        self.predicted += len(predicted)
        self.gold += len(gold)
        self.matched += _maximum_matching(predicted, gold)
        self.articles += 1

    def scores(self) -> dict:
        result: dict = {role: self.roles[role].scores() for role in ROLES}
        result["attribution"] = prf(self.matched, self.predicted, self.matched, self.gold)
        return result


def prf(hits_predicted: float, predicted: int, hits_gold: float, gold: int) -> list[float]:
    precision = hits_predicted / predicted if predicted else 0.0
    recall = hits_gold / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return [round(100 * precision, 1), round(100 * recall, 1), round(100 * f1, 1)]


def _normalised(attribution: GoldAttribution, text: str) -> GoldAttribution:
    return GoldAttribution(
        cue=normalise(attribution.cue, text),
        content=normalise(attribution.content, text),
        source=normalise(attribution.source, text) or None if attribution.source else None,
    )


def matches(predicted: GoldAttribution, gold: GoldAttribution) -> bool:
    if overlap(predicted.cue, gold.cue) == 0:
        return False
    if overlap(predicted.content, gold.content) < _CONTENT_SHARE * length(gold.content):
        return False
    if predicted.source is None or gold.source is None:
        return predicted.source is None and gold.source is None
    return overlap(predicted.source, gold.source) > 0


def _maximum_matching(predicted: list[GoldAttribution], gold: list[GoldAttribution]) -> int:
    """Size of a maximum one-to-one matching (augmenting paths; an article has few dozen)."""
    options = [[g for g, gold_one in enumerate(gold) if matches(p, gold_one)] for p in predicted]
    owner: dict[int, int] = {}

    def place(p: int, seen: set[int]) -> bool:
        for g in options[p]:
            if g in seen:
                continue
            seen.add(g)
            if g not in owner or place(owner[g], seen):
                owner[g] = p
                return True
        return False

    return sum(place(p, set()) for p in range(len(predicted)))


def from_record(record: dict) -> list[GoldAttribution]:
    """The attributions of an attribution.v1 record, in the gold form."""
    return [
        GoldAttribution(
            cue=((a["cue"]["start"], a["cue"]["end"]),),
            content=tuple((c["start"], c["end"]) for c in a["content"]),
            source=((a["source"]["start"], a["source"]["end"]),) if a["source"] else None,
        )
        for a in record["attributions"]
    ]


def evaluate_polnear(folder: Path, pipeline: Pipeline, workers: int = 0, parses: Path | None = None) -> dict:
    """Annotate the articles under `folder/text` and score them against `folder/attributions`;
    with `parses`, parses are kept in (and read back from) that folder, so repeated runs skip
    the parser."""
    gold = {article.id: article for article in read_corpus(folder)}
    articles = [Article(article.id, article.text) for article in gold.values()]
    tally = Tally()
    for result in pipeline.run(articles, workers=workers, parses=parses):
        if isinstance(result, Failed):
            raise RuntimeError(f"{result.article_id}: {result.message}")
        tally.add(gold[result.article_id].text, from_record(result.record), gold[result.article_id].attributions)
    scores = tally.scores()
    scores["articles"] = tally.articles
    scores["attributions"] = {"gold": tally.gold, "predicted": tally.predicted}
    return scores


def print_scores(scores: dict, as_json: bool) -> None:
    """A table for people, or one JSON object on the last line for scripts."""
    if as_json:
        print(json.dumps(scores))
        return
    print(f"{'':>12} {'exact P/R/F1':>20} {'overlap P/R/F1':>20}")
    for role in ROLES:
        exact, over = scores[role]["exact"], scores[role]["overlap"]
        print(f"{role:>12} {' / '.join(map(str, exact)):>20} {' / '.join(map(str, over)):>20}")
    print(f"{'attribution':>12} {' / '.join(map(str, scores['attribution'])):>20}")
    print(f"{scores['articles']} articles, {scores['attributions']['gold']} gold and "
          f"{scores['attributions']['predicted']} predicted attributions")

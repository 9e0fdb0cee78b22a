"""Quotes against annotations in the Gender Gap Tracker's style (`attribution evaluate quotes
GOLD OUT`), the view of users who count quotes.

Gold: a folder of ID.json files, one per article of OUT, each a list of quotes (or an object
with the list under "quotesUpdated") with character offsets into the article's text:
"quote_index" (start, end), and where the speaker is named in the article "speaker_index", and
"verb_index" for the cue; offsets come as "(s, e)" strings or as [s, e] lists, an empty
speaker for a quote whose speaker is not in the article.

Predicted quotes: the output's attributions of the chosen categories (speech only by default,
what the tracker counts as a quote), each its content spans. A gold quote is matched by the
share of its characters that a predicted quote covers, one predicted quote for one gold quote,
best first; it counts as found at 0.3 and at 0.8 of its characters (the tracker's two
thresholds). On the quotes matched at 0.3: speaker accuracy (the predicted source overlaps the
gold speaker; both empty counts as agreement) and cue accuracy (the cue overlaps the verb, over the gold quotes that have one).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from attribution.attribute.category import CATEGORIES
from attribution.evaluate.polnear import overlap

THRESHOLDS = (0.3, 0.8)
_OFFSETS = re.compile(r"^\s*[\(\[]?\s*(\d+)\s*,\s*(\d+)\s*[\)\]]?\s*$")

Range = tuple[int, int]


def _offsets(value: Any, where: str) -> Range | None:
    """(start, end) from "(s, e)", "[s, e]" or [s, e]; None for an empty value."""
    if value in (None, "", []):
        return None
    if isinstance(value, (list, tuple)) and len(value) == 2:
        start, end = int(value[0]), int(value[1])
    else:
        found = _OFFSETS.match(str(value))
        if not found:
            raise ValueError(f"{where}: offsets {value!r} are not (start, end)")
        start, end = int(found.group(1)), int(found.group(2))
    if end <= start:
        raise ValueError(f"{where}: empty or reversed offsets {value!r}")
    return start, end


def read_gold(folder: Path) -> dict[str, list[dict[str, Range | None]]]:
    """Per article id (the file's stem): its quotes as quote, speaker and verb ranges."""
    files = sorted(folder.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"{folder}: no ID.json quote files there")
    gold = {}
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not JSON ({error})") from None
        rows = data.get("quotesUpdated", data.get("quotes")) if isinstance(data, dict) else data
        if not isinstance(rows, list):
            raise ValueError(f"{path}: expected a list of quotes (or one under \"quotesUpdated\")")
        quotes = []
        for number, row in enumerate(rows):
            where = f"{path} quote {number}"
            quote = _offsets(row.get("quote_index"), where)
            if quote is None:
                raise ValueError(f"{where}: no quote_index")
            quotes.append({"quote": quote, "speaker": _offsets(row.get("speaker_index"), where),
                           "verb": _offsets(row.get("verb_index"), where)})
        gold[path.stem] = quotes
    return gold


def predicted_quotes(record: dict[str, Any], kinds: frozenset[str]) -> list[dict[str, Any]]:
    """The record's attributions of the chosen categories, as content character ranges."""
    found = []
    for attribution in record.get("attributions", []):
        if attribution.get("category", "speech") not in kinds:
            continue
        source = attribution.get("source")
        found.append({"content": [(c["start"], c["end"]) for c in attribution["content"]],
                      "speaker": (source["start"], source["end"]) if source else None,
                      "verb": (attribution["cue"]["start"], attribution["cue"]["end"])})
    return found


def _covered(gold: Range, spans: list[Range]) -> float:
    """The share of the gold range's characters inside the spans."""
    return overlap((gold,), tuple(spans)) / (gold[1] - gold[0])


def _overlap(a: Range | None, b: Range | None) -> bool:
    return a is not None and b is not None and overlap((a,), (b,)) > 0


def _matches(gold: list[dict], predicted: list[dict]) -> list[tuple[float, int, int]]:
    """(share, gold index, predicted index): one-to-one, the largest shares first."""
    candidates = sorted(((_covered(g["quote"], p["content"]), i, j) for i, g in enumerate(gold) for j, p in enumerate(predicted)),
                        reverse=True)
    taken_gold, taken_predicted, chosen = set(), set(), []
    for share, i, j in candidates:
        if share > 0 and i not in taken_gold and j not in taken_predicted:
            taken_gold.add(i)
            taken_predicted.add(j)
            chosen.append((share, i, j))
    return chosen


def _prf(found: int, predicted: int, gold: int) -> dict[str, float]:
    precision = found / predicted if predicted else 0.0
    recall = found / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(100 * precision, 1), "recall": round(100 * recall, 1), "f1": round(100 * f1, 1)}


def score_quotes(gold: dict[str, list[dict]], records: list[dict[str, Any]], kinds: frozenset[str] = frozenset({"speech"})) -> dict:
    """Quote P/R/F1 at each threshold, speaker and cue accuracy on the matched quotes."""
    unknown = kinds - set(CATEGORIES)
    if unknown:
        raise ValueError(f"unknown categories {', '.join(sorted(unknown))}; choose from {', '.join(CATEGORIES)}")
    by_id = {record["id"]: record for record in records}
    missing = sorted(set(gold) - set(by_id))
    if missing:
        raise ValueError(f"the output has no record of {len(missing)} gold article(s), first {missing[0]!r}")
    found = {threshold: 0 for threshold in THRESHOLDS}
    speakers = verbs = with_verb = matched = gold_count = predicted_count = 0
    for article_id, quotes in gold.items():
        predicted = predicted_quotes(by_id[article_id], kinds)
        gold_count += len(quotes)
        predicted_count += len(predicted)
        for share, i, j in _matches(quotes, predicted):
            for threshold in THRESHOLDS:
                found[threshold] += share >= threshold
            if share >= THRESHOLDS[0]:
                matched += 1
                wanted, got = quotes[i]["speaker"], predicted[j]["speaker"]
                speakers += _overlap(wanted, got) or (wanted is None and got is None)
                if quotes[i]["verb"] is not None:
                    with_verb += 1
                    verbs += _overlap(quotes[i]["verb"], predicted[j]["verb"])
    return {
        "kinds": sorted(kinds), "articles": len(gold), "gold": gold_count, "predicted": predicted_count,
        **{f"at_{threshold}": _prf(found[threshold], predicted_count, gold_count) for threshold in THRESHOLDS},
        "speaker_accuracy": round(100 * speakers / matched, 1) if matched else 0.0,
        "verb_accuracy": round(100 * verbs / with_verb, 1) if with_verb else 0.0,
    }

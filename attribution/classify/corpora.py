"""Training and evaluation examples from the public corpora in their published formats.

Every reader returns `Example`s: a text (and optionally a context passage), the targets of the
heads it trains, and for factuality the character spans of the marked predicates.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

# Pei & Jurgens rate certainty from 1 to 6; the head predicts it on [-1, 1].
PEI_MIN, PEI_MAX = 1.0, 6.0


@dataclass
class Example:
    task: str  # "news" (speaker + certainty), "factuality", "pei", "hedge"
    text: str
    pair: str | None = None  # context passage, encoded as the second segment
    speaker: int | None = None
    certainty: int | None = None
    score: float | None = None  # Pei certainty on [-1, 1]
    hedged: int | None = None  # 1: the sentence is uncertain (CoNLL-2010 "-1")
    predicates: list[tuple[int, int]] = field(default_factory=list)  # character spans in `text`
    factuality: list[float] = field(default_factory=list)  # one value in [-3, 3] per predicate
    dataset: int = 0  # which factuality corpus: its scale differs a little (model.FACTUALITY_DATASETS)


def read_factuality(path: Path, dataset: int = 0) -> list[Example]:
    """The jiant format: whitespace-tokenised `text`, `targets[].span1` token ranges with a label."""
    examples = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                words = row["text"].split(" ")
                starts, position = [], 0
                for word in words:
                    starts.append(position)
                    position += len(word) + 1
                spans, values = [], []
                for target in row["targets"]:
                    first, last = target["span1"][0], target["span1"][1] - 1
                    spans.append((starts[first], starts[last] + len(words[last])))
                    values.append(float(target["label"]))
            except (KeyError, IndexError, TypeError, ValueError) as error:
                raise ValueError(f"{path}:{number}: not a factuality row ({error})") from None
            examples.append(Example("factuality", row["text"], predicates=spans, factuality=values, dataset=dataset))
    return examples


def read_pei(path: Path, splits: set[str] | None = None) -> list[Example]:
    """Pei & Jurgens sentence-level certainty: `finding` and `sentence-level-certainty` (1-6)."""
    examples = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if splits is not None and row.get("split") not in splits:
                continue
            try:
                value = float(row["sentence-level-certainty"])
                text = row["finding"]
            except (KeyError, TypeError, ValueError) as error:
                raise ValueError(f"{path}:{number}: not a Pei & Jurgens row ({error})") from None
            examples.append(Example("pei", text, score=pei_to_unit(value)))
    return examples


def pei_to_unit(value: float) -> float:
    return 2 * (value - PEI_MIN) / (PEI_MAX - PEI_MIN) - 1


def unit_to_pei(value: float) -> float:
    return PEI_MIN + (value + 1) * (PEI_MAX - PEI_MIN) / 2


def read_hedging(path: Path, split: str | None = None) -> list[Example]:
    """CoNLL-2010 sample CSV: `"label","sentence"`, -1 uncertain and 1 certain.

    The sample has no dev split of its own; `split` "dev" takes the fifth of sentences whose
    hash falls there, "train" the rest, None all of them.
    """
    examples = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.reader(handle), 1):
            if not row:
                continue
            if len(row) != 2 or row[0].strip() not in {"-1", "1"}:
                raise ValueError(f"{path}:{number}: expected \"label\",\"sentence\" with label -1 or 1")
            text = row[1]
            if split is not None and hedging_split(text) != split:
                continue
            examples.append(Example("hedge", text, hedged=int(row[0].strip() == "-1")))
    return examples


def hedging_split(text: str) -> str:
    return "dev" if int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % 5 == 0 else "train"

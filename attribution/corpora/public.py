"""The public corpora the classifier trains and is measured on, in their published formats,
read through Hugging Face `datasets` (each file parsed once into Arrow and cached; training
tokenizes the cached tables once, `train/classifier.py`).

Every reader returns a `datasets.Dataset` whose columns are fields of the classifier's
`Example`; `examples()` turns one into examples for scoring.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from attribution.classify.model import Example

# Pei & Jurgens rate certainty from 1 to 6; the head predicts it on [-1, 1].
PEI_MIN, PEI_MAX = 1.0, 6.0


def _load(builder: str, path: Path, **options):
    import datasets

    datasets.disable_progress_bars()  # one line per message on the command line
    datasets.logging.set_verbosity_error()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    return datasets.load_dataset(builder, data_files=str(path), split="train", **options)


def _bad_row(path: Path, number: int, what: str, error: Exception) -> ValueError:
    return ValueError(f"{path}:{number}: not a {what} row ({error})")


def read_factuality(path: Path, dataset: int = 0):
    """The jiant format: whitespace-tokenised `text`, `targets[].span1` token ranges with a label;
    predicates become character spans of `text`. `dataset` says whose scale the labels are on."""

    def convert(row: dict, index: int) -> dict:
        try:
            words = row["text"].split(" ")
            starts, position = [], 0
            for word in words:
                starts.append(position)
                position += len(word) + 1
            spans, values = [], []
            for target in row["targets"]:
                first, last = target["span1"][0], target["span1"][1] - 1
                spans.append([starts[first], starts[last] + len(words[last])])
                values.append(float(target["label"]))
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise _bad_row(path, index + 1, "factuality", error) from None
        return {"task": "factuality", "text": row["text"], "predicates": spans, "factuality": values, "dataset": dataset}

    rows = _load("json", path)
    return rows.map(convert, with_indices=True, remove_columns=rows.column_names)


def read_pei(path: Path, splits: set[str] | None = None):
    """Pei & Jurgens sentence-level certainty: `finding` and `sentence-level-certainty` (1-6)."""
    rows = _load("json", path)
    if splits is not None:
        rows = rows.filter(lambda row: row.get("split") in splits)

    def convert(row: dict, index: int) -> dict:
        try:
            return {"task": "pei", "text": row["finding"], "score": pei_to_unit(float(row["sentence-level-certainty"]))}
        except (KeyError, TypeError, ValueError) as error:
            raise _bad_row(path, index + 1, "Pei & Jurgens", error) from None

    return rows.map(convert, with_indices=True, remove_columns=rows.column_names)


def pei_to_unit(value: float) -> float:
    return 2 * (value - PEI_MIN) / (PEI_MAX - PEI_MIN) - 1


def unit_to_pei(value: float) -> float:
    return PEI_MIN + (value + 1) * (PEI_MAX - PEI_MIN) / 2


def read_hedging(path: Path, split: str | None = None):
    """CoNLL-2010 sample CSV: `"label","sentence"`, -1 uncertain and 1 certain.

    The sample has no dev split of its own; `split` "dev" takes the fifth of sentences whose
    hash falls there, "train" the rest, None all of them.
    """
    rows = _load("csv", path, column_names=["label", "sentence"], encoding="utf-8-sig", keep_default_na=False)

    def convert(row: dict, index: int) -> dict:
        label = str(row["label"]).strip()
        if label not in {"-1", "1"} or row["sentence"] is None:
            raise ValueError(f"{path}:{index + 1}: expected \"label\",\"sentence\" with label -1 or 1")
        return {"task": "hedge", "text": row["sentence"], "hedged": int(label == "-1")}

    rows = rows.map(convert, with_indices=True, remove_columns=rows.column_names)
    return rows if split is None else rows.filter(lambda row: hedging_split(row["text"]) == split)


def hedging_split(text: str) -> str:
    return "dev" if int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % 5 == 0 else "train"


def examples(rows) -> list[Example]:
    """A reader's rows as classifier examples."""
    fields = set(Example.__dataclass_fields__)
    found = []
    for row in rows:
        values = {k: v for k, v in row.items() if k in fields}
        if "predicates" in values:
            values["predicates"] = [tuple(span) for span in values["predicates"]]
        found.append(Example(**values))
    return found

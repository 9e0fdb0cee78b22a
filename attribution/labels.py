"""The team's labeled-sentence format: standoff JSONL, one sentence per line.

The article text is never stored, only offsets into it and a hash of the sentence, so the labels
can be shared while the copyrighted articles stay where they are. The annotators, the review
tool and `attribution labels export` all write this format; `data/README.md` documents it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from attribution.document import CERTAINTY_LABELS, CUE_KINDS, SPEAKER_LABELS
from attribution.files import read_jsonl, write_atomic

FORMAT = "attribution.labels.v1"


def sentence_hash(text: str) -> str:
    """Short SHA-1 of the sentence text: detects a changed article before labels are misapplied."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class CueLabel:
    start: int
    end: int
    kind: str


@dataclass
class SentenceLabel:
    article: str
    start: int
    end: int
    sha1: str
    speaker: str
    certainty: str
    source: tuple[int, int] | None = None
    named: bool | None = None
    cues: list[CueLabel] = field(default_factory=list)
    boilerplate: bool = False
    # The reporting cue and the content of the sentence's main attribution, inside the sentence
    # (a content that goes on into the next sentence is labeled there too); None and [] where
    # the sentence has none, or its label predates them.
    cue: tuple[int, int] | None = None
    content: list[tuple[int, int]] = field(default_factory=list)
    annotator: str = ""
    time: str = ""

    def validate(self) -> None:
        if self.speaker not in SPEAKER_LABELS:
            raise ValueError(f"unknown speaker label {self.speaker!r}")
        if self.certainty not in CERTAINTY_LABELS:
            raise ValueError(f"unknown certainty label {self.certainty!r}")
        if not 0 <= self.start < self.end:
            raise ValueError(f"bad sentence offsets {self.start}-{self.end}")
        spans = [c for c in self.cues] + [CueLabel(*span, role) for role, span in (("source", self.source), ("cue", self.cue)) if span]
        spans += [CueLabel(*span, "content") for span in self.content]
        for span in spans:
            if not self.start <= span.start < span.end <= self.end:
                raise ValueError(f"span {span.start}-{span.end} lies outside its sentence")
        for cue in self.cues:
            if cue.kind not in CUE_KINDS:
                raise ValueError(f"unknown cue kind {cue.kind!r}")

    def to_json(self) -> dict:
        record = asdict(self)
        record["format"] = FORMAT
        record["source"] = None if self.source is None else {"start": self.source[0], "end": self.source[1]}
        record["cue"] = None if self.cue is None else {"start": self.cue[0], "end": self.cue[1]}
        record["content"] = [{"start": start, "end": end} for start, end in self.content]
        return record

    @classmethod
    def from_json(cls, record: dict) -> SentenceLabel:
        source, cue = record.get("source"), record.get("cue")
        label = cls(
            article=record["article"],
            start=record["start"],
            end=record["end"],
            sha1=record["sha1"],
            speaker=record["speaker"],
            certainty=record["certainty"],
            source=None if source is None else (source["start"], source["end"]),
            named=record.get("named"),
            cues=[CueLabel(c["start"], c["end"], c["kind"]) for c in record.get("cues", [])],
            boilerplate=record.get("boilerplate", False),
            cue=None if cue is None else (cue["start"], cue["end"]),
            content=[(span["start"], span["end"]) for span in record.get("content", [])],
            annotator=record.get("annotator", ""),
            time=record.get("time", ""),
        )
        label.validate()
        return label

    def matches(self, article_text: str) -> bool:
        """True when the article text still holds the labeled sentence at these offsets."""
        return sentence_hash(article_text[self.start : self.end]) == self.sha1


def read_labels(path: str | Path) -> Iterator[SentenceLabel]:
    for number, row in read_jsonl(path):
        try:
            yield SentenceLabel.from_json(row)
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: {error}") from None


def labels_by_article(path: str | Path, articles: set[str] | None = None) -> dict[str, list[SentenceLabel]]:
    """The labels of a file grouped by article, only those of `articles` when given."""
    grouped: dict[str, list[SentenceLabel]] = {}
    for label in read_labels(path):
        if articles is None or label.article in articles:
            grouped.setdefault(label.article, []).append(label)
    return grouped


def write_labels(path: str | Path, labels: Iterable[SentenceLabel]) -> int:
    """Write labels atomically (temp file, then rename); returns how many were written."""
    lines = []
    for label in labels:
        label.validate()
        lines.append(json.dumps(label.to_json(), ensure_ascii=False) + "\n")
    write_atomic(path, "".join(lines))
    return len(lines)

"""Read PolNeAR (Newell, Margolin & Ruths 2018): article texts and BRAT standoff attributions.

A corpus folder holds `text/ID.txt` and `attributions/ID_ANNOTATOR.ann`. In an `.ann` file,
`T` lines are spans (`T3<TAB>Content 315 448;463 553<TAB>text`, fragments separated by `;`) and
`E` lines tie them into attributions (`E1<TAB>Attribution:T4 Source:T1 Cue:T2 Content:T3`, or
`Attribution-no-source:` without a Source). Some articles were annotated by several people: the
first annotation file in name order is used, so the choice is the same on every run. Offsets are
character offsets into the text exactly as stored (newlines are not translated).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

Fragments = tuple[tuple[int, int], ...]  # a span as its (start, end) pieces, in text order

_SPAN_LINE = re.compile(r"^(T\d+)\t(\S+) ([\d ;]+)\t")
_EVENT_LINE = re.compile(r"^(E\d+)\t(.*)$")
# Roles of an E line and the attribution part they fill; `Content2` is a second content span.
_ROLES = {"Source": "source", "Cue": "cue", "Content": "content", "Content2": "content"}


@dataclass(frozen=True)
class GoldAttribution:
    cue: Fragments
    content: Fragments
    source: Fragments | None  # None: the attribution has no explicit source


@dataclass(frozen=True)
class GoldArticle:
    id: str
    text: str
    annotator: str
    attributions: tuple[GoldAttribution, ...]


def read_text(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as handle:  # keep "\r\n" so offsets stay exact
        return handle.read()


def read_corpus(folder: Path) -> list[GoldArticle]:
    """Every article under `folder/text` with its attributions (none when it has no .ann file)."""
    texts = sorted((folder / "text").glob("*.txt"))
    if not texts:
        raise FileNotFoundError(f"no articles: {folder / 'text'} has no .txt files")
    annotations: dict[str, list[Path]] = {}
    for path in sorted((folder / "attributions").glob("*.ann")):
        annotations.setdefault(path.stem.rsplit("_", 1)[0], []).append(path)
    articles = []
    for path in texts:
        files = annotations.get(path.stem, [])
        chosen = files[0] if files else None
        attributions = read_ann(read_text(chosen)) if chosen else ()
        annotator = chosen.stem.rsplit("_", 1)[1] if chosen else ""
        articles.append(GoldArticle(path.stem, read_text(path), annotator, attributions))
    return articles


def read_ann(ann: str) -> tuple[GoldAttribution, ...]:
    """Attributions of one BRAT file. Lines that are neither spans nor events (notes, text that
    ran over a line break) are skipped; an event without a cue or a content is left out."""
    spans: dict[str, Fragments] = {}
    events: list[str] = []
    for line in ann.splitlines():
        span = _SPAN_LINE.match(line)
        if span:
            pieces = [piece.split() for piece in span.group(3).split(";")]
            spans[span.group(1)] = tuple(sorted((int(start), int(end)) for start, end in pieces))
            continue
        event = _EVENT_LINE.match(line)
        if event:
            events.append(event.group(2))
    attributions = []
    for event in events:
        parts: dict[str, list[tuple[int, int]]] = {"source": [], "cue": [], "content": []}
        for argument in event.split():
            role, _, ref = argument.partition(":")
            if role in _ROLES and ref in spans:
                parts[_ROLES[role]].extend(spans[ref])
        if not parts["cue"] or not parts["content"]:
            continue
        attributions.append(GoldAttribution(
            cue=tuple(sorted(parts["cue"])),
            content=tuple(sorted(parts["content"])),
            source=tuple(sorted(parts["source"])) or None,
        ))
    return tuple(attributions)

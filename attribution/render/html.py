"""Self-contained HTML copy of an article for a reader. Article text is always escaped
(Jinja2 autoescape) and a Content-Security-Policy forbids scripts outright."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from jinja2 import Environment, PackageLoader, select_autoescape

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the views read the data model; it imports them, never the reverse
    from attribution.document import Article, Attribution, Sentence

SPEAKER_COLOURS = {
    "us_official": "#dbe9ff",
    "ukrainian_official": "#fff3b0",
    "ukrainian_military": "#ffe08a",
    "russian_official": "#ffd6d6",
    "russian_military": "#ffb8b8",
    "other_official": "#e4dcff",
    "media": "#d7f5e3",
    "expert": "#d4f1f4",
    "other_source": "#eee",
    "unattributed": "transparent",
}


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("attribution.render", "templates"), autoescape=select_autoescape(default=True))


def chain_text(article: Article, attribution: Attribution, by_id: dict[str, Attribution]) -> str:
    names, seen, current = [], set(), attribution
    while current is not None and current.id not in seen:
        seen.add(current.id)
        names.append(article.span_text(current.source) or "(no source)")
        current = by_id.get(current.via or "")
    return " → ".join(reversed(names))


@dataclass(frozen=True)
class Mark:
    """A highlighted span (article offsets), the CSS classes that show it and its tooltip."""

    start: int
    end: int
    css: str
    title: str = ""


def segments(text: str, start: int, end: int, marks: list[Mark]) -> list[dict[str, str]]:
    """Cut text[start:end] at every mark boundary; each piece carries the classes of its marks."""
    inside = [m for m in marks if m.start < end and m.end > start]
    cuts = sorted({start, end, *(max(m.start, start) for m in inside), *(min(m.end, end) for m in inside)})
    pieces = []
    for left, right in pairwise(cuts):
        covering = [m for m in inside if m.start <= left and right <= m.end]
        pieces.append({
            "text": text[left:right],
            "classes": " ".join(sorted({m.css for m in covering})),
            "title": "; ".join(sorted({m.title for m in covering if m.title})),
        })
    return pieces


def to_html(article: Article) -> str:
    by_id = {a.id: a for a in article.attributions}
    marks: list[Mark] = []
    for a in article.attributions:
        if a.source:
            marks.append(Mark(a.source.start, a.source.end, "src", f"source of {a.id} ({a.speaker})"))
        marks.append(Mark(a.cue.start, a.cue.end, "acue", f"cue of {a.id} ({a.kind})"))
    paragraphs: list[list[dict]] = []
    last_end = 0
    for s in article.sentences:
        cue_marks = [Mark(c.start, c.end, f"hedge {c.kind}", f"{c.kind} cue") for c in s.cues]
        if not paragraphs or "\n" in article.text[last_end : s.start]:
            paragraphs.append([])
        last_end = s.end
        pieces = segments(article.text, s.start, s.end, marks + cue_marks)
        if s.boilerplate:
            classes, tooltip = "boilerplate", "boilerplate: excluded from claims"
        else:
            classes = f"sp-{s.speaker.label} cert-{s.certainty.label}"
            source = f" — {s.speaker_source}" if s.speaker_source else ""
            tooltip = f"S{s.id}: {s.speaker.label}{source} ({s.speaker.score:.2f}); {s.certainty.label} ({s.certainty.by})"
        paragraphs[-1].append({
            "classes": classes,
            "tooltip": tooltip,
            "segments": pieces,
            "grade": s.reliability.grade if s.reliability else None,
            "reasons": "; ".join(s.reliability.reasons) if s.reliability else "",
        })
    attributions = [
        {"id": a.id, "chain": chain_text(article, a, by_id), "cue": article.span_text(a.cue),
         "content": " … ".join(article.span_text(c) for c in a.content), "kind": a.kind}
        for a in article.attributions
    ]
    entities = [
        {"name": e.name, "label": e.label or "other_source", "named": e.named,
         "mentions": [article.span_text(m) for m in e.mentions]}
        for e in article.entities
    ]
    return _environment().get_template("article.html.j2").render(
        title=article.meta.get("title") or article.id,
        article_id=article.id,
        meta={k: v for k, v in article.meta.items() if k != "title"},
        colours=SPEAKER_COLOURS,
        paragraphs=paragraphs,
        entities=entities,
        attributions=attributions,
        counts={"sentences": len(article.sentences), "attributions": len(article.attributions), "sources": len(article.entities)},
        provenance=json.dumps(article.provenance, ensure_ascii=False),
    )

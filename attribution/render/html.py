"""Self-contained HTML copy of an article for a reader. Article text is always escaped
(Jinja2 autoescape) and a Content-Security-Policy forbids scripts outright."""

from __future__ import annotations

import json
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape

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


def _segments(article: Article, sentence: Sentence, marks: list[tuple[int, int, str, str]]) -> list[dict[str, str]]:
    """Cut the sentence at every mark boundary; each piece carries the classes of its marks."""
    inside = [(max(s, sentence.start), min(e, sentence.end), cls, title) for s, e, cls, title in marks if s < sentence.end and e > sentence.start]
    cuts = sorted({sentence.start, sentence.end, *(m[0] for m in inside), *(m[1] for m in inside)})
    segments = []
    for start, end in zip(cuts, cuts[1:]):
        covering = [m for m in inside if m[0] <= start and end <= m[1]]
        segments.append({
            "text": article.text[start:end],
            "classes": " ".join(sorted({m[2] for m in covering})),
            "title": "; ".join(m[3] for m in covering if m[3]),
        })
    return segments


def to_html(article: Article) -> str:
    by_id = {a.id: a for a in article.attributions}
    marks: list[tuple[int, int, str, str]] = []
    for a in article.attributions:
        if a.source:
            marks.append((a.source.start, a.source.end, "src", f"source of {a.id} ({a.speaker})"))
        marks.append((a.cue.start, a.cue.end, "acue", f"cue of {a.id} ({a.kind})"))
    paragraphs: list[list[dict]] = []
    last_end = 0
    for s in article.sentences:
        cue_marks = [(c.start, c.end, f"hedge {c.kind}", f"{c.kind} cue") for c in s.cues]
        if not paragraphs or "\n" in article.text[last_end : s.start]:
            paragraphs.append([])
        last_end = s.end
        segments = _segments(article, s, marks + cue_marks)
        if s.boilerplate:
            classes, tooltip = "boilerplate", "boilerplate: excluded from claims"
        else:
            classes = f"sp-{s.speaker.label} cert-{s.certainty.label}"
            source = f" — {s.speaker_source}" if s.speaker_source else ""
            tooltip = f"S{s.id}: {s.speaker.label}{source} ({s.speaker.score:.2f}); {s.certainty.label} ({s.certainty.by})"
        paragraphs[-1].append({
            "classes": classes,
            "tooltip": tooltip,
            "segments": segments,
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

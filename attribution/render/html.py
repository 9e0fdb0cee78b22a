"""The reliability-annotated HTML copy of an article, for a reader: one self-contained page.

Every sentence shows its speaker in words and its Admiralty grade beside it; the reasons open
on hover, on keyboard focus and on tap (the sentence is focusable), and print with the page.
Only the attribution that decided a sentence's speaker is marked in it (source underlined,
reporting cue in bold), so the page shows one answer per sentence, the one the JSONL and the
Sources table give. Article text is always escaped (Jinja2 autoescape) and the
Content-Security-Policy forbids scripts outright.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape

from attribution import resources
from attribution.files import safe_name

if TYPE_CHECKING:  # the views read the data model; it imports them, never the reverse
    from attribution.document import Article, Attribution

_HEADLINE_CHARS = 200  # a first line this short, on its own, is the article's headline


@dataclass(frozen=True)
class Mark:
    """A highlighted span (article offsets), the CSS classes that show it and its tooltip."""

    start: int
    end: int
    css: str
    title: str = ""


def labels() -> dict[str, Any]:
    """How labels read to people (resources/labels.yaml)."""
    return resources.data("labels.yaml")


def speaker_words(label: str) -> str:
    return labels()["speakers"].get(label, {}).get("words", label.replace("_", " "))


def speaker_colours() -> dict[str, str]:
    return {label: spec["colour"] or "transparent" for label, spec in labels()["speakers"].items()}


def title_of(text: str, meta: dict[str, Any], article_id: str) -> str:
    """The article's title: its metadata's, else its first line where that stands alone as a
    headline (short, followed by a blank line or with no full stop), else its id."""
    if meta.get("title"):
        return str(meta["title"])
    first, _, rest = text.strip().partition("\n")
    first = first.strip()
    if first and len(first) <= _HEADLINE_CHARS and (rest.startswith("\n") or rest.lstrip("\r").startswith("\n") or not first.endswith(".")):
        return first
    return article_id


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


def _sentence(article: Article, sentence, by_id: dict[str, Attribution], entities: dict) -> dict[str, Any]:
    marks = [Mark(c.start, c.end, f"hedge {c.kind}", f"{c.kind} cue: {c.lemma}") for c in sentence.cues]
    if sentence.boilerplate or sentence.speaker is None:
        return {"classes": "boilerplate", "certainty_class": "", "segments": segments(article.text, sentence.start, sentence.end, marks),
                "badge": None, "why": None, "id": sentence.id}
    main = by_id.get(sentence.attribution or "")
    if main is not None and sentence.speaker.label != "unattributed":
        if main.source is not None:
            marks.append(Mark(main.source.start, main.source.end, "src", "the speaker's source phrase"))
        marks.append(Mark(main.cue.start, main.cue.end, "acue", f"reporting cue ({main.kind})"))
    entity = entities.get(sentence.speaker_entity or "")
    label = sentence.speaker.label
    who = speaker_words(label)
    if label != "unattributed":
        named = entity.name if entity is not None else sentence.speaker_source
        who = f"{who}: {named}" if named else who
    grade = sentence.reliability.grade if sentence.reliability else ""
    why = [f"Speaker: {speaker_words(label)}" + (f" — {entity.name}" if entity is not None and label != "unattributed" else "")
           + (f" ({entity.reason})" if entity is not None and entity.reason and label != "unattributed" else "") + "."]
    why.append(f"Certainty: {labels()['certainty'][sentence.certainty.label]}.")
    if sentence.reliability:
        why.append(f"Grade {grade}: " + "; ".join(sentence.reliability.reasons) + ".")
    corroboration = sentence.corroboration or {}
    others = [{"relation": relation, "href": f"{safe_name(o['article'])}.html#s{o['sentence']}", "article": o["article"],
               "source": o.get("source", "")}
              for key, relation in (("agree", "agrees"), ("conflict", "conflicts"), ("same_origin", "same origin"))
              for o in corroboration.get(key, [])]
    status = corroboration.get("status")
    return {
        "classes": f"sp-{label}",
        "certainty_class": f"cert-{sentence.certainty.label}",
        "segments": segments(article.text, sentence.start, sentence.end, marks),
        "badge": {"who": who, "label": label, "certainty": sentence.certainty.label, "grade": grade,
                  "claim": labels()["claim_status"].get(status, "") if others else ""},
        "why": " ".join(why),
        "others": others,
        "id": sentence.id,
    }


def to_html(article: Article) -> str:
    by_id = {a.id: a for a in article.attributions}
    entities = {e.id: e for e in article.entities}
    paragraphs: list[list[dict]] = []
    last_end = 0
    for sentence in article.sentences:
        if not paragraphs or "\n" in article.text[last_end : sentence.start]:
            paragraphs.append([])
        last_end = sentence.end
        paragraphs[-1].append(_sentence(article, sentence, by_id, entities))
    said = {e.id: sum(1 for s in article.sentences if s.speaker_entity == e.id and s.speaker is not None) for e in article.entities}
    sources = [
        {"name": e.name, "label": e.label or "other_source", "words": speaker_words(e.label or "other_source"), "named": e.named,
         "reason": e.reason or "", "evidence": e.evidence, "sentences": said.get(e.id, 0),
         "mentions": [article.span_text(m) for m in e.mentions]}
        for e in article.entities
    ]
    attributions = [
        {"id": a.id, "chain": chain_text(article, a, by_id), "cue": article.span_text(a.cue),
         "content": " … ".join(article.span_text(c) for c in a.content), "kind": a.kind,
         "speaker": speaker_words(a.speaker or "other_source")}
        for a in article.attributions
    ]
    return _environment().get_template("article.html.j2").render(
        title=title_of(article.text, article.meta, article.id),
        article_id=article.id,
        meta={k: v for k, v in article.meta.items() if k != "title"},
        colours=speaker_colours(),
        speakers={label: speaker_words(label) for label in labels()["speakers"]},
        certainty=labels()["certainty"],
        grades=labels()["grades"],
        paragraphs=paragraphs,
        sources=sources,
        attributions=attributions,
        counts={"sentences": len(article.sentences), "attributions": len(article.attributions), "sources": len(article.entities)},
        provenance=article.provenance,
    )

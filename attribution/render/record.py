"""The attribution.v1 record of an article: a pure function of the data model (schema.json)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the views read the data model; it imports them, never the reverse
    from attribution.document import Article, Span


def _span(article: Article, span: Span) -> dict[str, Any]:
    return {"start": span.start, "end": span.end, "text": article.text[span.start : span.end]}


def to_record(article: Article) -> dict[str, Any]:
    """The article's record. A sentence no labeler has labeled (a pipeline without its label
    stage) has null speaker and certainty, which the schema does not take."""
    sentences = []
    for s in article.sentences:
        record: dict[str, Any] = {
            "id": s.id,
            "start": s.start,
            "end": s.end,
            "boilerplate": s.boilerplate,
            "speaker": None if s.speaker is None else {
                "label": s.speaker.label,
                "score": round(s.speaker.score, 4),
                "source": s.speaker_source,
                "entity": s.speaker_entity,
                "by": s.speaker.by,
            },
            "certainty": None if s.certainty is None else {"label": s.certainty.label, "score": round(s.certainty.score, 4),
                                                           "by": s.certainty.by},
            "cues": [
                {"start": c.start, "end": c.end, "text": article.text[c.start : c.end], "kind": c.kind,
                 "lexeme": c.lemma, "governs": c.governs}
                for c in s.cues
            ],
            "attribution": s.attribution,
        }
        if s.certainty is not None and s.certainty.probability is not None:
            record["certainty"]["probability"] = round(s.certainty.probability, 4)
        if s.factuality is not None:
            record["certainty"]["factuality"] = round(s.factuality, 3)
        if s.claim is not None:  # a ClaimFrame, or its JSON in an article read back from its record
            record["claim"] = {"frame": s.claim if isinstance(s.claim, dict) else s.claim.to_json(), **(s.corroboration or {})}
        if s.reliability is not None:
            record["reliability"] = {"grade": s.reliability.grade, "score": s.reliability.score, "reasons": s.reliability.reasons,
                                     "facts": s.reliability.facts, "fill": s.reliability.fill}
        sentences.append(record)
    attributions = [
        {
            "id": a.id,
            "source": _span(article, a.source) if a.source else None,
            "cue": _span(article, a.cue),
            "content": [_span(article, c) for c in a.content],
            "kind": a.kind,
            "speaker": a.speaker or "other_source",
            "named": bool(a.named),
            "entity": a.entity,
            "via": a.via,
            "sentence": a.sentence,
            "rule": a.rule,
            **({"category": a.category} if a.category else {}),
        }
        for a in article.attributions
    ]
    entities = [
        {"id": e.id, "name": e.name, "label": e.label or "other_source", "named": e.named,
         "reason": e.reason, "evidence": e.evidence, "mentions": [_span(article, m) for m in e.mentions]}
        for e in article.entities
    ]
    return {
        "schema": "attribution.v1",
        "id": article.id,
        "text": article.text,
        "meta": article.meta,
        "provenance": article.provenance,
        "sentences": sentences,
        "attributions": attributions,
        "entities": entities,
    }

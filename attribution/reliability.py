"""Reliability grades from an editable policy file (reliability.yaml): letter, digit, score, reasons."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attribution import resources
from attribution.document import Article, Attribution, Reliability, Sentence

_LETTERS = "ABCDEF"


@dataclass(frozen=True)
class Policy:
    source_rules: list[dict[str, Any]]
    source_adjustments: list[dict[str, Any]]
    credibility: dict[str, dict[str, Any]]
    score: dict[str, Any]
    name: str

    @classmethod
    def load(cls, path: str | Path | None = None) -> Policy:
        data, name = resources.read(path, "reliability.yaml")
        try:
            policy = cls(data["source_rules"], data.get("source_adjustments", []), data["credibility"], data["score"], name)
        except (KeyError, TypeError) as error:
            raise ValueError(f"{name}: not a reliability policy (missing {error})") from None
        if not policy.source_rules or policy.source_rules[-1].get("when"):
            raise ValueError(f"{name}: the last source rule must have an empty `when` so every sentence gets a letter")
        return policy


def _holds(when: dict[str, Any], facts: dict[str, Any]) -> bool:
    for key, wanted in when.items():
        value = facts.get(key)
        if isinstance(wanted, list):
            if value not in wanted:
                return False
        elif value != wanted:
            return False
    return True


def grade_article(article: Article, policy: Policy) -> None:
    by_id = {a.id: a for a in article.attributions}
    for sentence in article.sentences:
        if sentence.boilerplate or sentence.speaker is None or sentence.certainty is None:
            continue
        sentence.reliability = grade_sentence(article, sentence, by_id.get(sentence.attribution or ""), by_id, policy)


def grade_sentence(article: Article, sentence: Sentence, main: Attribution | None,
                   by_id: dict[str, Attribution], policy: Policy) -> Reliability:
    via = by_id.get(main.via) if main is not None and main.via else None
    hedges = [article.text[c.start : c.end] for c in sentence.cues if c.governs and c.certainty == sentence.certainty.label]
    facts = {
        "speaker": sentence.speaker.label,
        "named": bool(main and main.named),
        "kind": main.kind if main else None,
        "relayed": via is not None,
        "certainty": sentence.certainty.label,
    }
    fill = {
        "source": sentence.speaker_source or "unnamed",
        "via": article.span_text(via.source) if via is not None and via.source else "another report",
        "cue": ", ".join(hedges) or (article.span_text(main.cue) if main else "") or "no hedge",
    }
    reasons: list[str] = []
    rule = next(r for r in policy.source_rules if _holds(r.get("when", {}), facts))
    letter = _LETTERS.index(rule["letter"])
    reasons.append(rule["reason"].format(**fill))
    if rule["letter"] != "F":
        for adjustment in policy.source_adjustments:
            if _holds(adjustment.get("when", {}), facts):
                letter = min(letter + int(adjustment["steps"]), _LETTERS.index("E"))
                reasons.append(adjustment["reason"].format(**fill))
    credibility = policy.credibility[sentence.certainty.label]
    digit = int(credibility["digit"])
    reasons.append(credibility["reason"].format(**fill))
    weights = policy.score["weights"]
    score = (weights["letter"] * policy.score["letters"][_LETTERS[letter]] + weights["digit"] * policy.score["digits"][str(digit)]) / (
        weights["letter"] + weights["digit"]
    )
    return Reliability(grade=f"{_LETTERS[letter]}{digit}", score=round(score, 3), reasons=reasons)

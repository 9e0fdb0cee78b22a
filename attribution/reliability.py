"""Reliability grades from an editable policy file (reliability.yaml): letter, digit, score, reasons."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attribution import resources
from attribution.document import Article, Attribution, Cue, Entity, Reliability, Sentence
from attribution.hedging import hedge_lexicon

_LETTERS = "ABCDEF"


@dataclass(frozen=True)
class Policy:
    source_rules: list[dict[str, Any]]
    source_adjustments: list[dict[str, Any]]
    credibility_rules: list[dict[str, Any]]
    score: dict[str, Any]
    name: str

    @classmethod
    def load(cls, path: str | Path | None = None) -> Policy:
        data, name = resources.read(path, "reliability.yaml")
        try:
            policy = cls(data["source_rules"], data.get("source_adjustments", []), data["credibility_rules"], data["score"], name)
        except (KeyError, TypeError) as error:
            raise ValueError(f"{name}: not a reliability policy (missing {error})") from None
        for rules, what in ((policy.source_rules, "source"), (policy.credibility_rules, "credibility")):
            if not rules or rules[-1].get("when"):
                raise ValueError(f"{name}: the last {what} rule must have an empty `when` so every sentence gets a grade")
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
    entities = {e.id: e for e in article.entities}
    for sentence in article.sentences:
        if sentence.boilerplate or sentence.speaker is None or sentence.certainty is None:
            continue
        sentence.reliability = grade_sentence(article, sentence, by_id.get(sentence.attribution or ""), by_id, entities, policy)


# How much each certainty weakens a claim: the cue that weakens most decides its hedge.
_WEAKER = {"certain": 0, "probable": 1, "possible": 2, "doubtful": 3}


def _deciding_cue(sentence: Sentence) -> Cue | None:
    """Of the hedge cues that govern the main claim, the one that weakens it most."""
    weakening = [c for c in sentence.cues if c.governs and c.certainty and c.certainty != "certain"]
    return max(weakening, key=lambda c: _WEAKER[c.certainty], default=None)


def grade_sentence(article: Article, sentence: Sentence, main: Attribution | None, by_id: dict[str, Attribution],
                   entities: dict[str, Entity], policy: Policy) -> Reliability:
    """The letter from who the source is, the digit from how the information is reported; every
    reason names the words that decided it."""
    via = by_id.get(main.via) if main is not None and main.via else None
    entity = entities.get(sentence.speaker_entity or "")
    cue = _deciding_cue(sentence)
    denial = main is not None and main.cue_lemma in hedge_lexicon().denial_verbs
    if cue is None:
        hedge = "none"
    elif cue.lemma in hedge_lexicon().conditional_marks:
        hedge = "conditional"
    else:
        hedge = cue.kind
    corroboration = (sentence.corroboration or {}).get("status", "single")
    facts = {
        "speaker": sentence.speaker.label,
        "named": bool(entity.named) if entity is not None else bool(main and main.named),
        "kind": main.kind if main else None,
        "relayed": via is not None,
        "certainty": sentence.certainty.label,
        "hedge": hedge,
        "hedge_certainty": cue.certainty if cue is not None else None,
        "stance": denial or (cue is not None and cue.kind == "epistemic" and cue.certainty == "doubtful"),
        "corroboration": corroboration,
    }
    corroborating = sentence.corroboration or {}
    fill = {
        "source": sentence.speaker_source or (entity.name if entity is not None else "unnamed"),
        "via": article.span_text(via.source) if via is not None and via.source else "another report",
        "cue": article.text[cue.start : cue.end] if cue is not None else (article.span_text(main.cue) if denial and main else ""),
        "certainty": sentence.certainty.label,
        "others": named_articles(corroborating.get("agree", [])),
        "conflicting": named_articles(corroborating.get("conflict", [])),
    }
    return grade(facts, fill, policy)


def named_articles(others: list[dict[str, Any]]) -> str:
    """Other articles' sentences as a reason names them: "ID (source); ID (source)"."""
    named = dict.fromkeys(f"{o['article']} ({o.get('source') or 'the article'})" for o in others)  # each once, in order
    return "; ".join(named) or "none"


def grade(facts: dict[str, Any], fill: dict[str, str], policy: Policy) -> Reliability:
    """The grade, score and reasons the policy gives these facts; the facts and the words that
    fill the reasons go with it, so a reviewer's correction or another article's corroboration
    can re-grade the sentence from its record alone."""
    reasons: list[str] = []
    rule = next(r for r in policy.source_rules if _holds(r.get("when", {}), facts))
    letter = _LETTERS.index(rule["letter"])
    reasons.append(rule["reason"].format(**fill))
    if rule["letter"] != "F":
        for adjustment in policy.source_adjustments:
            if _holds(adjustment.get("when", {}), facts):
                letter = min(letter + int(adjustment["steps"]), _LETTERS.index("E"))
                reasons.append(adjustment["reason"].format(**fill))
    credibility = next(r for r in policy.credibility_rules if _holds(r.get("when", {}), facts))
    digit = int(credibility["digit"])
    reasons.append(credibility["reason"].format(**fill))
    weights = policy.score["weights"]
    score = (weights["letter"] * policy.score["letters"][_LETTERS[letter]] + weights["digit"] * policy.score["digits"][str(digit)]) / (
        weights["letter"] + weights["digit"]
    )
    return Reliability(grade=f"{_LETTERS[letter]}{digit}", score=round(score, 3), reasons=reasons, facts=dict(facts), fill=dict(fill))

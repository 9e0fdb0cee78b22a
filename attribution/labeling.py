"""Sentence labels: who is speaking (the main claim's source) and how sure.

`RuleLabeler` is the first, word-based labeler: the speaker comes from the attribution that
holds the sentence's main claim, the certainty from that attribution's cue and the hedge cues
that govern the main claim. A trained classifier takes its place through the same
`SentenceLabeler` seam.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from attribution import resources
from attribution.attribute.rules import cue_lexicon
from attribution.document import CERTAINTY_LABELS, Article, Attribution, Label, Sentence
from attribution.hedging import hedge_lexicon

# Entity evidence that decides a sentence's label over a model's guess: the words name the state,
# body or outlet, or the person is in people.yaml.
TRUSTED_EVIDENCE = ("stated", "known person")
# Order of certainty from most to least certain; combining cues keeps the least certain.
_STRENGTH = {label: rank for rank, label in enumerate(CERTAINTY_LABELS)}


class SentenceLabeler(Protocol):
    name: str
    version: str

    def label(self, articles: Sequence[Article]) -> None:
        """Set `speaker`, `certainty` (and optionally `factuality`) on every sentence."""
        ...


def rule_scores() -> dict[str, float]:
    return resources.data("labeling.yaml")["rule_scores"]


class RuleLabeler:
    name = "rules"
    version = "1"

    def label(self, articles: Sequence[Article]) -> None:
        for article in articles:
            label_article(article)


# A sentence opening with a quote mark, or with a dash as Polish and Ukrainian outlets open a
# quoted paragraph ("- We will not give up"), goes on with the speaker quoted just before.
_OPENING_QUOTES = "\"“«„‘"
_DASHES = "-–—"


def _opens_quote(text: str) -> bool:
    return bool(text) and (text[0] in _OPENING_QUOTES or (text[0] in _DASHES and len(text) > 1 and (text[1] == " " or text[1].isupper())))


def label_article(article: Article) -> None:
    scores = rule_scores()
    certainty_scores = hedge_lexicon().certainty_scores
    previous: tuple[int, Attribution] | None = None
    for sentence in article.sentences:
        if sentence.boilerplate:  # page furniture: no speaker, certainty or grade (GUIDELINES 5)
            sentence.speaker = sentence.certainty = None
            sentence.speaker_source = sentence.speaker_entity = sentence.attribution = None
            continue
        main, how = main_attribution(article, sentence)
        if main is None and previous is not None and sentence.id - previous[0] <= resources.data("labeling.yaml")["quote_carry"] \
                and _opens_quote(article.text[sentence.start : sentence.end]):
            main, how = previous[1], "continued_content"
        if main is not None:
            previous = (sentence.id, main)
        if main is not None:
            sentence.speaker = Label(main.speaker or "other_source", scores[how], f"rules:{main.rule}")
            sentence.speaker_source = article.span_text(main.source)
            sentence.speaker_entity = main.entity
            sentence.attribution = main.id
        else:
            sentence.speaker = Label("unattributed", scores[how], "rules:no_main_attribution")
        certainty, by = sentence_certainty(sentence, main)
        sentence.certainty = Label(certainty, certainty_scores[certainty], by)


def one_label_per_entity(article: Article) -> None:
    """One truth per source: an entity whose words state its affiliation keeps that label; one
    whose words do not takes the label its sentences were given most (by score), and its
    sentences and attributions take the entity's label, so the text, the Sources table and the
    JSONL agree."""
    by_entity: dict[str, list[Sentence]] = {}
    for sentence in article.sentences:
        if sentence.speaker is not None and sentence.speaker.label != "unattributed" and sentence.speaker_entity:
            by_entity.setdefault(sentence.speaker_entity, []).append(sentence)
    for entity in article.entities:
        sentences = by_entity.get(entity.id, [])
        if sentences and entity.evidence not in TRUSTED_EVIDENCE:
            votes: dict[str, float] = {}
            for sentence in sentences:
                votes[sentence.speaker.label] = votes.get(sentence.speaker.label, 0.0) + sentence.speaker.score
            label = max(votes, key=votes.get)
            if label != entity.label:
                entity.reason = f"the classifier's label for its {len(sentences)} sentence(s); its words: {entity.reason}"
                entity.label, entity.evidence = label, "model"
        for sentence in sentences:
            if sentence.speaker.label != entity.label:
                sentence.speaker = Label(entity.label, sentence.speaker.score, sentence.speaker.by, sentence.speaker.probability)
    for attribution in article.attributions:
        entity = next((e for e in article.entities if e.id == attribution.entity), None)
        if entity is not None:
            attribution.speaker = entity.label


def main_attribution(article: Article, sentence: Sentence) -> tuple[Attribution | None, str]:
    """The attribution whose content is the sentence's main claim, and how it was found."""
    size = sum(1 for ch in article.text[sentence.start : sentence.end] if ch.isalnum()) or 1
    best, best_share, how = None, 0.0, "no_attribution"
    touched = False
    for attribution in article.attributions:
        if attribution.kind == "relay":
            continue  # the outlet relays; the speaker is the innermost source (GUIDELINES 6)
        covered = sum(
            sum(1 for ch in article.text[max(span.start, sentence.start) : min(span.end, sentence.end)] if ch.isalnum())
            for span in attribution.content
        )
        if covered == 0:
            continue
        touched = True
        # The share of what the sentence says besides its own attribution frame (source and cue).
        frame = sum(1 for span in (attribution.source, attribution.cue) if span is not None
                    for ch in article.text[max(span.start, sentence.start) : min(span.end, sentence.end)] if ch.isalnum())
        share = covered / max(1, size - frame)
        cue_here = sentence.start <= attribution.cue.start < sentence.end
        # The sentence's own main verb as the cue ("The Gaze reports on this") decides whatever the share.
        if cue_here and attribution.cue_head is not None and article.tokens[attribution.cue_head].is_root:
            share = max(share, 1.0)
        if share >= resources.data("labeling.yaml")["main_share"] and share > best_share:
            best, best_share = attribution, share
            how = "cue_in_sentence" if cue_here else "continued_content"
    if best is None and touched:
        how = "subordinate_attribution"
    return best, how


def sentence_certainty(sentence: Sentence, main: Attribution | None) -> tuple[str, str]:
    label, by = "certain", "rules:no_hedge"
    if main is not None:
        cue_certainty = cue_lexicon().certainty_of(main.cue_lemma)
        if cue_certainty and _STRENGTH[cue_certainty] > _STRENGTH[label]:
            label, by = cue_certainty, f"rules:cue:{main.cue_lemma}"
    for cue in sentence.cues:
        if cue.governs and cue.certainty and _STRENGTH[cue.certainty] > _STRENGTH[label]:
            label, by = cue.certainty, f"rules:hedge:{cue.lemma}"
    return label, by

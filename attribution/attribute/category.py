"""What kind of attribution each one is, for users who count quotes (as the Gender Gap Tracker
does) and want the rest left out: `speech` is a quote (direct, indirect or mixed speech: "said",
"told", "according to the ministry"); the others are not: `stance` (what a source believes,
expects or fears), `evidence` (what a report or data show), `document` ("according to the
report") and `relay` (the link a report passes another's words through: "citing Reuters").
The cue words' categories are data, in cues.yaml."""

from __future__ import annotations

from attribution.attribute.rules import cue_lexicon
from attribution.document import Article, Attribution

CATEGORIES = ("speech", "stance", "evidence", "document", "relay")
_QUOTATIONS = ("direct", "mixed")  # words in quotation marks are speech, whatever the cue


def category_of(article: Article, attribution: Attribution) -> str:
    """The attribution's category, from its kind, its cue's entry in cues.yaml and, for
    "according to", its source's head word."""
    if attribution.kind in _QUOTATIONS:
        return "speech"
    if attribution.kind == "relay":
        return "relay"
    lexicon = cue_lexicon()
    if attribution.kind == "according_to":
        head = article.tokens[attribution.source_head] if attribution.source_head is not None else None
        return "document" if head is not None and head.lemma.lower() in lexicon.evidence_nouns else "speech"
    lemma = attribution.cue_lemma
    if " " in lemma:  # a light verb and its object ("express concern")
        entry = lexicon.light_verbs.get(lemma.split()[0], {})
    elif attribution.cue_head is not None and article.tokens[attribution.cue_head].upos == "NOUN":
        entry = lexicon.nouns.get(lemma, {})
    else:
        entry = lexicon.verbs.get(lemma, {})
    if entry.get("evidence"):
        return "evidence"
    return entry.get("category", "speech")


def categorize(article: Article) -> None:
    for attribution in article.attributions:
        attribution.category = category_of(article, attribution)

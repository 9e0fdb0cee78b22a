"""Merging the rules' attributions with the span model's, on parsed sentences."""

from __future__ import annotations

from attribution.attribute.merge import merge
from attribution.attribute.rules import propose
from attribution.document import Article
from attribution.parse.spacy_backend import SpacyParser
from attribution.parse.tree import ParseIndex


def _rules(text: str) -> tuple[Article, list]:
    article = next(SpacyParser().parse([Article("t", text)]))
    return article, propose(ParseIndex(article))


def test_a_say_after_its_content_stands_where_the_model_missed_it() -> None:
    article, rules = _rules("About 11,000 North Korean soldiers are in the Kursk region, "
                            "Ukrainian President Volodymyr Zelensky said.")
    kept = merge(rules, learned=[])
    assert [" ".join(t.text for t in p.cue) for p in kept] == ["said"]
    assert "Zelensky" in [t.text for t in kept[0].source]
    assert "soldiers" in [t.text for t in kept[0].content]


def test_a_reporting_verb_before_its_content_is_the_models_call() -> None:
    article, rules = _rules("The governor said on Monday that the bridge would stay open.")
    assert [p.lemma for p in rules] == ["say"]  # the rules found it ...
    assert merge(rules, learned=[]) == []  # ... and the model, which did not, decides

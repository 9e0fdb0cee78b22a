"""Speaker label and `named` of a source phrase from its own words (speakers.yaml)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from attribution import resources
from attribution.document import Token


@dataclass(frozen=True)
class WordList:
    """Case-sensitive names (phrases of token texts) and lower-cased single words (lemma or text)."""

    names: tuple[tuple[str, ...], ...]
    words: frozenset[str]

    @classmethod
    def from_yaml(cls, data: dict | list | None) -> WordList:
        data = data or {}
        names = data.get("names", []) if isinstance(data, dict) else []
        words = data.get("words", []) if isinstance(data, dict) else data
        return cls(tuple(tuple(str(n).split()) for n in names), frozenset(str(w).lower() for w in words))

    def first_match(self, tokens: Sequence[Token]) -> int | None:
        """Index (into tokens) of the earliest match, or None."""
        texts = [t.text for t in tokens]
        for i, token in enumerate(tokens):
            if token.lemma.lower() in self.words or token.text.lower() in self.words:
                return i
            for name in self.names:
                if tuple(texts[i : i + len(name)]) == name:
                    return i
        return None


@dataclass(frozen=True)
class SpeakerLexicon:
    people: dict[str, str]
    affiliations: dict[str, WordList]
    military: WordList
    official: WordList
    media: WordList
    expert: WordList


@cache
def lexicon() -> SpeakerLexicon:
    data = resources.data("speakers.yaml")
    people = {name: label for label, names in data["people"].items() for name in names}
    return SpeakerLexicon(
        people=people,
        affiliations={party: WordList.from_yaml(words) for party, words in data["affiliations"].items()},
        military=WordList.from_yaml(data["roles"]["military"]),
        official=WordList.from_yaml(data["roles"]["official"]),
        media=WordList.from_yaml(data["media"]),
        expert=WordList.from_yaml(data["expert"]),
    )


def media_names() -> WordList:
    return lexicon().media


_BY_PARTY = {
    ("us", "military"): "us_official",
    ("us", "official"): "us_official",
    ("ukrainian", "military"): "ukrainian_military",
    ("ukrainian", "official"): "ukrainian_official",
    ("russian", "military"): "russian_military",
    ("russian", "official"): "russian_official",
    ("other", "military"): "other_official",
    ("other", "official"): "other_official",
}


def speaker_label(tokens: Sequence[Token], head: Token) -> tuple[str, str]:
    """(label, reason) for a source phrase given its tokens and its head token."""
    words = lexicon()
    for token in tokens:
        if token.text in words.people:
            return words.people[token.text], f"known person {token.text}"
    head_phrase = [t for t in tokens if t.i == head.i or (t.head == head.i and t.dep in ("compound", "flat", "nmod", "amod"))]
    for kind, wordlist in (("media", words.media), ("expert", words.expert)):
        if wordlist.first_match([head]) is not None or wordlist.first_match(head_phrase) is not None:
            return kind, f"{kind} source"
    first_party, first_at = None, len(tokens)
    for party, wordlist in words.affiliations.items():
        at = wordlist.first_match(tokens)
        if at is not None and at < first_at:
            first_party, first_at = party, at
    if first_party is None:
        if words.media.first_match(tokens) is not None:
            return "media", "media source"
        return "other_source", "no affiliation stated"
    role = "military" if words.military.first_match(tokens) is not None else "official"
    return _BY_PARTY[(first_party, role)], f"{first_party} {role}"


_INDEFINITE = {"a", "an", "some", "several", "two", "three", "many", "one", "other", "another", "any"}


def is_named(tokens: Sequence[Token], head: Token) -> bool:
    """Named: a person or body identified by name, or a unique office holder (GUIDELINES 6)."""
    if head.upos == "PROPN" or head.ent_type in ("PERSON", "ORG"):
        return True
    if head.upos == "PRON":
        return False
    words = lexicon()
    plural = head.text.lower() != head.lemma.lower() and head.text.lower().endswith("s")
    indefinite = any(t.lower() in _INDEFINITE for t in (x.text for x in tokens if x.dep in ("det", "nummod")))
    # "Ukraine's health minister", "the US Defense Secretary": a unique office of a named body.
    has_owner = any(t.dep in ("nmod:poss", "compound") and t.upos == "PROPN" for t in tokens)
    unique_office = words.official.first_match([head]) is not None and head.lemma.lower() not in ("official", "source")
    return has_owner and unique_office and not plural and not indefinite

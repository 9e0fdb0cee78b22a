"""Quantities in a claim, normalised to a range: "more than 100,000 troops" is at least 100,000,
"about 11,000" is 11,000 give or take a tenth, "tens of thousands" is 20,000 to 99,999,
"several thousand" 2,000 to 9,999, "between 10,000 and 12,000" that range, "1.5 million" 1,500,000.
Vague words and their ranges are data: resources/quantities.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from attribution import resources
from attribution.document import Token

_NUMBER = re.compile(r"^\d{1,3}(?:[,\u202f\u00a0 ]\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$")


@dataclass(frozen=True)
class Quantity:
    low: float
    high: float
    unit: str  # the counted noun's lemma, synonyms merged ("troops" for soldiers, servicemen ...)
    text: str  # as written
    bound: str = "exact"  # exact, approximate, at least, at most, range, vague

    @property
    def value(self) -> float:
        return (self.low + self.high) / 2

    def compatible(self, other: Quantity) -> bool:
        """Whether the two could be the same figure: their ranges meet (an "about" already
        widens its figure by a tenth; exact figures may differ by rounding, 1%)."""
        return self.low <= other.high * 1.01 and other.low <= self.high * 1.01

    def to_json(self) -> dict:
        return {"low": self.low, "high": None if self.high == float("inf") else self.high, "unit": self.unit, "text": self.text,
                "bound": self.bound}

    @classmethod
    def from_json(cls, data: dict) -> Quantity:
        return cls(data["low"], float("inf") if data["high"] is None else data["high"], data["unit"], data["text"], data["bound"])


@cache
def _data() -> dict:
    return resources.data("quantities.yaml")


def parse_number(text: str) -> float | None:
    """A written number ("11,000", "50 000", "1.5", "twelve") as a float, or None."""
    cleaned = text.strip().lower()
    words = _data()["number_words"]
    if cleaned in words:
        return float(words[cleaned])
    if not _NUMBER.match(cleaned):
        return None
    return float(re.sub(r"[,\u202f\u00a0 ]", "", cleaned))


def _unit(tokens: list[Token], number: Token) -> str:
    """The noun a number counts: its head when the number is its `nummod`, else the next noun."""
    units = _data()["units"]
    head = next((t for t in tokens if t.i == number.head), None)
    noun = head if head is not None and head.upos in ("NOUN", "PROPN") and number.dep in ("nummod", "compound", "quantmod") else None
    if noun is None:
        noun = next((t for t in tokens if t.i > number.i and t.upos == "NOUN"), None)
    lemma = noun.lemma.lower() if noun is not None else ""
    return units.get(lemma, lemma)


def quantities(tokens: list[Token], text: str) -> list[Quantity]:
    """Every figure the tokens state, with its unit and how exact it is."""
    data = _data()
    found: list[Quantity] = []
    taken: set[int] = set()
    lowered = [t.text.lower() for t in tokens]
    for k, token in enumerate(tokens):
        if k in taken:
            continue
        for phrase, (low, high) in data["vague"].items():  # "tens of thousands", "several thousand"
            words = phrase.split()
            if lowered[k : k + len(words)] == words:
                last = k + len(words) - 1
                found.append(Quantity(float(low), float(high), _unit(tokens, tokens[last]), text[token.start : tokens[last].end], "vague"))
                taken.update(range(k, last + 1))
                break
        if k in taken or token.upos != "NUM" and parse_number(token.text) is None:
            continue
        value = parse_number(token.text)
        if value is None:
            continue
        last = k
        scale = data["scales"].get(lowered[k + 1], 1) if k + 1 < len(tokens) else 1  # "1.5 million"
        if scale != 1:
            last = k + 1
        value *= scale
        if value < 1 or (1900 <= value <= 2100 and scale == 1 and "," not in token.text):  # a year, not a count
            continue
        bound, low, high, first = "exact", value, value, k
        for words, kind in data["bounds"].items():  # "more than", "about", "up to" just before
            size = len(words.split())
            if k >= size and " ".join(lowered[k - size : k]) == words:
                bound, first = kind, k - size
                break
        if bound == "approximate":
            low, high = value * 0.9, value * 1.1
        elif bound == "at least":
            high = float("inf")
        elif bound == "at most":
            low = 0.0
        # "between 10,000 and 12,000", "10,000 to 12,000", "10,000-12,000"
        if k + 2 < len(tokens) and lowered[k + 1] in ("and", "to", "-", "–") and parse_number(tokens[k + 2].text) is not None:
            other = parse_number(tokens[k + 2].text) * (data["scales"].get(lowered[k + 3], 1) if k + 3 < len(tokens) else 1)
            if other > value:
                low, high, bound, last = value, other, "range", k + 2
        found.append(Quantity(low, high, _unit(tokens, tokens[last]), text[tokens[first].start : tokens[last].end], bound))
        taken.update(range(k, last + 1))
    return found

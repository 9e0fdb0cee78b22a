"""Parsing behind one interface.

Every backend fills `Article.tokens`, `Article.sentences` and `Article.entities_ner` with the
same parser-neutral representation (UD relations, character offsets into the exact text), so
the attribution logic is written once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from attribution.document import Article

PARSERS = ("spacy", "stanza")


class ParserUnavailable(RuntimeError):
    """A backend cannot run here (model not installed); the message says how to get it."""


class Parser(Protocol):
    name: str
    version: str

    def parse(self, articles: Iterable[Article]) -> Iterator[Article]:
        """Fill tokens, sentences and entities of each article, yielding them in input order."""
        ...


def load_parser(name: str) -> Parser:
    if name == "spacy":
        from attribution.parse.spacy_backend import SpacyParser

        return SpacyParser()
    if name == "stanza":
        from attribution.parse.stanza_backend import StanzaParser

        return StanzaParser()
    raise ValueError(f"unknown parser {name!r}; choose one of {', '.join(PARSERS)}")

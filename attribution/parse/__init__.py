"""Parsing behind one interface.

Every backend fills `Article.tokens` (with their named-entity types) and `Article.sentences` with the
same parser-neutral representation (UD relations, character offsets into the exact text), so
the attribution logic is written once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from attribution.document import Article
from attribution.registry import Registry


class ParserUnavailable(RuntimeError):
    """A backend cannot run here (model not installed); the message says how to get it."""


class Parser(Protocol):
    name: str
    version: str

    def parse(self, articles: Iterable[Article]) -> Iterator[Article]:
        """Fill tokens, sentences and entities of each article, yielding them in input order."""
        ...


# Backends by name; each factory imports its library only when chosen.
PARSERS: Registry = Registry("parser")


@PARSERS.register("spacy")
def _spacy(**settings) -> Parser:
    from attribution.parse.spacy_backend import SpacyParser

    return SpacyParser(**settings)


@PARSERS.register("stanza")
def _stanza(**settings) -> Parser:
    from attribution.parse.stanza_backend import StanzaParser

    return StanzaParser(**settings)


def load_parser(name: str, **settings) -> Parser:
    """The backend registered as `name`, built with its settings."""
    return PARSERS.get(name)(**settings)

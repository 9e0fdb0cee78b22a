"""What every parser backend is: it fills `Article.tokens` (with their named-entity types) and
`Article.sentences` with the same parser-neutral representation (UD relations, character
offsets into the exact text), so the attribution logic is written once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from attribution.document import Article


class ParserUnavailable(RuntimeError):
    """A backend cannot run here (model not installed); the message says how to get it."""


class Parser(Protocol):
    name: str
    version: str

    def parse(self, articles: Iterable[Article]) -> Iterator[Article]:
        """Fill tokens and sentences of each article, yielding them in input order."""
        ...

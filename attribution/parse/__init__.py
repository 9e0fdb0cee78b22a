"""Parsing behind one interface (`base.Parser`): backends registered by name, each importing its
library only when chosen."""

from __future__ import annotations

from attribution.parse.base import Parser, ParserUnavailable
from attribution.registry import Registry

__all__ = ["PARSERS", "Parser", "ParserUnavailable", "load_parser"]

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

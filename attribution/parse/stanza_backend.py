"""Stanza backend: the design's UD parser. Its English models are downloaded once by
`attribution setup stanza`; at run time it never touches the network."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from attribution.document import Article, Sentence, Token
from attribution.parse.base import ParserUnavailable

PROCESSORS = "tokenize,mwt,pos,lemma,depparse,ner"


def model_dir(explicit: str | Path | None = None) -> Path:
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("STANZA_RESOURCES_DIR", Path.home() / "stanza_resources"))


def download_models(directory: str | Path | None = None) -> Path:
    import stanza

    where = model_dir(directory)
    stanza.download("en", model_dir=str(where), processors=PROCESSORS)
    return where


class StanzaParser:
    name = "stanza"

    def __init__(self, directory: str | Path | None = None) -> None:
        import stanza

        where = model_dir(directory)
        if not (where / "en").is_dir():
            raise ParserUnavailable(
                f"Stanza's English models are not in {where}: run `attribution setup stanza` once on a machine with internet"
            )
        self.nlp = stanza.Pipeline(
            "en", dir=str(where), processors=PROCESSORS, download_method=None, logging_level="WARN", use_gpu=False
        )
        self.version = f"stanza {stanza.__version__}, en ({PROCESSORS})"

    def parse(self, articles: Iterable[Article]) -> Iterator[Article]:
        for article in articles:
            add_document(article, self.nlp(article.text))
            yield article


def add_document(article: Article, document) -> None:
    """Fill an article from a Stanza Document (from the pipeline, or built from CoNLL-U).

    Words carry character offsets from Stanza's tokens; where a document has none (CoNLL-U
    without offsets), words are aligned to the article text in order.
    """
    cursor = 0
    for stanza_sentence in document.sentences:
        base = len(article.tokens)
        words = stanza_sentence.words
        for word in words:
            parent = word.parent
            start = getattr(parent, "start_char", None) if parent is not None else None
            end = getattr(parent, "end_char", None) if parent is not None else None
            if start is None or end is None:
                found = article.text.find(word.text, cursor)
                if found < 0:
                    raise ValueError(f"word {word.text!r} not found in the text after offset {cursor}")
                start, end = found, found + len(word.text)
            cursor = max(cursor, end)
            head = base + word.head - 1 if word.head else base + word.id - 1
            article.tokens.append(
                Token(
                    i=base + word.id - 1,
                    start=start,
                    end=end,
                    text=article.text[start:end],
                    lemma=word.lemma or word.text,
                    upos=word.upos or "X",
                    head=head,
                    dep=(word.deprel or "dep").lower(),
                )
            )
        tokens = article.tokens[base:]
        if not tokens:
            continue
        article.sentences.append(
            Sentence(id=len(article.sentences), start=tokens[0].start, end=tokens[-1].end, token_start=base, token_end=len(article.tokens))
        )
    _add_entities(article, document)


def _add_entities(article: Article, document) -> None:
    starts = {t.start: t.i for t in article.tokens}
    ends = {t.end: t.i for t in article.tokens}
    for entity in getattr(document, "ents", []) or []:
        first, last = starts.get(entity.start_char), ends.get(entity.end_char)
        if first is None or last is None:
            continue
        for token in article.tokens[first : last + 1]:
            token.ent_type = entity.type

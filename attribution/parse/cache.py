"""Parsed articles kept on disk, so training and evaluation runs parse a corpus only once.

One JSON file per article holds its tokens and sentences. A file is used only when it was made
by the same parser version from the same text (a hash of both is stored), so a changed article
or parser is parsed again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from attribution.document import Article, Sentence, Token
from attribution.files import write_atomic
from attribution.parse.base import Parser

_TOKEN_FIELDS = ("i", "start", "end", "text", "lemma", "upos", "head", "dep", "ent_type")


def parse_cached(parser: Parser, articles: Iterable[Article], folder: Path) -> Iterator[Article]:
    """Articles with their parse, read from `folder` where it holds one, parsed (and stored) otherwise;
    in input order."""
    folder.mkdir(parents=True, exist_ok=True)
    articles = list(articles)
    missing = [a for a in articles if not _load(a, folder / f"{a.id}.json", _key(parser, a))]
    parsed = {a.id: a for a in parser.parse(missing)}
    for article in parsed.values():
        _store(article, folder / f"{article.id}.json", _key(parser, article))
    for article in articles:
        yield parsed.get(article.id, article)


def _key(parser: Parser, article: Article) -> str:
    return hashlib.sha1(f"{parser.version}\ntokens v2\n{article.text}".encode()).hexdigest()


def _load(article: Article, path: Path, key: str) -> bool:
    if not path.exists():
        return False
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("key") != key:
        return False
    article.tokens = [Token(*row) for row in data["tokens"]]
    article.sentences = [Sentence(id=n, start=s, end=e, token_start=ts, token_end=te)
                         for n, (s, e, ts, te) in enumerate(data["sentences"])]
    return True


def _store(article: Article, path: Path, key: str) -> None:
    data = {
        "key": key,
        "tokens": [[getattr(t, name) for name in _TOKEN_FIELDS] for t in article.tokens],
        "sentences": [[s.start, s.end, s.token_start, s.token_end] for s in article.sentences],
    }
    write_atomic(path, json.dumps(data, separators=(",", ":")))

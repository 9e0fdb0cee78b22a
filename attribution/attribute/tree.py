"""Helpers over the shared UD token representation of one article."""

from __future__ import annotations

from collections.abc import Iterable

from attribution.document import Article, Sentence, Span, Token

PUNCT_EDGES = set(" \t\n,.;:!?\"'“”‘’«»()[]—–-")


class Tree:
    """Children lists and subtrees for one sentence's tokens."""

    def __init__(self, article: Article, sentence: Sentence) -> None:
        self.article = article
        self.sentence = sentence
        self.tokens = article.sentence_tokens(sentence)
        self.children: dict[int, list[Token]] = {t.i: [] for t in self.tokens}
        for t in self.tokens:
            if t.head != t.i and t.head in self.children:
                self.children[t.head].append(t)

    def token(self, index: int) -> Token:
        return self.article.tokens[index]

    def head_of(self, token: Token) -> Token | None:
        return None if token.is_root else self.article.tokens[token.head]

    def kids(self, token: Token, *deps: str) -> list[Token]:
        kids = self.children.get(token.i, [])
        return [k for k in kids if not deps or k.dep in deps or k.dep.split(":")[0] in deps]

    def subtree(self, token: Token, exclude: Iterable[Token] = (), skip_deps: Iterable[str] = ()) -> list[Token]:
        """Token and its descendants in text order, leaving out excluded tokens' subtrees."""
        excluded = {t.i for t in exclude}
        skipped = set(skip_deps)
        result: list[Token] = []
        stack = [token]
        while stack:
            current = stack.pop()
            if current.i in excluded:
                continue
            result.append(current)
            for child in self.children.get(current.i, []):
                if child.dep not in skipped:
                    stack.append(child)
        result.sort(key=lambda t: t.i)
        return result


def spans_of(tokens: list[Token], text: str) -> list[Span]:
    """Contiguous runs of tokens as character spans, trimmed of punctuation at both edges."""
    spans: list[Span] = []
    run: list[Token] = []
    for token in tokens:
        if run and token.i != run[-1].i + 1:
            spans.append(Span(run[0].start, run[-1].end))
            run = []
        run.append(token)
    if run:
        spans.append(Span(run[0].start, run[-1].end))
    trimmed = [trim(span, text) for span in spans]
    return [span for span in trimmed if span.end > span.start]


def trim(span: Span, text: str) -> Span:
    start, end = span.start, span.end
    while start < end and text[start] in PUNCT_EDGES:
        start += 1
    while end > start and text[end - 1] in PUNCT_EDGES:
        end -= 1
    return Span(start, end)


def covering_span(tokens: list[Token]) -> Span:
    return Span(min(t.start for t in tokens), max(t.end for t in tokens))

"""One index over an article's parse, shared by every stage that walks the trees.

Built once per article: each token's children, the sentence of each token, the block of text
it stands in (blocks are separated by blank lines: a headline, a paragraph) and the quote it
sits in. `ParseIndex.sentence` gives one sentence's view of it (its tokens, in order), which is
how the dependency rules read a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from attribution.document import Article, Sentence, Span, Token
from attribution.parse.quotes import find_quotes

PUNCT_EDGES = set(" \t\n,.;:!?\"'“”‘’«»()[]—–-")
BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


class ParseIndex:
    def __init__(self, article: Article) -> None:
        self.article = article
        self.tokens = article.tokens
        self.children: list[list[int]] = [[] for _ in self.tokens]
        for token in self.tokens:
            if not token.is_root:
                self.children[token.head].append(token.i)
        self.sentence_of = [0] * len(self.tokens)
        for sentence in article.sentences:
            for i in range(sentence.token_start, sentence.token_end):
                self.sentence_of[i] = sentence.id
        # A blank line is a hard boundary: no span reaches over it but a quote that goes on.
        breaks = [m.start() for m in BLANK_LINE.finditer(article.text)]
        self.block_of, passed = [0] * len(self.tokens), 0
        for token in self.tokens:
            while passed < len(breaks) and breaks[passed] < token.start:
                passed += 1
            self.block_of[token.i] = passed
        self.quotes = find_quotes(article.text)
        self.quote_of = [-1] * len(self.tokens)  # index into `quotes`, -1 outside quotes
        first = 0
        for number, quote in enumerate(self.quotes):
            while first < len(self.tokens) and self.tokens[first].end <= quote.span.start:
                first += 1
            k = first
            while k < len(self.tokens) and self.tokens[k].start < quote.span.end:
                self.quote_of[k] = number
                k += 1

    def sentence(self, sentence: Sentence) -> SentenceTree:
        return SentenceTree(self, sentence, self.tokens[sentence.token_start : sentence.token_end])

    def head_of(self, token: Token) -> Token | None:
        return None if token.is_root else self.tokens[token.head]

    def kids(self, token: Token, *deps: str) -> list[Token]:
        """The token's children, only those with one of `deps` (or its main type, "nsubj" for "nsubj:pass") when given."""
        kids = [self.tokens[k] for k in self.children[token.i]]
        return [k for k in kids if not deps or k.dep in deps or k.dep.split(":")[0] in deps]

    def subtree(self, token: Token, exclude: Iterable[Token] = (), skip_deps: Iterable[str] = ()) -> list[Token]:
        """The token and its descendants in text order, leaving out the excluded tokens' subtrees
        and children attached by one of `skip_deps`."""
        excluded = {t.i for t in exclude}
        skipped = set(skip_deps)
        found, stack = [], [token.i]
        while stack:
            k = stack.pop()
            if k in excluded:
                continue
            found.append(k)
            stack.extend(c for c in self.children[k] if self.tokens[c].dep not in skipped)
        return [self.tokens[k] for k in sorted(found)]

    def subtree_ids(self, top: int, leave_out: Iterable[int] = ()) -> list[int]:
        """Token indices of `top` and its descendants in text order, less the `leave_out` tokens
        and what hangs from them."""
        return [t.i for t in self.subtree(self.tokens[top], exclude=[self.tokens[k] for k in leave_out])]


@dataclass
class SentenceTree:
    """One sentence of a `ParseIndex`: its tokens in order, and the index's walks."""

    index: ParseIndex
    sentence: Sentence
    tokens: list[Token]

    @property
    def article(self) -> Article:
        return self.index.article

    def token(self, i: int) -> Token:
        return self.index.tokens[i]

    def head_of(self, token: Token) -> Token | None:
        return self.index.head_of(token)

    def kids(self, token: Token, *deps: str) -> list[Token]:
        return self.index.kids(token, *deps)

    def subtree(self, token: Token, exclude: Iterable[Token] = (), skip_deps: Iterable[str] = ()) -> list[Token]:
        return self.index.subtree(token, exclude, skip_deps)


def head_of(tokens: list[Token]) -> Token:
    """The token of a set that the others hang from: the first whose head lies outside the set."""
    inside = {t.i for t in tokens}
    return next((t for t in tokens if t.head not in inside or t.is_root), tokens[0])


def runs_of(indices: list[int]) -> list[list[int]]:
    """Token indices, in the order given, cut where one does not follow the one before."""
    runs: list[list[int]] = []
    for i in indices:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def spans_of(tokens: list[Token], text: str) -> list[Span]:
    """Contiguous runs of tokens as character spans, trimmed of punctuation at both edges."""
    by_index = {token.i: token for token in tokens}
    spans = [Span(by_index[run[0]].start, by_index[run[-1]].end) for run in runs_of([t.i for t in tokens])]
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

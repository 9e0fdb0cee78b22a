"""Token features for the learned span extractor, read off the shared UD parse.

Two sequence labelers use them (see `learned.py`): the cue tagger labels each sentence's tokens
B/I/O for cue spans; the role tagger, given one cue, labels the tokens around it as source or
content. The role features say where a token sits relative to the cue in the dependency tree
("inside the cue's ccomp", "subject of the cue's head"), in the text and in quotes, so the
model learns span boundaries from the parse and PolNeAR's conventions instead of hand rules.
Features are plain strings; the model file maps the ones it knows to weights.
"""

from __future__ import annotations

from functools import cached_property

from attribution.attribute.quotes import find_quotes
from attribution.document import Article

_QUOTE_CHARS = set("\"“”‘’«»„")
_DASHES = set("—–―-")


def _bucket(distance: int) -> str:
    if distance <= 3:
        return str(distance)
    if distance <= 6:
        return "4-6"
    if distance <= 12:
        return "7-12"
    return "13+"


def _shape(text: str) -> str:
    if text[0].isupper():
        return "X" if text.isupper() and len(text) > 1 else "Xx"
    if text[0].isdigit():
        return "d"
    if text[0].isalpha():
        return "x"
    return text[0] if text[0] in _QUOTE_CHARS or text[0] in _DASHES or text[0] in ":;,." else "p"


class ArticleView:
    """Per-article indexes the features need: sentences, paragraphs, quotes, tree paths."""

    def __init__(self, article: Article) -> None:
        self.article = article
        self.tokens = article.tokens
        self.sentence_of = [0] * len(self.tokens)
        for sentence in article.sentences:
            for i in range(sentence.token_start, sentence.token_end):
                self.sentence_of[i] = sentence.id
        text = article.text
        self.paragraph_of_sentence = []
        paragraph, last_end = 0, 0
        for sentence in article.sentences:
            if "\n" in text[last_end : sentence.start]:
                paragraph += 1
            self.paragraph_of_sentence.append(paragraph)
            last_end = sentence.end
        self.quote_of = [-1] * len(self.tokens)
        self.quotes = [quote.span for quote in find_quotes(text)]
        index = 0
        for number, span in enumerate(self.quotes):
            while index < len(self.tokens) and self.tokens[index].end <= span.start:
                index += 1
            k = index
            while k < len(self.tokens) and self.tokens[k].start < span.end:
                self.quote_of[k] = number
                k += 1
        self._ancestors: dict[int, list[int]] = {}
        vectors = article.vectors
        self.vectors = vectors if vectors is not None and len(vectors) == len(self.tokens) else None

    def vectors_of(self, start: int, end: int):
        """The parser's token vectors for tokens[start:end], or None when it gave none."""
        return None if self.vectors is None else self.vectors[start:end]

    def ancestors(self, i: int) -> list[int]:
        """The token and the tokens above it, up to its sentence's root."""
        path = self._ancestors.get(i)
        if path is None:
            path = [i]
            token = self.tokens[i]
            while not token.is_root and len(path) < 64:
                token = self.tokens[token.head]
                path.append(token.i)
            self._ancestors[i] = path
        return path

    @cached_property
    def children(self) -> list[list[int]]:
        kids: list[list[int]] = [[] for _ in self.tokens]
        for token in self.tokens:
            if not token.is_root:
                kids[token.head].append(token.i)
        return kids

    def paragraph_of(self, i: int) -> int:
        return self.paragraph_of_sentence[self.sentence_of[i]]


def base_features(view: ArticleView, i: int) -> list[str]:
    t = view.tokens[i]
    lemma = t.lemma.lower()
    return [
        "w=" + t.text.lower(), "l=" + lemma, "p=" + t.upos, "d=" + t.dep, "s=" + _shape(t.text),
        "e=" + t.ent_type, "lp=" + lemma + "|" + t.upos, "pd=" + t.upos + "|" + t.dep,
    ]


def cue_features(view: ArticleView, start: int, end: int) -> list[list[str]]:
    """Features of each token of the sentence tokens[start:end] for the cue tagger."""
    tokens = view.tokens
    rows = []
    for i in range(start, end):
        t = tokens[i]
        lemma = t.lemma.lower()
        row = base_features(view, i)
        head = tokens[t.head]
        row += ["hl=" + head.lemma.lower(), "hp=" + head.upos, "dhp=" + t.dep + "|" + head.upos,
                "ldh=" + lemma + "|" + t.dep + "|" + head.lemma.lower()]
        kid_deps = sorted({tokens[k].dep for k in view.children[i]})
        for k in view.children[i]:
            if tokens[k].dep in ("nsubj", "nsubj:pass"):  # who does it: people and bodies report
                kind = tokens[k].ent_type or (tokens[k].lemma.lower() if tokens[k].upos == "PRON" else tokens[k].upos)
                row += ["subj=" + kind, "lsubj=" + lemma + "|" + kind]
        row += ["c=" + dep for dep in kid_deps]
        row += ["lc=" + lemma + "|" + dep for dep in kid_deps if dep in ("ccomp", "nsubj", "xcomp", "obj", "punct", "obl", "parataxis")]
        for offset in (-2, -1, 1, 2):
            j = i + offset
            if start <= j < end:
                other = tokens[j]
                row += [f"{offset}w=" + other.text.lower(), f"{offset}p=" + other.upos]
            else:
                row.append(f"{offset}w=<edge>")
        if i > start:
            row.append("bigram=" + tokens[i - 1].text.lower() + "_" + t.text.lower())
        if i + 1 < end:
            row.append("bigram+=" + t.text.lower() + "_" + tokens[i + 1].text.lower())
        row.append("q=" + ("in" if view.quote_of[i] >= 0 else "out"))
        if view.paragraph_of(i) == 0:
            row.append("title")
        if any(char in _DASHES for char in t.text):  # "“…” ― Name"
            row.append("dash|" + ("afterquote" if i > start and tokens[i - 1].text[-1] in _QUOTE_CHARS or t.text[0] in _QUOTE_CHARS else "-"))
        if t.text == ":" and i + 1 < end:
            row.append("colon|" + _shape(tokens[i + 1].text))
        if i == start:
            row.append("first")
        if i == end - 1:
            row.append("last")
        if i == end - 1 and (end == len(tokens) or view.paragraph_of(end) != view.paragraph_of(i)):
            row.append("par_end")
        rows.append(row)
    return rows


def role_window(view: ArticleView, cue: list[int], before: int = 3, after: int = 5) -> list[int]:
    """Tokens a cue's source and content are looked for in: the cue's sentence and its neighbours
    within the paragraph, and the next paragraph when the cue's ends in a colon ("He said:")."""
    article = view.article
    sentence = view.sentence_of[cue[0]]
    paragraph = view.paragraph_of_sentence[sentence]
    first = sentence
    while first > 0 and sentence - first < before and view.paragraph_of_sentence[first - 1] == paragraph:
        first -= 1
    last = sentence
    while last + 1 < len(article.sentences) and last - sentence < after and view.paragraph_of_sentence[last + 1] == paragraph:
        last += 1
    end_token = article.sentences[last].token_end
    if article.text[: article.sentences[last].end].rstrip().endswith(":") and last + 1 < len(article.sentences):
        following = last + 1
        next_paragraph = view.paragraph_of_sentence[following]
        while (following + 1 < len(article.sentences) and view.paragraph_of_sentence[following + 1] == next_paragraph
               and following - last < after):
            following += 1
        end_token = article.sentences[following].token_end
    return list(range(article.sentences[first].token_start, end_token))


def role_features(view: ArticleView, cue: list[int], window: list[int]) -> list[list[str]]:
    """Features of each window token for the role tagger, relative to one cue."""
    tokens = view.tokens
    cue_set = set(cue)
    head = next((i for i in cue if tokens[i].head not in cue_set or tokens[i].is_root), cue[0])
    cue_token = tokens[head]
    cue_lemma = " ".join(tokens[i].lemma.lower() for i in cue)
    head_sentence = view.sentence_of[head]
    head_path = view.ancestors(head)
    head_depth = {node: depth for depth, node in enumerate(head_path)}
    cue_quote = view.quote_of[head]
    cue_paragraph = view.paragraph_of(head)
    cue_kind = "punct" if cue_token.upos == "PUNCT" else cue_token.upos
    rows = []
    for i in window:
        t = tokens[i]
        row = base_features(view, i)
        if i in cue_set:
            relation = "cue"
        elif view.sentence_of[i] != head_sentence:
            offset = view.sentence_of[i] - head_sentence
            relation = f"sent{max(-3, min(3, offset))}"
            if view.paragraph_of(i) != cue_paragraph:
                relation += "|otherpar"
        else:
            path = view.ancestors(i)
            if head in path:  # inside the cue head's subtree: which of its branches
                below = path[path.index(head) - 1]
                relation = "down:" + tokens[below].dep + ("" if below == i else "+")
            else:
                lca_position = next((k for k, node in enumerate(path) if node in head_depth), len(path) - 1)
                lca = path[lca_position]
                up = head_depth.get(lca, 9)
                if lca == i:
                    relation = f"anc{min(up, 3)}"
                else:
                    branch = path[lca_position - 1]
                    relation = f"up{min(up, 3)}:" + tokens[branch].dep + ("" if branch == i else "+")
        position = "cue" if i in cue_set else ("before" if i < head else "after")
        distance = _bucket(min(abs(i - c) for c in cue))
        quote = view.quote_of[i]
        quoted = "noq" if quote < 0 else ("sameq" if quote == cue_quote else "q")
        row += [
            "r=" + relation, "rp=" + relation + "|" + t.upos, "rd=" + relation + "|" + t.dep,
            "rc=" + relation + "|" + cue_kind, "rl=" + relation + "|" + cue_lemma,
            "pos=" + position, "pdist=" + position + "|" + distance, "qq=" + quoted,
            "qp=" + quoted + "|" + position, "ch=" + cue_token.dep, "cl=" + cue_lemma,
            "rch=" + relation + "|" + cue_token.dep,
        ]
        rows.append(row)
    return rows

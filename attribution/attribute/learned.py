"""The learned span extractor: cues, then each cue's source and content, over the UD parse.

Two CRFs trained on PolNeAR (`attribution train spans`, models/spans/MODEL_CARD.md):
1. the cue tagger labels each sentence's tokens B/I/O, so multiword cues ("has said", "said in
   a statement", "according to") and non-verbal ones (":", "― Name", "in") come out whole;
2. the role tagger, given one cue, labels the tokens of its sentence and neighbours as source
   (S) or content (C). Its features place each token in the tree relative to the cue, so the
   parse sets the boundaries, links source and content to their cue, and a content may run over
   several sentences or be cut in pieces by the cue ("“…,” he said. “…”").
A content that covers most of a quote is completed to the whole quote, including the
paragraphs a continued quote runs on into. Where the role tagger finds no content, the parse's
complement of the cue is taken; a cue with neither is dropped. One without a source keeps
`source: None`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from attribution.attribute.crf import CRF
from attribution.attribute.features import (
    ArticleView,
    cue_features,
    role_features,
    role_window,
)
from attribution.attribute.quotes import find_quotes
from attribution.attribute.rules import Proposal
from attribution.document import Article, Token

CUE_FILE, ROLE_FILE, CONFIG_FILE = "cue_crf.npz", "role_crf.npz", "config.json"
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "models" / "spans"
_COMPLEMENTS = ("ccomp", "xcomp", "obj")
_QUOTE_SHARE = 0.5  # a content covering this share of a quote's tokens takes the whole quote


@dataclass
class SpanModel:
    cues: CRF
    roles: CRF
    name: str = "spans"
    version: str = "0"
    cue_bias: dict[str, float] | None = None  # added to the cue tagger's label scores (tuned on dev)

    @classmethod
    def load(cls, folder: Path = DEFAULT_DIR) -> SpanModel:
        config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        return cls(CRF.load(folder / CUE_FILE), CRF.load(folder / ROLE_FILE), config["name"], config["version"],
                   config.get("cue_bias"))

    def propose(self, article: Article) -> list[Proposal]:
        view = ArticleView(article)
        proposals = []
        for sentence in article.sentences:
            if sentence.boilerplate:
                continue
            labels = self.cues.tag(cue_features(view, sentence.token_start, sentence.token_end),
                                   view.vectors_of(sentence.token_start, sentence.token_end), self.cue_bias)
            for cue in spans_from_bio(labels, sentence.token_start):
                proposal = self._roles(view, cue)
                if proposal is not None:
                    proposals.append(proposal)
        _complete_quotes(view, proposals)
        return proposals

    def _roles(self, view: ArticleView, cue: list[int]) -> Proposal | None:
        window = role_window(view, cue)
        labels = self.roles.tag(role_features(view, cue, window), view.vectors_of(window[0], window[-1] + 1))
        tokens = view.tokens
        content_ids = _whole_words(tokens, [i for i, label in zip(window, labels) if label.endswith("C") and i not in cue])
        if not content_ids:
            content_ids = _complement(view, cue)
        if not content_ids:
            return None
        source_runs = spans_from_bio([label[:1] + "-" if label.endswith("S") else "O" for label in labels], 0)
        source = [tokens[i] for i in _whole_words(tokens, [window[k] for k in max(source_runs, key=len)])] if source_runs else []
        content = [tokens[i] for i in content_ids]
        cue_tokens = [tokens[i] for i in cue]
        head = _head_of(cue_tokens)
        text = " ".join(t.text.lower() for t in cue_tokens)
        according = text.startswith("according to")
        return Proposal(
            cue=cue_tokens, content=content, source_head=_head_of(source) if source else None, source=source,
            kind="according_to" if according else "indirect", rule=f"{self.name} {self.version}",
            lemma="according to" if according else head.lemma.lower(),
        )


def load_span_model(choice: str | None = None) -> SpanModel | None:
    """`None`: the shipped model when models/spans has one (else no model: the rules alone);
    otherwise a folder with a trained model."""
    folder = DEFAULT_DIR if choice is None else Path(choice)
    if choice is None and not (folder / CONFIG_FILE).exists():
        return None
    if not (folder / CONFIG_FILE).exists():
        raise ValueError(f"{folder} has no span model ({CONFIG_FILE}); train one with `attribution train spans`")
    return SpanModel.load(folder)


def spans_from_bio(labels: list[str], offset: int) -> list[list[int]]:
    """Runs of B/I labels as token index lists; an I with no B before it starts a run."""
    runs: list[list[int]] = []
    inside = False
    for k, label in enumerate(labels):
        if label.startswith("B") or (label.startswith("I") and not inside):
            runs.append([offset + k])
            inside = True
        elif label.startswith("I"):
            runs[-1].append(offset + k)
        else:
            inside = False
    return runs


def _whole_words(tokens: list[Token], indices: list[int]) -> list[int]:
    """Indices grown so that no span ends inside a word ("president-elect", not "president")."""
    chosen = set(indices)
    for i in indices:
        k = i
        while k + 1 < len(tokens) and tokens[k + 1].start == tokens[k].end and k + 1 not in chosen and _joins(tokens, k + 1):
            k += 1
            chosen.add(k)
    return sorted(chosen)


def _joins(tokens: list[Token], k: int) -> bool:
    """Whether token k continues the word before it: letters or digits, or a hyphen between two."""
    text = tokens[k].text
    if text[0].isalnum():
        return True
    return text in ("-", "–") and k + 1 < len(tokens) and tokens[k + 1].start == tokens[k].end and tokens[k + 1].text[0].isalnum()


def _complement(view: ArticleView, cue: list[int]) -> list[int]:
    """The parse's guess at a content the role tagger left empty: the subtree of the cue's
    clausal complement or object ("pointed out | that ...", "criticized | the plan")."""
    head = _head_of([view.tokens[i] for i in cue])
    kids = [k for k in view.children[head.i] if view.tokens[k].dep in _COMPLEMENTS and k not in cue]
    if not kids:
        return []
    subtree, stack = [], [kids[0]]
    while stack:
        k = stack.pop()
        subtree.append(k)
        stack.extend(view.children[k])
    return sorted(subtree)


def _head_of(tokens: list[Token]) -> Token:
    inside = {t.i for t in tokens}
    return next((t for t in tokens if t.head not in inside or t.is_root), tokens[0])


def _complete_quotes(view: ArticleView, proposals: list[Proposal]) -> None:
    """Extend contents over the quotes they mostly cover, and over the paragraphs a continued
    quote runs on into; mark direct and mixed quotes."""
    quotes = find_quotes(view.article.text)
    members: list[list[int]] = [[] for _ in quotes]
    for i, number in enumerate(view.quote_of):
        if number >= 0:
            members[number].append(i)
    for proposal in proposals:
        content_ids = {t.i for t in proposal.content}
        cue_ids = {t.i for t in proposal.cue}
        touched = sorted({view.quote_of[i] for i in content_ids if view.quote_of[i] >= 0})
        added: set[int] = set()
        for number in touched:
            inside = members[number]
            if sum(i in content_ids for i in inside) < _QUOTE_SHARE * len(inside) or cue_ids & set(inside):
                continue
            added.update(inside)
            while quotes[number].continued and number + 1 < len(quotes):  # reopened in the next paragraph
                number += 1
                added.update(members[number])
        if added - content_ids:
            proposal.content = [view.tokens[i] for i in sorted(content_ids | added)]
        quoted = sum(view.quote_of[t.i] >= 0 for t in proposal.content)
        if proposal.kind != "according_to" and quoted:
            proposal.kind = "direct" if quoted == len(proposal.content) else "mixed"

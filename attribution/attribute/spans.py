"""The learned span model: contextual taggers propose cues and their roles, the parse sets the
boundaries.

The sentence tagger's cues are grown over their auxiliaries and particles; for each cue the role
tagger marks a source and a content, which the parse completes: whole words, whole
constituents under the cue, the subject that a coordinated verb or a participle shares, a
source's head with the words before it, and whole quotes; the content-edge model then cuts the
adjuncts and afterthoughts at a content's edges that PolNeAR leaves out (`edges.py`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from attribution.attribute.edges import ContentEdges
from attribution.attribute.rules import Proposal
from attribution.attribute.tagger import (
    ROLE_TAGGER,
    SENTENCE_TAGGER,
    Tagger,
    WordPieces,
    cue_window,
    sentence_windows,
)
from attribution.document import Token
from attribution.parse.tree import ParseIndex, head_of

CONFIG_FILE = "config.json"
_COMPLEMENTS = ("ccomp", "xcomp", "obj")
_QUOTE_SHARE = 0.5  # a content covering this share of a quote's tokens takes the whole quote


@dataclass
class SpanModel:
    tagger: Tagger  # the sentence tagger: cues
    role_tagger: Tagger  # the cue-conditioned tagger: each cue's source and content
    edges: ContentEdges | None = None  # cuts at contents' edges; None in folders trained before it
    name: str = "spans"
    version: str = "0"

    @classmethod
    def load(cls, folder: Path, runtime: str = "torch") -> SpanModel:
        config_path = folder / CONFIG_FILE
        missing = [name for name in (CONFIG_FILE, *SENTENCE_TAGGER.files, *ROLE_TAGGER.files) if not (folder / name).is_file()]
        if missing:
            raise FileNotFoundError(f"{folder}: not a span model (missing {', '.join(missing)}); train one with `attribution train spans`")
        config = json.loads(config_path.read_text(encoding="utf-8"))
        tagger = Tagger.load(folder, SENTENCE_TAGGER.name, runtime=runtime)
        return cls(tagger, Tagger.load(folder, ROLE_TAGGER.name, tagger.tokenizer, runtime), ContentEdges.load(folder),
                   config["name"], config["version"])

    def propose(self, index: ParseIndex) -> list[Proposal]:
        article = index.article
        word_pieces = WordPieces.of(self.tagger.tokenizer, article)
        sentences = [s for s in article.sentences if not s.boilerplate]
        cues = [_whole_cue(index, cue) for cue in self._cues(index, sentences, word_pieces)]
        neighbours = tuple(self.role_tagger.model.config.neighbours)
        windows = [cue_window(article, index.sentence_of, cue, self.role_tagger.max_chars, neighbours) for cue in cues]
        proposals, margins = [], []
        for cue, window, scores in zip(cues, windows, self.role_tagger.scores(article, word_pieces, windows)):
            positions = list(range(window.first, window.last))
            proposal = self._proposal(index, cue, positions, self.role_tagger.labels(scores, "source"),
                                      self.role_tagger.labels(scores, "content"))
            if proposal is not None:
                proposals.append(proposal)
                margins.append(dict(zip(positions, self.role_tagger.margins(scores, "content").tolist())))
        _complete_quotes(index, proposals)
        if self.edges is not None:
            for proposal, margin in zip(proposals, margins):
                kept = self.edges.trim(index, [t.i for t in proposal.content], [t.i for t in proposal.cue], margin)
                proposal.content = [index.tokens[i] for i in kept]
        _mark_quotes(index, proposals)
        return proposals

    def _cues(self, index: ParseIndex, sentences, word_pieces: WordPieces) -> list[list[int]]:
        """Cue spans (token indices) of the given sentences."""
        pieces = sentence_windows(index.article, sentences, self.tagger.max_chars)
        cues = []
        for window, scores in zip(pieces, self.tagger.scores(index.article, word_pieces, pieces)):
            cues += spans_from_bio(self.tagger.labels(scores, "cue"), window.first)
        return cues

    def _proposal(self, index: ParseIndex, cue: list[int], window: list[int], source_tags: list[str],
                  content_tags: list[str]) -> Proposal | None:
        """One attribution from a cue and its role tags, with the parse's boundaries."""
        tokens = index.tokens
        # A blank line ends every span (a headline is not its lead); quotes that go on are joined later.
        kept = [k for k, i in enumerate(window) if index.block_of[i] == index.block_of[cue[0]]]
        window, source_tags, content_tags = [window[k] for k in kept], [source_tags[k] for k in kept], [content_tags[k] for k in kept]
        content_ids = _whole_words(tokens, [i for i, tag in zip(window, content_tags) if tag != "O" and i not in cue])
        if not content_ids:
            content_ids = _complement(index, cue)
        if not content_ids:
            return None
        source_runs = [run for run in spans_from_bio(source_tags, 0) if not set(window[k] for k in run) & set(cue)]
        source = [tokens[i] for i in _whole_words(tokens, [window[k] for k in max(source_runs, key=len)])] if source_runs else []
        if source:
            source = [tokens[i] for i in _whole_source(index, [t.i for t in source], set(cue) | set(content_ids))]
        else:
            source = [tokens[i] for i in _shared_subject(index, cue, set(content_ids))]
        content_ids = _whole_constituents(index, cue, content_ids, {t.i for t in source})
        content_ids = _without_gaps(index, content_ids, set(cue) | {t.i for t in source})
        content = [tokens[i] for i in content_ids]
        cue_tokens = [tokens[i] for i in cue]
        head = head_of(cue_tokens)
        text = " ".join(t.text.lower() for t in cue_tokens)
        according = text.startswith("according to")
        return Proposal(
            cue=cue_tokens, content=content, source_head=head_of(source) if source else None, source=source,
            kind="according_to" if according else "indirect", rule=f"{self.name} {self.version}",
            lemma="according to" if according else head.lemma.lower(),
        )


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


def _shared_subject(index: ParseIndex, cue: list[int], content_ids: set[int]) -> list[int]:
    """The subject a cue shares with the verb it hangs from, as its subtree: a coordinated cue's
    ("Authorities dispersed the crowd and said ...", +0.6 attribution F1 on dev with the CRF
    roles) or a participle's with no subject of its own ("Trump hit back, saying ...", +0.3
    with the taggers); empty when there is none."""
    tokens = index.tokens
    head = head_of([tokens[i] for i in cue])
    participle = head.dep in ("advcl", "xcomp") and head.text.lower().endswith("ing") and not any(
        tokens[k].dep.startswith("nsubj") for k in index.children[head.i])
    while (head.dep == "conj" or participle) and not head.is_root:
        head, participle = tokens[head.head], False
        subjects = [k for k in index.children[head.i] if tokens[k].dep in ("nsubj", "nsubj:pass")]
        if subjects:
            found = index.subtree_ids(subjects[0])
            return [] if content_ids & set(found) else found
    return []


def _whole_constituents(index: ParseIndex, cue: list[int], content_ids: list[int], source_ids: set[int]) -> list[int]:
    """Content grown to the whole subtree of each of its tokens that hangs from the cue
    ("questions | the fairness" -> "the fairness of moderators ahead of debate"): role taggers
    often stop a content early, and PolNeAR's contents are whole constituents (+1.2 attribution
    F1 on dev with the CRF role tagger)."""
    chosen = set(content_ids)
    for k in content_ids:
        if index.tokens[k].head in cue:
            chosen.update(index.subtree_ids(k, set(cue) | source_ids))
    return sorted(chosen)


def _whole_cue(index: ParseIndex, cue: list[int]) -> list[int]:
    """A verb cue grown leftwards over its auxiliaries and the adverbs among them ("said" -> "has
    said", "has previously said"), and rightwards over its particle ("point" -> "point out"):
    PolNeAR's cues hold them (344 of 356 auxiliaries on dev; +0.9 cue exact F1)."""
    head = head_of([index.tokens[i] for i in cue])
    first = k = cue[0]
    while k > 0 and index.tokens[k - 1].head == head.i and index.tokens[k - 1].dep in ("aux", "aux:pass", "advmod"):
        k -= 1
        if index.tokens[k].dep != "advmod":
            first = k
    last = cue[-1]
    while last + 1 < len(index.tokens) and index.tokens[last + 1].head == head.i and index.tokens[last + 1].dep == "compound:prt":
        last += 1
    return list(range(first, cue[0])) + cue + list(range(cue[-1] + 1, last + 1))


def _whole_source(index: ParseIndex, source_ids: list[int], taken: set[int]) -> list[int]:
    """A source grown over the adjacent words of its head's subtree ("President Volodymyr
    Zelensky" -> "Ukrainian President Volodymyr Zelensky")."""
    head = head_of([index.tokens[i] for i in source_ids])
    below = set(index.subtree_ids(head.i)) - taken
    first = source_ids[0]
    while first - 1 in below:
        first -= 1
    return sorted(set(source_ids) | set(range(first, source_ids[-1] + 1)))


def _without_gaps(index: ParseIndex, content_ids: list[int], roles: set[int]) -> list[int]:
    """Content pieces of one sentence joined where nothing between them is the cue or the source:
    a tagger that drops a word ("a plane carrying Ukrainian President Volodymyr … at …") cuts a
    content PolNeAR keeps whole; pieces that the cue or source separates stay apart."""
    chosen = set(content_ids)
    for left, right in zip(content_ids, content_ids[1:]):
        gap = range(left + 1, right)
        if gap and index.sentence_of[left] == index.sentence_of[right] and not roles.intersection(gap):
            chosen.update(gap)
    return sorted(chosen)


def _complement(index: ParseIndex, cue: list[int]) -> list[int]:
    """The parse's guess at a content the role tagger left empty: the subtree of the cue's
    clausal complement or object ("pointed out | that ...", "criticized | the plan")."""
    head = head_of([index.tokens[i] for i in cue])
    kids = [k for k in index.children[head.i] if index.tokens[k].dep in _COMPLEMENTS and k not in cue]
    return index.subtree_ids(kids[0]) if kids else []


def _holds_edge(index: ParseIndex, inside: list[int], content_ids: set[int], cue_ids: set[int]) -> bool:
    """Whether a content holds the end of a quote its cue follows in the same sentence ('"... they
    can," said the official'), or the start of one that opens after its cue, in the cue's
    sentence or the next ('He said: "We will hold. They will not pass."'): a role window that
    began or ended inside the quote cut it (+1.3 attribution F1 on dev)."""
    words = [i for i in inside if index.tokens[i].text[0].isalnum()]
    if not words:
        return False
    cue = min(cue_ids)
    if cue > inside[-1]:
        return words[-1] in content_ids and index.sentence_of[cue] == index.sentence_of[inside[-1]]
    return words[0] in content_ids and index.sentence_of[inside[0]] - index.sentence_of[cue] in (0, 1)


def _complete_quotes(index: ParseIndex, proposals: list[Proposal]) -> None:
    """Extend contents over the quotes they mostly cover, and over the paragraphs a continued
    quote runs on into."""
    quotes = index.quotes
    members: list[list[int]] = [[] for _ in quotes]
    for i, number in enumerate(index.quote_of):
        if number >= 0:
            members[number].append(i)
    for proposal in proposals:
        content_ids = {t.i for t in proposal.content}
        cue_ids = {t.i for t in proposal.cue}
        touched = sorted({index.quote_of[i] for i in content_ids if index.quote_of[i] >= 0})
        added: set[int] = set()
        for number in touched:
            inside = members[number]
            if cue_ids & set(inside) or not (sum(i in content_ids for i in inside) >= _QUOTE_SHARE * len(inside)
                                             or _holds_edge(index, inside, content_ids, cue_ids)):
                continue
            added.update(inside)
            while quotes[number].continued and number + 1 < len(quotes):  # reopened in the next paragraph
                number += 1
                added.update(members[number])
        if added - content_ids:
            proposal.content = [index.tokens[i] for i in sorted(content_ids | added)]


def _mark_quotes(index: ParseIndex, proposals: list[Proposal]) -> None:
    """Direct quotes (every content token quoted) and mixed ones (some)."""
    for proposal in proposals:
        quoted = sum(index.quote_of[t.i] >= 0 for t in proposal.content)
        if proposal.kind != "according_to" and quoted:
            proposal.kind = "direct" if quoted == len(proposal.content) else "mixed"

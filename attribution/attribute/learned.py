"""The learned span extractor: cues, then each cue's source and content, over the UD parse.

Trained on PolNeAR (`attribution train spans`, models/spans/MODEL_CARD.md):
1. cues: the contextual sentence tagger (`tagger.py`, MiniLM) labels each sentence's tokens
   B/I/O, so multiword cues ("has said", "according to") and non-verbal ones (":", "― Name",
   "in") come out whole; without it, a CRF over parse features does;
2. roles: the contextual role tagger reads one cue at a time, marked, with its sentence and
   neighbours and labels that cue's source and content; without it, a CRF whose features place
   each token in the tree relative to the cue does. A content may run over several sentences
   or be cut in pieces by the cue ("“…,” he said. “…”").
The parse then sets the boundaries: spans end at word ends, a content token that hangs from the
cue brings its whole subtree, a coordinated cue without a source takes the subject it shares
("Authorities dispersed the crowd and said ..."), a content that covers most of a quote is
completed to the whole quote, including the paragraphs a continued quote runs on into. Where no
content is found, the parse's complement of the cue is taken; a cue with neither is dropped.
One without a source keeps `source: None`.
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
from attribution.attribute.tagger import (
    ROLE_TAGGER,
    SENTENCE_TAGGER,
    Tagger,
    WordPieces,
    cue_window,
    sentence_windows,
)
from attribution.document import Article, Sentence, Token

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
    cue_bias: dict[str, float] | None = None  # added to the CRF cue tagger's label scores (tuned on dev)
    tagger: Tagger | None = None  # the contextual sentence tagger; when present, cues come from it
    role_tagger: Tagger | None = None  # the contextual cue-conditioned tagger; when present, roles come from it

    @classmethod
    def load(cls, folder: Path = DEFAULT_DIR) -> SpanModel:
        config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        taggers = {}
        for tagger in (SENTENCE_TAGGER, ROLE_TAGGER):
            if (folder / tagger.files[0]).is_file():
                taggers[tagger.name] = Tagger.load(folder, tagger.name, next((t.tokenizer for t in taggers.values()), None))
        return cls(CRF.load(folder / CUE_FILE), CRF.load(folder / ROLE_FILE), config["name"], config["version"],
                   config.get("cue_bias"), taggers.get(SENTENCE_TAGGER.name), taggers.get(ROLE_TAGGER.name))

    def propose(self, article: Article) -> list[Proposal]:
        view = ArticleView(article)
        tagger = self.tagger or self.role_tagger
        word_pieces = WordPieces.of(tagger.tokenizer, article) if tagger else None
        sentences = [s for s in article.sentences if not s.boilerplate]
        cues = [_whole_cue(view, cue) for cue in self._cues(view, sentences, word_pieces)]
        if self.role_tagger:
            pieces = [cue_window(article, view.sentence_of, cue, self.role_tagger.max_chars, tuple(self.role_tagger.model.config.neighbours))
                      for cue in cues]
            tags = [(list(range(w.first, w.last)), self.role_tagger.labels(scores, "source"), self.role_tagger.labels(scores, "content"))
                    for w, scores in zip(pieces, self.role_tagger.scores(article, word_pieces, pieces))]
        else:
            tags = [self._crf_roles(view, cue) for cue in cues]
        proposals = [self._proposal(view, cue, *tagged) for cue, tagged in zip(cues, tags)]
        proposals = [p for p in proposals if p is not None]
        _complete_quotes(view, proposals)
        return proposals

    def _cues(self, view: ArticleView, sentences: list[Sentence], word_pieces: WordPieces | None) -> list[list[int]]:
        """Cue spans (token indices) of the given sentences, from the contextual tagger where the
        model has one, else from the CRF."""
        if self.tagger is None:
            cues = []
            for sentence in sentences:
                start, end = sentence.token_start, sentence.token_end
                labels = self.cues.tag(cue_features(view, start, end), view.vectors_of(start, end), self.cue_bias)
                cues += spans_from_bio(labels, start)
            return cues
        pieces = sentence_windows(view.article, sentences, self.tagger.max_chars)
        cues = []
        for window, scores in zip(pieces, self.tagger.scores(view.article, word_pieces, pieces)):
            cues += spans_from_bio(self.tagger.labels(scores, "cue"), window.first)
        return cues

    def _crf_roles(self, view: ArticleView, cue: list[int]) -> tuple[list[int], list[str], list[str]]:
        """The CRF role tagger's window, and its B/I/O tags for source and for content."""
        window = role_window(view, cue)
        labels = self.roles.tag(role_features(view, cue, window), view.vectors_of(window[0], window[-1] + 1))
        return (window, [label[:1] if label.endswith("S") else "O" for label in labels],
                [label[:1] if label.endswith("C") else "O" for label in labels])

    def _proposal(self, view: ArticleView, cue: list[int], window: list[int], source_tags: list[str],
                  content_tags: list[str]) -> Proposal | None:
        """One attribution from a cue and its role tags, with the parse's boundaries."""
        tokens = view.tokens
        content_ids = _whole_words(tokens, [i for i, tag in zip(window, content_tags) if tag != "O" and i not in cue])
        if not content_ids:
            content_ids = _complement(view, cue)
        if not content_ids:
            return None
        source_runs = [run for run in spans_from_bio(source_tags, 0) if not set(window[k] for k in run) & set(cue)]
        source = [tokens[i] for i in _whole_words(tokens, [window[k] for k in max(source_runs, key=len)])] if source_runs else []
        if source:
            source = [tokens[i] for i in _whole_source(view, [t.i for t in source], set(cue) | set(content_ids))]
        else:
            source = [tokens[i] for i in _shared_subject(view, cue, set(content_ids))]
        content_ids = _whole_constituents(view, cue, content_ids, {t.i for t in source})
        content_ids = _without_gaps(view, content_ids, set(cue) | {t.i for t in source})
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


def _subtree(view: ArticleView, top: int, leave_out: set[int] = frozenset()) -> list[int]:
    """The token `top` and the tokens below it, less the `leave_out` tokens and what hangs from them."""
    found, stack = [], [top]
    while stack:
        k = stack.pop()
        if k not in leave_out:
            found.append(k)
            stack.extend(view.children[k])
    return sorted(found)


def _shared_subject(view: ArticleView, cue: list[int], content_ids: set[int]) -> list[int]:
    """The subject a cue shares with the verb it hangs from, as its subtree: a coordinated cue's
    ("Authorities dispersed the crowd and said ...", +0.6 attribution F1 on dev with the CRF
    roles) or a participle's with no subject of its own ("Trump hit back, saying ...", +0.3
    with the taggers); empty when there is none."""
    tokens = view.tokens
    head = _head_of([tokens[i] for i in cue])
    participle = head.dep in ("advcl", "xcomp") and head.text.lower().endswith("ing") and not any(
        tokens[k].dep.startswith("nsubj") for k in view.children[head.i])
    while (head.dep == "conj" or participle) and not head.is_root:
        head, participle = tokens[head.head], False
        subjects = [k for k in view.children[head.i] if tokens[k].dep in ("nsubj", "nsubj:pass")]
        if subjects:
            found = _subtree(view, subjects[0])
            return [] if content_ids & set(found) else found
    return []


def _whole_constituents(view: ArticleView, cue: list[int], content_ids: list[int], source_ids: set[int]) -> list[int]:
    """Content grown to the whole subtree of each of its tokens that hangs from the cue
    ("questions | the fairness" -> "the fairness of moderators ahead of debate"): role taggers
    often stop a content early, and PolNeAR's contents are whole constituents (+1.2 attribution
    F1 on dev with the CRF role tagger)."""
    chosen = set(content_ids)
    for k in content_ids:
        if view.tokens[k].head in cue:
            chosen.update(_subtree(view, k, set(cue) | source_ids))
    return sorted(chosen)


def _whole_cue(view: ArticleView, cue: list[int]) -> list[int]:
    """A verb cue grown leftwards over its auxiliaries and the adverbs among them ("said" -> "has
    said", "has previously said"), and rightwards over its particle ("point" -> "point out"):
    PolNeAR's cues hold them (344 of 356 auxiliaries on dev; +0.9 cue exact F1)."""
    head = _head_of([view.tokens[i] for i in cue])
    first = k = cue[0]
    while k > 0 and view.tokens[k - 1].head == head.i and view.tokens[k - 1].dep in ("aux", "aux:pass", "advmod"):
        k -= 1
        if view.tokens[k].dep != "advmod":
            first = k
    last = cue[-1]
    while last + 1 < len(view.tokens) and view.tokens[last + 1].head == head.i and view.tokens[last + 1].dep == "compound:prt":
        last += 1
    return list(range(first, cue[0])) + cue + list(range(cue[-1] + 1, last + 1))


def _whole_source(view: ArticleView, source_ids: list[int], taken: set[int]) -> list[int]:
    """A source grown over the adjacent words of its head's subtree ("President Volodymyr
    Zelensky" -> "Ukrainian President Volodymyr Zelensky")."""
    head = _head_of([view.tokens[i] for i in source_ids])
    below = set(_subtree(view, head.i)) - taken
    first = source_ids[0]
    while first - 1 in below:
        first -= 1
    return sorted(set(source_ids) | set(range(first, source_ids[-1] + 1)))


def _without_gaps(view: ArticleView, content_ids: list[int], roles: set[int]) -> list[int]:
    """Content pieces of one sentence joined where nothing between them is the cue or the source:
    a tagger that drops a word ("a plane carrying Ukrainian President Volodymyr … at …") cuts a
    content PolNeAR keeps whole; pieces that the cue or source separates stay apart."""
    chosen = set(content_ids)
    for left, right in zip(content_ids, content_ids[1:]):
        gap = range(left + 1, right)
        if gap and view.sentence_of[left] == view.sentence_of[right] and not roles.intersection(gap):
            chosen.update(gap)
    return sorted(chosen)


def _complement(view: ArticleView, cue: list[int]) -> list[int]:
    """The parse's guess at a content the role tagger left empty: the subtree of the cue's
    clausal complement or object ("pointed out | that ...", "criticized | the plan")."""
    head = _head_of([view.tokens[i] for i in cue])
    kids = [k for k in view.children[head.i] if view.tokens[k].dep in _COMPLEMENTS and k not in cue]
    return _subtree(view, kids[0]) if kids else []


def _head_of(tokens: list[Token]) -> Token:
    inside = {t.i for t in tokens}
    return next((t for t in tokens if t.head not in inside or t.is_root), tokens[0])


def _holds_edge(view: ArticleView, inside: list[int], content_ids: set[int], cue_ids: set[int]) -> bool:
    """Whether a content holds the end of a quote its cue follows in the same sentence ('"... they
    can," said the official'), or the start of one that opens after its cue, in the cue's
    sentence or the next ('He said: "We will hold. They will not pass."'): a role window that
    began or ended inside the quote cut it (+1.3 attribution F1 on dev)."""
    words = [i for i in inside if view.tokens[i].text[0].isalnum()]
    if not words:
        return False
    cue = min(cue_ids)
    if cue > inside[-1]:
        return words[-1] in content_ids and view.sentence_of[cue] == view.sentence_of[inside[-1]]
    return words[0] in content_ids and view.sentence_of[inside[0]] - view.sentence_of[cue] in (0, 1)


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
            if cue_ids & set(inside) or not (sum(i in content_ids for i in inside) >= _QUOTE_SHARE * len(inside)
                                             or _holds_edge(view, inside, content_ids, cue_ids)):
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

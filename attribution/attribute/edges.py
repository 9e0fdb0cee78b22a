"""Content edges: a learned choice among the parse's constituents at a content's first and last
words.

The role tagger runs contents on past where PolNeAR ends them: adjuncts of the cue ("said on
Saturday | that ...", ", as she did again at the summit"), afterthoughts (", contradicting the
army's account"), the preposition before a cue noun's object ("questions about | how ...").
Each whole subtree at a content's edge is a candidate cut. A logistic model over its syntax
(relation, part of speech, what it hangs from, the cue's lemma, its length, the punctuation
before it), fitted on PolNeAR train's gold contents (`train/edges.py`: their own edge subtrees
kept, the subtrees just outside them left out), is added to the role tagger's own margin for
the piece's words, and the piece is cut where the sum falls under the threshold. Quoted words
are never cut, nor a piece longer than `max_share` of the content: cutting past half of a gold
content would lose the attribution.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from attribution.document import Token
from attribution.parse.tree import ParseIndex, head_of, runs_of

EDGES_FILE = "content_edges.json"
_FUNCTION_WORDS = ("ADP", "SCONJ", "PART", "DET", "CCONJ", "PRON", "AUX", "ADV")
_REACH = 40  # tokens beyond a content's edge searched for the pieces outside it (training)


@dataclass(frozen=True)
class EdgePiece:
    """A whole subtree at one edge of a content, with the punctuation between it and the rest."""

    side: str  # "left" or "right"
    tokens: tuple[int, ...]
    top: int


def _is_word(token: Token) -> bool:
    return token.text[0].isalnum()


def _contiguous(ids: list[int]) -> bool:
    return ids == list(range(ids[0], ids[-1] + 1))


def edge_pieces(index: ParseIndex, content: list[int], cue: set[int]) -> list[EdgePiece]:
    """The subtrees that make up the first words of the content's first run or the last words of
    its last run, hanging from the content or the cue, short of the whole run."""
    tokens, inside = index.tokens, set(content)
    runs = runs_of(sorted(content))
    if not runs:
        return []
    pieces = []
    for side, run in (("left", runs[0]), ("right", runs[-1])):
        words = [i for i in run if _is_word(tokens[i])]
        for top in words:
            head = tokens[top].head
            if head == top or not (head in inside or head in cue):
                continue
            below = set(index.subtree_ids(top))
            if not below <= inside:
                continue
            piece_words = sorted(i for i in below if _is_word(tokens[i]))
            if len(piece_words) >= len(words) or not _contiguous(piece_words):
                continue
            if side == "right" and piece_words == words[-len(piece_words):]:
                pieces.append(EdgePiece(side, tuple(i for i in run if i >= piece_words[0]), top))
            elif side == "left" and piece_words == words[: len(piece_words)]:
                pieces.append(EdgePiece(side, tuple(i for i in run if i <= piece_words[-1]), top))
    return pieces


def outside_pieces(index: ParseIndex, content: list[int], cue: set[int], taken: set[int]) -> list[EdgePiece]:
    """The subtrees just outside the content's edges (nothing but punctuation between), hanging
    from the content or the cue, in its first or last sentence, clear of the `taken` tokens."""
    tokens, inside = index.tokens, set(content)
    first, last = min(inside), max(inside)
    sentences = (index.sentence_of[first], index.sentence_of[last])
    pieces = []
    for top in range(max(0, first - _REACH), min(len(tokens), last + _REACH)):
        if top in inside or top in cue or top in taken or not _is_word(tokens[top]) or index.sentence_of[top] not in sentences:
            continue
        if not (tokens[top].head in inside or tokens[top].head in cue):
            continue
        below = set(index.subtree_ids(top))
        if below & (inside | cue | taken):
            continue
        piece_words = sorted(i for i in below if _is_word(tokens[i]))
        if piece_words[0] > last:
            gap = range(last + 1, piece_words[0])
            side = "right"
        elif piece_words[-1] < first:
            gap = range(piece_words[-1] + 1, first)
            side = "left"
        else:
            continue
        if not any(_is_word(tokens[i]) for i in gap):
            pieces.append(EdgePiece(side, tuple(sorted(below | set(gap))), top))
    return pieces


def _length_class(n: int) -> str:
    return "1" if n == 1 else "2-3" if n <= 3 else "4-7" if n <= 7 else "8-15" if n <= 15 else "16+"


def features(index: ParseIndex, piece: EdgePiece, content: list[int], cue: set[int]) -> dict[str, float]:
    """Indicator features of a piece at the edge of `content` (which holds it)."""
    tokens, inside = index.tokens, set(content)
    top, side = tokens[piece.top], piece.side
    words = [tokens[i] for i in piece.tokens if _is_word(tokens[i])]
    cue_head = head_of([tokens[i] for i in sorted(cue)])
    hangs = "cue" if top.head in cue else "content top" if tokens[top.head].head not in inside else "inside"
    edge = words[0]
    found = {
        f"{side}": 1.0,
        f"{side} relation={top.dep}": 1.0,
        f"{side} pos={top.upos}": 1.0,
        f"{side} hangs from={hangs}": 1.0,
        f"{side} relation={top.dep} hangs from={hangs}": 1.0,
        f"{side} relation={top.dep} cue pos={cue_head.upos}": 1.0,
        f"{side} relation={top.dep} cue={cue_head.lemma.lower()}": 1.0,
        f"{side} words={_length_class(len(words))}": 1.0,
        f"{side} tenths of the content={_length_class(round(10 * len(words) / max(1, sum(_is_word(tokens[i]) for i in content))))}": 1.0,
        f"{side} first word={edge.lemma.lower() if edge.upos in _FUNCTION_WORDS else edge.upos}": 1.0,
        f"{side} quoted={index.quote_of[piece.top] >= 0}": 1.0,
    }
    if top.upos in _FUNCTION_WORDS:
        found[f"{side} lemma={top.lemma.lower()}"] = 1.0
    if side == "right":
        before = tokens[piece.tokens[0]] if not _is_word(tokens[piece.tokens[0]]) else tokens[piece.tokens[0] - 1]
        found[f"right after={'a word' if _is_word(before) else before.text}"] = 1.0
    return found


@dataclass
class ContentEdges:
    """The fitted model (`weights`, `bias`: the log-odds that a piece belongs to the content) and
    how it cuts (chosen on PolNeAR dev, resources/content_edges.yaml)."""

    weights: dict[str, float]
    bias: float
    threshold: float  # cut where log-odds + margin_weight * tagger margin falls under this
    margin_weight: float
    max_share: float  # of the content's words, the most one cut takes
    rounds: int  # cuts per edge, each on what the one before left

    @classmethod
    def load(cls, folder: Path) -> ContentEdges | None:
        """The model in a span model folder; None for a folder trained before it existed."""
        path = folder / EDGES_FILE
        return cls(**json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else None

    def save(self, folder: Path) -> None:
        (folder / EDGES_FILE).write_text(json.dumps(asdict(self), indent=1, sort_keys=True) + "\n", encoding="utf-8")

    def log_odds(self, found: dict[str, float]) -> float:
        return self.bias + sum(self.weights.get(name, 0.0) * value for name, value in found.items())

    def trim(self, index: ParseIndex, content: list[int], cue: list[int], margin: dict[int, float]) -> list[int]:
        """The content less, at each edge, the longest piece that the model and the tagger's
        `margin` (per token: log-odds of inside against outside) agree to leave out. A piece
        too long to cut (quoted, or over `max_share`) keeps the pieces inside it too: "after" is
        not cut from "after the meeting that talks would resume" where "after the meeting" may not be."""
        tokens, cue_ids = index.tokens, set(cue)
        for _ in range(self.rounds):
            words = sum(_is_word(tokens[i]) for i in content)
            cut: set[int] = set()
            candidates = edge_pieces(index, content, cue_ids)
            for side in ("left", "right"):
                for piece in sorted((p for p in candidates if p.side == side), key=lambda p: -len(p.tokens)):
                    piece_words = [i for i in piece.tokens if _is_word(tokens[i])]
                    tagger = float(np.mean([margin.get(i, 0.0) for i in piece_words]))
                    if self.log_odds(features(index, piece, content, cue_ids)) + self.margin_weight * tagger >= self.threshold:
                        continue
                    if len(piece_words) <= self.max_share * words and not any(index.quote_of[i] >= 0 for i in piece.tokens):
                        cut.update(piece.tokens)
                    break
            if not cut:
                break
            content = [i for i in content if i not in cut]
        return content

"""Hedge and booster cues (hedges.yaml) with their kinds, and whether each governs the main claim."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from attribution import resources
from attribution.document import Article, Cue, Token
from attribution.parse.tree import ParseIndex, SentenceTree


@dataclass(frozen=True)
class CueEntry:
    words: tuple[str, ...]
    kind: str
    certainty: str | None
    upos: frozenset[str]
    number: bool
    possessor: bool


@dataclass(frozen=True)
class HedgeLexicon:
    by_first_word: dict[str, tuple[CueEntry, ...]]  # longest phrases first
    conditional_marks: frozenset[str]
    denial_verbs: frozenset[str]
    governing_relations: frozenset[str]
    certainty_scores: dict[str, float]


@cache
def hedge_lexicon() -> HedgeLexicon:
    data = resources.data("hedges.yaml")
    entries = tuple(
        CueEntry(tuple(e["match"].lower().split()), e["kind"], e.get("certainty"), frozenset(e.get("upos", [])),
                 bool(e.get("number")), bool(e.get("possessor")))
        for e in data["cues"]
    )
    # Longer phrases first, so "highly likely" wins over "likely".
    entries = tuple(sorted(entries, key=lambda e: -len(e.words)))
    by_first_word: dict[str, list[CueEntry]] = {}
    for entry in entries:
        by_first_word.setdefault(entry.words[0], []).append(entry)
    return HedgeLexicon({w: tuple(es) for w, es in by_first_word.items()}, frozenset(data["conditional_marks"]), frozenset(data["denial_verbs"]),
                        frozenset(data["governing_relations"]), data["certainty_scores"])


def _word_matches(token: Token, word: str) -> bool:
    return token.text.lower() == word or token.lemma.lower() == word


def find_cues(article: Article) -> None:
    lexicon = hedge_lexicon()
    index = ParseIndex(article)
    for sentence in article.sentences:
        if sentence.boilerplate:
            continue
        tree = index.sentence(sentence)
        tokens = tree.tokens
        taken: set[int] = set()
        cues: list[Cue] = []
        for position, token in enumerate(tokens):
            if token.i in taken:
                continue
            lower, lemma = token.text.lower(), token.lemma.lower()
            candidates = lexicon.by_first_word.get(lower, ())
            if lemma != lower:  # entries may name the word form or the lemma; longest phrase first
                candidates = tuple(sorted(candidates + lexicon.by_first_word.get(lemma, ()), key=lambda e: -len(e.words)))
            for entry in candidates:
                length = len(entry.words)
                window = tokens[position : position + length]
                if len(window) < length or not all(_word_matches(t, w) for t, w in zip(window, entry.words)):
                    continue
                if entry.upos and token.upos not in entry.upos:
                    continue
                span_tokens = list(window)
                if entry.number:
                    following = tokens[position + length] if position + length < len(tokens) else None
                    if following is None or following.upos != "NUM":
                        continue
                    span_tokens.append(following)
                if entry.possessor:
                    owners = [t for owner in tree.kids(token, "nmod:poss") for t in tree.subtree(owner)]
                    span_tokens = sorted(owners + span_tokens, key=lambda t: t.i)
                if any(t.i in taken for t in span_tokens):
                    continue
                taken.update(t.i for t in span_tokens)
                governs = _governs(tree, token, lexicon.governing_relations)
                if entry.kind == "distancing" and token.dep == "obj":
                    verb = tree.head_of(token)
                    governs = governs and not (verb is not None and verb.lemma.lower() in lexicon.denial_verbs)
                cues.append(Cue(span_tokens[0].start, span_tokens[-1].end, entry.kind, " ".join(entry.words), entry.certainty, governs))
                break
        for mark in (t for t in tokens if t.dep == "mark" and t.lemma.lower() in lexicon.conditional_marks):
            clause = tree.head_of(mark)
            if clause is not None and clause.dep == "advcl" and _governs(tree, tree.head_of(clause) or clause, lexicon.governing_relations):
                cues.append(Cue(mark.start, mark.end, "epistemic", mark.lemma.lower(), "possible", True))
        sentence.cues = sorted(cues, key=lambda c: c.start)


def _governs(tree: SentenceTree, token: Token, allowed: frozenset[str]) -> bool:
    """True when every relation from the token up to the sentence root is on the main claim's path."""
    current = token
    for _ in range(len(tree.tokens)):
        if current.is_root:
            return True
        if current.dep not in allowed:
            return False
        parent = tree.head_of(current)
        if parent is None:
            return True
        current = parent
    return False

"""Convert spaCy's English (ClearNLP-style) dependency trees to Universal Dependencies.

spaCy's English models label `prep`/`pobj` with the preposition as head, and make the copula
the head of its clause. UD makes the noun and the predicate heads, which is what Stanza gives
and what the attribution rules are written against. This module restructures one sentence's
tokens in place so that both backends meet in the same representation.
"""

from __future__ import annotations

from attribution.document import Token

# Labels that only need renaming.
_RENAME = {
    "ROOT": "root",
    "nsubjpass": "nsubj:pass",
    "csubjpass": "csubj:pass",
    "auxpass": "aux:pass",
    "dobj": "obj",
    "poss": "nmod:poss",
    "relcl": "acl:relcl",
    "npadvmod": "obl:npmod",
    "neg": "advmod",
    "quantmod": "advmod",
    "predet": "det:predet",
    "preconj": "cc:preconj",
    "intj": "discourse",
    "meta": "dep",
    "prt": "compound:prt",
    "oprd": "xcomp",
    "acomp": "xcomp",
    "attr": "nsubj",  # only left after copula flipping where an expletive holds the subject slot
    "dative": "iobj",
    "pcomp": "advcl",
    "pobj": "obl",
}
# Preposition-like relations whose object becomes the head in UD.
_PREP_LIKE = {"prep", "agent", "dative"}
# Two-word prepositions that UD treats as one `case` with a `fixed` second word.
_FIXED_PREPOSITIONS = {
    ("according", "to"),
    ("because", "of"),
    ("due", "to"),
    ("instead", "of"),
    ("prior", "to"),
    ("ahead", "of"),
    ("out", "of"),
    ("such", "as"),
    ("regardless", "of"),
}
_VERBAL = {"VERB", "AUX", "ADJ", "ADV"}


def convert_sentence(tokens: list[Token]) -> None:
    """Restructure one sentence (tokens with absolute indices) from ClearNLP labels to UD."""
    if not tokens:
        return
    by_index = {t.i: t for t in tokens}
    children = _children_of(tokens)
    _merge_fixed_prepositions(tokens, children)
    _flip_prepositions(tokens, by_index, children)
    _flip_copulas(tokens)
    for t in tokens:
        t.dep = _RENAME.get(t.dep, t.dep)
        if t.head == t.i:
            t.dep = "root"


def _children_of(tokens: list[Token]) -> dict[int, list[Token]]:
    children: dict[int, list[Token]] = {t.i: [] for t in tokens}
    for t in tokens:
        if t.head != t.i and t.head in children:
            children[t.head].append(t)
    return children


def _object_of(prep: Token, children: dict[int, list[Token]]) -> Token | None:
    for child in children[prep.i]:
        if child.dep in ("pobj", "pcomp"):
            return child
    return None


def _merge_fixed_prepositions(tokens: list[Token], children: dict[int, list[Token]]) -> None:
    """`according(prep) -> to(prep) -> X(pobj)` becomes `according(prep) -> X(pobj)`, `to` fixed."""
    for first in tokens:
        if first.dep not in _PREP_LIKE:
            continue
        for second in list(children[first.i]):
            if second.dep == "prep" and (first.text.lower(), second.text.lower()) in _FIXED_PREPOSITIONS:
                obj = _object_of(second, children)
                if obj is None:
                    continue
                children[second.i].remove(obj)
                children[first.i].remove(second)
                obj.head = first.i
                children[first.i].append(obj)
                second.head = first.i
                second.dep = "fixed"
                # `fixed` hangs under the first word; it must not be treated as a modifier later.
                children[first.i].append(second)


def _flip_prepositions(tokens: list[Token], by_index: dict[int, Token], children: dict[int, list[Token]]) -> None:
    objects: dict[int, Token] = {}
    for t in tokens:
        if t.dep in _PREP_LIKE:
            obj = _object_of(t, children)
            if obj is not None:
                objects[t.i] = obj

    def resolve(index: int) -> int:
        seen = set()
        while index in objects and index not in seen:
            seen.add(index)
            index = objects[index].i
        return index

    original_heads = {t.i: t.head for t in tokens}
    for prep_index, obj in objects.items():
        prep = by_index[prep_index]
        head_index = original_heads[prep_index]
        if prep_index == head_index:  # a prepositional phrase as the root of a fragment
            obj.head = obj.i
            obj.dep = "root"
        else:
            governor = resolve(head_index)
            obj.head = governor
            head_upos = by_index[governor].upos if governor in by_index else "NOUN"
            if obj.dep == "pcomp":
                obj.dep = "advcl" if head_upos in _VERBAL else "acl"
            elif prep.dep == "agent":
                obj.dep = "obl:agent"
            else:
                obj.dep = "obl" if head_upos in _VERBAL else "nmod"
        was_pcomp = obj.dep in ("advcl", "acl")
        prep.head = obj.i
        prep.dep = "mark" if was_pcomp else "case"
        # The fixed second word and adverbs ("just before X") stay on the preposition; the
        # rest of the phrase (conjuncts, nested phrases) hangs from the new head.
        for child in children[prep_index]:
            if child is not obj and child.dep not in ("fixed", "advmod"):
                child.head = obj.i


def _flip_copulas(tokens: list[Token]) -> None:
    current = _children_of(tokens)  # the tree as the preposition flips left it
    for cop in tokens:
        if cop.lemma != "be":
            continue
        deps = current[cop.i]
        if any(child.dep == "expl" for child in deps):
            continue  # "there is no indication": the copula stays the head
        predicate = next((c for c in deps if c.dep in ("attr", "acomp")), None)
        if predicate is None:
            continue
        predicate.dep = "root" if cop.head == cop.i else cop.dep
        predicate.head = predicate.i if cop.head == cop.i else cop.head
        for child in deps:
            if child is not predicate:
                child.head = predicate.i
                current[predicate.i].append(child)
        cop.head = predicate.i
        cop.dep = "cop"
        current[predicate.i].append(cop)
        current[cop.i] = []

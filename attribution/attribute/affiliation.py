"""Who a source is, from its own words and the data files in resources/affiliation/.

    states.yaml         every state: names, demonyms, seats of government used as metonyms
                        ("Washington", "the Kremlin"), named official and military bodies
    international.yaml  international organisations and their bodies (all other_official)
    organisations.yaml  news outlets, expert bodies (think tanks, NGOs, pollsters), companies
    people.yaml         well-known people of the domain, for when the text gives no affiliation
    roles.yaml          role words: official, military, expert, media, other, former

The text decides first (GUIDELINES section 2: the affiliation the text gives); the people list
is a fall-back. Each answer says how much the words said (`strength`) and which words and which
file decided (`reason`), which the entity, the JSONL and the review app carry.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from attribution import resources
from attribution.document import Token

# How much a phrase's words say about its source, weakest first.
NONE, ROLE, KNOWN, STATED = 0, 1, 2, 3
EVIDENCE = {NONE: "none", ROLE: "role", KNOWN: "known person", STATED: "stated"}
_LONGEST = 8  # tokens in the longest name matched
# Relations by which words describe the head they hang from ("Polish Foreign Minister Zbigniew
# Rau", "a spokesperson for Ukraine's air force"), and the prepositions of an `nmod` that does:
# "ambassador to Russia" names where, not whose; "Sullivan with an assault on Ukraine" neither.
_DESCRIBING = ("compound", "amod", "nmod:poss", "appos", "flat", "nmod", "case", "det", "nummod", "fixed", "advmod", "cc", "conj")
_DESCRIBING_CASES = {"of", "for", "in", "at", "from", "within", "inside", "'s", "’s"}


@dataclass(frozen=True)
class Affiliation:
    label: str  # the speaker label (GUIDELINES section 2)
    reason: str  # the words and the data that decided
    strength: int = NONE  # NONE, ROLE (a role, no state), KNOWN (people.yaml), STATED (a state, body or outlet named)


@dataclass(frozen=True)
class _Entry:
    kind: str  # state, international, media, expert, company, person
    name: str  # the canonical name in its file
    party: str | None = None  # us, ukrainian, russian, other (states and international bodies)
    military: bool = False  # a military body
    label: str | None = None  # people: their label
    ambiguous: bool = False  # people: a surname shared by several well-known people


def normal(text: str) -> str:
    """The form names are looked up in: straight apostrophes, single spaces, no spaces around
    hyphens ("Frank -Walter" as some outlets print it)."""
    text = text.replace("’", "'").replace("‘", "'")
    text = re.sub(r"\s*-\s*", "-", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class Gazetteer:
    names: dict[str, tuple[_Entry, ...]]  # normal(name) -> entries
    roles: dict[str, frozenset[str]]  # kind -> lower-cased words (lemmas)
    role_phrases: dict[str, tuple[tuple[str, ...], ...]]  # kind -> lower-cased word sequences
    people_by_surname: dict[str, tuple[_Entry, ...]]

    def matches(self, text: str, tokens: Sequence[Token]) -> list[tuple[int, int, _Entry]]:
        """(first, last) positions in `tokens` and the entry of every name the tokens hold,
        longest first where names overlap, in text order."""
        found: list[tuple[int, int, _Entry]] = []
        taken: set[int] = set()
        spans = sorted(((i, j) for i in range(len(tokens)) for j in range(i, min(len(tokens), i + _LONGEST))),
                       key=lambda span: (span[0] - span[1], span[0]))
        for i, j in spans:
            if taken.intersection(range(i, j + 1)):
                continue
            entries = self.names.get(normal(text[tokens[i].start : tokens[j].end]))
            if not entries:
                continue
            # "Victoria Nuland" is no seat of government: a place or body that is part of a longer
            # person's name is not an affiliation (the parser's NER calls "Kyiv" alone a person at times).
            if entries[0].kind != "person" and all(t.ent_type == "PERSON" for t in tokens[i : j + 1]) and (
                    (i > 0 and tokens[i - 1].ent_type == "PERSON") or (j + 1 < len(tokens) and tokens[j + 1].ent_type == "PERSON")):
                continue
            found.append((i, j, entries[0]))
            taken.update(range(i, j + 1))
        return sorted(found, key=lambda match: match[0])

    def role_of(self, tokens: Sequence[Token], position: int) -> str | None:
        """The role the token at `position` names: a role phrase ending there, else its lemma."""
        lowered = [t.text.lower() for t in tokens]
        for kind in ("military", "official", "media", "expert", "other"):
            for phrase in self.role_phrases[kind]:
                first = position - len(phrase) + 1
                if first >= 0 and tuple(lowered[first : position + 1]) == phrase:
                    return kind
        token = tokens[position]
        for kind in ("military", "official", "media", "expert", "other"):
            if token.lemma.lower() in self.roles[kind] or lowered[position] in self.roles[kind]:
                return kind
        return None

    def has_role(self, tokens: Sequence[Token], kind: str) -> bool:
        return any(self.role_of(tokens, k) == kind for k in range(len(tokens)))


def _add(names: dict[str, list[_Entry]], name: object, entry: _Entry) -> None:
    key = normal(str(name))
    if key and entry not in names.setdefault(key, []):
        names[key].append(entry)


@cache
def gazetteer() -> Gazetteer:
    names: dict[str, list[_Entry]] = {}
    for state in resources.data("affiliation/states.yaml"):
        official = _Entry("state", state["name"], party=state["party"])
        military = _Entry("state", state["name"], party=state["party"], military=True)
        for key in ("names", "demonyms", "seats", "official_bodies"):
            for name in state.get(key) or []:
                _add(names, name, official)
        for name in state.get("military_bodies") or []:
            _add(names, name, military)
    for body in resources.data("affiliation/international.yaml"):
        for name in body.get("names") or []:
            _add(names, name, _Entry("international", body["name"], party="other"))
    organisations = resources.data("affiliation/organisations.yaml")
    for kind in ("media", "expert", "company"):
        for name in organisations.get(kind) or []:
            _add(names, name, _Entry(kind, str(name)))
    surnames: dict[str, list[_Entry]] = {}
    for person in resources.data("affiliation/people.yaml"):
        entry = _Entry("person", person["name"], label=person["label"], ambiguous=bool(person.get("ambiguous")))
        _add(names, person["name"], entry)
        for variant in person.get("variants") or []:
            if len(str(variant).split()) > 1:
                _add(names, variant, entry)
            surnames.setdefault(normal(str(variant)), []).append(entry)
    roles = resources.data("affiliation/roles.yaml")
    return Gazetteer(
        {k: tuple(v) for k, v in names.items()},
        {kind: frozenset(str(w).lower() for w in (roles[kind].get("words") or [])) for kind in roles},
        {kind: tuple(tuple(str(p).lower().split()) for p in (roles[kind].get("phrases") or [])) for kind in roles},
        {k: tuple(v) for k, v in surnames.items()},
    )


def is_media(text: str, tokens: Sequence[Token]) -> bool:
    """Whether the phrase names a news outlet (organisations.yaml) or a media role ("a reporter")."""
    words = gazetteer()
    return any(entry.kind == "media" for _, _, entry in words.matches(text, tokens)) or words.has_role(tokens[-1:], "media")


def is_place(text: str, tokens: Sequence[Token]) -> bool:
    """Whether the tokens are exactly a state's name, demonym or seat ("Kyiv", "Washington")."""
    entries = gazetteer().names.get(normal(text[tokens[0].start : tokens[-1].end]), ())
    return any(entry.kind in ("state", "international") for entry in entries)


_BY_PARTY = {("us", False): "us_official", ("us", True): "us_official",
             ("ukrainian", False): "ukrainian_official", ("ukrainian", True): "ukrainian_military",
             ("russian", False): "russian_official", ("russian", True): "russian_military",
             ("other", False): "other_official", ("other", True): "other_official"}
_ORGANISATION_LABELS = {"media": "media", "expert": "expert", "company": "other_source"}


def affiliation(text: str, tokens: Sequence[Token], head: Token) -> Affiliation:
    """The label a source phrase's own words give it (`tokens` the phrase, `head` its head word).

    In order: a news outlet, expert body or company that the head names; a role on the head
    that is not an office (an analyst, a journalist, residents); a former office holder; the
    first state or international body the phrase names, with the role (military where any word
    is military); a well-known person; a role with no state; nothing."""
    if head.upos == "PRON":
        return Affiliation("other_source", "a pronoun: its antecedent decides")
    words = gazetteer()
    tokens = describing(tokens, head)
    phrase = text[tokens[0].start : tokens[-1].end]
    position = next((k for k, t in enumerate(tokens) if t.i == head.i), len(tokens) - 1)
    matches = words.matches(text, tokens)
    for first, last, entry in matches:
        if entry.kind in _ORGANISATION_LABELS and first <= position <= last:
            return Affiliation(_ORGANISATION_LABELS[entry.kind], f"'{entry.name}' ({entry.kind}, organisations.yaml)", STATED)
    role, role_word = _role(words, tokens, head, position)
    if role in ("media", "expert", "other"):
        label = "other_source" if role == "other" else role
        return Affiliation(label, f"'{role_word.text}' ({role} role, roles.yaml)", STATED if role != "other" else ROLE)
    before = [t for t in tokens[:position] if t.lemma.lower() in words.roles["former"] or t.text.lower() in words.roles["former"]
              or t.text.lower().startswith(("ex-", "then-"))]
    if before and (role in ("official", "military") or any(e.kind == "person" for _, _, e in matches)):
        return Affiliation("expert", f"'{before[0].text} {tokens[position].text}': out of office (roles.yaml)", STATED)
    military = words.has_role(tokens, "military")
    for first, last, entry in matches:
        if entry.kind in ("state", "international"):
            is_military = entry.military or military
            source = "states.yaml" if entry.kind == "state" else "international.yaml"
            kind = "military" if is_military else "official"
            return Affiliation(_BY_PARTY[(entry.party, is_military)],
                               f"'{text[tokens[first].start : tokens[last].end]}' ({entry.name}, {source}), {kind}", STATED)
    person = _known_person(text, tokens, matches)
    if person is not None:
        return Affiliation(person.label, f"'{person.name}' (people.yaml)", KNOWN)
    for first, last, entry in matches:  # "CNN's Jake Tapper", "a Reuters source"
        if entry.kind in _ORGANISATION_LABELS and any(t.head == head.i and t.dep in ("compound", "nmod:poss") for t in tokens[first : last + 1]):
            return Affiliation(_ORGANISATION_LABELS[entry.kind], f"'{entry.name}' ({entry.kind}, organisations.yaml)", STATED)
    if role in ("official", "military") or military:
        return Affiliation("other_source", f"'{phrase}': {'a military' if military else 'an official'} role but no state", ROLE)
    return Affiliation("other_source", f"'{phrase}': no affiliation stated")


def _role(words: Gazetteer, tokens: Sequence[Token], head: Token, position: int) -> tuple[str | None, Token]:
    """The role the head names, or where it names none (a name: "Dutch airline KLM", "Mykola
    Kuleba of the organization Save Ukraine") the role of the nearest noun describing it."""
    role = words.role_of(tokens, position)
    if role is not None or head.upos != "PROPN":
        return role, head
    by_index = {t.i: k for k, t in enumerate(tokens)}
    frontier = [head.i]
    while frontier:
        found = [t for t in tokens if t.head in frontier and t.i != t.head and t.upos == "NOUN"]
        for token in found:
            role = words.role_of(tokens, by_index[token.i])
            if role is not None:
                return role, token
        frontier = [t.i for t in tokens if t.head in frontier and t.i != t.head]
    return None, head


def describing(tokens: Sequence[Token], head: Token) -> list[Token]:
    """The phrase's tokens that describe its head: reached from it by describing relations (an
    `nmod` only through one of the describing prepositions), in text order."""
    inside = {t.i: t for t in tokens}
    children: dict[int, list[Token]] = {}
    for token in tokens:
        if token.head in inside and token.head != token.i:
            children.setdefault(token.head, []).append(token)
    kept, stack = {head.i}, [head]
    while stack:
        current = stack.pop()
        for child in children.get(current.i, []):
            if child.dep not in _DESCRIBING:
                continue
            if child.dep == "nmod":
                cases = [c.text.lower() for c in children.get(child.i, []) if c.dep == "case"]
                if cases and not set(cases) & _DESCRIBING_CASES:
                    continue
            kept.add(child.i)
            stack.append(child)
    return [t for t in tokens if t.i in kept] or [head]


def _known_person(text: str, tokens: Sequence[Token], matches: list[tuple[int, int, _Entry]]) -> _Entry | None:
    """A person of people.yaml the phrase names: by full name, or by an unambiguous surname."""
    for _, _, entry in matches:
        if entry.kind == "person":
            return entry
    words = gazetteer()
    for token in tokens:
        if token.upos != "PROPN":
            continue
        candidates = words.people_by_surname.get(normal(token.text).removesuffix("'s"), ())
        if len(candidates) == 1 and not candidates[0].ambiguous:
            return candidates[0]
    return None


_INDEFINITE = {"a", "an", "some", "several", "two", "three", "many", "one", "other", "another", "any"}


def is_named(tokens: Sequence[Token], head: Token) -> bool:
    """Named: a person or body identified by name, or a unique office holder (GUIDELINES 6)."""
    if head.upos == "PROPN" or head.ent_type in ("PERSON", "ORG"):
        return True
    if head.upos == "PRON":
        return False
    plural = head.text.lower() != head.lemma.lower() and head.text.lower().endswith("s")
    indefinite = any(t.lower() in _INDEFINITE for t in (x.text for x in tokens if x.dep in ("det", "nummod")))
    # "Ukraine's health minister", "the US Defense Secretary": a unique office of a named body.
    has_owner = any(t.dep in ("nmod:poss", "compound") and t.upos == "PROPN" for t in tokens)
    unique_office = gazetteer().role_of([head], 0) == "official" and head.lemma.lower() not in ("official", "source")
    return has_owner and unique_office and not plural and not indefinite

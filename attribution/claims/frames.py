"""What a sentence claims, as a frame (the `claims` stage): its predicate, the parties and places
it names, its figures, the day it is about, whether it asserts or denies, and who it comes from
(speaker, source entity and origin: the end of its chain). Every sentence of the article's prose
that asserts or reports something gets one; page furniture and questions do not."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date

from attribution.attribute.affiliation import gazetteer, normal
from attribution.claims.dates import article_date, claim_date
from attribution.claims.quantities import Quantity, quantities
from attribution.document import Article, Sentence, Token
from attribution.hedging import hedge_lexicon
from attribution.parse.tree import head_of

_NEGATIONS = {"not", "n't", "never", "no"}
_PLACES = ("GPE", "LOC", "FAC")
_NAMED = ("PERSON", "ORG", "NORP")


@dataclass
class ClaimFrame:
    predicate: str  # the main predicate's lemma
    participants: list[str]  # keys: states and bodies as the affiliation files name them, people by surname
    places: list[str]
    quantities: list[Quantity]
    when: date | None
    stance: str  # asserts | denies
    speaker: str
    source: str | None  # the speaker entity's name
    origin: str  # where the claim starts: a source ("zelensky"), an outlet's anonymous source ("cnn > us_official"), or the article
    relays: list[str] = field(default_factory=list)  # the outlets it came through

    def to_json(self) -> dict:
        return {"predicate": self.predicate, "participants": self.participants, "places": self.places,
                "quantities": [q.to_json() for q in self.quantities], "when": self.when.isoformat() if self.when else None,
                "stance": self.stance, "speaker": self.speaker, "source": self.source, "origin": self.origin, "relays": self.relays}

    @classmethod
    def from_json(cls, data: dict) -> ClaimFrame:
        return cls(data["predicate"], data["participants"], data["places"], [Quantity.from_json(q) for q in data["quantities"]],
                   date.fromisoformat(data["when"]) if data["when"] else None, data["stance"], data["speaker"], data["source"],
                   data["origin"], data.get("relays", []))


def frame_claims(article: Article) -> None:
    """Give every claim-bearing sentence its frame (`Sentence.claim`)."""
    published = article_date(article.text, article.meta, article.id)
    by_id = {a.id: a for a in article.attributions}
    entities = {e.id: e for e in article.entities}
    people = _people(article)
    for sentence in article.sentences:
        if sentence.boilerplate or sentence.speaker is None or article.text[sentence.start : sentence.end].rstrip().endswith("?"):
            continue
        sentence.claim = _frame(article, sentence, by_id, entities, people, published)


def _frame(article: Article, sentence: Sentence, by_id: dict, entities: dict, people: set[str], published: date | None) -> ClaimFrame:
    tokens = article.sentence_tokens(sentence)
    main = by_id.get(sentence.attribution or "")
    inside = [t for t in tokens if main is not None and any(c.start <= t.start < c.end for c in main.content)] or tokens
    predicate = head_of(inside)
    negated = any(t.head == predicate.i and t.lemma.lower() in _NEGATIONS for t in tokens)
    denial = main is not None and main.cue_lemma in hedge_lexicon().denial_verbs
    entity = entities.get(sentence.speaker_entity or "")
    relays = []
    current = by_id.get(main.via or "") if main is not None else None
    while current is not None and len(relays) < 8:
        relays.append(_key(article.span_text(current.source) or "an outlet"))
        current = by_id.get(current.via or "")
    if sentence.speaker.label == "unattributed" or entity is None:
        origin = f"article:{article.id}" if sentence.speaker.label == "unattributed" else _key(sentence.speaker_source or sentence.speaker.label)
    elif entity.named:  # a person by surname ("Zelensky", "Volodymyr Zelensky"), a body by its name
        origin = _key(_surname(entity.name) if entity.id in people else entity.name)
    else:  # an anonymous source is its outlet's: two articles relaying CNN's official relay one source
        origin = f"{relays[-1]} > {sentence.speaker.label}" if relays else f"article:{article.id} > {entity.name.lower()}"
    participants = _participants(article, inside)
    return ClaimFrame(
        predicate=predicate.lemma.lower(),
        participants=participants,
        places=sorted({_key(t.text) for t in inside if t.ent_type in _PLACES and t.upos == "PROPN"} - set(participants)),
        quantities=quantities(inside, article.text),
        when=claim_date(article.text[sentence.start : sentence.end], published),
        stance="denies" if negated != denial else "asserts",
        speaker=sentence.speaker.label,
        source=entity.name if entity is not None else sentence.speaker_source,
        origin=origin,
        relays=relays,
    )


def _participants(article: Article, tokens: list[Token]) -> list[str]:
    """The states, bodies and people the tokens name, as keys every article writes alike: a
    state or body by the name its file gives, a person by surname ("putin" for "Mr Putin" and
    "Vladimir Putin")."""
    found, covered = set(), set()
    for first, last, entry in gazetteer().matches(article.text, tokens):
        if entry.kind in ("state", "international", "person"):
            found.add(_key(_surname(entry.name) if entry.kind == "person" else entry.name))
            covered.update(tokens[k].i for k in range(first, last + 1))
    for token in tokens:
        if token.ent_type in _NAMED and token.upos == "PROPN" and token.i not in covered:
            found.add(_key(token.text))
    return sorted(found)


def _people(article: Article) -> set[str]:
    """The entities the parser calls persons somewhere in their mentions."""
    starts = [t.start for t in article.tokens]
    return {e.id for e in article.entities
            if any(t.ent_type == "PERSON" for m in e.mentions for t in article.tokens[bisect_left(starts, m.start) : bisect_left(starts, m.end)])}


def _surname(name: str) -> str:
    words = [w for w in name.replace("'s", "").split() if w[:1].isupper()]
    return words[-1] if words else name


def _key(text: str) -> str:
    return " ".join(normal(text).lower().split())

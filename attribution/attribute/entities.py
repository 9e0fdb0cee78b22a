"""Source entities: link every source mention to one entity across the article.

"A Ukrainian commander" ... "The commander explained" ... "He also stated" are one entity;
"the first US official" and "the second US official" are two. Links are made in text order:
a pronoun takes the nearest compatible entity before it, a definite description ("the
commander") the nearest entity with the same head word, a name the entity with the same
surname ("Zelensky" ~ "Volodymyr Zelenskyy").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from attribution.attribute.affiliation import is_named, speaker_label
from attribution.document import Article, Attribution, Entity, Span, Token

_PRONOUNS_PLURAL = {"they", "them", "we"}
_PRONOUNS_THING = {"it"}
_DEFINITE = {"the", "this", "that", "these", "those"}
_ORDINALS = {"first", "second", "third", "fourth", "another", "other", "latter", "former"}
# Head words that refer to the same kind of source ("the first source" = "the first US official").
_SAME_KIND = {"source": "official", "person": "official", "officer": "official"}


@dataclass
class _Cluster:
    entity: Entity
    heads: set[str] = field(default_factory=set)
    surnames: set[str] = field(default_factory=set)
    ordinal: str | None = None
    plural: bool = False
    person: bool = True  # can be "he"/"she": not an outlet, organisation or place
    labels: list[tuple[str, bool]] = field(default_factory=list)  # (label, from a pronoun)


def link_entities(article: Article, attributions: list[Attribution]) -> list[Entity]:
    clusters: list[_Cluster] = []
    ordered = sorted((a for a in attributions if a.source is not None and a.source_head is not None), key=lambda a: a.source.start)
    for attribution in ordered:
        tokens = [t for t in article.tokens if attribution.source.start <= t.start and t.end <= attribution.source.end]
        head = article.tokens[attribution.source_head]
        if not tokens:
            tokens = [head]
        cluster = _find_cluster(clusters, tokens, head, attribution.source.start)
        if cluster is None:
            cluster = _Cluster(Entity(id=f"E{len(clusters) + 1}", name=article.text[attribution.source.start : attribution.source.end], mentions=[]))
            clusters.append(cluster)
        _add_mention(cluster, article, attribution.source, tokens, head)
        attribution.entity = cluster.entity.id
    for cluster in clusters:
        own = [label for label, from_pronoun in cluster.labels if not from_pronoun]
        specific = [label for label in own if label != "other_source"]
        cluster.entity.label = (specific or own or ["other_source"])[0]
    by_id = {c.entity.id: c.entity for c in clusters}
    for attribution in attributions:
        if attribution.entity:
            entity = by_id[attribution.entity]
            attribution.speaker = entity.label
            attribution.named = entity.named
    return [c.entity for c in clusters]


def _surname(tokens: list[Token]) -> str | None:
    names = [t for t in tokens if t.upos == "PROPN" and t.ent_type == "PERSON"]
    return _normal_name(names[-1].text) if names else None


def _normal_name(name: str) -> str:
    # Transliterations vary in their last letters: Zelensky / Zelenskyy / Zelenskiy.
    name = name.lower().rstrip("'’s")
    for ending in ("yy", "iy", "yi", "ii", "y", "i"):
        if name.endswith(ending) and len(name) > 5:
            return name[: -len(ending)]
    return name


def _ordinal(tokens: list[Token]) -> str | None:
    return next((t.lemma.lower() for t in tokens if t.lemma.lower() in _ORDINALS), None)


def _find_cluster(clusters: list[_Cluster], tokens: list[Token], head: Token, start: int) -> _Cluster | None:
    lower = head.text.lower()
    if head.upos == "PRON":
        for cluster in reversed(clusters):
            if lower in _PRONOUNS_THING:
                if not cluster.person:
                    return cluster
            elif lower in _PRONOUNS_PLURAL:
                if cluster.plural or not cluster.person:
                    return cluster
            elif cluster.person and not cluster.plural:
                return cluster
        return None
    surname = _surname(tokens)
    if surname:
        return next((c for c in reversed(clusters) if surname in c.surnames), None)
    text_key = " ".join(t.text.lower() for t in tokens if t.lemma.lower() not in _DEFINITE)
    for cluster in reversed(clusters):
        if text_key in cluster.heads:
            return cluster
    determiners = {t.lemma.lower() for t in tokens if t.dep.startswith("det") and t.head == head.i}
    if head.upos == "NOUN" and determiners & _DEFINITE:
        kind = _SAME_KIND.get(head.lemma.lower(), head.lemma.lower())
        ordinal = _ordinal(tokens)
        for cluster in reversed(clusters):
            if f"head:{kind}" in cluster.heads and cluster.ordinal == ordinal:
                return cluster
        if ordinal is None:
            return next((c for c in reversed(clusters) if f"head:{kind}" in c.heads), None)
    return None


def _add_mention(cluster: _Cluster, article: Article, span: Span, tokens: list[Token], head: Token) -> None:
    entity = cluster.entity
    entity.mentions.append(Span(span.start, span.end))
    is_pronoun = head.upos == "PRON"
    if not is_pronoun:
        label, _ = speaker_label(tokens, head)
        cluster.labels.append((label, False))
        cluster.heads.add(" ".join(t.text.lower() for t in tokens if t.lemma.lower() not in _DEFINITE))
        cluster.heads.add(f"head:{_SAME_KIND.get(head.lemma.lower(), head.lemma.lower())}")
        cluster.ordinal = cluster.ordinal or _ordinal(tokens)
        cluster.plural = cluster.plural or (head.upos == "NOUN" and head.text.lower() != head.lemma.lower())
        cluster.person = cluster.person and label != "media" and head.ent_type not in ("ORG", "GPE", "NORP", "FAC") and not (
            head.upos == "PROPN" and head.ent_type != "PERSON" and label != "other_source")
        surname = _surname(tokens)
        if surname:
            cluster.surnames.add(surname)
        named = is_named(tokens, head)
        # The entity's name is its most informative mention: the longest named one, else the first.
        candidate = article.text[span.start : span.end]
        if named and (not entity.named or len(candidate) > len(entity.name)):
            entity.name = candidate
        entity.named = entity.named or named
    else:
        cluster.labels.append(("other_source", True))

"""Source entities: every mention of a source linked to one entity across the article.

Mentions are the attributions' sources and the people the text names elsewhere ("The head of
French diplomacy, Catherine Colonna, arrived in Kyiv. She said ..."). Links are made in text
order: a pronoun takes the person the text last spoke of (a subject first) within the three
sentences before it, a definite description ("the commander", "the ministry") the nearest
entity with the same head word, a name the entity with the same surname ("Zelensky" ~
"Volodymyr Zelenskyy"); "the first US official" and "the second US official" stay two. An
entity's label is the strongest affiliation any of its mentions states (`affiliation.py`), and
its reason says which words decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from attribution.attribute.affiliation import EVIDENCE, NONE, Affiliation, affiliation, gazetteer, is_named, is_place
from attribution.document import Article, Attribution, Entity, Span, Token
from attribution.parse.tree import ParseIndex

_PRONOUNS_PLURAL = {"they", "them", "their", "we", "us", "our"}
_PRONOUNS_THING = {"it", "its"}
_PRONOUNS_FEMALE = {"she", "her", "hers"}
_PRONOUNS_MALE = {"he", "him", "his"}
_TITLES = {"mr": "m", "mr.": "m", "ms": "f", "ms.": "f", "mrs": "f", "mrs.": "f", "madam": "f", "sir": "m"}
_DEFINITE = {"the", "this", "that", "these", "those"}
_ORDINALS = {"first", "second", "third", "fourth", "another", "other", "latter", "former"}
# Head words that refer to the same kind of source ("the first source" = "the first US official").
_SAME_KIND = {"source": "official", "person": "official", "officer": "official"}
# Heads too general to link a definite description by ("the head of the EC" is not "the head of
# the Russian Ministry"): those link by their whole words only.
_GENERAL_HEADS = {"head", "chief", "leader", "member", "representative", "side", "part", "one", "group"}
_PRONOUN_REACH = 3  # sentences back that a pronoun's antecedent is looked for first
_PRONOUN_FAR = 12  # ... and at most, for the last source before a long quoted account
# Relations that end a named person's phrase: clauses about them are not their description.
_PHRASE_CUT = ("acl:relcl", "acl", "punct", "parataxis", "conj", "cc", "advcl", "ccomp", "xcomp", "dep")


@dataclass
class _Mention:
    span: Span
    tokens: list[Token]
    head: Token
    sentence: int
    attribution: Attribution | None = None  # the attribution whose source this is; None: a person named elsewhere
    reported: bool = False  # inside what someone is reported to say


@dataclass
class _Cluster:
    mentions: list[_Mention] = field(default_factory=list)
    heads: set[str] = field(default_factory=set)
    surnames: set[str] = field(default_factory=set)
    ordinal: str | None = None
    plural: bool = False
    person: bool = True  # can be "he"/"she": not an outlet, organisation or place
    gender: str | None = None  # "f" or "m" once a title or pronoun says
    best: Affiliation = field(default_factory=lambda: Affiliation("other_source", "no affiliation stated"))
    named: bool = False
    name: str = ""


def link_entities(article: Article, index: ParseIndex, attributions: list[Attribution]) -> list[Entity]:
    mentions = _source_mentions(article, index, attributions)
    taken = [m.span for m in mentions]
    mentions += [m for m in _person_mentions(article, index) if not any(m.span.start < s.end and s.start < m.span.end for s in taken)]
    mentions.sort(key=lambda m: (m.span.start, m.attribution is None))
    reported = [(span.start, span.end) for a in attributions for span in a.content]
    for mention in mentions:
        mention.reported = any(start <= mention.span.start < end for start, end in reported)
    clusters: list[_Cluster] = []
    history: list[tuple[_Mention, _Cluster]] = []
    for mention in mentions:
        cluster = _find_cluster(clusters, history, mention, index)
        if cluster is None:
            cluster = _Cluster()
            clusters.append(cluster)
        _add_mention(cluster, article, mention)
        history.append((mention, cluster))
    sources = [c for c in clusters if any(m.attribution is not None for m in c.mentions)]
    sources.sort(key=lambda c: min(m.span.start for m in c.mentions if m.attribution is not None))
    entities = []
    for number, cluster in enumerate(sources, 1):
        entity = Entity(id=f"E{number}", name=cluster.name, mentions=[m.span for m in cluster.mentions],
                        label=cluster.best.label, named=cluster.named, reason=cluster.best.reason,
                        evidence=EVIDENCE[cluster.best.strength])
        entities.append(entity)
        for mention in cluster.mentions:
            if mention.attribution is not None:
                mention.attribution.entity = entity.id
                mention.attribution.speaker = entity.label
                mention.attribution.named = entity.named
    return entities


def _source_mentions(article: Article, index: ParseIndex, attributions: list[Attribution]) -> list[_Mention]:
    found = []
    for attribution in attributions:
        if attribution.source is None or attribution.source_head is None:
            continue
        span = attribution.source
        tokens = [t for t in article.tokens if t.start < span.end and span.start < t.end]
        head = article.tokens[attribution.source_head]
        found.append(_Mention(Span(span.start, span.end), tokens or [head], head, index.sentence_of[head.i], attribution))
    return found


def _person_mentions(article: Article, index: ParseIndex) -> list[_Mention]:
    """The people the text names outside quotes, each with the phrase that describes them:
    its title and apposition ("The head of French diplomacy, Catherine Colonna")."""
    found: list[_Mention] = []
    tokens = article.tokens
    k = 0
    while k < len(tokens):
        if tokens[k].ent_type != "PERSON" or tokens[k].upos != "PROPN" or index.quote_of[k] >= 0:
            k += 1
            continue
        last = k
        while last + 1 < len(tokens) and tokens[last + 1].ent_type == "PERSON" and index.sentence_of[last + 1] == index.sentence_of[k]:
            last += 1
        run = tokens[k : last + 1]
        if is_place(article.text, run):  # the parser's NER takes a capital for a person at times
            k = last + 1
            continue
        inside = {t.i for t in run}
        head = next((t for t in run if t.head not in inside or t.is_root), run[-1])
        described = index.head_of(head) if head.dep == "appos" else None
        top = described if described is not None else head
        phrase = index.subtree(top, skip_deps=_PHRASE_CUT)
        found.append(_Mention(Span(run[0].start, run[-1].end), phrase, top, index.sentence_of[head.i]))
        k = last + 1
    return found


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


def _text_key(tokens: list[Token]) -> str:
    return " ".join(t.text.lower() for t in tokens if t.lemma.lower() not in _DEFINITE)


def _kind(token: Token) -> str:
    return _SAME_KIND.get(token.lemma.lower(), token.lemma.lower())


def _find_cluster(clusters: list[_Cluster], history: list[tuple[_Mention, _Cluster]], mention: _Mention,
                  index: ParseIndex) -> _Cluster | None:
    head, tokens = mention.head, mention.tokens
    if head.upos == "PRON":
        return _antecedent(history, mention, index) if mention.attribution is not None else None
    surname = _surname(tokens)
    if surname:
        return next((c for c in reversed(clusters) if surname in c.surnames), None)
    if mention.attribution is None:
        return None
    text_key = _text_key(tokens)
    for cluster in reversed(clusters):
        if text_key in cluster.heads:
            return cluster
    determiners = {t.lemma.lower() for t in tokens if t.dep.startswith("det") and t.head == head.i}
    if head.upos == "NOUN" and determiners & _DEFINITE and head.lemma.lower() not in _GENERAL_HEADS:
        kind, ordinal = _kind(head), _ordinal(tokens)
        for cluster in reversed(clusters):
            if f"head:{kind}" in cluster.heads and cluster.ordinal == ordinal:
                return cluster
        if ordinal is None:
            return next((c for c in reversed(clusters) if f"head:{kind}" in c.heads), None)
    return None


def _antecedent(history: list[tuple[_Mention, _Cluster]], mention: _Mention, index: ParseIndex) -> _Cluster | None:
    """The cluster a source pronoun refers to, the latest compatible one of: a speaker or a
    clause's subject (not inside someone's reported words) in its sentence or the one before;
    a speaker in the three sentences before; such a subject there; a speaker further back. A
    person named only as an object ("met with Putin") is not taken."""
    lower = mention.head.text.lower()

    def compatible(cluster: _Cluster) -> bool:
        if lower in _PRONOUNS_THING:
            return not cluster.person
        if lower in _PRONOUNS_PLURAL:
            return cluster.plural or not cluster.person
        gender = "f" if lower in _PRONOUNS_FEMALE else "m" if lower in _PRONOUNS_MALE else None
        return cluster.person and not cluster.plural and (gender is None or cluster.gender in (None, gender))

    def within(earlier: _Mention, sentences: int) -> bool:
        return mention.sentence - sentences <= earlier.sentence <= mention.sentence

    def salient(m: _Mention) -> bool:
        return m.attribution is not None or (m.head.dep.startswith("nsubj") and not m.reported)

    passes = (
        lambda m: within(m, 1) and salient(m),
        lambda m: within(m, _PRONOUN_REACH) and m.attribution is not None,
        lambda m: within(m, _PRONOUN_REACH) and salient(m),
        lambda m: within(m, _PRONOUN_FAR) and m.attribution is not None,
    )
    for allowed in passes:
        for earlier, cluster in reversed(history):
            if allowed(earlier) and compatible(cluster):
                return cluster
    return None


def _title_words() -> frozenset[str]:
    roles = gazetteer().roles
    return roles["official"] | roles["military"]


def _add_mention(cluster: _Cluster, article: Article, mention: _Mention) -> None:
    cluster.mentions.append(mention)
    head, tokens = mention.head, mention.tokens
    lower = head.text.lower()
    if head.upos == "PRON":
        gender = "f" if lower in _PRONOUNS_FEMALE else "m" if lower in _PRONOUNS_MALE else None
        cluster.gender = cluster.gender or gender
        cluster.name = cluster.name or article.text[mention.span.start : mention.span.end]
        return
    found = affiliation(article.text, tokens, head)
    if found.strength > cluster.best.strength or (cluster.best.strength == NONE and not cluster.mentions[:-1]):
        cluster.best = found
    cluster.heads.add(_text_key(tokens))
    cluster.heads.add(f"head:{_kind(head)}")
    # Titles and appositions name it too: "President of Belarus Alexander Lukashenko" is "the president".
    cluster.heads.update(f"head:{_kind(t)}" for t in tokens
                         if t.i != head.i and t.upos in ("NOUN", "PROPN") and t.dep in ("appos", "compound", "nmod") and t.ent_type != "PERSON"
                         and t.text[:1].isalpha() and t.lemma.lower() in _title_words())
    cluster.ordinal = cluster.ordinal or _ordinal(tokens)
    cluster.plural = cluster.plural or (head.upos == "NOUN" and head.text.lower() != head.lemma.lower())
    organisation = found.label == "media" or head.ent_type in ("ORG", "GPE", "NORP", "FAC") or (
        head.upos == "PROPN" and head.ent_type != "PERSON" and found.strength > NONE)
    cluster.person = cluster.person and not organisation
    title = next((_TITLES[t.text.lower()] for t in tokens if t.text.lower() in _TITLES), None)
    cluster.gender = cluster.gender or title
    surname = _surname(tokens)
    if surname:
        cluster.surnames.add(surname)
    named = is_named(tokens, head)
    # The entity's name is its most informative mention: the longest named one, else the first.
    candidate = article.text[tokens[0].start : tokens[-1].end] if mention.attribution is None else article.text[mention.span.start : mention.span.end]
    if not cluster.name or (named and (not cluster.named or len(candidate) > len(cluster.name))):
        cluster.name = candidate
    cluster.named = cluster.named or named

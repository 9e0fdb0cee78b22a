"""The attribution stage: the learned span model (or, without one, the rules) proposes spans,
sources are linked into entities, and chains are rebuilt."""

from __future__ import annotations

from attribution.attribute.chains import recipient_relays
from attribution.attribute.entities import link_entities
from attribution.attribute.learned import SpanModel
from attribution.attribute.quotes import find_quotes
from attribution.attribute.rules import Proposal, propose, to_spans
from attribution.document import Article, Attribution, Token

_MIN_QUOTE_WORDS = 3
# Rules whose source the model's replaces where both found a cue: plain reporting verbs, and
# speech verbs beside a quote (+0.3 attribution F1 on PolNeAR dev); the special constructions
# keep the rules' source.
_TAKES_MODEL_SOURCE = ("verb", "verb_quote")
# Rules whose cues stand only where the model found them too: reporting verbs, plain, beside a
# quote, parenthetical or of evidence (+0.7 attribution F1 on dev over plain verbs alone).
_MODEL_DECIDES = ("verb", "verb_quote", "verb_parenthetical", "verb_evidence")


def attribute(article: Article, spans: SpanModel | None = None, rules: bool = True) -> None:
    """Find the article's attributions. With a span model: the rules' reporting verbs where the
    model found the same cue (with the model's content, except a parenthetical's, and for plain
    and quote verbs its source), the rules' special constructions ("according to", "As X
    reported", "― Name", relays, cue nouns) wherever they fire, and the model's attributions on
    the cues no rule took. The rules keep the seed articles' conventions; the model adds what
    they miss and PolNeAR's content boundaries. With `rules=False`, the span model's alone."""
    proposals = _dedupe(_join_quotes(article, propose(article))) if rules or spans is None else []
    if spans is not None:
        learned = spans.propose(article)
        for proposal in proposals:  # PolNeAR's content boundaries for the rules' cues too
            cue = {t.i for t in proposal.cue}
            twin = next((other for other in learned if cue & {t.i for t in other.cue}), None)
            if twin is not None and proposal.kind != "relay":
                # A parenthetical's content is the clause it interrupts, which the parse gives whole.
                if proposal.rule != "verb_parenthetical":
                    proposal.content = twin.content
                if proposal.rule in _TAKES_MODEL_SOURCE and twin.source:
                    proposal.source, proposal.source_head = twin.source, twin.source_head
        # Whether a reporting verb is a cue is the model's call (it learned PolNeAR's sense of
        # attribution); the constructions it rarely saw stay with the rules, and so does the verb
        # a relay hangs from ("The Gaze reports on this with reference to CNN").
        found = {t.i for q in learned for t in q.cue}
        relayed = {id(p.relay_of) for p in proposals if p.relay_of is not None}
        proposals = [p for p in proposals if p.rule not in _MODEL_DECIDES or id(p) in relayed or found & {t.i for t in p.cue}]
        taken = {t.i for p in proposals for t in p.cue}
        proposals += [p for p in learned if not taken & {t.i for t in p.cue}]
    proposals += recipient_relays(article, proposals)
    ids: dict[int, str] = {}
    attributions: list[Attribution] = []
    for proposal in sorted(proposals, key=lambda p: p.cue[0].i):
        cue, content, source = to_spans(article, proposal)
        if not content:
            continue
        sentence = article.sentence_at(cue.start)
        attribution = Attribution(
            id=f"A{len(attributions) + 1}", cue=cue, content=content, source=source, kind=proposal.kind,
            sentence=sentence.id if sentence else 0, rule=proposal.rule, cue_lemma=proposal.lemma,
            source_head=proposal.source_head.i if proposal.source_head is not None and source is not None else None,
            cue_head=_cue_head(proposal.cue).i,
        )
        ids[id(proposal)] = attribution.id
        attributions.append(attribution)
    by_id = {a.id: a for a in attributions}
    for proposal in proposals:
        if id(proposal) in ids and proposal.relay_of is not None and id(proposal.relay_of) in ids:
            by_id[ids[id(proposal)]].via = ids[id(proposal.relay_of)]
    article.entities = link_entities(article, attributions)
    _scope_relay_statements(proposals, ids, by_id)
    article.attributions = attributions


def _cue_head(cue: list[Token]) -> Token:
    """The word of a cue that the rest hangs from ("said" in "has said")."""
    inside = {t.i for t in cue}
    return next((t for t in cue if t.head not in inside or t.is_root), cue[0])


def _dedupe(proposals: list[Proposal]) -> list[Proposal]:
    """One attribution per cue: the first rule that claimed a cue token keeps it."""
    seen: set[int] = set()
    kept = []
    for proposal in proposals:
        cue_ids = {t.i for t in proposal.cue}
        if cue_ids & seen or not proposal.content:
            continue
        seen |= cue_ids
        kept.append(proposal)
    return kept


def _join_quotes(article: Article, proposals: list[Proposal]) -> list[Proposal]:
    """Mark direct and mixed quotes, extend contents over whole quotes, and give quotes that no
    rule reached to a speech verb without content next to them."""
    orphans = [p for p in proposals if not p.content and p.rule == "verb_quote"]
    with_content = [p for p in proposals if p.content]
    last_owner: Proposal | None = None
    for quote in find_quotes(article.text):
        span = quote.span
        inside = [t for t in article.tokens if span.start <= t.start and t.end <= span.end]
        if len(inside) < _MIN_QUOTE_WORDS:
            continue
        owners = [p for p in with_content if any(span.start <= t.start < span.end for t in p.content)]
        if owners:
            for owner in owners:
                outside = [t for t in owner.content if not span.start <= t.start < span.end and t.upos != "PUNCT"]
                owner.kind = "mixed" if outside else "direct"
                if _sentence_of(article, inside[-1]) != _sentence_of(article, inside[0]) or not outside:
                    owner.content = _merge(owner.content, inside)
            last_owner = owners[0] if quote.continued else None
            continue
        if last_owner is not None:  # the quote continues from the previous paragraph
            last_owner.content = _merge(last_owner.content, inside)
            last_owner = last_owner if quote.continued else None
            continue
        orphan = _nearest_orphan(article, orphans, inside)
        if orphan is not None:
            orphan.content = inside
            orphans.remove(orphan)
            with_content.append(orphan)
            last_owner = orphan if quote.continued else None
    return [p for p in proposals if p.content]


def _sentence_of(article: Article, token: Token) -> int:
    sentence = article.sentence_at(token.start)
    return sentence.id if sentence else -1


def _nearest_orphan(article: Article, orphans: list[Proposal], inside: list[Token]) -> Proposal | None:
    """A speech verb in the quote's last sentence or the one after, or the one before when it
    ends in a colon ("He said: ...")."""
    first_sentence, last_sentence = _sentence_of(article, inside[0]), _sentence_of(article, inside[-1])
    best, best_distance = None, None
    for orphan in orphans:
        where = _sentence_of(article, orphan.cue[0])
        if first_sentence <= where <= last_sentence or where == last_sentence + 1:
            distance = min(abs(orphan.cue[0].i - inside[0].i), abs(orphan.cue[0].i - inside[-1].i))
        elif where == first_sentence - 1 and article.text[: inside[0].start].rstrip(" “\"‘«\n").endswith(":"):
            distance = inside[0].i - orphan.cue[0].i
        else:
            continue
        if best_distance is None or distance < best_distance:
            best, best_distance = orphan, distance
    return best


def _merge(tokens: list[Token], more: list[Token]) -> list[Token]:
    unique = {t.i: t for t in tokens + more}
    return [unique[i] for i in sorted(unique)]


def _scope_relay_statements(proposals: list[Proposal], ids: dict[int, str], by_id: dict[str, Attribution]) -> None:
    """ "The Gaze reports on this with reference to CNN": the article relays CNN, which The Gaze
    cites; every other attribution goes via CNN's relay, and CNN's own reports via The Gaze."""
    for relay in proposals:
        if relay.rule != "relay_phrase" or not relay.anaphoric or relay.relay_of is None or id(relay) not in ids:
            continue
        inner = by_id[ids[id(relay)]]
        outer = by_id.get(ids.get(id(relay.relay_of), ""))
        if outer is None:
            continue
        for attribution in by_id.values():
            if attribution is inner or attribution is outer or attribution.entity == outer.entity:
                continue
            if attribution.entity is not None and attribution.entity == inner.entity:
                attribution.via = attribution.via or outer.id
            elif attribution.via is None:
                attribution.via = inner.id
            elif by_id[attribution.via].kind == "relay" and by_id[attribution.via].via is None:
                relay_attribution = by_id[attribution.via]
                if relay_attribution.entity == inner.entity:
                    relay_attribution.via = outer.id
                elif relay_attribution is not inner:
                    relay_attribution.via = inner.id

"""Nested attribution chains (`via`): The Gaze -> CNN -> a US official.

Two signals make a link:
- a relay statement: "The Gaze reports on this with reference to CNN" makes CNN's report the
  channel of every other attribution in the article (and The Gaze the channel of CNN's);
- an outlet that was told: "a US official who spoke to CNN", "a commander informed CNN that":
  a `relay` attribution is added for the outlet, and the official's attribution goes via it.
"""

from __future__ import annotations

from attribution.attribute.affiliation import is_media
from attribution.attribute.rules import Proposal, cue_lexicon
from attribution.document import Attribution, Token
from attribution.parse.tree import ParseIndex, SentenceTree


def _is_outlet(tree: SentenceTree, tokens: list[Token]) -> bool:
    return bool(tokens) and tokens[-1].upos in ("PROPN", "NOUN") and is_media(tree.article.text, tokens)


def recipient_relays(index: ParseIndex, proposals: list[Proposal]) -> list[Proposal]:
    """Relay proposals for outlets that a source spoke to or told."""
    words = cue_lexicon()
    relays: list[Proposal] = []
    for proposal in proposals:
        if proposal.kind == "relay" or not proposal.cue or not proposal.content:
            continue
        tree = index.sentence(index.article.sentences[index.sentence_of[proposal.cue[0].i]])
        found = _told_outlet(tree, proposal, words.verbs) or _spoke_to_outlet(tree, proposal, words.spoke_to)
        if found:
            cue, outlet = found
            relays.append(
                Proposal(cue, proposal.content, outlet, tree.subtree(outlet, skip_deps=("acl:relcl", "punct", "case")),
                         "relay", "relay_recipient", cue[0].lemma.lower(), relay_of=None)
            )
            proposal.relay_of = relays[-1]  # the inner attribution goes via the outlet's relay
    return relays


def _told_outlet(tree: SentenceTree, proposal: Proposal, verbs: dict[str, dict]) -> tuple[list[Token], Token] | None:
    verb = next((t for t in proposal.cue if t.upos in ("VERB", "AUX")), None)
    if verb is None or not verbs.get(verb.lemma.lower(), {}).get("recipient"):
        return None
    for candidate in tree.kids(verb, "obj", "iobj", "obl"):
        if _is_outlet(tree, tree.subtree(candidate, skip_deps=("acl:relcl", "punct", "case"))):
            return [verb], candidate
    return None


def _spoke_to_outlet(tree: SentenceTree, proposal: Proposal, spoke_to: frozenset[str]) -> tuple[list[Token], Token] | None:
    if proposal.source_head is None:
        return None
    for clause in tree.kids(proposal.source_head, "acl:relcl", "acl"):
        if clause.lemma.lower() not in spoke_to:
            continue
        for candidate in tree.kids(clause, "obl", "obj", "iobj"):
            if _is_outlet(tree, tree.subtree(candidate, skip_deps=("acl:relcl", "punct", "case"))):
                return [clause], candidate
    return None


def link_chains(proposals: list[Proposal], ids: dict[int, str], attributions: list[Attribution]) -> None:
    """Set `via` on every attribution reported through another: its proposal's relay, and the
    scope of relay statements. `ids` maps each proposal (by identity) to its attribution's id."""
    by_id = {a.id: a for a in attributions}
    for proposal in proposals:
        if id(proposal) in ids and proposal.relay_of is not None and id(proposal.relay_of) in ids:
            by_id[ids[id(proposal)]].via = ids[id(proposal.relay_of)]
    _scope_relay_statements(proposals, ids, by_id)


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

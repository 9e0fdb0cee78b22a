"""Nested attribution chains (`via`): The Gaze -> CNN -> a US official.

Two signals make a link:
- a relay statement: "The Gaze reports on this with reference to CNN" makes CNN's report the
  channel of every other attribution in the article (and The Gaze the channel of CNN's);
- an outlet that was told: "a US official who spoke to CNN", "a commander informed CNN that":
  a `relay` attribution is added for the outlet, and the official's attribution goes via it.
"""

from __future__ import annotations

from attribution.attribute.rules import Proposal, cue_lexicon
from attribution.attribute.speakers import lexicon
from attribution.attribute.tree import Tree
from attribution.document import Article, Token


def is_media(tokens: list[Token]) -> bool:
    return bool(tokens) and tokens[-1].upos in ("PROPN", "NOUN") and lexicon().media.first_match(tokens) is not None


def recipient_relays(article: Article, proposals: list[Proposal]) -> list[Proposal]:
    """Relay proposals for outlets that a source spoke to or told."""
    words = cue_lexicon()
    relays: list[Proposal] = []
    trees: dict[int, Tree] = {}
    for proposal in proposals:
        if proposal.kind == "relay" or not proposal.cue or not proposal.content:
            continue
        sentence = article.sentence_at(proposal.cue[0].start)
        if sentence is None:
            continue
        tree = trees.setdefault(sentence.id, Tree(article, sentence))
        found = _told_outlet(tree, proposal, words.verbs) or _spoke_to_outlet(tree, proposal, words.spoke_to)
        if found:
            cue, outlet = found
            relays.append(
                Proposal(cue, proposal.content, outlet, tree.subtree(outlet, skip_deps=("acl:relcl", "punct", "case")),
                         "relay", "relay_recipient", cue[0].lemma.lower(), relay_of=None)
            )
            proposal.relay_of = relays[-1]  # the inner attribution goes via the outlet's relay
    return relays


def _told_outlet(tree: Tree, proposal: Proposal, verbs: dict[str, dict]) -> tuple[list[Token], Token] | None:
    verb = next((t for t in proposal.cue if t.upos in ("VERB", "AUX")), None)
    if verb is None or not verbs.get(verb.lemma.lower(), {}).get("recipient"):
        return None
    for candidate in tree.kids(verb, "obj", "iobj", "obl"):
        if is_media(tree.subtree(candidate, skip_deps=("acl:relcl", "punct", "case"))):
            return [verb], candidate
    return None


def _spoke_to_outlet(tree: Tree, proposal: Proposal, spoke_to: frozenset[str]) -> tuple[list[Token], Token] | None:
    if proposal.source_head is None:
        return None
    for clause in tree.kids(proposal.source_head, "acl:relcl", "acl"):
        if clause.lemma.lower() not in spoke_to:
            continue
        for candidate in tree.kids(clause, "obl", "obj", "iobj"):
            if is_media(tree.subtree(candidate, skip_deps=("acl:relcl", "punct", "case"))):
                return [clause], candidate
    return None

"""The attribution stage, in five steps: the rules and the span model propose attributions, the
two are merged, sources are linked into entities, chains (`via`) are rebuilt, and each
attribution gets its category (speech or another kind)."""

from __future__ import annotations

from attribution.attribute.category import categorize
from attribution.attribute.chains import link_chains, recipient_relays
from attribution.attribute.entities import link_entities
from attribution.attribute.merge import merge
from attribution.attribute.rules import Proposal, propose, to_spans
from attribution.attribute.spans import SpanModel
from attribution.document import Article, Attribution
from attribution.parse.tree import ParseIndex, head_of


def attribute(article: Article, spans: SpanModel | None = None, rules: bool = True, min_quote_words: int = 3) -> None:
    """Find the article's attributions: the rules' and the span model's, merged (`merge.py`);
    with `rules=False` the span model's alone, without a span model the rules' alone."""
    index = ParseIndex(article)
    proposals = propose(index, min_quote_words) if rules or spans is None else []
    if spans is not None:
        proposals = merge(proposals, spans.propose(index))
    proposals += recipient_relays(index, proposals)
    attributions, ids = _numbered(article, index, proposals)
    article.entities = link_entities(article, index, attributions)
    link_chains(proposals, ids, attributions)
    article.attributions = attributions
    categorize(article)


def _numbered(article: Article, index: ParseIndex, proposals: list[Proposal]) -> tuple[list[Attribution], dict[int, str]]:
    """Attributions in the order of their cues, and the id each proposal got (by identity)."""
    ids: dict[int, str] = {}
    attributions: list[Attribution] = []
    for proposal in sorted(proposals, key=lambda p: p.cue[0].i):
        cue, content, source = to_spans(article, proposal)
        if not content:
            continue
        attribution = Attribution(
            id=f"A{len(attributions) + 1}", cue=cue, content=content, source=source, kind=proposal.kind,
            sentence=index.sentence_of[min(t.i for t in proposal.cue)], rule=proposal.rule, cue_lemma=proposal.lemma,
            source_head=proposal.source_head.i if proposal.source_head is not None and source is not None else None,
            cue_head=head_of(proposal.cue).i,
        )
        ids[id(proposal)] = attribution.id
        attributions.append(attribution)
    return attributions, ids

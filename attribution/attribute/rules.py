"""Dependency rules that find attributions (GUIDELINES section 1) in the shared UD parse.

Each rule proposes `Attribution`s with the rule's name in `rule`, so a reviewer and the JSONL
provenance can tell which one fired. The cue words live in cues.yaml.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from attribution import resources
from attribution.document import Article, Span, Token
from attribution.parse.tree import ParseIndex, SentenceTree, covering_span, spans_of

_RELATIVE_PRONOUNS = {"who", "which", "that", "whom"}
_EXPLETIVES = {"it", "there"}
_ANAPHORIC_CONTENT = {"this", "that", "it", "these"}
_CLAUSE_DEPS = ("ccomp",)
# Relations that end a source phrase: a relative clause or apposition clause adds detail but is
# not the source's name ("a US official who spoke to CNN" -> "a US official").
_SOURCE_CUT = ("acl:relcl", "acl", "punct", "parataxis")


@dataclass(frozen=True)
class CueLexicon:
    verbs: dict[str, dict]
    light_verbs: dict[str, dict]
    nouns: dict[str, dict]
    evidence_nouns: frozenset[str]
    according_to: tuple[tuple[str, ...], ...]
    relay: tuple[tuple[str, ...], ...]
    spoke_to: frozenset[str]

    def certainty_of(self, attribution_cue_lemma: str) -> str | None:
        for table in (self.verbs, self.nouns, self.light_verbs):
            if attribution_cue_lemma in table:
                return table[attribution_cue_lemma].get("certainty")
        return None


@cache
def cue_lexicon() -> CueLexicon:
    data = resources.data("cues.yaml")
    return CueLexicon(
        verbs=data["verbs"],
        light_verbs=data["light_verbs"],
        nouns=data["nouns"],
        evidence_nouns=frozenset(data["evidence_nouns"]),
        according_to=tuple(tuple(p) for p in data["according_to"]),
        relay=tuple(tuple(p) for p in data["relay"]),
        spoke_to=frozenset(data["spoke_to"]),
    )


@dataclass
class Proposal:
    """An attribution before ids are given, with the tokens rules downstream need."""

    cue: list[Token]
    content: list[Token]
    source_head: Token | None
    source: list[Token]
    kind: str
    rule: str
    lemma: str
    anaphoric: bool = False  # content is "this"/"it": it points back to earlier sentences
    relay_of: Proposal | None = None  # for relay phrases: the attribution they qualify


def propose(index: ParseIndex, min_quote_words: int = 3) -> list[Proposal]:
    """The rules' attributions: one per cue, direct quotes joined to their speech verbs."""
    proposals: list[Proposal] = []
    for sentence in index.article.sentences:
        if not sentence.boilerplate:
            proposals.extend(_sentence_proposals(index.sentence(sentence)))
    proposals.extend(_dash_signatures(index))
    proposals.extend(_colon_headlines(index))
    return _dedupe(_join_quotes(index, proposals, min_quote_words))


_DASHES = ("―", "—", "–")
_CLOSING_QUOTES = ("”", '"', "’", "»")
_MAX_SIGNATURE_TOKENS = 8


def _dash_signatures(index: ParseIndex) -> list[Proposal]:
    """ "“We will win.” ― Jane Doe": a quote signed with a dash and a name that ends the paragraph."""
    article, quotes = index.article, index.quotes
    found = []
    for dash in article.tokens:
        mark = dash.text.lstrip("".join(_CLOSING_QUOTES))
        if mark not in _DASHES:
            continue
        before = article.text[: dash.start + len(dash.text) - len(mark)].rstrip()
        if not before.endswith(_CLOSING_QUOTES):
            continue
        paragraph_end = article.text.find("\n", dash.end)
        paragraph_end = len(article.text) if paragraph_end < 0 else paragraph_end
        name = [t for t in article.tokens[dash.i + 1 : dash.i + 1 + _MAX_SIGNATURE_TOKENS + 1] if t.end <= paragraph_end]
        name = [t for t in name if t.upos != "PUNCT"]
        if not name or len(name) > _MAX_SIGNATURE_TOKENS or not name[0].text[:1].isupper():
            continue
        if article.text[name[-1].end : paragraph_end].strip(" .,") or not any(t.upos == "PROPN" for t in name):
            continue
        quote = next((q for q in reversed(quotes) if q.span.end <= dash.start + len(dash.text) - len(mark)
                      and not article.text[q.span.end : dash.start + len(dash.text) - len(mark)].strip("".join(_CLOSING_QUOTES) + " ")), None)
        if quote is None:
            continue
        content = [t for t in article.tokens if quote.span.start <= t.start and t.end <= quote.span.end]
        if content:
            head = next((t for t in reversed(name) if t.upos == "PROPN"), name[-1])
            found.append(Proposal([dash], content, head, name, "direct", "dash_signature", "—"))
    return found


_MAX_HEADLINE_SOURCE = 8  # tokens before the colon of "Name: claim"
_NAMING = ("PERSON", "ORG", "GPE", "NORP")


def _colon_headlines(index: ParseIndex) -> list[Proposal]:
    """ "Lukashenko about Poland: He wants all of Belarus", "NYT: North Korean forces mass in
    Kursk": a headline or subhead that names its speaker before a colon (GUIDELINES 6). The part
    before the colon has a name and no verb; the part after is a clause."""
    found = []
    for sentence in index.article.sentences:
        if sentence.boilerplate:
            continue
        tokens = index.article.sentence_tokens(sentence)
        colon = next((k for k, t in enumerate(tokens[: _MAX_HEADLINE_SOURCE + 1]) if t.text == ":"), None)
        if colon is None or colon == 0 or index.quote_of[tokens[colon].i] >= 0:
            continue
        before, after = tokens[:colon], [t for t in tokens[colon + 1 :] if t.upos != "PUNCT"]
        names = [k for k, t in enumerate(before) if t.upos == "PROPN" and t.ent_type in _NAMING]
        if not names or any(t.upos in ("VERB", "AUX") for t in before) or len(after) < 3 \
                or not any(t.upos in ("VERB", "AUX") for t in after):
            continue
        last = names[0]
        while last + 1 < len(before) and before[last + 1].upos == "PROPN":
            last += 1
        source = [t for t in before[: last + 1] if t.upos != "PUNCT"]
        head = before[last]
        found.append(Proposal([tokens[colon]], after, head, source, "indirect", "colon_headline", ":"))
    return found


def _sentence_proposals(tree: SentenceTree) -> list[Proposal]:
    words = cue_lexicon()
    found: list[Proposal] = []
    for token in tree.tokens:
        lemma = token.lemma.lower()
        if token.upos in ("VERB", "AUX") and lemma in words.verbs:
            proposal = _verb_rule(tree, token, words.verbs[lemma])
            if proposal:
                found.append(proposal)
        elif token.upos == "VERB" and lemma in words.light_verbs:
            proposal = _light_verb_rule(tree, token, words.light_verbs[lemma])
            if proposal:
                found.append(proposal)
        elif token.upos == "NOUN" and lemma in words.nouns:
            proposal = _noun_rule(tree, token)
            if proposal:
                found.append(proposal)
    found.extend(_according_to(tree, words))
    found.extend(_relays(tree, words, found))
    return found


def _content_of(tree: SentenceTree, verb: Token, entry: dict) -> tuple[list[Token], bool]:
    """Tokens of what the verb reports, and whether that content is anaphoric ("on this")."""
    clauses = tree.kids(verb, *_CLAUSE_DEPS)
    if not clauses and entry.get("to_clause"):
        clauses = tree.kids(verb, "xcomp")
    if clauses:
        tokens = [t for clause in clauses for t in tree.subtree(clause)]
        return [t for t in tokens if not (t.dep == "mark" and t.lemma.lower() in ("that", "whether", "if") and t.head in {c.i for c in clauses})], False
    as_clause = verb.dep == "advcl" and any(m.lemma.lower() == "as" for m in tree.kids(verb, "mark"))
    if verb.dep == "parataxis" or as_clause:  # "Russia is, he said, ready" / "As CNN reported, ..."
        governor = tree.head_of(verb)
        if governor is not None:
            return tree.subtree(governor, exclude=[verb]), False
    for child in tree.kids(verb, "obl", "obj"):
        if child.lemma.lower() in _ANAPHORIC_CONTENT and child.upos == "PRON":
            return [child], True
    return [], False


def _source_of(tree: SentenceTree, verb: Token) -> Token | None:
    subjects = tree.kids(verb, "nsubj")
    if subjects:
        subject = subjects[0]
        if subject.dep == "nsubj:pass" and subject.lemma.lower() in _EXPLETIVES:
            return None
        if subject.text.lower() in _RELATIVE_PRONOUNS and verb.dep == "acl:relcl":
            return tree.head_of(verb)
        if subject.dep == "nsubj:pass":
            agents = tree.kids(verb, "obl:agent")
            return agents[0] if agents else None
        return subject
    agents = tree.kids(verb, "obl:agent")
    if agents:
        return agents[0]
    if verb.dep in ("conj", "xcomp") and tree.head_of(verb) is not None:
        governor = tree.head_of(verb)
        if governor.upos in ("VERB", "AUX") and governor is not verb:
            return _source_of(tree, governor)
    return None


def _source_tokens(tree: SentenceTree, head: Token | None) -> list[Token]:
    if head is None:
        return []
    # The preposition that introduces the source ("to CNN", "by the ministry") is not part of it.
    return [t for t in tree.subtree(head, skip_deps=_SOURCE_CUT) if not (t.head == head.i and t.dep == "case" and t.i < head.i)]


def _cue_tokens(tree: SentenceTree, verb: Token) -> list[Token]:
    """The verb with its auxiliaries and negation ("has said", "did not deny")."""
    tokens = [verb] + [t for t in tree.kids(verb, "aux", "aux:pass", "compound:prt") if t.i < verb.i + 3]
    negations = [t for t in tree.kids(verb, "advmod") if t.lemma.lower() in ("not", "n't", "never")]
    tokens += negations
    tokens.sort(key=lambda t: t.i)
    # A cue must be one contiguous span: keep the run that ends in the verb.
    run = [verb]
    for t in reversed([t for t in tokens if t.i < verb.i]):
        if t.i == run[0].i - 1:
            run.insert(0, t)
    for t in [t for t in tokens if t.i > verb.i]:
        if t.i == run[-1].i + 1:
            run.append(t)
    return run


def _verb_rule(tree: SentenceTree, verb: Token, entry: dict) -> Proposal | None:
    content, anaphoric = _content_of(tree, verb, entry)
    source_head = _source_of(tree, verb)
    if entry.get("evidence"):
        if source_head is None or source_head.lemma.lower() not in cue_lexicon().evidence_nouns:
            return None
    if not content:
        if source_head is None:
            return None
        # A speech verb with a source but nothing to report yet: a direct quote nearby may be its content.
        return Proposal(_cue_tokens(tree, verb), [], source_head, _source_tokens(tree, source_head), "direct", "verb_quote", verb.lemma.lower())
    kind = "indirect"
    parenthetical = verb.dep == "parataxis" or (verb.dep == "advcl" and any(m.lemma.lower() == "as" for m in tree.kids(verb, "mark")))
    rule = "verb_evidence" if entry.get("evidence") else "verb_parenthetical" if parenthetical else "verb"
    return Proposal(
        _cue_tokens(tree, verb), content, source_head, _source_tokens(tree, source_head), kind, rule, verb.lemma.lower(), anaphoric,
    )


def _light_verb_rule(tree: SentenceTree, verb: Token, entry: dict) -> Proposal | None:
    objects = [o for o in tree.kids(verb, "obj") if o.lemma.lower() in entry["objects"]]
    if not objects:
        return None
    noun = objects[0]
    clauses = tree.kids(noun, "acl", "ccomp") or tree.kids(verb, "ccomp")
    content: list[Token] = [t for c in clauses for t in tree.subtree(c)]
    if not content:  # "cast doubts on X": the topic phrase is the content
        topics = [o for o in tree.kids(noun, "nmod") + tree.kids(verb, "obl")
                  if any(c.lemma.lower() in ("on", "about", "over") for c in tree.kids(o, "case"))]
        content = [t for o in topics for t in tree.subtree(o)]
    if not content:
        return None
    content = [t for t in content if not (t.dep in ("mark", "case") and t.i == content[0].i)]
    source_head = _source_of(tree, verb)
    cue = sorted([verb, noun], key=lambda t: t.i)
    if cue[1].i - cue[0].i > 3:
        cue = [verb]
    else:
        cue = tree.tokens[cue[0].i - tree.tokens[0].i : cue[1].i - tree.tokens[0].i + 1]
    return Proposal(cue, content, source_head, _source_tokens(tree, source_head), "indirect", "light_verb", f"{verb.lemma.lower()} {noun.lemma.lower()}")


def _noun_rule(tree: SentenceTree, noun: Token) -> Proposal | None:
    clauses = [c for c in tree.kids(noun, "acl", "ccomp") if any(m.lemma.lower() == "that" and m.dep == "mark" for m in tree.kids(c, "mark"))]
    if not clauses:
        return None
    content = [t for c in clauses for t in tree.subtree(c) if not (t.dep == "mark" and t.head == c.i)]
    owners = tree.kids(noun, "nmod:poss") or [
        n for n in tree.kids(noun, "nmod") if any(c.lemma.lower() in ("by", "from") for c in tree.kids(n, "case"))
    ]
    source_head = owners[0] if owners else None
    source = [t for t in _source_tokens(tree, source_head) if t.dep != "case" or t.head != source_head.i] if source_head else []
    cue_tokens = [noun]
    return Proposal(cue_tokens, content, source_head, source, "indirect", "noun", noun.lemma.lower())


def _phrase_at(tree: SentenceTree, start: int, phrase: tuple[str, ...]) -> bool:
    tokens = tree.tokens
    if start + len(phrase) > len(tokens):
        return False
    return all(tokens[start + k].text.lower() == word for k, word in enumerate(phrase))


def _noun_phrase_after(tree: SentenceTree, position: int) -> Token | None:
    """Head of the noun phrase that starts at `position` in the sentence's token list."""
    if position >= len(tree.tokens):
        return None
    token = tree.tokens[position]
    first, last = tree.tokens[0].i, tree.tokens[-1].i
    while token.dep in ("compound", "amod", "det", "nummod", "flat", "nmod:poss", "case", "det:predet") and first <= token.head <= last:
        parent = tree.token(token.head)
        if parent.i < token.i:
            break
        token = parent
    return token if token.upos in ("NOUN", "PROPN", "PRON", "NUM", "X") else None


def _clause_head(tree: SentenceTree, token: Token) -> Token:
    """The predicate whose clause holds `token` (climbing noun-phrase relations)."""
    current = token
    while not current.is_root and current.dep in ("nsubj", "nsubj:pass", "obj", "iobj", "nmod", "obl", "compound", "appos", "nmod:poss"):
        parent = tree.head_of(current)
        if parent is None:
            break
        current = parent
    return current


def _phrases_before_sources(tree: SentenceTree, phrases: tuple[tuple[str, ...], ...]) -> Iterator[tuple[str, list[Token], Token]]:
    """Each (phrase, cue tokens, source head) where a phrase stands before a noun phrase."""
    firsts = {phrase[0] for phrase in phrases}
    for position, token in enumerate(tree.tokens):
        if token.text.lower() not in firsts:
            continue
        for phrase in phrases:
            if _phrase_at(tree, position, phrase):
                source_head = _noun_phrase_after(tree, position + len(phrase))
                if source_head is not None:
                    yield " ".join(phrase), tree.tokens[position : position + len(phrase)], source_head


def _according_to(tree: SentenceTree, words: CueLexicon) -> list[Proposal]:
    found = []
    for phrase, cue, source_head in _phrases_before_sources(tree, words.according_to):
        cue_ids = {t.i for t in cue}
        source = [t for t in _source_tokens(tree, source_head) if t.i not in cue_ids]
        attached = tree.head_of(source_head) if source_head.dep in ("obl", "nmod") else None
        if attached is None:  # parse did not attach the phrase: take the sentence's root clause
            clause = next((t for t in tree.tokens if t.is_root), tree.tokens[0])
        else:
            clause = _clause_head(tree, attached)
        excluded = cue_ids | {t.i for t in tree.subtree(source_head)}
        content = [t for t in tree.subtree(clause) if t.i not in excluded]
        if content:
            found.append(Proposal(cue, content, source_head, source, "according_to", "according_to", phrase))
    return found


def _relays(tree: SentenceTree, words: CueLexicon, found: list[Proposal]) -> list[Proposal]:
    """ "with reference to CNN", "citing Reuters": the subject reports through another source."""
    relays = []
    for phrase, cue, source_head in _phrases_before_sources(tree, words.relay):
        outer = next((p for p in found if p.cue and p.cue[0].i < cue[0].i and p.rule.startswith("verb")), None)
        content = outer.content if outer and outer.content else []
        relays.append(
            Proposal(cue, content, source_head, _source_tokens(tree, source_head), "relay", "relay_phrase",
                     phrase, anaphoric=bool(outer and outer.anaphoric), relay_of=outer)
        )
    return relays


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


def _join_quotes(index: ParseIndex, proposals: list[Proposal], min_quote_words: int) -> list[Proposal]:
    """Mark direct and mixed quotes, extend contents over whole quotes, and give quotes that no
    rule reached to a speech verb without content next to them."""
    orphans = [p for p in proposals if not p.content and p.rule == "verb_quote"]
    with_content = [p for p in proposals if p.content]
    last_owner: Proposal | None = None
    for quote in index.quotes:
        span = quote.span
        inside = [t for t in index.tokens if span.start <= t.start and t.end <= span.end]
        if len(inside) < min_quote_words:
            continue
        owners = [p for p in with_content if any(span.start <= t.start < span.end for t in p.content)]
        if owners:
            for owner in owners:
                outside = [t for t in owner.content if not span.start <= t.start < span.end and t.upos != "PUNCT"]
                owner.kind = "mixed" if outside else "direct"
                if _sentence_of(index, inside[-1]) != _sentence_of(index, inside[0]) or not outside:
                    owner.content = _merge(owner.content, inside)
            last_owner = owners[0] if quote.continued else None
            continue
        if last_owner is not None:  # the quote continues from the previous paragraph
            last_owner.content = _merge(last_owner.content, inside)
            last_owner = last_owner if quote.continued else None
            continue
        orphan = _nearest_orphan(index, orphans, inside)
        if orphan is not None:
            orphan.content = inside
            orphans.remove(orphan)
            with_content.append(orphan)
            last_owner = orphan if quote.continued else None
    return [p for p in proposals if p.content]


def _sentence_of(index: ParseIndex, token: Token) -> int:
    return index.sentence_of[token.i]


def _nearest_orphan(index: ParseIndex, orphans: list[Proposal], inside: list[Token]) -> Proposal | None:
    """A speech verb in the quote's last sentence or the one after, or the one before when it
    ends in a colon ("He said: ...")."""
    first_sentence, last_sentence = _sentence_of(index, inside[0]), _sentence_of(index, inside[-1])
    best, best_distance = None, None
    for orphan in orphans:
        where = _sentence_of(index, orphan.cue[0])
        if first_sentence <= where <= last_sentence or where == last_sentence + 1:
            distance = min(abs(orphan.cue[0].i - inside[0].i), abs(orphan.cue[0].i - inside[-1].i))
        elif where == first_sentence - 1 and index.article.text[: inside[0].start].rstrip(" “\"‘«\n").endswith(":"):
            distance = inside[0].i - orphan.cue[0].i
        else:
            continue
        if best_distance is None or distance < best_distance:
            best, best_distance = orphan, distance
    return best


def _merge(tokens: list[Token], more: list[Token]) -> list[Token]:
    unique = {t.i: t for t in tokens + more}
    return [unique[i] for i in sorted(unique)]


def to_spans(article: Article, proposal: Proposal) -> tuple[Span, list[Span], Span | None]:
    cue = covering_span(proposal.cue)
    unique = {t.i: t for t in proposal.content}
    content = spans_of([unique[i] for i in sorted(unique)], article.text)
    source = None
    if proposal.source:
        spans = spans_of(proposal.source, article.text)
        source = Span(spans[0].start, spans[-1].end) if spans else None
    return cue, content, source

"""How an annotated sentence becomes the classifier's input.

The sentence is the first segment, with the source of its main attribution between « » and the
cue between { }; the second segment gives what the parse and the rules found (the speaker's
resolved name and the rules' guess at its label), the start of the article (its lead says whose
address or statement the article is) and the end of the previous sentence, which is what a
reader needs for "he said" and for quotes that go on from one sentence to the next. How much of
the lead and of the previous sentence is a model's setting (`Context`), since every word of
context costs inference time.
Training builds its war-news examples with the same function, from the same rule output, so the
model learns when to trust the rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from attribution.classify.model import Context, Example
from attribution.document import Article, Sentence

SOURCE_MARKS = ("« ", " »")
CUE_MARKS = ("{ ", " }")


def _clip(text: str) -> str:
    return " ".join(text.split())


def sentence_input(article: Article, sentence: Sentence, context: Context = Context()) -> tuple[str, str, tuple[int, int]]:
    """(text, context, character span of the main predicate in text) for a rule-labeled sentence."""
    marks: list[tuple[int, int, tuple[str, str]]] = []
    attribution = next((a for a in article.attributions if a.id == sentence.attribution), None)
    if attribution is not None:
        for span, pair in ((attribution.source, SOURCE_MARKS), (attribution.cue, CUE_MARKS)):
            if span is not None and sentence.start <= span.start and span.end <= sentence.end:
                marks.append((span.start, span.end, pair))
    root = next((t for t in article.tokens[sentence.token_start : sentence.token_end] if t.head == t.i), None)
    predicate = (root.start, root.end) if root is not None else (sentence.start, sentence.start)
    text, predicate_span = _marked(article.text, sentence.start, sentence.end, marks, predicate)

    entities = {e.id: e for e in article.entities}
    if attribution is None:
        hint = "speaker: none"
    else:
        entity = entities.get(attribution.entity or "")
        name = entity.name if entity is not None else (article.span_text(attribution.source) or "unnamed")
        label = (attribution.speaker or "other_source").replace("_", " ")
        evidence = f"; {entity.evidence if entity is not None else 'none'}" if context.evidence else ""
        hint = f"speaker: {name} ({label}{evidence})"
    parts = [hint]
    if context.before:
        parts.append(_before(article, sentence, entities))
    if context.lead_speaker:
        parts.append(_lead_speaker(article, sentence, entities))
    if context.lead_chars:  # empty in the first sentence, which is the lead
        first = article.sentences[0]
        parts.append(_clip(article.text[first.start : min(first.end, first.start + context.lead_chars)]) if sentence.id else "")
    if context.previous_chars:
        previous = article.sentences[sentence.id - 1] if sentence.id else None
        parts.append(_clip(article.text[max(previous.start, previous.end - context.previous_chars) : previous.end]) if previous else "")
    return text, " ; ".join(parts), predicate_span


_BEFORE_REACH = 3  # sentences back in which a continued speaker is looked for


def _before(article: Article, sentence: Sentence, entities: dict) -> str:
    """The speaker of the nearest sentence before, in the last few, that has one."""
    for earlier in reversed(article.sentences[max(0, sentence.id - _BEFORE_REACH) : sentence.id]):
        if earlier.boilerplate or earlier.speaker is None or earlier.speaker.label == "unattributed":
            continue
        return f"before: {_speaker_name(earlier, entities)} ({earlier.speaker.label.replace('_', ' ')})"
    return "before: none"


_LEAD_SENTENCES = 5  # the lead: the article's first sentences that are not page furniture (headline and dateline included)


def lead_speaker_sentence(article: Article, sentence: Sentence) -> Sentence | None:
    """The first attributed sentence of the lead, for the sentences after it."""
    lead = [s for s in article.sentences if not s.boilerplate][:_LEAD_SENTENCES]
    for first in lead:
        if first.id >= sentence.id:
            break
        if first.speaker is not None and first.speaker.label != "unattributed":
            return first
    return None


def _lead_speaker(article: Article, sentence: Sentence, entities: dict) -> str:
    first = lead_speaker_sentence(article, sentence)
    if first is None:
        return "lead: none"
    return f"lead: {_speaker_name(first, entities)} ({first.speaker.label.replace('_', ' ')})"


def _speaker_name(sentence: Sentence, entities: dict) -> str:
    entity = entities.get(sentence.speaker_entity or "")
    return entity.name if entity is not None else sentence.speaker_source or "unnamed"


def _marked(text: str, start: int, end: int, marks: list[tuple[int, int, tuple[str, str]]],
            predicate: tuple[int, int]) -> tuple[str, tuple[int, int]]:
    """The sentence with marks inserted, and where the predicate ended up."""
    # At one offset a closing mark goes before an opening one.
    inserts = sorted([(e, 0, pair[1]) for _, e, pair in marks] + [(s, 1, pair[0]) for s, _, pair in marks])
    pieces, cursor = [], start
    for offset, _, mark in inserts:
        pieces += [text[cursor:offset], mark]
        cursor = offset
    pieces.append(text[cursor:end])

    def moved(position: int, inclusive: bool) -> int:
        return position - start + sum(len(m) for o, _, m in inserts if o < position or (inclusive and o == position))

    return "".join(pieces), (moved(predicate[0], True), moved(predicate[1], False))


def article_inputs(articles: Sequence[Article], context: Context = Context()) -> Iterable[tuple[Sentence, Example]]:
    for article in articles:
        for sentence in article.sentences:
            text, pair, predicate = sentence_input(article, sentence, context)
            yield sentence, Example("news", text, pair, predicates=[predicate])

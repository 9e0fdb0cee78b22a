"""The contextual span tagger's data path: gold spans to token tags, long sentences to windows,
tokens to the word pieces they are read at."""

from __future__ import annotations

import numpy as np
import pytest

from attribution.parse.tree import ParseIndex
from attribution.attribute.tagger import (
    TAGS,
    WordPieces,
    collate,
    cue_window,
    encode,
    sentence_windows,
    whole_spans,
    windows,
)
from attribution.encoder import load_tokenizer
from attribution.document import Article
from attribution.parse.spacy_backend import SpacyParser
from attribution.corpora.polnear import GoldArticle, GoldAttribution
from attribution.train.taggers import token_labels

TEXT = ("Officials in Kyiv said on Tuesday that Russia's drones had struck a power plant. "
        "“We will rebuild,” the mayor told reporters, according to a statement.")


@pytest.fixture(scope="module")
def article() -> Article:
    return next(SpacyParser().parse([Article("t", TEXT)]))


def span(text: str) -> tuple[tuple[int, int]]:
    start = TEXT.index(text)
    return ((start, start + len(text)),)


def tags_of(article: Article, labels: np.ndarray, role: int, text: str) -> list[str]:
    (start, end), = span(text)
    return [TAGS[labels[t.i, role]] for t in article.tokens if start <= t.start < end]


def test_gold_spans_become_bio_tags_per_role(article: Article) -> None:
    gold = GoldArticle("t", TEXT, "a", (
        GoldAttribution(cue=span("said"), content=span("Russia's drones had struck a power plant"), source=span("Officials in Kyiv")),
        GoldAttribution(cue=span("told"), content=span("We will rebuild"), source=span("the mayor")),
        GoldAttribution(cue=span("according to"), content=span("We will rebuild,” the mayor told reporters"), source=span("a statement")),
    ))
    labels = token_labels(article, gold)
    assert tags_of(article, labels, 1, "Officials in Kyiv") == ["B", "I", "I"]
    assert tags_of(article, labels, 0, "according to") == ["B", "I"]
    assert tags_of(article, labels, 0, "said on Tuesday") == ["B", "O", "O"]
    # Nested roles keep their own tags: "told" is a cue inside another attribution's content.
    assert tags_of(article, labels, 0, "told") == ["B"] and tags_of(article, labels, 2, "told") == ["I"]
    # Two contents that meet: the first span's tags stay, the second adds none over them.
    assert tags_of(article, labels, 2, "We will rebuild")[0] == "B"


def test_each_window_reads_the_articles_word_pieces_and_each_token_its_first(article: Article) -> None:
    tokenizer = load_tokenizer()
    pieces = WordPieces.of(tokenizer, article)
    chosen = [w for s in article.sentences for w in windows(article, s, 480)] + sentence_windows(article, article.sentences, 480)
    assert len(chosen) == 3  # each sentence alone, then both in one window
    for window in chosen:
        encoded = encode(tokenizer, pieces, window, 160)
        # The same pieces as tokenizing the window's text alone.
        [alone] = tokenizer.encode([TEXT[window.start : window.end]], None, 160)
        assert encoded.ids.tolist() == alone["input_ids"]
        for token, position in zip(article.tokens[window.first : window.last], encoded.positions):
            piece = np.searchsorted(pieces.starts, window.start) + position - 1  # less [CLS]
            assert pieces.starts[piece] <= token.start < pieces.ends[piece], token.text
    encoded = [encode(tokenizer, pieces, w, 160) for w in chosen]
    batch = collate(encoded)
    assert batch["attention_mask"].sum(1).tolist() == [len(e.ids) for e in encoded]
    assert batch["input_ids"][0, : len(encoded[0].ids)].tolist() == encoded[0].ids.tolist()


def test_a_very_long_sentence_is_read_in_windows_covering_every_token_once() -> None:
    text = "The minister said that " + ", ".join(f"village number {n} was shelled" for n in range(300)) + "."
    article = next(SpacyParser().parse([Article("long", text)]))
    sentence = max(article.sentences, key=lambda s: s.token_end - s.token_start)
    pieces = windows(article, sentence, 480)
    assert len(pieces) > 1 and all(w.end - w.start <= 480 for w in pieces)
    covered = [i for w in pieces for i in range(w.first, w.last)]
    assert covered == list(range(sentence.token_start, sentence.token_end))
    tokenizer = load_tokenizer()
    word_pieces = WordPieces.of(tokenizer, article)
    assert all((encode(tokenizer, word_pieces, w, 160).positions >= 0).all() for w in pieces)  # none lost to truncation
    cut = encode(tokenizer, word_pieces, pieces[0], 20)  # a window longer than the model reads
    assert len(cut.ids) == 20 and (cut.positions[:5] >= 0).all() and cut.positions[-1] == -1
    # The role tagger's window around a cue deep in it stays in budget and keeps the cue.
    said = next(t.i for t in article.tokens if t.text == "said")
    shelled = [t.i for t in article.tokens if t.text == "shelled"][150]
    for cue in ([said], [shelled]):
        window = cue_window(article, ParseIndex(article).sentence_of, cue, 480)
        assert window.end - window.start <= 480 and window.first <= cue[0] < window.last


def test_consecutive_sentences_are_packed_into_windows_within_budget() -> None:
    text = " ".join(f"Officials said that drones struck plant number {n} overnight." for n in range(12))
    article = next(SpacyParser().parse([Article("many", text)]))
    assert len(article.sentences) == 12
    packed = sentence_windows(article, article.sentences, 200)
    assert 1 < len(packed) < 12 and all(w.end - w.start <= 200 for w in packed)
    assert [i for w in packed for i in range(w.first, w.last)] == list(range(len(article.tokens)))
    # Sentences left out (boilerplate) part the windows: none reads across the gap.
    kept = article.sentences[:3] + article.sentences[4:]
    gap = range(article.sentences[3].token_start, article.sentences[3].token_end)
    assert all(not set(range(w.first, w.last)) & set(gap) for w in sentence_windows(article, kept, 200))


def test_the_role_taggers_window_marks_the_cue_and_takes_neighbouring_sentences(article: Article) -> None:
    view = ParseIndex(article)
    told = next(t.i for t in article.tokens if t.text == "told")
    window = cue_window(article, view.sentence_of, [told], 480)
    assert article.text[window.start : window.end] == TEXT  # both sentences fit
    assert cue_window(article, view.sentence_of, [told], 100).start == article.sentences[1].start  # only its own
    tokenizer = load_tokenizer()
    encoded = encode(tokenizer, WordPieces.of(tokenizer, article), window, 160)
    assert tokenizer._tokenizer.decode(encoded.ids[encoded.types == 1].tolist()) == "told"


def test_whole_span_decoding_never_starts_a_span_with_inside() -> None:
    scores = np.log(np.array([[0.5, 0.2, 0.3], [0.05, 0.1, 0.85], [0.05, 0.1, 0.85], [0.9, 0.05, 0.05]]))
    assert [TAGS[k] for k in scores.argmax(-1)] == ["O", "I", "I", "O"]  # tag by tag: a span with no B
    assert [TAGS[k] for k in whole_spans(scores)] == ["B", "I", "I", "O"]
    weak = np.log(np.array([[0.9, 0.02, 0.08], [0.6, 0.05, 0.35]]))
    assert [TAGS[k] for k in whole_spans(weak)] == ["O", "O"]
    assert whole_spans(np.zeros((0, 3))) == []


def test_learned_transitions_decide_where_a_span_ends_but_never_open_one_on_inside() -> None:
    # "said in a statement": per word, B then three weak I's.
    scores = np.log(np.array([[0.1, 0.8, 0.1], [0.4, 0.1, 0.5], [0.4, 0.1, 0.5], [0.4, 0.1, 0.5]]))
    assert [TAGS[k] for k in whole_spans(scores)] == ["B", "I", "I", "I"]
    # A CRF that learned that cues rarely run on past their first word: "said" alone.
    transitions = np.zeros((3, 3))
    transitions[TAGS.index("B"), TAGS.index("I")] = -1.0
    assert [TAGS[k] for k in whole_spans(scores, transitions, np.zeros(3))] == ["B", "O", "O", "O"]
    # However much it favours I, an I never follows an O or opens the window.
    favour_inside = np.full((3, 3), 5.0)
    assert [TAGS[k] for k in whole_spans(scores, favour_inside, np.array([0.0, 0.0, 9.0]))] == ["B", "I", "I", "I"]


def test_the_crf_loss_is_the_negative_log_likelihood_over_every_allowed_tagging() -> None:
    import itertools

    import torch

    from attribution.attribute.tagger import IGNORE
    from attribution.train.taggers import crf_loss

    generator = torch.Generator().manual_seed(0)
    scores = torch.randn(2, 6, 3, generator=generator)
    # Word pieces read (a token's first piece) and not (IGNORE); the second window is shorter.
    targets = torch.tensor([[IGNORE, 0, 1, IGNORE, 2, 0], [IGNORE, 1, 2, IGNORE, IGNORE, IGNORE]])
    transitions, start = torch.randn(3, 3, generator=generator), torch.randn(3, generator=generator)
    inside, outside = TAGS.index("I"), TAGS.index("O")

    def score(emissions: torch.Tensor, tags: tuple[int, ...]) -> torch.Tensor:
        return start[tags[0]] + emissions[0, tags[0]] + sum(transitions[a, b] + emissions[t, b] for t, (a, b) in enumerate(zip(tags, tags[1:]), 1))

    total, tokens = 0.0, 0
    for row in range(2):
        read = [i for i in range(6) if targets[row, i] != IGNORE]
        emissions, gold = scores[row, read], tuple(targets[row, read].tolist())
        allowed = [tags for tags in itertools.product(range(3), repeat=len(read))
                   if tags[0] != inside and all(not (a == outside and b == inside) for a, b in zip(tags, tags[1:]))]
        total += float(torch.logsumexp(torch.stack([score(emissions, tags) for tags in allowed]), 0) - score(emissions, gold))
        tokens += len(read)
    assert float(crf_loss(scores, targets, transitions, start)) == pytest.approx(total / tokens, abs=1e-4)

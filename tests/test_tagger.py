"""The contextual span tagger's data path: gold spans to token tags, long sentences to windows,
tokens to the word pieces they are read at."""

from __future__ import annotations

import numpy as np
import pytest

from attribution.attribute.features import ArticleView
from attribution.attribute.tagger import TAGS, cue_window, encode, window_inputs, windows
from attribution.classify.model import load_tokenizer
from attribution.document import Article
from attribution.parse.spacy_backend import SpacyParser
from attribution.train.polnear import GoldArticle, GoldAttribution
from attribution.train.tagger import token_labels

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


def test_each_token_is_read_at_its_first_word_piece(article: Article) -> None:
    tokenizer = load_tokenizer()
    chosen = [w for s in article.sentences for w in windows(article, s, 480)]
    texts, starts, _ = window_inputs(article, chosen)
    batch, positions = encode(tokenizer, texts, starts, 160)
    assert set(batch) == {"input_ids", "token_type_ids", "attention_mask"}
    for row, (window, where) in enumerate(zip(chosen, positions)):
        pieces = tokenizer([texts[row]], None, 160)["offset_mapping"][0]
        for token, position in zip(article.tokens[window.first : window.last], where):
            piece_start, piece_end = pieces[position].tolist()
            assert piece_start <= token.start - window.start < piece_end, token.text


def test_a_very_long_sentence_is_read_in_windows_covering_every_token_once() -> None:
    text = "The minister said that " + ", ".join(f"village number {n} was shelled" for n in range(300)) + "."
    article = next(SpacyParser().parse([Article("long", text)]))
    sentence = max(article.sentences, key=lambda s: s.token_end - s.token_start)
    pieces = windows(article, sentence, 480)
    assert len(pieces) > 1 and all(w.end - w.start <= 480 for w in pieces)
    covered = [i for w in pieces for i in range(w.first, w.last)]
    assert covered == list(range(sentence.token_start, sentence.token_end))
    texts, starts, _ = window_inputs(article, pieces)
    _, positions = encode(load_tokenizer(), texts, starts, 160)
    assert all((where >= 0).all() for where in positions)  # no token lost to truncation
    # The role tagger's window around a cue deep in it stays in budget and keeps the cue.
    said = next(t.i for t in article.tokens if t.text == "said")
    shelled = [t.i for t in article.tokens if t.text == "shelled"][150]
    for cue in ([said], [shelled]):
        window = cue_window(article, ArticleView(article).sentence_of, cue, 480)
        assert window.end - window.start <= 480 and window.first <= cue[0] < window.last


def test_the_role_taggers_window_marks_the_cue_and_takes_neighbouring_sentences(article: Article) -> None:
    view = ArticleView(article)
    told = next(t.i for t in article.tokens if t.text == "told")
    window = cue_window(article, view.sentence_of, [told], 480)
    assert article.text[window.start : window.end] == TEXT  # both sentences fit
    assert cue_window(article, view.sentence_of, [told], 100).start == article.sentences[1].start  # only its own
    texts, starts, marks = window_inputs(article, [window])
    batch, _ = encode(load_tokenizer(), texts, starts, 160, marks)
    marked = batch["input_ids"][0][batch["token_type_ids"][0] == 1].tolist()
    assert load_tokenizer()._tokenizer.decode(marked) == "told"

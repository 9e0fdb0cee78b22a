"""The content-edge model: candidate cuts from the parse, the cut itself, and its training data,
on parsed sentences."""

from __future__ import annotations

from attribution.attribute.edges import ContentEdges, edge_pieces, outside_pieces
from attribution.corpora.polnear import GoldArticle, GoldAttribution
from attribution.document import Article
from attribution.parse.spacy_backend import SpacyParser
from attribution.parse.tree import ParseIndex
from attribution.train.edges import examples, train_edges

STRESSED = "The minister stressed her support for the reform during a forum organised by the university on Tuesday."
QUOTED = 'She said "the reform was right" during the forum.'


def _parsed(text: str) -> tuple[Article, ParseIndex]:
    article = next(SpacyParser().parse([Article("t", text)]))
    return article, ParseIndex(article)


def _ids(article: Article, words: str) -> list[int]:
    start = article.text.index(words)
    return [t.i for t in article.tokens if start <= t.start and t.end <= start + len(words)]


def _text(article: Article, ids) -> str:
    return " ".join(article.tokens[i].text for i in sorted(ids))


def _cue(article: Article, word: str) -> set[int]:
    return {next(t.i for t in article.tokens if t.text == word)}


def test_edge_pieces_are_whole_subtrees_at_either_end() -> None:
    article, index = _parsed(STRESSED)
    content = _ids(article, "her support for the reform during a forum organised by the university on Tuesday")
    pieces = {(p.side, _text(article, p.tokens)) for p in edge_pieces(index, content, _cue(article, "stressed"))}
    assert ("right", "during a forum organised by the university on Tuesday") in pieces
    assert ("left", "her") in pieces
    # Never the whole content, nor a piece cut out of a subtree ("News on Tuesday").
    assert not any(text.startswith("her support") and text.endswith("Tuesday") for _, text in pieces)
    assert ("right", "university on Tuesday") not in pieces


def _model(weights: dict[str, float]) -> ContentEdges:
    return ContentEdges(weights, bias=2.0, threshold=0.0, margin_weight=1.0, max_share=0.7, rounds=2)


def test_a_piece_is_cut_where_the_model_and_the_tagger_agree() -> None:
    article, index = _parsed(STRESSED)
    content = _ids(article, "her support for the reform during a forum organised by the university on Tuesday")
    cue = sorted(_cue(article, "stressed"))
    adjunct = _model({"right relation=obl hangs from=cue": -5.0})
    assert _text(article, adjunct.trim(index, content, cue, margin={})) == "her support for the reform"
    # The tagger sure the adjunct is content (margin 4 on its words) outweighs the model.
    sure = {i: 4.0 for i in _ids(article, "during a forum organised by the university on Tuesday")}
    assert adjunct.trim(index, content, cue, margin=sure) == content
    # A cut longer than max_share of the content is not made.
    short = ContentEdges(adjunct.weights, 2.0, 0.0, 1.0, max_share=0.3, rounds=2)
    assert short.trim(index, content, cue, margin={}) == content


def test_quoted_words_are_never_cut() -> None:
    article, index = _parsed(QUOTED)
    content = _ids(article, '"the reform was right" during the forum')
    cue = sorted(_cue(article, "said"))
    everything_out = _model({"left": -20.0, "right": -20.0})
    assert _text(article, everything_out.trim(index, content, cue, margin={})) == '" the reform was right "'


def test_training_examples_keep_gold_edges_and_leave_out_their_neighbours() -> None:
    article, index = _parsed(STRESSED)
    text = article.text

    def span(words: str) -> tuple[tuple[int, int], ...]:
        return ((text.index(words), text.index(words) + len(words)),)

    gold = GoldArticle("t", text, "a", (GoldAttribution(span("stressed"), span("her support for the reform"), span("The minister")),))
    found, inside = examples([(gold, article)])
    assert 1 in inside and 0 in inside
    outside = [_text(article, p.tokens) for p in outside_pieces(index, _ids(article, "her support for the reform"),
                                                                 _cue(article, "stressed"), set(_ids(article, "The minister")))]
    assert "during a forum organised by the university on Tuesday" in outside
    model, log = train_edges([(gold, article)])
    assert log["examples"] == len(inside) and model.weights


def test_the_shipped_model_cuts_the_cues_adjuncts_and_keeps_the_contents_own() -> None:
    from attribution import resources
    from attribution.attribute.edges import ContentEdges

    shipped = ContentEdges.load(resources.model_folder("spans"))
    assert shipped is not None
    cases = [  # sentence, cue, content as a tagger may run it on, what PolNeAR marks (margin 0: the parse's say alone)
        ("The ministry said on Saturday that the talks with the rebels would go ahead.", "said",
         "on Saturday that the talks with the rebels would go ahead", "that the talks with the rebels would go ahead"),
        ("The senator told reporters Thursday that the vote on the new budget would be delayed.", "told",
         "Thursday that the vote on the new budget would be delayed", "that the vote on the new budget would be delayed"),
        ("The governor said the curfew in the capital would be lifted on Monday.", "said",
         "the curfew in the capital would be lifted on Monday", "the curfew in the capital would be lifted on Monday"),
        ("The general said the brigade had withdrawn from the town and the bridge was destroyed.", "said",
         "the brigade had withdrawn from the town and the bridge was destroyed",
         "the brigade had withdrawn from the town and the bridge was destroyed"),
    ]
    for sentence, cue, content, expected in cases:
        article, index = _parsed(sentence)
        kept = shipped.trim(index, _ids(article, content), sorted(_cue(article, cue)), margin={})
        assert _text(article, kept) == _text(article, _ids(article, expected)), sentence

"""Fitting the content-edge model (`attribute/edges.py`) on PolNeAR train's gold contents.

Every whole subtree at a gold content's edge is an example of a piece that belongs to it; every
subtree just outside it, hanging from the content or the cue, one that does not. The features are
the parse's alone (the tagger's margin enters only when cutting), so the model does not learn the
taggers' confidence on their own training data.
"""

from __future__ import annotations

import time

from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression

from attribution import resources
from attribution.attribute.edges import ContentEdges, edge_pieces, features, outside_pieces
from attribution.attribute.tagger import token_offsets
from attribution.corpora.polnear import Fragments, GoldArticle
from attribution.document import Article
from attribution.parse.tree import ParseIndex
from attribution.train.taggers import covered


def _tokens(article: Article, fragments: Fragments | None) -> list[int]:
    return covered(token_offsets(article), fragments).tolist()


def examples(corpus: list[tuple[GoldArticle, Article]]) -> tuple[list[dict[str, float]], list[int]]:
    """Features of the pieces at and just outside each gold content's edges; 1 for a piece inside."""
    found, inside = [], []
    for gold, article in corpus:
        index = ParseIndex(article)
        for attribution in gold.attributions:
            content, cue = _tokens(article, attribution.content), set(_tokens(article, attribution.cue))
            if not content or not cue or cue & set(content):
                continue
            for piece in edge_pieces(index, content, cue):
                found.append(features(index, piece, content, cue))
                inside.append(1)
            for piece in outside_pieces(index, content, cue, set(_tokens(article, attribution.source))):
                found.append(features(index, piece, sorted(set(content) | set(piece.tokens)), cue))
                inside.append(0)
    return found, inside


def train_edges(corpus: list[tuple[GoldArticle, Article]], settings: dict | None = None) -> tuple[ContentEdges, dict]:
    """The fitted model and its training log."""
    settings = settings or resources.data("content_edges.yaml")
    began = time.perf_counter()
    found, inside = examples(corpus)
    if len(set(inside)) < 2:
        raise ValueError(f"{len(inside)} edge pieces in the training attributions, not of both kinds (inside and out): too few to fit the content-edge model")
    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform(found)
    fitted = LogisticRegression(C=settings["regularization"], max_iter=2000).fit(matrix, inside)
    weights = {name: round(float(w), 4) for name, w in zip(vectorizer.feature_names_, fitted.coef_[0]) if abs(w) >= 1e-4}
    model = ContentEdges(weights, round(float(fitted.intercept_[0]), 4), settings["threshold"], settings["margin_weight"],
                         settings["max_share"], settings["rounds"])
    log = {"settings": settings, "examples": len(inside), "inside": sum(inside), "features": len(weights),
           "train_accuracy": round(float(fitted.score(matrix, inside)), 3), "minutes": round((time.perf_counter() - began) / 60, 1)}
    return model, log

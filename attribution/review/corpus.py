"""The annotation folder the reviewers work on, loaded once into memory.

Articles are found by looking their id up in the loaded annotations.jsonl, never by building a
path from it, so no id can reach outside the folder. Each sentence carries the labeler's
prediction as a `SentenceLabel`, the same type the corrections and the export use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attribution import resources
from attribution.files import annotation_files, read_jsonl
from attribution.labels import CueLabel, SentenceLabel, sentence_hash
from attribution.render.html import Mark, title_of


class CorpusError(ValueError):
    """An annotation folder that cannot be reviewed; the message is one line."""


def review_settings() -> dict[str, Any]:
    """resources/review.yaml: thresholds, limits and keyboard shortcuts."""
    return resources.data("review.yaml")


@dataclass
class ReviewSentence:
    article: str
    id: int
    start: int
    end: int
    predicted: SentenceLabel
    speaker_score: float
    certainty_score: float
    grade: str
    reasons: list[str]
    facts: dict[str, Any]  # what the reliability policy tested (the record's), for re-grading a correction
    fill: dict[str, str]

    @property
    def key(self) -> tuple[str, int, int, str]:
        """How the store knows the sentence: article, offsets and hash (a changed text is a new sentence)."""
        return self.article, self.start, self.end, self.predicted.sha1

    @property
    def confidence(self) -> float:
        """The lower of the two scores: how sure the labeler is of this sentence at best."""
        return min(self.speaker_score, self.certainty_score)

    def marks(self, label: SentenceLabel) -> list[Mark]:
        """Source, reporting cue, content and hedge cues of a label (predicted or corrected) to highlight."""
        marks = [Mark(c.start, c.end, f"hedge {c.kind}", f"{c.kind} cue") for c in label.cues]
        marks += [Mark(start, end, "acontent", "content") for start, end in label.content]
        if label.cue:
            marks.append(Mark(*label.cue, "acue", "reporting cue"))
        if label.source:
            marks.append(Mark(*label.source, "src", "source"))
        return marks


@dataclass
class ReviewArticle:
    id: str
    title: str
    text: str
    sentences: list[ReviewSentence]
    attributions: int
    labeler: str  # provenance: which labeler predicted the labels
    outlet: str = ""
    date: str = ""

    def sentence(self, sentence_id: int) -> ReviewSentence | None:
        return next((s for s in self.sentences if s.id == sentence_id), None)


class Corpus:
    def __init__(self, articles: list[ReviewArticle]) -> None:
        self.articles = {a.id: a for a in articles}
        position = {a.id: i for i, a in enumerate(articles)}
        # Active-learning order: least confident first; ties in article and sentence order. Page
        # furniture is not there to review.
        self.order = sorted((s for a in articles for s in a.sentences if not s.predicted.boilerplate),
                            key=lambda s: (s.confidence, position[s.article], s.id))

    def get(self, article_id: str) -> ReviewArticle | None:
        return self.articles.get(article_id)


def _inside(span: dict | None, start: int, end: int) -> tuple[int, int] | None:
    if span and start <= span["start"] < span["end"] <= end:
        return span["start"], span["end"]
    return None


def article_from_record(record: dict) -> ReviewArticle:
    text = record["text"]
    attributions = {a["id"]: a for a in record.get("attributions", [])}
    sentences = []
    for s in record["sentences"]:
        start, end = s["start"], s["end"]
        decided_by = attributions.get(s.get("attribution") or "")
        source = _inside(decided_by["source"], start, end) if decided_by else None
        # Page furniture has no labels; the label format writes it as the article's own, certain.
        speaker, certainty = s.get("speaker") or {"label": "unattributed"}, s.get("certainty") or {"label": "certain"}
        predicted = SentenceLabel(
            article=record["id"], start=start, end=end, sha1=sentence_hash(text[start:end]),
            speaker=speaker["label"], certainty=certainty["label"],
            source=source,
            named=decided_by.get("named") if source and decided_by else None,
            cues=[CueLabel(c["start"], c["end"], c["kind"]) for c in s.get("cues", []) if _inside(c, start, end)],
            boilerplate=bool(s.get("boilerplate", False)),
            cue=_inside(decided_by["cue"], start, end) if decided_by else None,
            content=[(max(start, c["start"]), min(end, c["end"])) for c in (decided_by or {}).get("content", [])
                     if max(start, c["start"]) < min(end, c["end"])],  # the content's part in this sentence
        )
        predicted.validate()
        reliability = s.get("reliability") or {}
        sentences.append(ReviewSentence(
            article=record["id"], id=s["id"], start=start, end=end, predicted=predicted,
            speaker_score=float(speaker.get("score", 1.0)),
            # A model's labels carry the label's probability; the rules' score is their confidence.
            certainty_score=float(certainty.get("probability", certainty.get("score", 1.0))),
            grade=reliability.get("grade", ""), reasons=list(reliability.get("reasons", [])),
            facts=dict(reliability.get("facts", {})), fill=dict(reliability.get("fill", {})),
        ))
    meta = record.get("meta") or {}
    labeler = (record.get("provenance") or {}).get("labeler", "unknown")
    return ReviewArticle(record["id"], title_of(text, meta, record["id"]), text, sentences, len(attributions), str(labeler),
                         str(meta.get("outlet", "")), str(meta.get("date", "")))


def load_corpus(folder: str | Path) -> Corpus:
    """Read OUTDIR's annotations (written by `attribution annotate`, locally or on a cluster)."""
    paths = annotation_files(folder)
    if not paths:
        raise CorpusError(f"{Path(folder) / 'annotations.jsonl'} not found: annotate first with `attribution annotate PATH -o {folder}`")
    articles: dict[str, ReviewArticle] = {}
    try:
        for path in paths:
            for number, record in read_jsonl(path):
                try:
                    article = article_from_record(record)
                except (ValueError, KeyError, TypeError) as error:
                    raise CorpusError(f"{path}:{number}: not an attribution.v1 record ({error})") from None
                if article.id in articles:
                    raise CorpusError(f"{path}:{number}: duplicate article id {article.id!r}")
                articles[article.id] = article
    except (ValueError, OSError) as error:
        raise CorpusError(str(error)) from None
    if not articles:
        raise CorpusError(f"{Path(folder)} holds no articles")
    return Corpus(list(articles.values()))

"""The team's war-news labels as classifier examples.

The annotator runs as `annotate` does, up to the rules' sentence labels (the classifier's
input is built from them); each gold sentence takes the input of the predicted sentence it
overlaps most, so the model learns when to trust the rules.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from attribution.classify.inputs import sentence_input
from attribution.classify.model import WHO_LABELS, Context, Example
from attribution.document import CERTAINTY_LABELS, SPEAKER_LABELS, Article
from attribution.labels import SentenceLabel, labels_by_article
from attribution.pipeline import Pipeline, load


def input_pipeline(config: Any = None) -> Pipeline:
    """The pipeline of `config` with the word-based labeler in place of the classifier and no
    grades: what the classifier's inputs are built from."""
    return _input_pipeline(json.dumps(config, sort_keys=True, default=str))


@cache
def _input_pipeline(config_json: str) -> Pipeline:
    pipeline = load(json.loads(config_json), labeler="rules")
    pipeline.remove("grade")
    return pipeline


def whose(label: SentenceLabel) -> str:
    """Whose sentence a gold label says it is: nobody's, its own source's (the source is in the
    sentence), or the speaker's before it (a speaker but no source in the sentence)."""
    if label.boilerplate or label.speaker == "unattributed":
        return "none"
    return "own" if label.source is not None else "before"


def news_examples(labels_path: Path, corpus: Path, articles: set[str] | None, context: Context = Context(),
                  config: Any = None) -> list[Example]:
    """Examples of the labeled sentences of `articles` (all when None), texts from `corpus`/ID.txt."""
    gold = labels_by_article(labels_path, articles)
    texts = {}
    for article_id in sorted(gold):
        path = corpus / f"{article_id}.txt"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: the text of labeled article {article_id} is missing")
        texts[article_id] = path.read_text(encoding="utf-8")
    examples = []
    for article in input_pipeline(config).pipe(Article(article_id, text) for article_id, text in texts.items()):
        for label in gold[article.id]:
            if not label.matches(article.text):
                continue
            sentence = max(article.sentences, key=lambda s: min(s.end, label.end) - max(s.start, label.start))
            if sentence.boilerplate:  # the annotator labels page furniture as such, not the model
                continue
            text, pair, _ = sentence_input(article, sentence, context)
            examples.append(Example("news", text, pair, speaker=SPEAKER_LABELS.index(label.speaker),
                                    certainty=CERTAINTY_LABELS.index(label.certainty), who=WHO_LABELS.index(whose(label))))
    return examples

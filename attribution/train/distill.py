"""Distillation: a teacher classifier's logits on war-news sentences as a student's targets.

A smaller student (fewer layers, a shorter context: faster at annotation) learns from a bigger
teacher what the gold labels alone do not give it: how sure the teacher is and which labels it
confuses, on every sentence of the articles it may see, labeled or not. Each sentence's input
is built twice from the same rule output, once as the teacher reads it and once as the student
does, so each model gets the context it was made for.

The articles are those outside the dev and test splits that share no wording with a dev or test
article (agency copy is reprinted under other ids), so no held-out sentence reaches the student
through the teacher. The teacher's logits are cached by what they were made from.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from attribution import resources
from attribution.classify.inputs import sentence_input
from attribution.classify.model import WEIGHTS, Context, Example
from attribution.classify.predict import Predictor
from attribution.claims.corroborate import shares_wording, word_runs
from attribution.corpora.war_news import input_pipeline
from attribution.document import Article
from attribution.encoder.runtime import cache_root
from attribution.files import sha256, write_atomic

_FORMAT = "distill-v1"  # changes when the cached rows change meaning


@dataclass(frozen=True)
class DistillSettings:
    """The recipe's `distill` section."""

    teacher: str = "classifier"  # a model folder, or the name of a model shipped in attribution/models
    temperature: float = 2.0  # softens both distributions in the loss, so the teacher's runners-up count

    @classmethod
    def from_recipe(cls, recipe: dict) -> DistillSettings | None:
        section = recipe.get("distill")
        return None if section is None else cls(**section)

    def teacher_folder(self) -> Path:
        folder = Path(self.teacher)
        return folder if folder.is_dir() else resources.model_folder(self.teacher)


def unlabeled_articles(corpus: Path, splits: Path) -> list[str]:
    """Ids of the corpus's articles outside dev and test that share no wording with one in them."""
    split = json.loads(splits.read_text(encoding="utf-8"))
    held_out = set(split.get("dev", [])) | set(split.get("test", []))
    ids = sorted(path.stem for path in corpus.glob("*.txt"))
    runs = {article_id: word_runs((corpus / f"{article_id}.txt").read_text(encoding="utf-8")) for article_id in ids}
    held = [runs[article_id] for article_id in ids if article_id in held_out]
    return [article_id for article_id in ids
            if article_id not in held_out and not any(shares_wording(runs[article_id], other) for other in held)]


def teacher_examples(articles: list[Article], teacher: Predictor, student: Context, config: Any = None) -> list[Example]:
    """A "distill" example per non-boilerplate sentence: the student's input, the teacher's logits."""
    reader = teacher.model.config.input_context
    inputs: list[Example] = []
    targets: list[Example] = []
    for article in input_pipeline(config).pipe(articles):
        for sentence in article.sentences:
            if sentence.boilerplate:
                continue
            text, pair, _ = sentence_input(article, sentence, reader)
            inputs.append(Example("news", text, pair))
            text, pair, _ = sentence_input(article, sentence, student)
            targets.append(Example("distill", text, pair))
    outputs = teacher.predict(inputs)
    for k, example in enumerate(targets):
        example.teacher_speaker = outputs.speaker[k].tolist()
        example.teacher_certainty = outputs.certainty[k].tolist()
        example.teacher_who = outputs.who[k].tolist() if outputs.who.shape[1] else None
    return targets


def distill_examples(settings: DistillSettings, corpus: Path, splits: Path, student: Context, config: Any = None) -> tuple[list[Example], int]:
    """The distillation examples of the corpus's usable articles and how many articles they come
    from; cached under the cache folder by teacher, student context, configuration and texts."""
    folder = settings.teacher_folder()
    ids = unlabeled_articles(corpus, splits)
    texts = {article_id: (corpus / f"{article_id}.txt").read_text(encoding="utf-8") for article_id in ids}
    key = hashlib.sha256(json.dumps([_FORMAT, sha256(folder / WEIGHTS), asdict(student), config, sorted(texts.items())],
                                    sort_keys=True, default=str).encode()).hexdigest()[:16]
    cached = cache_root() / "distill" / f"{key}.jsonl"
    if cached.is_file():
        return [Example(**json.loads(line)) for line in cached.read_text(encoding="utf-8").splitlines()], len(ids)
    # ONNX Runtime float32 scores what torch does, at torch's speed or better on every CPU measured.
    teacher = Predictor.load(folder, runtime="onnx")
    found = teacher_examples([Article(article_id, text) for article_id, text in texts.items()], teacher, student, config)
    cached.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(cached, "".join(json.dumps(asdict(example)) + "\n" for example in found))
    return found, len(ids)

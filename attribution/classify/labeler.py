"""The classifier as the annotator's `SentenceLabeler`.

The rules run first (they find the main attribution whose source the model sees marked); the
model then decides each sentence's speaker and certainty in one batched forward pass, with
calibrated probabilities as scores, and gives the main predicate's factuality.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from attribution.classify.model import CONFIG, WEIGHTS, ModelConfig
from attribution.document import Article, Entity, Label, Sentence
from attribution.files import sha256
from attribution.hedging import hedge_lexicon
from attribution.labeling import TRUSTED_EVIDENCE, label_article, one_label_per_entity


class ModelLabeler:
    name = "classifier"

    def __init__(self, folder: Path, speaker_from: str = "entities", runtime: str = "torch") -> None:
        if speaker_from not in ("entities", "model"):
            raise ValueError(f"label: speaker_from must be 'entities' or 'model', not {speaker_from!r}")
        self.speaker_from = speaker_from
        self.folder = Path(folder)
        if not (self.folder / WEIGHTS).is_file() or not (self.folder / CONFIG).is_file():
            raise FileNotFoundError(f"{self.folder}: no classifier here (expected {CONFIG} and {WEIGHTS})")
        self.config = ModelConfig.read(self.folder)
        self.version = "sha256:" + sha256(self.folder / WEIGHTS)[:12]
        from attribution.classify.predict import Predictor

        # Loaded here, in the parent, before the workers fork: they share the weights (with
        # ONNX Runtime only the small heads stay in torch, and each worker opens its session).
        self.predictor = Predictor.load(self.folder, runtime)

    def label(self, articles: Sequence[Article]) -> None:
        from attribution.classify.inputs import article_inputs

        for article in articles:
            label_article(article)  # the rules' main attribution, source and cues; boilerplate as such
        pairs = [(sentence, example) for sentence, example in article_inputs(articles, self.config.input_context) if not sentence.boilerplate]
        if not pairs:
            return
        predictor = self.predictor
        outputs = predictor.predict([example for _, example in pairs])
        speakers = predictor.calibrated(outputs, "speaker")
        certainties = predictor.calibrated(outputs, "certainty")
        whos = predictor.calibrated(outputs, "who") if self.config.who_labels else None
        certainty_values = hedge_lexicon().certainty_scores
        expected = np.array([certainty_values[label] for label in self.config.certainty_labels])
        by = f"model:{self.name}"
        row = {id(sentence): k for k, (sentence, _) in enumerate(pairs)}
        for article in articles:
            decided: list[Sentence] = []  # this article's attributed sentences so far, as decided
            entities = {e.id: e for e in article.entities}
            for sentence in article.sentences:
                k = row.get(id(sentence))
                if k is None:
                    continue
                if whos is not None and self.speaker_from == "entities":
                    self._decide(article, sentence, whos[k], speakers[k], entities, decided, by)
                else:
                    best = int(speakers[k].argmax())
                    sentence.speaker = Label(self.config.speaker_labels[best], float(speakers[k][best]), by)
                    if sentence.speaker.label == "unattributed":
                        sentence.speaker_source = sentence.speaker_entity = sentence.attribution = None
                if sentence.speaker.label != "unattributed":
                    decided.append(sentence)
                certainty = certainties[k]
                chosen = int(certainty.argmax())
                # The score is how certain the claim is (schema: 1 = most certain), the expectation
                # over the label probabilities; the probability of the label itself goes alongside.
                sentence.certainty = Label(self.config.certainty_labels[chosen], float(certainty @ expected), by,
                                           probability=float(certainty[chosen]))
                sentence.factuality = outputs.factuality[k][0]
            one_label_per_entity(article)

    def _decide(self, article: Article, sentence: Sentence, who: np.ndarray, speaker: np.ndarray, entities: dict[str, Entity],
                decided: list[Sentence], by: str) -> None:
        """The sentence's speaker from whose it is (the model's who head) and who that source is
        (the entity's affiliation where its words state it, else the model's label head): one
        decision that the sentence's source, entity and attribution follow."""
        labels = self.config.speaker_labels
        attributed = [i for i, label in enumerate(labels) if label != "unattributed"]
        fallback = max(attributed, key=lambda i: speaker[i])
        share = float(speaker[fallback] / max(1e-9, speaker[attributed].sum()))
        whose = self.config.who_labels[int(who.argmax())]
        confidence = float(who.max())
        main = next((a for a in article.attributions if a.id == sentence.attribution), None)
        if whose == "none":
            sentence.speaker = Label("unattributed", confidence, by)
            sentence.speaker_source = sentence.speaker_entity = sentence.attribution = None
            return
        earlier = decided[-1] if decided and sentence.id - decided[-1].id <= _CONTINUES else None
        if whose == "before" and earlier is not None:
            sentence.speaker = Label(earlier.speaker.label, confidence, f"{by}:continues S{earlier.id}")
            sentence.speaker_entity, sentence.attribution, sentence.speaker_source = earlier.speaker_entity, earlier.attribution, None
            return
        entity = entities.get(main.entity or "") if main is not None else None
        if entity is not None and entity.evidence in TRUSTED_EVIDENCE:
            sentence.speaker = Label(entity.label, confidence, f"{by}:entity {entity.id}")
            return
        sentence.speaker = Label(labels[fallback], confidence * share, by)
        if main is None:
            sentence.speaker_source = sentence.speaker_entity = None


# A continuation takes the speaker of an attributed sentence at most this many sentences back.
_CONTINUES = 4

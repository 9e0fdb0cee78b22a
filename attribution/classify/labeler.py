"""The classifier as the annotator's `SentenceLabeler`.

The rules run first (they find the main attribution whose source the model sees marked); the
model then decides each sentence's speaker and certainty in one batched forward pass, with
calibrated probabilities as scores, and gives the main predicate's factuality.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from attribution.classify.model import CONFIG, WEIGHTS, ModelConfig
from attribution.document import Article, Label
from attribution.files import sha256
from attribution.hedging import hedge_lexicon
from attribution.labeling import label_article


class ModelLabeler:
    name = "classifier"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        if not (self.folder / WEIGHTS).is_file() or not (self.folder / CONFIG).is_file():
            raise FileNotFoundError(f"{self.folder}: no classifier here (expected {CONFIG} and {WEIGHTS})")
        self.config = ModelConfig.read(self.folder)
        self.version = "sha256:" + sha256(self.folder / WEIGHTS)[:12]
        self._predictor = None  # loaded on first use, in the process that uses it (after a fork)

    def _load(self):
        if self._predictor is None:
            import torch

            from attribution.classify.predict import Predictor

            # Worker processes get OMP_NUM_THREADS=1 from the pipeline; one process uses its cores.
            threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
            if threads:
                torch.set_num_threads(threads)
            self._predictor = Predictor.load(self.folder)
        return self._predictor

    def label(self, articles: Sequence[Article]) -> None:
        from attribution.classify.inputs import article_inputs

        for article in articles:
            label_article(article)  # the rules' main attribution, source and cues
        pairs = list(article_inputs(articles, self.config.input_context))
        if not pairs:
            return
        predictor = self._load()
        outputs = predictor.predict([example for _, example in pairs])
        speakers = predictor.calibrated(outputs, "speaker")
        certainties = predictor.calibrated(outputs, "certainty")
        certainty_values = hedge_lexicon().certainty_scores
        expected = np.array([certainty_values[label] for label in self.config.certainty_labels])
        by = f"model:{self.name}"
        for (sentence, _), speaker, certainty, factuality in zip(pairs, speakers, certainties, outputs.factuality):
            best = int(speaker.argmax())
            sentence.speaker = Label(self.config.speaker_labels[best], float(speaker[best]), by)
            if sentence.speaker.label == "unattributed":
                sentence.speaker_source = sentence.speaker_entity = sentence.attribution = None
            chosen = int(certainty.argmax())
            # The score is how certain the claim is (schema: 1 = most certain), the expectation
            # over the label probabilities; the probability of the label itself goes alongside.
            sentence.certainty = Label(self.config.certainty_labels[chosen], float(certainty @ expected), by,
                                       probability=float(certainty[chosen]))
            sentence.factuality = factuality[0]


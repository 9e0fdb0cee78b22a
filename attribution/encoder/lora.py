"""LoRA adapters on the base encoder: created and saved in training, merged in at load time.

A model folder keeps only what training changed, in one safetensors file: the adapters (keys
under `ADAPTER_PREFIX`, as PEFT names them), the weights of any layers trained in full (keys
under `FULL_PREFIX`, as the plain encoder names them) and the model's own heads (every other
key), in fp16. Loading puts the full layers' weights in place and folds each adapter into its
layer (W += B A alpha / r) on the plain-torch encoder, so inference costs no more than the
encoder alone and needs neither PEFT nor Transformers, whose imports take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from attribution.encoder import base_encoder, base_path
from attribution.encoder.bert import BertEncoder

ADAPTER_PREFIX = "adapter."
FULL_PREFIX = "full."
_PEFT_PREFIX = "base_model.model."


@dataclass
class LoraSettings:
    r: int = 16
    alpha: int = 32
    dropout: float = 0.0
    targets: list[str] = field(default_factory=lambda: ["query", "key", "value", "dense"])
    # The top encoder layers trained in full (every weight, beside their adapters), not through
    # the adapters alone; their weights are saved, about 3.5 MB a layer in fp16.
    full_layers: int = 0


def load_merged(weights: Path, settings: LoraSettings, layers: int | None = None) -> tuple[BertEncoder, dict[str, torch.Tensor]]:
    """The base encoder (its lower `layers`) with the saved adapters merged in, and the saved
    tensors that are not adapters (the model's heads), in float32."""
    encoder = base_encoder(layers)
    state = {k: v.float() for k, v in load_file(weights).items()}
    full = {k.removeprefix(FULL_PREFIX): state.pop(k) for k in [k for k in state if k.startswith(FULL_PREFIX)]}
    if full:
        encoder.load_state_dict(full, strict=False)
    layers_by_name = dict(encoder.named_modules())
    scale = settings.alpha / settings.r
    with torch.no_grad():
        for key in [k for k in state if k.startswith(ADAPTER_PREFIX) and k.endswith(".lora_A.weight")]:
            name = key.removeprefix(ADAPTER_PREFIX + _PEFT_PREFIX).removesuffix(".lora_A.weight")
            down, up = state.pop(key), state.pop(key.replace(".lora_A.", ".lora_B."))
            layers_by_name[name].weight += up @ down * scale
    return encoder, state


def create(settings: LoraSettings, layers: int | None = None) -> nn.Module:
    """For training: Transformers' `BertModel` of the base weights (its lower `layers`), without
    the pooler, wrapped by PEFT with trainable adapters."""
    from peft import LoraConfig, get_peft_model
    from transformers import BertModel

    overrides = {"num_hidden_layers": layers} if layers is not None else {}
    model = BertModel.from_pretrained(str(base_path()), add_pooling_layer=False, attn_implementation="sdpa", **overrides)
    lora = LoraConfig(r=settings.r, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
                      target_modules=settings.targets, bias="none")
    wrapped = get_peft_model(model, lora)
    for _, parameter in full_parameters(wrapped, settings.full_layers):
        parameter.requires_grad = True
    return wrapped


def full_parameters(encoder: nn.Module, full_layers: int) -> list[tuple[str, nn.Parameter]]:
    """The base weights of the top `full_layers` layers of a PEFT-wrapped encoder (adapters not
    included), each with the name the plain encoder gives it."""
    if not full_layers:
        return []
    count = len(encoder.base_model.model.encoder.layer)
    tops = tuple(f"encoder.layer.{k}." for k in range(count - full_layers, count))
    found = []
    for name, parameter in encoder.named_parameters():
        plain = name.removeprefix(_PEFT_PREFIX).replace(".base_layer.", ".")
        if plain.startswith(tops) and "lora_" not in name:
            found.append((plain, parameter))
    return found


def save(model: nn.Module, encoder: nn.Module, weights: Path, full_layers: int = 0) -> None:
    """The adapters of `encoder` (a PEFT model inside `model`), the weights of its top
    `full_layers` layers, and `model`'s other parameters (its heads), fp16, in one file."""
    from peft import get_peft_model_state_dict

    state = {ADAPTER_PREFIX + k: v for k, v in get_peft_model_state_dict(encoder).items()}
    state.update({FULL_PREFIX + name: p for name, p in full_parameters(encoder, full_layers)})
    inside = {id(p) for p in encoder.parameters()}
    state.update({name: p for name, p in model.named_parameters() if id(p) not in inside})
    weights.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().to(torch.float16).contiguous() for k, v in state.items()}, str(weights))

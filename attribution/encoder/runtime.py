"""The encoder run by ONNX Runtime, a CPU runtime built for inference.

A model's encoder (the base weights with its adapters merged) is exported to ONNX once and kept
in a cache folder, named by what it was made from, so a second run, and every worker, loads it
in milliseconds. `quantize` stores the weights as int8 (dynamic quantization of the matrix
products): about a quarter of the size and faster on CPUs without bfloat16 support; the README
gives what each runtime costs in time and accuracy. The heads stay in torch: they are a few
small matrices on pooled vectors.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

RUNTIMES = ("auto", "torch", "onnx", "onnx-int8")
_FORMAT = "onnx-encoder-v2"  # changes when the export or the int8 schemes change, so old files are not taken
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def cache_root() -> Path:
    """$ATTRIBUTION_CACHE, else ~/.cache/attribution (XDG_CACHE_HOME where set)."""
    return Path(os.environ.get("ATTRIBUTION_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "attribution")


def cache_folder() -> Path:
    """Where the exported encoders are kept."""
    return cache_root() / "onnx"


class _Inputs(nn.Module):
    """The encoder with its inputs as positional tensors, as the exporter traces them."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)


def _digest(encoder: nn.Module) -> str:
    digest = hashlib.sha256(_FORMAT.encode())
    for name, tensor in encoder.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().to(torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


# How int8 is made. "channel": a weight scale per output channel, and the products int8 hurts
# most left in float32: the first layer's (it reads the embeddings, whose outliers stretch an
# activation scale) and each layer's query and key projections (their errors are multiplied
# together in the attention logits). That keeps the classifier's dev scores, at 1.5 times
# ONNX Runtime float32's speed; int8 of every product, even per channel, lost half a point of
# speaker accuracy (README, "Speed"). "tensor": one scale per matrix, every product: what the
# claim vectors were made with when the linker was fitted on them.
SCHEMES = ("channel", "tensor")
_FLOAT_PARTS = ("/layer.0/", "/attention/self/query/", "/attention/self/key/")  # in the exported node names


def export(encoder: nn.Module, quantize: bool, scheme: str = "channel") -> Path:
    """The ONNX file of this encoder (made now unless the cache holds it), int8 by `scheme`."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown int8 scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    folder = cache_folder()
    folder.mkdir(parents=True, exist_ok=True)
    key = _digest(encoder)
    plain, target = folder / f"{key}.onnx", folder / (f"{key}-int8-{scheme}.onnx" if quantize else f"{key}.onnx")
    if target.exists():
        return target
    if not plain.exists():
        example = torch.ones((2, 8), dtype=torch.long)
        wrapped = _Inputs(encoder).eval()
        partial = plain.with_name(f".{plain.name}.{os.getpid()}.tmp")
        with torch.no_grad():
            torch.onnx.export(wrapped, (example, example, torch.zeros_like(example)), str(partial), input_names=list(_INPUTS),
                              output_names=["hidden"], opset_version=17, dynamo=False,
                              dynamic_axes={**{name: {0: "batch", 1: "pieces"} for name in _INPUTS}, "hidden": {0: "batch", 1: "pieces"}})
        os.replace(partial, plain)
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        logging.disable(logging.WARNING)  # it advises a pre-processing step that changes nothing here
        try:
            quantize_dynamic(str(plain), str(partial), weight_type=QuantType.QInt8, per_channel=scheme == "channel",
                             nodes_to_exclude=_kept_in_float(plain) if scheme == "channel" else [])
        finally:
            logging.disable(logging.NOTSET)
        os.replace(partial, target)
    return target


def _kept_in_float(path: Path) -> list[str]:
    """The matrix products of the "channel" scheme that stay float32."""
    import onnx

    return [node.name for node in onnx.load(str(path)).graph.node if node.op_type == "MatMul" and any(part in node.name for part in _FLOAT_PARTS)]


class OnnxEncoder(nn.Module):
    """Called like the torch encoder (keyword tensors in, token vectors out; no parameters of
    its own). The session opens in the process that first uses it (a worker after the fork),
    with that process's threads."""

    def __init__(self, encoder: nn.Module, quantize: bool, scheme: str = "channel") -> None:
        super().__init__()
        self.path = export(encoder, quantize, scheme)
        self._session = None

    def _open(self):
        if self._session is None:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = torch.get_num_threads()
            options.inter_op_num_threads = 1
            self._session = onnxruntime.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        return self._session

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        feed = {"input_ids": input_ids.numpy(), "attention_mask": attention_mask.numpy(), "token_type_ids": token_type_ids.numpy()}
        [hidden] = self._open().run(None, {name: np.ascontiguousarray(value, dtype=np.int64) for name, value in feed.items()})
        return torch.from_numpy(hidden)


def resolved(runtime: str) -> str:
    """The runtime `runtime` names; `auto` is torch where the CPU is fast at bfloat16 (torch
    runs there in bfloat16), else ONNX Runtime in float32, as fast as torch's float32 or faster
    (twice as fast on one AMD EPYC; README, "Speed"). Both keep the float32 model's scores."""
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}")
    if runtime == "auto":
        from attribution.encoder import bfloat16_is_fast

        return "torch" if bfloat16_is_fast() else "onnx"
    return runtime


def with_runtime(model: nn.Module, runtime: str) -> nn.Module:
    """The model with its encoder run by `runtime` (torch leaves it as it is)."""
    runtime = resolved(runtime)
    if runtime != "torch":
        model.encoder = OnnxEncoder(model.encoder, quantize=runtime == "onnx-int8")
    return model

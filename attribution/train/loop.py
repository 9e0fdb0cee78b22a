"""The one training loop both models use: AdamW over parameter groups, a linear warmup then a
linear decay, gradient clipping, fixed seeds, bfloat16 autocast where the CPU is fast at it."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class Schedule:
    steps: int
    warmup: float  # share of the steps with a rising learning rate
    weight_decay: float


def seed_everything(seed: int) -> random.Random:
    """Seed Python, numpy and torch; returns a generator of its own for the data order."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return random.Random(seed)


def train_loop(model: nn.Module, groups: list[tuple[list[nn.Parameter], float]], schedule: Schedule,
               next_loss: Callable[[int], torch.Tensor], report: Callable[[int, int, float], None] | None = None) -> dict:
    """Run `schedule.steps` optimizer steps; `next_loss(step)` draws a batch and returns its loss
    (a forward pass in train mode), `report(step, steps, recent loss)` follows each step.
    Returns a log of the run (steps, minutes, final loss)."""
    optimizer = torch.optim.AdamW([{"params": params, "lr": rate} for params, rate in groups], weight_decay=schedule.weight_decay)
    steps = schedule.steps
    warmup = max(1, int(steps * schedule.warmup))
    lr_schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup))))
    model.train()
    started, losses = time.perf_counter(), []
    for step in range(steps):
        loss = next_loss(step)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        lr_schedule.step()
        losses.append(float(loss.detach()))
        if report:
            report(step + 1, steps, float(np.mean(losses[-50:])))
    model.eval()
    return {"steps": steps, "minutes": round((time.perf_counter() - started) / 60, 1),
            "final_loss": round(float(np.mean(losses[-100:])), 4) if losses else None}

"""The course's three networks as LightningModules, and one short, reproducible training run.

``SimpleNetwork``: Linear(in, 200) - ReLU - Linear(200, 10); ``BatchNormNetwork``
puts batch norm before the ReLU, ``DropoutNetwork`` dropout after it. Adam,
cross-entropy, batch size 50, as in the exercise. Batch norm and dropout are
the autograd Functions of :mod:`grader.lightning.functions`, backed by whichever
*layers* object the network is given. Every network records its per-epoch
curves (train/val loss and accuracy) for the report.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn

from grader.lightning.data import Data, loaders
from grader.lightning.functions import BatchNormFunction, DropoutFunction

HIDDEN = 200
LEARNING_RATE = 1e-3
DROPOUT_RATE = 0.5  # probability of dropping a unit
RUN_SEED = 0  # fixed, independent of the grading seed: the reference runs are cached per worker

Curves = dict[str, list[float]]
_PLAIN = (str, bool, int, float, type(None))


class Network(pl.LightningModule):
    """Linear - [hidden op] - Linear, trained with Adam on cross-entropy; keeps its curves."""

    def __init__(self, in_features: int, classes: int = 10) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_features, HIDDEN)
        self.fc2 = nn.Linear(HIDDEN, classes)
        self.curves: Curves = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": []}
        self._sums = {"train": [0.0, 0, 0], "val": [0.0, 0, 0]}  # loss sum, correct, count

    def __setattr__(self, name: str, value: Any) -> None:
        # Lightning sets _current_fx_name around every hook, about 4,000 times a run. For a plain value
        # that names no parameter, buffer or submodule, nn.Module.__setattr__ ends in object.__setattr__
        # after a dozen checks: go there at once (a tenth of the training loop's own time).
        registered = self.__dict__
        if type(value) in _PLAIN and name not in registered.get("_parameters", ()) \
                and name not in registered.get("_buffers", ()) and name not in registered.get("_modules", ()):
            object.__setattr__(self, name, value)
        else:
            super().__setattr__(name, value)

    def hidden(self, h: torch.Tensor) -> torch.Tensor:
        return F.relu(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.hidden(self.fc1(x)))

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        sums = self._sums[stage]
        sums[0] += float(loss) * len(y)
        sums[1] += int((logits.argmax(dim=1) == y).sum())
        sums[2] += len(y)
        return loss

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        self._step(batch, "val")

    def on_train_epoch_end(self) -> None:
        self._close_epoch("train")

    def on_validation_epoch_end(self) -> None:
        self._close_epoch("val")

    def _close_epoch(self, stage: str) -> None:
        loss, correct, count = self._sums[stage]
        self.curves[f"{stage}_loss"].append(loss / count)
        self.curves[f"{stage}_acc"].append(correct / count)
        self._sums[stage] = [0.0, 0, 0]

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=LEARNING_RATE)


class SimpleNetwork(Network):
    """Linear - ReLU - Linear."""


class BatchNormNetwork(Network):
    """Linear - batch norm - ReLU - Linear, with the given layers' batch norm."""

    def __init__(self, in_features: int, layers: Any, classes: int = 10) -> None:
        super().__init__(in_features, classes)
        self.layers = layers
        self.gamma = nn.Parameter(torch.ones(HIDDEN))
        self.beta = nn.Parameter(torch.zeros(HIDDEN))

    def hidden(self, h: torch.Tensor) -> torch.Tensor:
        return F.relu(BatchNormFunction.apply(h, self.gamma, self.beta, self.layers, self.training))


class DropoutNetwork(Network):
    """Linear - ReLU - dropout - Linear, with the given layers' dropout; a fresh seed every step."""

    def __init__(self, in_features: int, layers: Any, p: float, classes: int = 10) -> None:
        super().__init__(in_features, classes)
        self.layers, self.p = layers, p
        self.mask_seed = RUN_SEED

    def hidden(self, h: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.mask_seed += 1  # the same sequence of seeds in every run: reproducible masks
        return DropoutFunction.apply(F.relu(h), self.layers, self.p, self.training, self.mask_seed)


def make(kind: str, data: Data, layers: Any = None, *, p: float = DROPOUT_RATE) -> Network:
    """A freshly initialised network of ``kind`` (``simple``, ``batchnorm``, ``dropout``), seeded."""
    pl.seed_everything(RUN_SEED, verbose=False)
    if kind == "simple":
        return SimpleNetwork(data.in_features, data.classes)
    if kind == "batchnorm":
        return BatchNormNetwork(data.in_features, layers, data.classes)
    if kind == "dropout":
        return DropoutNetwork(data.in_features, layers, p, data.classes)
    raise ValueError(f"unknown network {kind!r}")


def fit(model: Network, data: Data, *, epochs: int, accelerator: str) -> Curves:
    """Train ``model`` for ``epochs`` with a fixed seed and batch order; returns its curves.

    Lightning re-raises whatever a step raised; the caller re-raises the
    student's error recorded by the layers in case anything wraps it.
    """
    train, val = loaders(data, RUN_SEED)
    trainer = trainer_for(epochs, accelerator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "few dataloader workers" and the like: not the student's business
        trainer.fit(model, train, val)
    return {k: [round(v, 6) for v in vals] for k, vals in model.curves.items()}


def trainer_for(epochs: int, accelerator: str) -> pl.Trainer:
    """A Trainer that only trains: no logger, checkpoints, progress bar, summary or sanity check."""
    for name in ("pytorch_lightning", "lightning_fabric"):
        logging.getLogger(name).setLevel(logging.WARNING)  # "GPU available: ...", tips
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pl.Trainer(max_epochs=epochs, accelerator=accelerator, devices=1, logger=False,
                          enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                          num_sanity_val_steps=0, deterministic=True)


@torch.no_grad()
def predict(model: Network, x: torch.Tensor) -> np.ndarray:
    """Eval-mode logits of ``x`` (on the model's device), as float64 numpy."""
    model.eval()
    try:
        return model(x.to(model.device)).double().cpu().numpy()
    finally:
        model.train()

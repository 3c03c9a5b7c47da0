"""The convolutional exercise's training check: a small CNN on the bundled 8x8 digits, trained briefly.

conv (F 3x3 filters, stride 1, no padding) - [spatial batch norm] - ReLU - 2x2 max pool - affine, Adam,
cross-entropy, trained on a fixed subset of digits for a few epochs. The conv, pooling and spatial
batch norm are the student's (or the reference's) through :class:`grader.lightning.kit_layers.KitFunction`;
the affine layer and the ReLU are torch's. The sizes keep a loop-based correct solution's two runs,
with the rest of the grading, within about 10 s on a 2-core machine (``python -m bench conv_grading``):
the naive convolution's loops are the cost, about N * F * 8 * 8 small numpy operations per call.
"""

from __future__ import annotations

import math
from typing import Any

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import TensorDataset

from grader.lightning.data import Data
from grader.lightning.kit_layers import KitFunction
from grader.lightning.networks import Curves, Network, fit

FILTERS = 3
TRAIN_IMAGES = 250
VAL_IMAGES = 100
EPOCHS = 2
RUN_SEED = 0
LEARNING_RATE = 3e-2  # a few steps only: the network must visibly learn in them
CONV_PARAM = {"stride": 1, "pad": 0}  # 8x8 -> 6x6 -> pooled 3x3: 36 positions per filter, not 64
POOL_PARAM = {"pool_height": 2, "pool_width": 2, "stride": 2}
BN_PARAM = {"mode": "train", "eps": 1e-5, "momentum": 0.9}


class ConvNetwork(Network):
    """conv - [spatial batch norm] - ReLU - max pool - affine, on 1x8x8 images, with the given layers."""

    def __init__(self, layers: Any, *, batchnorm: bool, classes: int = 10) -> None:
        pl.LightningModule.__init__(self)  # not Network's: its fully connected layers are not this network's
        self.curves: Curves = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": []}
        self._sums = {"train": [0.0, 0, 0], "val": [0.0, 0, 0]}
        self.layers, self.batchnorm = layers, batchnorm
        self.w = nn.Parameter(torch.randn(FILTERS, 1, 3, 3) * math.sqrt(2.0 / 9))
        self.b = nn.Parameter(torch.zeros(FILTERS))
        if batchnorm:
            self.gamma = nn.Parameter(torch.ones(FILTERS))
            self.beta = nn.Parameter(torch.zeros(FILTERS))
        self.fc = nn.Linear(FILTERS * 3 * 3, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = KitFunction.apply(self.layers, "conv", CONV_PARAM, self.training, x.reshape(-1, 1, 8, 8), self.w, self.b)
        if self.batchnorm:
            h = KitFunction.apply(self.layers, "sbn", BN_PARAM, self.training, h, self.gamma, self.beta)
        h = KitFunction.apply(self.layers, "pool", POOL_PARAM, self.training, F.relu(h))
        return self.fc(h.flatten(1))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=LEARNING_RATE)


def subset(data: Data) -> Data:
    """A fixed subset of digits: TRAIN_IMAGES to train on, VAL_IMAGES to validate with."""
    if data.in_features != 64:
        raise ValueError(f"the convolutional network's training check needs the 8x8 digits, not {data.name}")
    train, val = (TensorDataset(*(t[:n] for t in d.tensors)) for d, n in ((data.train, TRAIN_IMAGES),
                                                                            (data.val, VAL_IMAGES)))
    return Data(data.name, train, val, data.in_features, data.classes)


def train(layers: Any, data: Data, *, batchnorm: bool, accelerator: str) -> tuple[ConvNetwork, Curves]:
    """A freshly seeded network on ``layers``, trained for EPOCHS on the subset; its curves."""
    pl.seed_everything(RUN_SEED, verbose=False)
    model = ConvNetwork(layers, batchnorm=batchnorm)
    return model, fit(model, subset(data), epochs=EPOCHS, accelerator=accelerator)

"""Models of the known mistakes of cs231n_conv: what code that makes each one computes.

Judge-side only, named by ``model = ...`` in assignment.toml's ``[[mistakes]]``. A forward model
takes the reference module and the forward's arguments by name and returns ``out``; a backward model
also takes ``dout`` and returns the gradients the mistake changes, by name. The kit compares a
student's wrong numbers with these to name the mistake (a hint is a measurement, never a guess) and
to charge it once (grader/checks/kit/judging.py).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

Array = np.ndarray


def kernel_flipped(ref: ModuleType, x: Array, w: Array, b: Array, conv_param: dict[str, Any]) -> Array:
    """A true convolution: the kernel flipped along both spatial axes."""
    return ref.conv_forward_naive(x, w[:, :, ::-1, ::-1], b, conv_param)[0]  # type: ignore[no-any-return]


def padding_one_side(ref: ModuleType, x: Array, w: Array, b: Array, conv_param: dict[str, Any]) -> Array:
    """All 2 * pad zeros after the input (bottom and right), none before: the output keeps its shape."""
    pad = conv_param["pad"]
    padded = np.pad(x, ((0, 0), (0, 0), (0, 2 * pad), (0, 2 * pad)))
    return ref.conv_forward_naive(padded, w, b, {**conv_param, "pad": 0})[0]  # type: ignore[no-any-return]


def db_averaged(ref: ModuleType, dout: Array, x: Array, w: Array, b: Array,
                conv_param: dict[str, Any]) -> dict[str, Array]:
    """db as the mean of dout over the batch and the positions instead of its sum."""
    return {"db": dout.mean(axis=(0, 2, 3))}


def dw_stride_ignored(ref: ModuleType, dout: Array, x: Array, w: Array, b: Array,
                      conv_param: dict[str, Any]) -> dict[str, Array]:
    """dw gathered from the input windows at every position (stride 1), not every ``stride``."""
    pad = conv_param["pad"]
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    HH, WW = w.shape[2:]
    dw = np.zeros_like(w, dtype=np.float64)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dw += np.einsum("nf,nchw->fchw", dout[:, :, i, j], padded[:, :, i:i + HH, j:j + WW])
    return {"dw": dw}


def pool_stride_is_size(ref: ModuleType, x: Array, pool_param: dict[str, Any]) -> Array:
    """Windows placed one window apart (stride = the window's size), whatever ``stride`` says."""
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    Ho, Wo = 1 + (x.shape[2] - ph) // stride, 1 + (x.shape[3] - pw) // stride
    out = np.zeros((*x.shape[:2], Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * ph:i * ph + ph, j * pw:j * pw + pw].max(axis=(2, 3))
    return out


def average_pooling(ref: ModuleType, x: Array, pool_param: dict[str, Any]) -> Array:
    """The mean of each window instead of its maximum."""
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    Ho, Wo = 1 + (x.shape[2] - ph) // stride, 1 + (x.shape[3] - pw) // stride
    out = np.zeros((*x.shape[:2], Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw].mean(axis=(2, 3))
    return out


def _pool_backward(dout: Array, x: Array, pool_param: dict[str, Any], *, spread: bool, overwrite: bool) -> Array:
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x, dtype=np.float64)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows, cols = slice(i * stride, i * stride + ph), slice(j * stride, j * stride + pw)
            window = x[:, :, rows, cols]
            share = np.full(window.shape, 1.0 / (ph * pw)) if spread else \
                window == window.max(axis=(2, 3), keepdims=True)
            part = share * dout[:, :, i:i + 1, j:j + 1]
            if overwrite:
                dx[:, :, rows, cols] = part
            else:
                dx[:, :, rows, cols] += part
    return dx


def pool_gradient_spread(ref: ModuleType, dout: Array, x: Array, pool_param: dict[str, Any]) -> dict[str, Array]:
    """Each window's dout shared equally by all its entries (average pooling's gradient)."""
    return {"dx": _pool_backward(dout, x, pool_param, spread=True, overwrite=False)}


def pool_gradient_overwritten(ref: ModuleType, dout: Array, x: Array,
                              pool_param: dict[str, Any]) -> dict[str, Array]:
    """dx[window] = ... instead of +=: where windows overlap, a later window erases an earlier one's gradient."""
    return {"dx": _pool_backward(dout, x, pool_param, spread=False, overwrite=True)}


def channels_not_last(ref: ModuleType, x: Array, gamma: Array, beta: Array, bn_param: dict[str, Any]) -> Array:
    """x.reshape(-1, C) without moving the channels last first: each column mixes channels."""
    N, C, H, W = x.shape
    out, _ = ref.batchnorm_forward(x.reshape(-1, C), gamma, beta, bn_param)
    return out.reshape(N, C, H, W)  # type: ignore[no-any-return]


def channels_not_last_backward(ref: ModuleType, dout: Array, x: Array, gamma: Array, beta: Array,
                               bn_param: dict[str, Any]) -> dict[str, Array]:
    """The backward's dout.reshape(-1, C) without moving the channels last, on a correct forward's cache."""
    N, C, H, W = x.shape
    _, cache = ref.spatial_batchnorm_forward(x, gamma, beta, bn_param)
    dx, dgamma, dbeta = ref.batchnorm_backward(dout.reshape(-1, C), cache)
    return {"dx": dx.reshape(N, C, H, W), "dgamma": dgamma, "dbeta": dbeta}

"""Trusted reference solution of cs231n's convolutional layers (assignment 2, ConvolutionalNetworks).

Runs only in the judge; students never see it. Vectorised (sliding windows and einsum), so the
reference side of every check and of the training check costs little; the students' naive loops
are what the sizes of the checks are chosen for. ``batchnorm_forward`` and ``batchnorm_backward``
are the ones the starter hands out, line for line: spatial batch norm calls them, and a student's
spatial_batchnorm_backward is judged on the cache they return.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv_forward_naive(x: np.ndarray, w: np.ndarray, b: np.ndarray,
                       conv_param: dict[str, Any]) -> tuple[np.ndarray, Any]:
    """Cross-correlation of x (N, C, H, W) with w (F, C, HH, WW), plus b (F,); cache (x, w, b, conv_param)."""
    windows = _windows(x, w.shape[2:], conv_param["stride"], conv_param["pad"])
    out = np.einsum("nchwij,fcij->nfhw", windows, w, optimize=True) + b[None, :, None, None]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dw, db) of :func:`conv_forward_naive` on its cache ``(x, w, b, conv_param)``."""
    x, w, _, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    HH, WW = w.shape[2:]
    Ho, Wo = dout.shape[2:]
    db = dout.sum(axis=(0, 2, 3))
    dw = np.einsum("nchwij,nfhw->fcij", _windows(x, (HH, WW), stride, pad), dout, optimize=True)
    dxp = np.zeros((x.shape[0], x.shape[1], x.shape[2] + 2 * pad, x.shape[3] + 2 * pad))
    for i in range(HH):
        for j in range(WW):
            dxp[:, :, i:i + stride * Ho:stride, j:j + stride * Wo:stride] += \
                np.einsum("nfhw,fc->nchw", dout, w[:, :, i, j])
    return dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]], dw, db


def max_pool_forward_naive(x: np.ndarray, pool_param: dict[str, Any]) -> tuple[np.ndarray, Any]:
    """Max over (pool_height, pool_width) windows every ``stride``; cache (x, pool_param)."""
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    return _windows(x, (ph, pw), stride, 0).max(axis=(4, 5)), (x, pool_param)


def max_pool_backward_naive(dout: np.ndarray, cache: Any) -> np.ndarray:
    """dx of :func:`max_pool_forward_naive`: each window's dout goes to its maximum (to every maximum on a tie)."""
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x, dtype=np.float64)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw]
            mask = window == window.max(axis=(2, 3), keepdims=True)
            dx[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw] += mask * dout[:, :, i:i + 1, j:j + 1]
    return dx


def spatial_batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                              bn_param: dict[str, Any]) -> tuple[np.ndarray, Any]:
    """Batch norm per channel over N, H and W: channels moved last, then (N*H*W, C) through batchnorm_forward."""
    N, C, H, W = x.shape
    out, cache = batchnorm_forward(x.transpose(0, 2, 3, 1).reshape(-1, C), gamma, beta, bn_param)
    return out.reshape(N, H, W, C).transpose(0, 3, 1, 2), cache


def spatial_batchnorm_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dgamma, dbeta) of :func:`spatial_batchnorm_forward`, through batchnorm_backward."""
    N, C, H, W = dout.shape
    dx, dgamma, dbeta = batchnorm_backward(dout.transpose(0, 2, 3, 1).reshape(-1, C), cache)
    return dx.reshape(N, H, W, C).transpose(0, 3, 1, 2), dgamma, dbeta


def batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                      bn_param: dict[str, Any]) -> tuple[np.ndarray, Any]:
    """The starter's batch norm (x of shape (N, D)); train-mode cache (x_norm, gamma, ivar)."""
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    cache: Any = None
    if mode == "train":
        mean, var = x.mean(axis=0), x.var(axis=0)
        ivar = 1.0 / np.sqrt(var + eps)
        x_norm = (x - mean) * ivar
        out = gamma * x_norm + beta
        cache = (x_norm, gamma, ivar)
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    else:
        raise ValueError(f'Invalid forward batchnorm mode "{mode}"')
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The starter's batch norm backward on the cache (x_norm, gamma, ivar)."""
    x_norm, gamma, ivar = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_norm).sum(axis=0)
    dx_norm = dout * gamma
    dx = ivar / N * (N * dx_norm - dx_norm.sum(axis=0) - x_norm * (dx_norm * x_norm).sum(axis=0))
    return dx, dgamma, dbeta


def _windows(x: np.ndarray, size: tuple[int, int], stride: int, pad: int) -> np.ndarray:
    """(N, C, H', W', HH, WW): every window of x (zero-padded by ``pad`` on every side), every ``stride``."""
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    return sliding_window_view(x, tuple(size), axis=(2, 3))[:, :, ::stride, ::stride]

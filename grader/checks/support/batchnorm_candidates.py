"""The known wrong ways to write ``batchnorm_backward`` (and ``_alt``), as candidate formulas (see
candidates.py).

Every formula works from :func:`inputs`: the batch, gamma, dout and eps the student's function was
called with, and the pieces of the correct gradient computed from them in float64. The correct dx
is written as three terms, one per path of the chain rule,

    dx = direct + mean_term + var_term
    direct    = dx_norm / sqrt(var + eps)                  (x -> x_norm)
    mean_term = -mean(dx_norm) / sqrt(var + eps)           (x -> mean -> x_norm)
    var_term  = -x_norm * mean(dx_norm * x_norm) / sqrt(var + eps)   (x -> var -> x_norm)

with dx_norm = dout * gamma, so most slips of a staged backward are one term scaled (a path dropped:
0; a missing 1/N: N; a missing 1/2 in d sqrt(var) / d var: 2; a sign: -1). The rest recompute the
normalisation the wrong way (eps left out or outside the square root, the unbiased variance) or
sum over the wrong axis. Candidates that give the same numbers share a hint whose text names each way
there (tests/grader/test_candidates.py checks that candidates with different hints stay apart).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from grader.checks.support import batchnorm_math as bm
from grader.checks.support.candidates import Candidate, register

OUTPUTS = ("dx", "dgamma", "dbeta")
V = Mapping[str, Any]
Scale = float | str | Callable[[V], Any]


def inputs(x: np.ndarray, gamma: np.ndarray, dout: np.ndarray, eps: float) -> dict[str, Any]:
    """What the candidates are computed from: the call's inputs and the correct gradient's pieces."""
    x, gamma, dout = (np.asarray(a, np.float64) for a in (x, gamma, dout))
    n = x.shape[0]
    xm = x - x.mean(axis=0)
    var = (xm**2).mean(axis=0)
    ivar = 1.0 / np.sqrt(var + eps)
    x_norm, dxn = xm * ivar, dout * gamma
    return {"x": x, "gamma": gamma, "dout": dout, "eps": eps, "n": n, "xm": xm, "var": var, "std": 1.0 / ivar,
            "ivar": ivar, "x_norm": x_norm, "dxn": dxn, "direct": dxn * ivar,
            "mean_term": -dxn.mean(axis=0) * ivar, "var_term": -x_norm * (dxn * x_norm).mean(axis=0) * ivar,
            "dgamma": (dout * x_norm).sum(axis=0), "dbeta": dout.sum(axis=0)}


def correct(v: V) -> dict[str, np.ndarray]:
    """The correct (dx, dgamma, dbeta) by name, from :func:`inputs`."""
    return {"dx": v["direct"] + v["mean_term"] + v["var_term"], "dgamma": v["dgamma"], "dbeta": v["dbeta"]}


def _value(scale: Scale, v: V) -> Any:
    return v[scale] if isinstance(scale, str) else scale(v) if callable(scale) else scale


def paths(mean: Scale = 1.0, var: Scale = 1.0) -> Callable[[V], dict[str, np.ndarray]]:
    """dx with its mean term times ``mean`` and its variance term times ``var`` (a number, an input's name, or
    a function of the inputs)."""
    return lambda v: {"dx": v["direct"] + _value(mean, v) * v["mean_term"] + _value(var, v) * v["var_term"]}


def renormalised(std: Callable[[V], np.ndarray], dgamma: bool = False
                 ) -> Callable[[V], dict[str, np.ndarray]]:
    """The compact backward written with ``std(inputs)`` where sqrt(var + eps) belongs (and in dgamma too)."""
    def formula(v: V) -> dict[str, np.ndarray]:
        ivar = 1.0 / std(v)
        x_norm, dxn, n = v["xm"] * ivar, v["dxn"], v["n"]
        out = {"dx": ivar / n * (n * dxn - dxn.sum(axis=0) - x_norm * (dxn * x_norm).sum(axis=0))}
        return {**out, "dgamma": (v["dout"] * x_norm).sum(axis=0)} if dgamma else out
    return formula


def _dx_of(**options: Any) -> Callable[[V], dict[str, np.ndarray]]:
    return lambda v: {"dx": bm.backward_dx(v["x"], v["gamma"], v["dout"], v["eps"], **options)}


def _unbiased_divisor(v: V) -> float:
    return float(v["n"] / (v["n"] - 1))


def _unbiased_everywhere(v: V) -> dict[str, np.ndarray]:
    return {"dx": bm.backward_dx(v["x"], v["gamma"], v["dout"], v["eps"], ddof=1, var_divisor=v["n"] - 1)}


def _unbiased_std(v: V) -> np.ndarray:
    return np.asarray(np.sqrt(v["var"] * v["n"] / (v["n"] - 1) + v["eps"]))


def _sqrt_var(v: V) -> np.ndarray:
    return np.asarray(np.sqrt(v["var"]))


def _eps_outside(v: V) -> np.ndarray:
    return np.asarray(np.sqrt(v["var"]) + v["eps"])


def _mean_over_rows(v: V) -> dict[str, np.ndarray]:
    """The compact form with dx_norm.sum(axis=1, keepdims=True) in the mean path."""
    return {"dx": v["direct"] - v["dxn"].sum(axis=1, keepdims=True) * v["ivar"] / v["n"] + v["var_term"]}


def _var_over_rows(v: V) -> dict[str, np.ndarray]:
    """The compact form with (dx_norm * x_norm).sum(axis=1, keepdims=True) in the variance path."""
    var_term = -v["x_norm"] * (v["dxn"] * v["x_norm"]).sum(axis=1, keepdims=True) * v["ivar"] / v["n"]
    return {"dx": v["direct"] + v["mean_term"] + var_term}


def _mean_averaged_over_rows(v: V) -> dict[str, np.ndarray]:
    """The compact form with dx_norm.mean(axis=1, keepdims=True) in the mean path."""
    return {"dx": v["direct"] - v["dxn"].mean(axis=1, keepdims=True) * v["ivar"] + v["var_term"]}


def _var_averaged_over_rows(v: V) -> dict[str, np.ndarray]:
    """The compact form with (dx_norm * x_norm).mean(axis=1, keepdims=True) in the variance path."""
    var_term = -v["x_norm"] * (v["dxn"] * v["x_norm"]).mean(axis=1, keepdims=True) * v["ivar"]
    return {"dx": v["direct"] + v["mean_term"] + var_term}


def _both_over_rows(v: V) -> dict[str, np.ndarray]:
    return {"dx": (_mean_over_rows(v)["dx"] + _var_over_rows(v)["dx"]
                   - v["direct"] - v["mean_term"] - v["var_term"])}


def _staged_mean_over_rows(v: V) -> dict[str, np.ndarray]:
    """The staged form with dmu = -sum(dxmu1 + dxmu2, axis=1, keepdims=True)."""
    dx1 = v["direct"] + v["var_term"]
    return {"dx": dx1 - dx1.sum(axis=1, keepdims=True) / v["n"]}


def _mean_over_all(v: V) -> dict[str, np.ndarray]:
    """The staged form with dmu = -sum(dxmu1 + dxmu2) over every entry (its variance part sums to 0)."""
    return {"dx": v["direct"] - v["direct"].sum() / v["n"] + v["var_term"]}


def _var_over_all(v: V) -> dict[str, np.ndarray]:
    """The staged form with divar = sum(dx_norm * (x - mean)) over every entry."""
    var_term = -v["xm"] * (v["dxn"] * v["xm"]).sum() * v["ivar"] ** 3 / v["n"]
    return {"dx": v["direct"] + v["mean_term"] + var_term}


def _times_n(v: V) -> dict[str, np.ndarray]:
    return {"dx": v["n"] * (v["direct"] + v["mean_term"] + v["var_term"])}


def _swapped(v: V) -> dict[str, np.ndarray]:
    return {"dgamma": v["dbeta"], "dbeta": v["dgamma"]}


def _averaged(*names: str) -> Callable[[V], dict[str, np.ndarray]]:
    return lambda v: {name: v[name] / v["n"] for name in names}


def _dgamma_with(key: str) -> Callable[[V], dict[str, np.ndarray]]:
    return lambda v: {"dgamma": (v["dout"] * v[key]).sum(axis=0)}


C = Candidate
CANDIDATES = (
    # dgamma and dbeta
    C("dbeta_averaged", "averaged_not_summed", "averages dbeta over the batch (np.mean) where the batch sum "
      "belongs", _averaged("dbeta")),
    C("dgamma_averaged", "averaged_not_summed", "averages dgamma over the batch where the batch sum belongs",
      _averaged("dgamma")),
    C("dgamma_dbeta_averaged", "averaged_not_summed",
      "averages dgamma and dbeta over the batch where the batch "
      "sums belong", _averaged("dgamma", "dbeta")),
    C("dgamma_dbeta_swapped", "dgamma_dbeta_swapped",
      "returns dgamma where dbeta belongs and dbeta where dgamma "
      "belongs", _swapped),
    C("dgamma_uses_x", "dgamma_uses_x", "computes dgamma as sum(dout * x) instead of sum(dout * x_norm)",
      _dgamma_with("x")),
    C("dgamma_uses_centred_x", "centred_not_normalised",
      "computes dgamma as sum(dout * (x - mean)) instead of "
      "sum(dout * x_norm)", _dgamma_with("xm")),
    # the paths of dx
    C("missing_mean_path", "missing_mean_path", "leaves out the path through the mean", paths(mean=0)),
    C("missing_var_path", "missing_var_path", "leaves out the path through the variance", paths(var=0)),
    C("missing_mean_and_var_path", "missing_mean_and_var_path",
      "leaves out the paths through both the mean and "
      "the variance", paths(mean=0, var=0)),
    C("mean_path_missing_1_over_n", "mean_path_missing_1_over_n",
      "leaves out the 1/N of the mean in the path "
      "through the mean (its term is N times too large)", paths(mean="n")),
    C("var_path_missing_1_over_n", "var_path_missing_1_over_n",
      "leaves out the 1/N of the variance in the path "
      "through the variance (its term is N times too large)", paths(var="n")),
    C("both_paths_missing_1_over_n", "mean_and_var_paths_missing_1_over_n", "leaves out the 1/N in the paths "
      "through the mean and the variance (both terms N times too large)", paths(mean="n", var="n")),
    C("var_path_missing_half", "var_path_missing_half", "leaves out the 1/2 of d sqrt(var) / d var = 0.5 / "
      "sqrt(var + eps) (the variance term is twice too large)", paths(var=2.0)),
    C("var_path_missing_two", "var_path_missing_two",
      "leaves out the 2 of d (x - mean)**2 / dx = 2 * (x - mean) "
      "(the variance term is half what it should be)", paths(var=0.5)),
    C("mean_path_wrong_sign", "mean_path_wrong_sign", "adds the term of the path through the mean where it "
      "must be subtracted", paths(mean=-1.0)),
    C("var_path_wrong_sign", "var_path_wrong_sign", "adds the term of the path through the variance where it "
      "must be subtracted", paths(var=-1.0)),
    C("var_path_centred_once", "centred_not_normalised", "has x - mean where x_norm belongs once in the "
      "variance term (or d(1/std)/d std as -1/std instead of -1/std**2): the term is sqrt(var + eps) times "
      "too large", paths(var="std")),
    C("var_path_centred_twice", "centred_not_normalised", "has x - mean where x_norm belongs twice in the "
      "variance term: the term is (var + eps) times too large", paths(var=lambda v: v["std"] ** 2)),
    C("var_path_normalised_once", "centred_not_normalised", "has x_norm where x - mean belongs once in the "
      "variance term: the term is divided by sqrt(var + eps) once too often", paths(var="ivar")),
    # the variance and eps
    C("unbiased_var_term", "unbiased_variance", "uses N - 1 instead of N in the variance term",
      paths(var=_unbiased_divisor)),
    C("unbiased_everywhere", "unbiased_variance", "belongs to batch norm with the unbiased variance (N - 1)",
      _unbiased_everywhere),
    C("unbiased_recomputed", "unbiased_variance", "recomputes the variance for dx with N - 1 (ddof=1)",
      renormalised(_unbiased_std)),
    C("missing_eps", "missing_eps", "uses sqrt(var) instead of sqrt(var + eps)", renormalised(_sqrt_var)),
    C("missing_eps_recomputed", "missing_eps", "recomputes x_norm and 1/sqrt(var) without eps, for dx and "
      "dgamma", renormalised(_sqrt_var, dgamma=True)),
    C("missing_eps_var_term", "missing_eps",
      "uses var**-1.5 instead of (var + eps)**-1.5 in the variance term",
      paths(var=lambda v: (v["std"] / np.sqrt(v["var"])) ** 3)),
    C("missing_eps_dsqrt", "missing_eps", "uses 0.5 / sqrt(var) instead of 0.5 / sqrt(var + eps) as the "
      "derivative of the square root", paths(var=lambda v: v["std"] / np.sqrt(v["var"]))),
    C("eps_outside_sqrt", "eps_outside_sqrt", "normalises with sqrt(var) + eps instead of sqrt(var + eps)",
      renormalised(_eps_outside)),
    C("eps_outside_sqrt_recomputed", "eps_outside_sqrt", "recomputes x_norm and the std as sqrt(var) + eps, "
      "for dx and dgamma", renormalised(_eps_outside, dgamma=True)),
    C("eps_outside_sqrt_var_term", "eps_outside_sqrt",
      "uses (sqrt(var) + eps)**-3 instead of (var + eps)**-1.5 in "
      "the variance term", paths(var=lambda v: (v["std"] / _eps_outside(v)) ** 3)),
    C("eps_outside_sqrt_dsqrt", "eps_outside_sqrt",
      "uses 0.5 / (sqrt(var) + eps) instead of 0.5 / sqrt(var + "
      "eps) as the derivative of the square root", paths(var=lambda v: v["std"] / _eps_outside(v))),
    # gamma, the axes, the compact form
    C("dx_missing_gamma", "dx_missing_gamma", "leaves out gamma (dx_norm = dout instead of dout * gamma)",
      _dx_of(use_gamma=False)),
    C("mean_path_summed_over_features", "dx_sum_over_wrong_axis", "sums dx_norm over the features (axis=1) "
      "instead of the batch (axis=0) in the path through the mean", _mean_over_rows),
    C("staged_mean_path_summed_over_features", "dx_sum_over_wrong_axis",
      "sums dmu over the features (axis=1) "
      "instead of the batch (axis=0)", _staged_mean_over_rows),
    C("mean_path_averaged_over_features", "dx_sum_over_wrong_axis", "averages dx_norm over the features "
      "(axis=1) instead of the batch (axis=0) in the path through the mean", _mean_averaged_over_rows),
    C("var_path_averaged_over_features", "dx_sum_over_wrong_axis", "averages over the features (axis=1) "
      "instead of the batch (axis=0) in the path through the variance", _var_averaged_over_rows),
    C("var_path_summed_over_features", "dx_sum_over_wrong_axis", "sums over the features (axis=1) instead of "
      "the batch (axis=0) in the path through the variance", _var_over_rows),
    C("both_paths_summed_over_features", "dx_sum_over_wrong_axis", "sums over the features (axis=1) instead "
      "of the batch (axis=0) in the paths through the mean and the variance", _both_over_rows),
    C("mean_path_summed_over_everything", "dx_sum_over_wrong_axis", "sums dmu over every entry (no axis) "
      "instead of over the batch (axis=0)", _mean_over_all),
    C("var_path_summed_over_everything", "dx_sum_over_wrong_axis", "sums the variance's gradient over every "
      "entry (no axis) instead of over the batch (axis=0)", _var_over_all),
    C("compact_missing_1_over_n", "compact_form_n_misplaced", "leaves out the 1/N in front of the compact "
      "formula (dx is N times too large)", _times_n),
    C("compact_first_term_missing_n", "compact_form_n_misplaced", "leaves out the N that multiplies dx_norm "
      "inside the compact formula", lambda v: {"dx": v["direct"] / v["n"] + v["mean_term"] + v["var_term"]}),
)

for _function in ("batchnorm_backward", "batchnorm_backward_alt"):
    register(_function, OUTPUTS, CANDIDATES)

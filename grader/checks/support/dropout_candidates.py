"""The known wrong ways to write ``dropout_backward``'s train branch, as candidate formulas (see candidates.py).

They are computed from :func:`inputs`: the ``dout`` the student's backward received and the mask and
scale of the forward pass it belongs to (read off that forward's output, ``out / x``, or the
template's cache the judge built), so a backward is named against the forward it must agree with.
The correct dx is ``dout * kept * scale``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from grader.checks.support.candidates import Candidate, register

V = Mapping[str, Any]


def inputs(dout: np.ndarray, multiplier: np.ndarray) -> dict[str, Any]:
    """What the candidates are computed from: dout, which units the forward kept, and its one scale."""
    m = np.asarray(multiplier, np.float64)
    kept = (m != 0).astype(np.float64)
    scale = float(np.median(m[m != 0])) if kept.any() else 1.0
    return {"dout": np.asarray(dout, np.float64), "kept": kept, "scale": scale}


def correct(v: V) -> dict[str, np.ndarray]:
    """The correct dx by name, from :func:`inputs`."""
    return {"dx": v["dout"] * v["kept"] * v["scale"]}


def _other_probability(v: V) -> dict[str, np.ndarray] | None:
    """Dividing by the other probability: 1/p where the forward divided by 1/(1 - p), and vice versa."""
    other = 1.0 - 1.0 / v["scale"]
    return {"dx": v["dout"] * v["kept"] / other} if other > 0 else None


C = Candidate
CANDIDATES = (
    C("ignores_mask", "backward_ignores_mask", "returns dout unchanged: no mask, no scale",
      lambda v: {"dx": v["dout"]}),
    C("ignores_mask_scaled", "backward_ignores_mask", "scales dout but applies no mask",
      lambda v: {"dx": v["dout"] * v["scale"]}),
    C("ignores_mask_times_keep", "backward_ignores_mask", "multiplies dout by the keep probability and applies "
      "no mask", lambda v: {"dx": v["dout"] / v["scale"]}),
    C("missing_scale", "backward_missing_scale", "applies the 0/1 mask without its scale",
      lambda v: {"dx": v["dout"] * v["kept"]}),
    C("scaled_twice", "backward_scaled_twice", "applies the scale twice (a mask already scaled in the forward "
      "pass, divided once more)", lambda v: {"dx": v["dout"] * v["kept"] * v["scale"] ** 2}),
    C("scale_inverted", "backward_wrong_scale", "multiplies by the keep probability where the forward pass "
      "divided by it", lambda v: {"dx": v["dout"] * v["kept"] / v["scale"]}),
    C("other_probability", "backward_wrong_scale", "divides by the other probability (p where the forward "
      "divided by 1 - p, or the other way round)", _other_probability),
    C("dropped_units", "backward_inverted_mask", "lets the gradient through the dropped units instead of the "
      "kept ones", lambda v: {"dx": v["dout"] * (1 - v["kept"]) * v["scale"]}),
    C("dropped_units_unscaled", "backward_inverted_mask", "lets the gradient through the dropped units, "
      "unscaled, instead of the kept ones", lambda v: {"dx": v["dout"] * (1 - v["kept"])}),
)

register("dropout_backward", ("dx",), CANDIDATES)

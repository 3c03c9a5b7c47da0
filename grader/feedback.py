"""Hints for the mistakes real submissions make, keyed by name.

A check that recognises a known mistake returns its key in ``Verdict.hint``;
the runner appends the text below to the test's output. The texts are pinned
by golden-file tests (tests/grader/golden/): change them deliberately.
"""

from __future__ import annotations

HINTS: dict[str, str] = {
    "keep_convention": (
        "In this exercise p is the probability of DROPPING a unit. Your code drops about 1 - p of "
        "the units, i.e. it treats p as the probability of keeping one (the cs231n convention). "
        "Keep a unit when rand >= p (or rand < 1 - p), and scale the kept units by 1 / (1 - p)."
    ),
    "missing_rescale": (
        "Kept units must be scaled by 1 / (probability of keeping a unit) in train mode (inverted "
        "dropout): 1 / (1 - p) when p is the probability of dropping, as in this exercise. Then the "
        "expected output equals the input and test mode needs no scaling. Your kept units are "
        "copied unscaled."
    ),
    "divide_by_p": (
        "Kept units are scaled by 1 / p, but p is the probability of dropping: the kept units "
        "must be scaled by 1 / (1 - p)."
    ),
    "drop_convention": (
        "In this course p is the probability of KEEPING a unit (the cs231n convention). Your code "
        "drops about p of the units, i.e. it treats p as the probability of dropping one. Keep a unit "
        "when rand < p, and scale the kept units by 1 / p."
    ),
    "divide_by_one_minus_p": (
        "Kept units are scaled by 1 / (1 - p), but in this course p is the probability of keeping a "
        "unit: the kept units must be scaled by 1 / p."
    ),
    "scaled_at_test": (
        "With inverted dropout, test mode returns the input unchanged: the scaling happens in "
        "train mode only. Your test mode scales (or masks) the input."
    ),
    "two_d_only": (
        "dropout_forward must work for inputs of any shape (1-D to 4-D and beyond). Build the mask "
        "with np.random.rand(*x.shape) instead of using x.shape[0], x.shape[1]."
    ),
    "output_dtype": (
        "out must have the dtype of x (float32 stays float32): the template ends dropout_forward with "
        "out = out.astype(x.dtype, copy=False). Keep that line, in train and in test mode."
    ),
    "randn_mask": (
        "The mask looks like it was drawn with np.random.randn (normal) instead of np.random.rand "
        "(uniform on [0, 1)): the fraction dropped then does not follow p."
    ),
    "drop_rows": (
        "Whole rows or columns are dropped together. Dropout decides for every single unit "
        "independently: the mask needs the full shape of x."
    ),
    "missing_mean_path": (
        "dx misses the gradient that flows through the batch mean: every x_i also changes the "
        "mean that is subtracted from all samples. Add the term -sum(dx_norm) / N (times 1/sqrt(var + eps))."
    ),
    "missing_var_path": (
        "dx misses the gradient that flows through the batch variance: every x_i also changes the "
        "variance that all samples are divided by. Add the dvar term "
        "(-0.5 * sum(dx_norm * (x - mean)) * (var + eps)**-1.5, then 2 * (x - mean) / N)."
    ),
    "missing_mean_and_var_path": (
        "dx only has the direct term dout * gamma / sqrt(var + eps). Every x_i also changes the batch "
        "mean and the batch variance, which every sample is normalised with: add both of those paths "
        "(compact form: dx = ivar / N * (N * dx_norm - sum(dx_norm) - x_norm * sum(dx_norm * x_norm)))."
    ),
    "dx_missing_gamma": (
        "dx misses the factor gamma: out = gamma * x_norm + beta, so the gradient that reaches x_norm "
        "is dout * gamma, not dout."
    ),
    "unbiased_variance": (
        "The batch variance must be the biased one (divide by N, np.var's default), not the "
        "unbiased one (N - 1, ddof=1)."
    ),
    "missing_eps": (
        "eps is missing: normalise with sqrt(var + eps), in the forward pass and in the gradient."
    ),
    "dgamma_dbeta_swapped": (
        "dgamma and dbeta come back in the wrong order: return (dx, dgamma, dbeta), with "
        "dgamma = sum(dout * x_norm, axis=0) and dbeta = sum(dout, axis=0)."
    ),
    "missing_gamma_beta": (
        "The output must be scaled and shifted after normalising: out = gamma * x_norm + beta."
    ),
    "wrong_axis": (
        "dgamma and dbeta are sums over the batch: use axis=0 so that they have shape (D,)."
    ),
    "running_not_updated": (
        "The running mean and variance are not updated in train mode. Update them on every call: "
        "running = momentum * running + (1 - momentum) * batch_statistic."
    ),
    "running_swapped": (
        "The running averages use momentum and 1 - momentum the wrong way round: it is "
        "momentum * running + (1 - momentum) * batch_statistic."
    ),
    "running_not_written_back": (
        "The updated running averages must be stored back into bn_param "
        "(bn_param['running_mean'] = running_mean, same for running_var): callers read them from there."
    ),
    "test_uses_batch_stats": (
        "Test mode must normalise with the running mean and variance, not with the statistics of "
        "the current batch."
    ),
    "test_updates_running": (
        "Test mode must leave bn_param's running mean and variance as they are: they are updated in "
        "train mode only."
    ),
    "invalid_mode_accepted": (
        "bn_param['mode'] must be 'train' or 'test'; for anything else raise ValueError (as the "
        "template's final else branch does) instead of silently picking a mode."
    ),
    "input_modified": (
        "Your function modifies its input array in place (e.g. x -= mean or x *= mask). Compute "
        "into a new array instead; the caller's x must stay unchanged."
    ),
    "leftover_print": (
        "Remove the print calls (debugging output) from your function: it is called thousands of "
        "times in training and gradient checks, and every call floods the output. This costs only "
        "the points of this test; the values your function computes are graded separately."
    ),
    "returned_none": (
        "A value is None: a TODO is probably still unfinished, or a `return` is missing."
    ),
    "backward_ignores_mask": (
        "In train mode dx is dout (times a constant): the dropout mask is ignored. Units that were dropped in the "
        "forward pass get no gradient: dx = dout * mask, with the same scaling as in the forward pass."
    ),
    "backward_missing_scale": (
        "dx applies the mask but forgets its scaling: the forward pass scaled the kept units, so the "
        "backward pass must scale their gradient by the same factor (dx = dout * mask / (1 - p) with a 0/1 mask)."
    ),
    "alt_only": (
        "batchnorm_backward_alt works, but batchnorm_backward does not: the notebook and this "
        "grader call batchnorm_backward. Implement it too (it may simply call your alt version)."
    ),
    "backward_wrong_cache": (
        "Your batchnorm_backward is correct on the template's cache layout, but not on the cache "
        "your own batchnorm_forward returns. Make forward and backward agree on the cache."
    ),
}


def register_hint(key: str, text: str) -> None:
    """Add a hint an exercise brings as data (its assignment.toml's ``[[mistakes]]``, grader/checks/kit/).

    A key names one hint: registering it again with another text is refused.
    """
    if HINTS.setdefault(key, text) != text:
        raise ValueError(f"hint {key!r} is registered twice with different texts")


def hint_text(key: str) -> str:
    """The hint for ``key``; empty for an empty key. An unknown key is a grader bug."""
    return HINTS[key] if key else ""

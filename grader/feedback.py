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
    "averaged_not_summed": (
        "dgamma and dbeta are sums over the batch, not means: every sample's gradient adds to the "
        "parameter it shares (dbeta = np.sum(dout, axis=0), dgamma = np.sum(dout * x_norm, axis=0)). "
        "Check: with dout = np.ones((N, D)), every entry of dbeta must be N."
    ),
    "dgamma_uses_x": (
        "dgamma multiplies dout by what gamma multiplied in the forward pass: the normalised x_norm, "
        "not the input x (dgamma = np.sum(dout * x_norm, axis=0))."
    ),
    "centred_not_normalised": (
        "The centred x - mean and the normalised x_norm = (x - mean) / sqrt(var + eps) are mixed up: "
        "gamma multiplies x_norm (so dgamma = sum(dout * x_norm)), while the variance's gradient "
        "(divar = sum(dx_norm * (x - mean)), dx = 2 * (x - mean) * dvar / N) takes x - mean; in the "
        "compact form every x in the variance term is x_norm. Also d(1/std)/d std = -1/std**2. Check: "
        "a correct dx has np.sum(dx * x_norm, axis=0) close to 0 (exactly 0 with eps = 0)."
    ),
    "mean_path_missing_1_over_n": (
        "The mean is sum(x) / N, so the gradient through it is dmu / N for every sample (dx2 = "
        "np.ones((N, D)) * dmu / N): the 1/N is missing, and the mean path's term is N times too "
        "large. Check: a correct dx has np.sum(dx, axis=0) == 0 (up to round-off)."
    ),
    "var_path_missing_1_over_n": (
        "The variance is sum((x - mean)**2) / N, so its gradient reaches each sample as "
        "2 * (x - mean) * dvar / N: the 1/N is missing, and the variance path's term is N times too "
        "large. Check: a correct dx has np.sum(dx * x_norm, axis=0) close to 0 (exactly 0 with eps = 0)."
    ),
    "mean_and_var_paths_missing_1_over_n": (
        "The mean and the variance both average over the batch (sum / N), so the gradients through "
        "them reach each sample divided by N (dx2 = dmu / N, dxmu2 = 2 * (x - mean) * dvar / N): both "
        "1/N are missing. Check: a correct dx has np.sum(dx, axis=0) == 0 and "
        "np.sum(dx * x_norm, axis=0) close to 0 (exactly 0 with eps = 0)."
    ),
    "var_path_missing_half": (
        "d sqrt(var + eps) / d var = 0.5 / sqrt(var + eps): the 0.5 is missing, so the variance "
        "path's term is twice too large (dvar = 0.5 * dsqrtvar / sqrt(var + eps)). Check: a correct "
        "dx has np.sum(dx * x_norm, axis=0) close to 0 (exactly 0 with eps = 0)."
    ),
    "var_path_missing_two": (
        "d (x - mean)**2 / d (x - mean) = 2 * (x - mean): the 2 is missing, so the variance path's "
        "term is half what it should be (dxmu2 = 2 * (x - mean) * dvar / N). Check: a correct dx has "
        "np.sum(dx * x_norm, axis=0) close to 0 (exactly 0 with eps = 0)."
    ),
    "mean_path_wrong_sign": (
        "The mean is subtracted (x - mean), so the gradient through it enters with a minus sign: "
        "dmu = -np.sum(dxmu, axis=0). Check: a correct dx has np.sum(dx, axis=0) == 0 (up to round-off)."
    ),
    "var_path_wrong_sign": (
        "Dividing by sqrt(var + eps) makes the gradient through the variance negative: d(1/s)/ds = "
        "-1/s**2, so dsqrtvar = -divar / (var + eps). Check: a correct dx has "
        "np.sum(dx * x_norm, axis=0) close to 0 (exactly 0 with eps = 0)."
    ),
    "eps_outside_sqrt": (
        "eps belongs inside the square root: std = sqrt(var + eps), not sqrt(var) + eps. Use the "
        "cache's values (ivar, sqrtvar) instead of recomputing them, or recompute them exactly as the "
        "forward pass does."
    ),
    "dx_sum_over_wrong_axis": (
        "In dx, the sums of the paths through the mean and the variance run over the batch (axis=0, "
        "one value per feature), like the mean and the variance themselves: sum(dx_norm, axis=0), "
        "sum(dx_norm * x_norm, axis=0). Summing over the features (axis=1) or over every entry (no "
        "axis) mixes features that batch norm keeps apart."
    ),
    "compact_form_n_misplaced": (
        "The compact form is dx = (1 / N) * ivar * (N * dx_norm - sum(dx_norm, axis=0) - x_norm * "
        "sum(dx_norm * x_norm, axis=0)): one N or 1/N of it is missing. Check: with gamma = 1 and a "
        "dout of one 1 and zeros elsewhere, the entry of dx at that 1 is ivar * (1 - 1/N - x_norm**2/N)."
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
    "momentum_ignored": (
        "The running averages must use bn_param's momentum (bn_param.get('momentum', 0.9)), not a "
        "fixed 0.9: callers set it."
    ),
    "eps_in_running_var": (
        "running_var tracks the batch variance itself: eps is added only where the output is "
        "normalised (sqrt(var + eps)), not to the variance that is stored."
    ),
    "output_transposed": (
        "out must have the shape of x, (N, D): batch norm normalises each feature (column) over the "
        "batch, and the output keeps the layout of the input. Yours is transposed."
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
    "backward_scaled_twice": (
        "dx scales the kept units' gradient twice: when the cache holds the mask already divided by "
        "(1 - p), dx = dout * mask; divide by (1 - p) only when the cache holds the 0/1 mask."
    ),
    "backward_wrong_scale": (
        "dx scales the kept units' gradient by another factor than the forward pass scaled the kept "
        "units: the backward pass multiplies by exactly the forward's factor (dx = dout * mask / (1 - p) "
        "when p is the probability of dropping, with a 0/1 mask)."
    ),
    "backward_inverted_mask": (
        "dx lets the gradient through the units that were dropped and stops it at the kept ones: the "
        "mask in the cache says which units were kept (mask = rand >= p, or rand < 1 - p); use it as is."
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


def add_hints(texts: dict[str, str]) -> None:
    """Add hints at start-up (another exercise's candidates bring their own); a key keeps its one text."""
    for key, text in texts.items():
        if HINTS.setdefault(key, text) != text:
            raise ValueError(f"hint {key!r} already has another text")


def hint_text(key: str) -> str:
    """The hint for ``key``; empty for an empty key. An unknown key is a grader bug."""
    return HINTS[key] if key else ""

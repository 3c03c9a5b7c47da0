"""The training checks, run directly on submissions built from the reference (one changed line each).

The first test that trains pays the one-time imports of torch and Lightning
and the reference runs (about 5-10 s); each student run after that costs about
half a second.
"""

from __future__ import annotations

import dataclasses
import struct
from typing import Any

import numpy as np
import pytest

from grader.assignments import load
from grader.checks.support.context import CheckContext, derive_seed
from grader.report import Status
from grader.runner import _run_test
from grader.sandbox import Limits, SandboxFactory
from tests.conftest import ROOT, SUBMISSIONS

REFERENCE = (ROOT / "reference" / "ex08" / "layers.py").read_text()
BACKWARD_DX = ("    dx = ivar / N * (N * dx_norm - dx_norm.sum(axis=0) - x_norm * (dx_norm * "
               "x_norm).sum(axis=0))")


def variant(*edits: tuple[str, str]) -> bytes:
    """The reference with each ``old`` replaced by ``new`` (each must occur)."""
    source = REFERENCE
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    return source.encode()


MISSING_MEAN_PATH = variant((BACKWARD_DX,
                             "    dx = ivar / N * (N * dx_norm - x_norm * (dx_norm * x_norm).sum(axis=0))"))
TEST_MODE_BATCH_STATS = variant(
    ("out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta",
     "out = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta"))
# Correct, but written differently from the reference in every function the networks use.
CORRECT_OTHERWISE = variant(
    ("var = (x_minus_mean**2).mean(axis=0)", "var = (x**2).mean(axis=0) - sample_mean**2"),
    ("np.sqrt(running_var + eps)", "np.sqrt(running_var)"),  # the template's test mode: no eps
    (BACKWARD_DX,
     "    dxmu = dx_norm * ivar\n    dvar = -0.5 * np.sum(dx_norm * cache[4], axis=0) * ivar**3\n"
                  "    dx = dxmu + 2 * cache[4] * dvar / N\n    dx = dx - dx.sum(axis=0) / N"),
    ("mask = np.random.rand(*x.shape) < keep", "mask = (np.random.rand(*x.shape) >= 1 - keep) / keep"),
    ("out = x * mask / keep", "out = x * mask"),
    ('return dout * mask / keep_probability(dropout_param["p"], convention)', "return dout * mask"))


@pytest.fixture(scope="module")
def assignment():
    return load("ex08")


@pytest.fixture(scope="module")
def factory(assignment):
    f = SandboxFactory(insecure=True, limits=Limits(call_timeout=assignment.call_timeout))
    yield f
    f.close()


@pytest.fixture(scope="module")
def warm(assignment):
    from grader.checks import training

    training.warm_up(assignment, {"device": "cpu"})


def grade(factory, assignment, source: bytes, check: str, options: dict[str, Any] | None = None):
    test = next(t for t in assignment.tests if t.check == check)
    sandbox = factory.open(source)
    try:
        ctx = CheckContext(sandbox=sandbox, reference=_reference(), assignment=assignment, test=test,
                           seed=derive_seed(1, test.name), shared={}, options=options or {"device": "cpu"})
        return _run_test(ctx)
    finally:
        sandbox.close()


def _reference():
    import reference.ex08.layers as ref

    return ref


BN, DROPOUT = "training.batchnorm_network", "training.dropout_network"


# --- correct submissions ------------------------------------------------------------------------

@pytest.mark.parametrize("check", [BN, DROPOUT])
def test_reference_as_student_passes_and_tracks_the_reference_exactly(factory, assignment, warm, check):
    result = grade(factory, assignment, REFERENCE.encode(), check)
    assert result.status is Status.PASSED, result.output
    assert result.score == result.max_score
    curves = result.data["curves"]
    kind = "batchnorm" if check == BN else "dropout"
    assert set(curves) == {"simple", kind, f"{kind}_reference"}
    assert curves[kind] == curves[f"{kind}_reference"]  # same seed, same layers: the same run
    assert all(len(v) == result.data["epochs"] for c in curves.values() for v in c.values())


@pytest.mark.parametrize("check", [BN, DROPOUT])
def test_correct_but_differently_written_layers_pass(factory, assignment, warm, check):
    result = grade(factory, assignment, CORRECT_OTHERWISE, check)
    assert result.status is Status.PASSED, result.output


def test_two_runs_give_identical_curves(factory, assignment, warm):
    first = grade(factory, assignment, CORRECT_OTHERWISE, BN)
    second = grade(factory, assignment, CORRECT_OTHERWISE, BN)
    assert first.data["curves"] == second.data["curves"]
    assert first.output == second.output


# --- wrong submissions ----------------------------------------------------------------------------

def test_wrong_backward_fails_the_batchnorm_network_and_names_the_layer(factory, assignment, warm):
    result = grade(factory, assignment, MISSING_MEAN_PATH, BN)
    assert result.status is Status.FAILED
    assert "its training loss in epoch" in result.output
    assert "batchnorm_backward dx was off by" in result.output
    assert "batchnorm_backward tests show what is wrong" in result.output
    curves = result.data["curves"]
    assert curves["batchnorm"]["train_loss"] != curves["batchnorm_reference"]["train_loss"]


def test_eval_mode_with_batch_statistics_fails_with_its_hint(factory, assignment, warm):
    result = grade(factory, assignment, TEST_MODE_BATCH_STATS, BN)
    assert result.status is Status.FAILED
    assert result.hint == "test_uses_batch_stats"
    assert "batch's own mean and variance" in result.output
    probe = result.data["eval_probe"]
    assert probe["difference_from_batch_stats"] < 1e-4 < probe["difference_from_running_stats"]


def test_random_mask_in_eval_mode_fails_the_dropout_network(factory, assignment, warm):
    source = variant(("        out = x\n", "        out = x * (np.random.rand(*x.shape) < 0.5) / 0.5\n"))
    result = grade(factory, assignment, source, DROPOUT)
    assert result.status is Status.FAILED
    assert result.hint == "scaled_at_test"
    assert "two passes over the same 100 validation images gave different outputs" in result.output


def test_student_exceptions_come_out_of_lightning_as_the_students(factory, assignment, warm):
    raises = variant(("    N = dout.shape[0]\n", "    N = dout.shape[0]\n    raise ValueError('boom')\n"))
    result = grade(factory, assignment, raises, BN)
    assert result.status is Status.ERROR
    assert "ValueError" in result.output and "boom" in result.output and "line" in result.output


def test_forward_returning_none_fails_with_its_hint(factory, assignment, warm):
    source = variant(("    return out.astype(x.dtype, copy=False), (dropout_param, mask)", "    return None"))
    result = grade(factory, assignment, source, DROPOUT)
    assert result.status is Status.FAILED
    assert result.hint == "returned_none"
    assert result.output.startswith("While training the dropout network (dropout_forward in train mode): "
                                    "dropout_forward returned None")


def test_a_hanging_backward_times_out(assignment, warm):
    hangs = variant(("    dropout_param, mask = cache\n", "    while True:\n        pass\n"))
    quick = SandboxFactory(insecure=True, limits=Limits(call_timeout=0.5))
    try:
        result = grade(quick, assignment, hangs, DROPOUT)
    finally:
        quick.close()
    assert result.status is Status.TIMEOUT


def test_the_whole_run_is_capped_by_the_submission_time(factory, assignment, warm):
    slow = variant(("    N = dout.shape[0]\n",
                    "    N = dout.shape[0]\n    import time\n    time.sleep(0.05)\n"))
    tight = dataclasses.replace(assignment, submission_timeout=1.0)  # 0.25 s for one run: a few steps
    result = grade(factory, tight, slow, BN)
    assert result.status is Status.TIMEOUT


def test_only_hidden_activations_cross_to_the_student(factory, assignment, warm):
    """Labels, logits and losses never reach the student's side: every array sent is a hidden layer's."""
    from grader.lightning import runs
    from grader.lightning.functions import StudentLayers
    from grader.lightning.networks import HIDDEN

    sandbox = factory.open(REFERENCE.encode())
    sent: list[np.ndarray] = []

    def recording(real_call):
        def call(function, *args, **kwargs):
            sent.extend(a for a in args if isinstance(a, np.ndarray))
            sent.extend(v for a in args if isinstance(a, dict)
                        for v in a.values() if isinstance(v, np.ndarray))
            return real_call(function, *args, **kwargs)
        return call

    sandbox.call, sandbox.call_fetch = recording(sandbox.call), recording(sandbox.call_fetch)
    real_put = sandbox.put
    sandbox.put = lambda value: (sent.extend(v for v in value.values() if isinstance(v, np.ndarray))
                                 or real_put(value))
    try:
        for kind in ("batchnorm", "dropout"):
            runs.student_run(kind, StudentLayers(sandbox, budget=60), assignment, {"device": "cpu"})
    finally:
        sandbox.close()
    assert sent
    assert all(a.dtype == np.float64 and a.shape[-1] == HIDDEN for a in sent)


# --- data -----------------------------------------------------------------------------------------

def write_fake_fashion_mnist(root, n: int = 120) -> None:
    """A tiny FashionMNIST in torchvision's raw IDX layout: learnable (each class a brighter band)."""
    rng = np.random.default_rng(0)
    labels = np.arange(n, dtype=np.uint8) % 10
    images = rng.integers(0, 60, size=(n, 28, 28), dtype=np.uint8)
    for i, label in enumerate(labels):
        images[i, 2 * label:2 * label + 3, :] = 250
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for part, count in (("train", n), ("t10k", 10)):  # torchvision wants the test files present too
        (raw / f"{part}-images-idx3-ubyte").write_bytes(
            struct.pack(">iiii", 0x0803, count, 28, 28) + images[:count].tobytes())
        header = struct.pack(">ii", 0x0801, count)
        (raw / f"{part}-labels-idx1-ubyte").write_bytes(header + labels[:count].tobytes())


def test_fashion_mnist_folder_is_read_split_and_standardised(tmp_path):
    from grader.lightning import data

    write_fake_fashion_mnist(tmp_path)
    for spec in (tmp_path, tmp_path / "FashionMNIST"):  # its root or the folder itself
        d = data.load(str(spec))
        assert (d.name, d.in_features, len(d.train), len(d.val)) == ("fashion_mnist", 784, 96, 24)
        x = d.train.tensors[0].numpy()
        assert np.allclose(x.mean(axis=0), 0, atol=1e-5)
        assert sorted(set(d.train.tensors[1].tolist()) | set(d.val.tensors[1].tolist())) == list(range(10))


def test_a_folder_without_fashion_mnist_is_refused(tmp_path):
    from grader.lightning import data

    with pytest.raises(FileNotFoundError, match="no FashionMNIST"):
        data.load(str(tmp_path))


def test_digits_split_is_fixed():
    from grader.lightning import data

    d = data.load("digits")
    assert (d.in_features, len(d.train), len(d.val)) == (64, 1438, 359)
    assert data.load(None).val.tensors[1][:10].tolist() == d.val.tensors[1][:10].tolist()


@pytest.mark.slow
def test_checks_run_on_a_local_fashion_mnist_folder(factory, assignment, tmp_path):
    write_fake_fashion_mnist(tmp_path, n=400)
    options = {"device": "cpu", "training_data": str(tmp_path)}
    for check in (BN, DROPOUT):
        result = grade(factory, assignment, REFERENCE.encode(), check, options)
        assert result.status is Status.PASSED, result.output
        assert result.data["data"] == "fashion_mnist"



# --- dropout must really be inverted dropout while it trains ------------------------------------------

NOT_REAL_DROPOUT = [
    "no_free_points/identity_dropout.py",  # returns x in both modes
    "no_free_points/identity_dropout_in_training.py",  # red team: train-mode mask of ones
    "no_free_points/noninverted_dropout.py",  # red team: drops, but kept units not scaled
    "no_free_points/scaled_at_test_dropout.py",  # red team: no rescale, test mode times (1 - p)
    "no_free_points/fixed_mask_at_test_dropout.py",  # red team: test mode applies a fixed mask
    "wrong/dropout_forward__no_rescale.py",
    "wrong/dropout_forward__scale_at_test.py",
]


@pytest.mark.parametrize("name", NOT_REAL_DROPOUT)
def test_dropout_that_is_not_inverted_dropout_fails_the_dropout_network(factory, assignment, warm, name):
    result = grade(factory, assignment, (SUBMISSIONS / name).read_bytes(), DROPOUT)
    assert result.status is Status.FAILED, result.output
    assert result.score == 0
    assert "dropout_forward tests" in result.output
    assert "name the mistake" in result.output


def test_identity_dropout_is_failed_for_what_it_dropped(factory, assignment, warm):
    source = (SUBMISSIONS / "no_free_points/identity_dropout_in_training.py").read_bytes()
    result = grade(factory, assignment, source, DROPOUT)
    assert "in train mode it zeroed 0.0% of the" in result.output
    behaviour = result.data["dropout_behaviour"]
    assert behaviour["train_units_zeroed"] == 0 < behaviour["train_units_nonzero_input"]


def test_scaling_mistakes_are_named_with_their_hints(factory, assignment, warm):
    no_rescale = grade(factory, assignment,
                       (SUBMISSIONS / "no_free_points/noninverted_dropout.py").read_bytes(), DROPOUT)
    assert "the units it kept came out x times 1, expected x / keep = x / 0.5" in no_rescale.output
    assert no_rescale.hint == "missing_rescale"
    at_test = grade(factory, assignment,
                    (SUBMISSIONS / "wrong/dropout_forward__scale_at_test.py").read_bytes(), DROPOUT)
    assert "in eval mode its output was not its input" in at_test.output


@pytest.mark.parametrize("name",
                         sorted(p.name for p in (ROOT / "tests" / "submissions" / "correct").glob("*.py")))
def test_correct_submissions_pass_the_dropout_network(factory, assignment, warm, name):
    source = (ROOT / "tests" / "submissions" / "correct" / name).read_bytes()
    result = grade(factory, assignment, source, DROPOUT)
    assert result.status is Status.PASSED, result.output
    behaviour = result.data["dropout_behaviour"]
    assert abs(behaviour["fraction_dropped"] - 0.5) <= behaviour["fraction_tolerance"]
    assert behaviour["train_kept_error"] <= 1e-6 and behaviour["eval_error"] <= 1e-6


def test_fraction_tolerance_is_a_hoeffding_bound_at_1e_9():
    from grader.lightning.probes import dropout_fraction_tolerance

    for live in (10, 1000, 400_000):
        t = dropout_fraction_tolerance(live)
        assert 2 * np.exp(-2 * live * t * t) <= 1e-9 * (1 + 1e-9)
    # still tight enough to catch 0% or the other convention
    assert dropout_fraction_tolerance(400_000) < 0.01


def test_identity_dropout_gets_no_rescale_hint(factory, assignment, warm):
    source = (SUBMISSIONS / "no_free_points/identity_dropout_in_training.py").read_bytes()
    assert grade(factory, assignment, source, DROPOUT).hint == ""  # it drops nothing: not "unscaled"


def test_networks_keep_torchs_registration_rules_for_attributes():
    """Network's quick path for plain attributes (Lightning's per-hook bookkeeping) changes no nn.Module
    rule."""
    import torch

    from grader.lightning import data
    from grader.lightning.networks import make

    model = make("batchnorm", data.load(None), layers=None)
    model._current_fx_name = "training_step"
    model.train(False)
    assert model._current_fx_name == "training_step" and model.training is False
    assert "_current_fx_name" not in model._parameters and "training" not in model._modules
    with pytest.raises(TypeError):
        model.gamma = 1.0  # a parameter's name takes a Parameter or None only
    with pytest.raises(TypeError):
        model.fc1 = "a string"  # a submodule's name takes a Module or None only
    model.extra = torch.nn.Linear(2, 2)
    assert "extra" in model._modules
    assert sorted(n for n, _ in model.named_parameters()) == [
        "beta", "extra.bias", "extra.weight", "fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight", "gamma"]

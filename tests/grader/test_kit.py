"""The check kit's parts, judge-side: the contract as data, the one judging rule, gates and hints from
data."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from grader.assignments import _test, load
from grader.checks import loader, registry
from grader.checks.kit import contract
from grader.checks.kit.judging import judge
from grader.checks.support.batchnorm_math import norm_error
from grader.checks.support.context import Fail
from grader.feedback import HINTS

CONV = load("cs231n_conv")
REFERENCE = importlib.import_module(CONV.reference_module)


def test_the_contract_reads_layers_cases_and_mistakes_from_the_assignment():
    conv = contract.layer(CONV, "conv")
    assert (conv.forward, conv.backward, conv.param_name) == ("conv_forward_naive", "conv_backward_naive",
                                                              "conv_param")
    assert conv.gradients == {"dx": "x", "dw": "w", "db": "b"}
    assert set(conv.cases) == {"basic", "pad", "stride", "rect", "together"}
    assert [c.backward for c in contract.layer(CONV, "sbn").cases.values()] == [True, True, False]
    assert {m.function for m in contract.mistakes(CONV)} == {t.tag for t in CONV.tests} - {"training"}
    with pytest.raises(KeyError, match="has no layer 'convolution'.*conv, pool, sbn"):
        contract.layer(CONV, "convolution")


def test_a_case_must_give_every_argument_and_a_tag_must_be_one_of_the_areas():
    with pytest.raises(ValueError, match="does not give w"):
        contract._case("bad", {"x": [1, 1, 3, 3], "b": [1], "conv_param": {}}, ["x", "w", "b", "conv_param"])
    raw = {"name": "t", "check": "kit.forward", "tag": "conv_forward", "points": 1}
    with pytest.raises(ValueError, match="tag 'conv_forward' is not one of"):
        _test(1, raw, (), frozenset({"conv_forward_naive"}))


def test_inputs_are_drawn_from_the_seed_with_their_specs():
    pool = contract.layer(CONV, "pool")
    a, b = (contract.draw(pool, pool.cases["overlap"], np.random.default_rng(7)) for _ in range(2))
    assert np.array_equal(a.values["x"], b.values["x"]) and a.values["x"].shape == (2, 3, 5, 5)
    gaps = np.diff(np.sort(a.values["x"].ravel()))
    assert gaps.min() > 1e-3  # distinct: no ties, no maximum moves under the gradient check's step
    sbn = contract.layer(CONV, "sbn")
    test = contract.draw(sbn, sbn.cases["test"], np.random.default_rng(1)).values["bn_param"]
    assert test["mode"] == "test" and test["running_var"].shape == (3,) and test["running_var"].min() >= 0.5


def _models(layer_name: str, case_name: str):
    layer = contract.layer(CONV, layer_name)
    inputs = contract.draw(layer, layer.cases[case_name], np.random.default_rng(3))
    return layer, layer.cases[case_name], inputs


def test_every_mistake_model_is_apart_from_the_reference_where_it_is_charged():
    for m in contract.mistakes(CONV):
        layer = next(la for la in contract.layers(CONV) if m.function in (la.forward, la.backward))
        backward = m.function == layer.backward
        every = [c for c in layer.cases if layer.cases[c].backward or not backward]
        charged = every if m.charged_in == ("*",) else list(m.charged_in)
        for case in charged:
            _, _, inputs = _models(layer.name, case)
            out, cache = getattr(REFERENCE, layer.forward)(*inputs.args(layer))
            model = contract.model(CONV, m)
            if not backward:
                assert norm_error(model(REFERENCE, **inputs.kwargs()), out) > 1e-3, (m.hint, case)
            else:
                dout = np.random.default_rng(4).standard_normal(out.shape)
                grads = getattr(REFERENCE, layer.backward)(dout, cache)
                grads = {"dx": grads} if len(layer.gradients) == 1 else dict(zip(layer.gradients, grads,
                                                                                 strict=True))
                changed = model(REFERENCE, dout, **inputs.kwargs())
                assert max(norm_error(v, grads[k]) for k, v in changed.items()) > 1e-3, (m.hint, case)


def test_judging_passes_names_or_forgives_a_mistake_by_where_it_is_charged():
    layer, case, inputs = _models("conv", "pad")
    want = REFERENCE.conv_forward_naive(*inputs.args(layer))[0]
    mistakes = {m.hint: m for m in contract.mistakes(CONV, "conv_forward_naive")}
    flipped = contract.model(CONV, mistakes["kernel_flipped"])(REFERENCE, **inputs.kwargs())
    one_side = contract.model(CONV, mistakes["padding_one_side"])(REFERENCE, **inputs.kwargs())
    candidates = [(m, (lambda v=v: v)) for m, v in ((mistakes["kernel_flipped"], flipped),
                                                    (mistakes["padding_one_side"], one_side))]

    def run(got):
        return judge(got, want, what="the out", case=case, where="here", tol=1e-7, candidates=candidates,
                     charged_in=lambda m: "'the basic test'")

    assert run(want.copy()) == ""
    assert "charged in 'the basic test', not again here" in run(flipped)  # charged in the basic case only
    with pytest.raises(Fail) as named:
        run(one_side)
    assert named.value.hint == "padding_one_side"
    with pytest.raises(Fail) as unnamed:
        run(want + 0.1)
    assert unnamed.value.hint == "" and "largest deviation" in unnamed.value.message
    with pytest.raises(Fail, match=r"has shape \(2, 3, 3, 3\); expected \(2, 3, 5, 5\)"):
        run(want[:, :, 1:-1, 1:-1])


def test_judging_names_a_mistake_by_ex08s_rule_so_a_value_near_a_model_near_the_reference_is_not_named():
    # The kit and ex08's candidate engine share one rule (grader/checks/support/matching.py): within 1% of
    # the model's own distance from the reference, not merely within the tolerance of the model.
    layer, case, inputs = _models("conv", "pad")
    want = REFERENCE.conv_forward_naive(*inputs.args(layer))[0]
    mistake = next(m for m in contract.mistakes(CONV, "conv_forward_naive") if m.hint == "padding_one_side")
    tol = 1e-7
    near = want + 10 * tol * np.max(np.abs(want)) * np.sign(want)  # a model ten tolerances out

    def hint_of(got):
        with pytest.raises(Fail) as failed:
            judge(got, want, what="the out", case=case, where="here", tol=tol,
                  candidates=[(mistake, lambda: near)], charged_in=lambda m: "'the pad test'")
        return failed.value.hint

    assert hint_of(near.copy()) == "padding_one_side"
    assert hint_of(want + 0.995 * (near - want)) == "padding_one_side"  # 0.5% of its distance away
    assert hint_of(want + 0.95 * (near - want)) == ""  # within the tolerance of it, but 5% of the way back
    assert judge(want + 0.05 * (near - want), want, what="the out", case=case, where="here", tol=tol,
                 candidates=[(mistake, lambda: near)], charged_in=lambda m: "") == ""  # correct: passes


def test_gates_and_hints_come_from_every_assignments_data():
    loader.load()
    for layer in contract.layers(CONV):
        assert registry.get_gate(f"{layer.forward}.computes").__doc__.startswith("on its first case")
    for m in contract.mistakes(CONV):
        assert HINTS[m.hint] == " ".join(m.text.split())
    assert registry.get_gate("batchnorm_forward.normalises")  # ex08's own gates are untouched


def test_ex08s_layers_are_declared_on_the_contract_without_cases_so_no_kit_check_or_gate_runs_on_them():
    loader.load()
    for assignment in ("ex08", "ex08_2020", "ex08_cs231n"):  # the variants inherit the contract
        ex08 = load(assignment)
        batchnorm, dropout = contract.layer(ex08, "batchnorm"), contract.layer(ex08, "dropout")
        assert (batchnorm.forward, batchnorm.backward, batchnorm.param_name) == (
            "batchnorm_forward", "batchnorm_backward", "bn_param")
        assert batchnorm.gradients == {"dx": "x", "dgamma": "gamma", "dbeta": "beta"}
        assert batchnorm.cache == "(out, x_norm, beta, gamma, x_minus_mean, ivar, sqrtvar, var, eps)"
        assert (dropout.forward, dropout.backward, dropout.gradients, dropout.cache) == (
            "dropout_forward", "dropout_backward", {"dx": "x"}, "(dropout_param, mask)")
        assert batchnorm.cases == {} and dropout.cases == {} and contract.mistakes(ex08) == []
        assert not {t.check for t in ex08.tests if t.check.startswith("kit.")}
    for forward in ("batchnorm_forward", "dropout_forward"):  # ex08's own gates decide, not the kit's
        with pytest.raises(registry.UnknownCheck):
            registry.get_gate(f"{forward}.computes")


def test_a_kit_check_on_a_layer_without_cases_refuses_instead_of_passing_on_nothing():
    from types import SimpleNamespace

    from grader.checks.kit import checks

    ctx = SimpleNamespace(assignment=load("ex08"), params={"layer": "batchnorm"})
    with pytest.raises(ValueError, match="'batchnorm' of assignment 'ex08' has no cases"):
        checks._layer_and_cases(ctx)
    ctx = SimpleNamespace(assignment=CONV, params={"layer": "pool", "cases": ["rect"]})
    assert [c.name for c in checks._layer_and_cases(ctx)[1]] == ["rect"]

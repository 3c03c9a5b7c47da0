"""The issue's "done means": the starter scores below the threshold, disguised copies are found and ranked
first.

The population is every fixture submission (correct, keep convention, wrong, no free
points): a disguised copy of one correct fixture is compared with all of them, and its
source must score highest. Two fixtures that are the same program once the handout is
subtracted (they differ only in the forward pass ex08 hands out) cannot be told apart by
anyone; such a tie is allowed, any other file scoring as high is not.
"""

from __future__ import annotations

import random
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from grader.similarity import NOTHING, THRESHOLD, Document, compare, document, handout, ranked
from tests.conftest import ROOT, SUBMISSIONS
from tests.similarity.disguise import KINDS, disguise

CORRECT = sorted((SUBMISSIONS / "correct").glob("*.py")) + sorted((SUBMISSIONS / "keep").glob("*.py"))
POPULATION = {f"{p.parent.name}/{p.name}": p.read_text()
              for folder in ("correct", "keep", "wrong", "no_free_points")
              for p in sorted((SUBMISSIONS / folder).glob("*.py"))}
ASSIGNMENTS = ["ex08", "ex08_2020", "ex08_cs231n"]
VARIANTS = [(kind,) for kind in KINDS] + [tuple(KINDS)]


def starter(assignment: str) -> str:
    return (ROOT / "reference" / assignment / "starter" / "layers.py").read_text()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_untouched_starter_scores_zero_against_itself_and_below_the_threshold_against_every_fixture(
        assignment):
    files = {"starter_a.py": starter(assignment), "starter_b.py": starter(assignment)}
    files |= {p.name: p.read_text() for p in CORRECT}
    result = compare(files, assignment=assignment, min_score=0)
    scores = {(p.a, p.b): p.score for p in result.pairs}
    assert scores[("starter_a.py", "starter_b.py")] == 0
    for p in CORRECT:
        for name in ("starter_a.py", "starter_b.py"):
            score = scores.get((name, p.name), scores.get((p.name, name)))
            assert score is not None and score < THRESHOLD, (p.name, score)


def test_the_second_exercise_starter_scores_zero_and_its_correct_fixtures_are_found_when_copied():
    """cs231n_conv (its own starter, no given functions): the same guarantees, on its own fixtures."""
    correct = sorted((SUBMISSIONS / "cs231n_conv" / "correct").glob("*.py"))
    files = {"starter_a.py": starter("cs231n_conv"), "starter_b.py": starter("cs231n_conv")}
    files |= {p.name: p.read_text() for p in correct}
    pairs = compare(files, assignment="cs231n_conv", min_score=0).pairs
    scores = {frozenset((p.a, p.b)): p.score for p in pairs}
    assert scores[frozenset(("starter_a.py", "starter_b.py"))] == 0
    assert all(scores[frozenset((s, p.name))] < THRESHOLD
               for s in ("starter_a.py", "starter_b.py") for p in correct)
    for p in correct:
        copy = disguise(p.read_text(), *KINDS, seed=4)
        result = compare({"copy.py": copy, **{q.name: q.read_text() for q in correct}},
                         assignment="cs231n_conv", min_score=1e-9)
        first = next(x for x in result.pairs if "copy.py" in (x.a, x.b))
        assert p.name in (first.a, first.b) and first.score >= THRESHOLD, first


def test_an_untouched_starter_has_nothing_of_its_own():
    assert document("s.py", starter("ex08"), assignment=handout("ex08")).fingerprints == {}


@pytest.mark.parametrize("kinds", VARIANTS, ids=["+".join(k) if len(k) == 1 else "all" for k in VARIANTS])
@pytest.mark.parametrize("source", CORRECT, ids=[p.stem for p in CORRECT])
@pytest.mark.parametrize("assignment", ["ex08", None], ids=["ex08", "no_handout"])
def test_a_disguised_copy_of_a_known_solution_is_flagged_and_names_its_source_first(source, kinds,
                                                                                    assignment):
    """Every fixture is a known solution here (the instructor's folder): one comparison per file."""
    copy = disguise(source.read_text(), *kinds, seed=len(source.name))
    _assert_found(copy, f"{source.parent.name}/{source.name}", assignment, known=True)


@pytest.mark.parametrize("source", CORRECT, ids=[p.stem for p in CORRECT])
@pytest.mark.parametrize("assignment", ["ex08", None], ids=["ex08", "no_handout"])
def test_a_disguised_copy_among_submissions_is_flagged_and_its_source_ranked_first(source, assignment):
    """Every fixture a submission, every disguise at once: all pairs of the class through the index."""
    copy = disguise(source.read_text(), *KINDS, seed=len(source.name))
    _assert_found(copy, f"{source.parent.name}/{source.name}", assignment, known=False)


def _assert_found(copy: str, name: str, assignment: str | None, *, known: bool) -> None:
    given = handout(assignment) if assignment else NOTHING
    pairs = ranked([document("copy.py", copy, assignment=given), *population(assignment, known)],
                   min_score=1e-9)
    ranking = [((p.score, p.overlap), p.b if p.a == "copy.py" else p.a)
               for p in pairs if "copy.py" in (p.a, p.b)]
    rank = {other: key for key, other in ranking}  # the library ranks by score, then overlap
    best = ranking[0][0]
    assert rank[name] == best and best[0] >= THRESHOLD, (rank[name], ranking[:3])
    prints = {d.name: d.fingerprints.keys() for d in population(assignment, known)}
    ties = [other for key, other in ranking if key == best and other != name]
    assert all(prints[o] == prints[name] for o in ties), ties


@cache
def population(assignment: str | None, known: bool) -> tuple[Document, ...]:
    given = handout(assignment) if assignment else NOTHING
    return tuple(document(name, source, assignment=given, known=known) for name, source in POPULATION.items())


@pytest.mark.parametrize("source", CORRECT, ids=[p.stem for p in CORRECT])
def test_every_disguise_keeps_the_behaviour(source, tmp_path):
    """The generator is honest: a disguised copy computes what its source computes."""
    original = _load(source.read_text(), tmp_path / "original.py")
    copied = _load(disguise(source.read_text(), *KINDS, seed=3), tmp_path / "copied.py")
    rng = np.random.default_rng(0)
    x, gamma = rng.normal(size=(6, 4)), rng.normal(size=4)  # drawn in this order
    beta, dout = rng.normal(size=4), rng.normal(size=(6, 4))
    for module in (original, copied):
        out, cache = module.batchnorm_forward(x, gamma, beta, {"mode": "train"})
        module.result = (out, module.batchnorm_backward(dout, cache),
                         module.dropout_forward(x, {"mode": "train", "p": 0.3, "seed": 1})[0])
    for a, b in zip(_flat(original.result), _flat(copied.result), strict=True):
        np.testing.assert_allclose(a, b)


def _load(source: str, path: Path):  # type: ignore[no-untyped-def]
    import importlib.util

    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem + str(random.random())[2:], path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _flat(value):  # type: ignore[no-untyped-def]
    if isinstance(value, tuple):
        return [leaf for item in value for leaf in _flat(item)]
    return [value]

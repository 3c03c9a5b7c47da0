"""Each disguise the issue names, alone, on a small function: the normalised tokens are the same; real
changes are not."""

from __future__ import annotations

import pytest

from grader.similarity import compare, document
from grader.similarity.normalise import units

BASE = """
import numpy as np

def f(x, dout, p):
    mean = np.sum(x, axis=0) / x.shape[0]
    centred = x - mean
    var = np.mean(centred ** 2, axis=0)
    scale = 1.0 / np.sqrt(var + 1e-5)
    out = centred * scale
    dx = dout * scale * (1 - p)
    return out, dx
"""

SAME = {
    "comments and blank lines": """
import numpy as np
# the mean first
def f(x, dout, p):

    mean = np.sum(x, axis=0) / x.shape[0]   # column means
    centred = x - mean
    var = np.mean(centred ** 2, axis=0)
    scale = 1.0 / np.sqrt(var + 1e-5)
    out = centred * scale
    dx = dout * scale * (1 - p)
    return out, dx
""",
    "renamed": """
import numpy as numeric

def g(inputs, upstream, prob):
    mu = numeric.sum(inputs, axis=0) / inputs.shape[0]
    xc = inputs - mu
    v = numeric.mean(xc ** 2, axis=0)
    s = 1.0 / numeric.sqrt(v + 1e-5)
    y = xc * s
    grad = upstream * s * (1 - prob)
    return y, grad
""",
    "spellings": """
import numpy as np

def f(x, dout, p):
    mean = x.sum(0) / x.shape[0]
    centred = x - mean
    var = (centred * centred).mean(axis=0)
    scale = 1 / (var + 1e-5) ** 0.5
    out = scale * centred
    dx = (1 - p) * scale * dout
    return out, dx
""",
    "swapped and dead code": """
import numpy as np

def f(x, dout, p):
    mean = np.sum(x, axis=0) / x.shape[0]
    centred = x - mean
    var = np.mean(centred ** 2, axis=0)
    unused = var * 2
    scale = 1.0 / np.sqrt(var + 1e-5)
    dx = dout * scale * (1 - p)
    out = centred * scale
    if False:
        print(out)
    return out, dx
    out = None
""",
}


def tokens(source: str) -> list[str]:
    return [t.text for u in units(source) for t in u.tokens]


@pytest.mark.parametrize("kind", SAME)
def test_a_disguise_leaves_the_normalised_tokens_unchanged(kind):
    assert tokens(SAME[kind]) == tokens(BASE)


@pytest.mark.parametrize("change", [
    ("np.sum(x, axis=0)", "np.sum(x, axis=1)"),
    ("centred ** 2", "centred ** 3"),
    ("x - mean", "x + mean"),
    ("dout * scale", "dout / scale"),
])
def test_a_real_change_is_seen(change):
    assert tokens(BASE.replace(*change)) != tokens(BASE)


def test_dependent_statements_keep_their_order():
    swapped = BASE.replace("    centred = x - mean\n    var", "    var").replace(
        "    scale =", "    centred = x - mean\n    scale =")  # var now reads centred before it is written
    assert tokens(swapped) != tokens(BASE)


def test_function_order_does_not_matter_and_a_helper_nothing_calls_is_dead():
    two = BASE + "\ndef h(a):\n    return a * 2\n"
    flipped = "import numpy as np\n\ndef h(a):\n    return 2 * a\n" + BASE.replace("import numpy as np\n", "")
    assert sorted(map(str, units(two))) != []
    result = compare({"a.py": two, "b.py": flipped}, min_score=0)
    assert result.pairs[0].score == 1.0
    keep = frozenset(["f", "h"])
    unused_helper = BASE + "\ndef never_called(a):\n    return a + 1\n"
    assert tokens(unused_helper) != tokens(BASE)  # without an assignment every function counts
    assert [t.text for u in units(unused_helper, keep=keep) for t in u.tokens] == tokens(BASE)


def test_a_file_that_does_not_parse_or_nests_too_deep_is_skipped_with_the_reason():
    deep = "def f(a):\n    return " + " + ".join(["a"] * 5000) + "\n"
    result = compare({"a.py": BASE, "b.py": "def broken(:\n", "c.py": deep}, min_score=0)
    assert result.pairs == [] and "does not parse" in result.skipped["b.py"]
    assert "too deeply nested" in result.skipped["c.py"]


def test_matches_name_the_lines_of_both_files():
    other = "\n\n\n" + SAME["renamed"]
    result = compare({"a.py": BASE, "b.py": other}, min_score=0)
    (pair,) = result.pairs
    assert pair.score == 1.0
    lines_a = {line for m in pair.matches for line in range(m.a_lines[0], m.a_lines[1] + 1)}
    lines_b = {line for m in pair.matches for line in range(m.b_lines[0], m.b_lines[1] + 1)}
    assert set(range(4, 12)) <= lines_a and set(range(7, 15)) <= lines_b


def test_a_tiny_file_cannot_score_high_on_a_few_shared_lines():
    tiny = "def f(dout, mask):\n    return dout * mask\n"
    assert len(document("t.py", tiny).fingerprints) < 12
    result = compare({"a.py": tiny, "b.py": tiny.replace("mask", "m")}, min_score=0)
    assert 0 < result.pairs[0].score < 0.5

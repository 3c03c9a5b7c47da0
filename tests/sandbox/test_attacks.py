"""The attack corpus (tests/attacks/*.py) against the real sandbox.

For every attack: the values the judge decodes are plain data and still fail
the judge's own comparison (the trick gains nothing); no secret of the judge
and no line of the reference reaches the output, a value or an error message;
nothing is left on the host (no planted file, no process); and the same
factory then grades a benign submission normally.
"""

from __future__ import annotations

import glob
import os
import socket
import sysconfig
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import reference
from grader.sandbox import Limits, SandboxFactory
from grader.sandbox.interface import ImportFailed, SandboxError

ATTACKS = sorted(Path(__file__).parents[1].joinpath("attacks").glob("*.py"))
SLOW = {"cpu_spin", "endless_sleep", "endless_import", "memory_hog", "timeouts_just_under"}
LIMITS = Limits(call_timeout=1.0, import_timeout=1.5, memory_bytes=1024**3, cpu_seconds=10,
                output_bytes=256 * 1024, submission_timeout=20.0)
X = np.arange(1.0, 21.0).reshape(4, 5)
GAMMA, BETA = np.full(5, 2.0), np.full(5, 0.5)
BN_EXPECTED = GAMMA * (X - X.mean(0)) / np.sqrt(X.var(0) + 1e-5) + BETA
CALLS = {
    "dropout_forward": ((X, {"p": 0.5, "mode": "test"}), X),
    "batchnorm_forward": ((X, GAMMA, BETA, {"mode": "train", "eps": 1e-5, "momentum": 0.9}), BN_EXPECTED),
}
BENIGN = b"def dropout_forward(x, dropout_param):\n    return x.copy(), {'p': dropout_param['p']}\n"
LISTEN_PORT = 47613
MARKERS = ["/tmp/pwned_marker", "/work/main/pwned_marker", "/root/pwned_marker", "/var/tmp/pwned_marker",
           "/dev/shm/pwned_marker", "/tmp/pwned_pth", "/tmp/pwned_results.json", "/tmp/results.json",
           "/autograder/results/results.json", "results.json"]


def _planted_paths() -> set[str]:
    dirs = {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]}
    found = {p for p in MARKERS if os.path.exists(p)}
    found |= {p for d in ("/tmp", "/var/tmp", "/dev/shm") for p in glob.glob(f"{d}/pwned_*")}
    for d in dirs:
        found |= set(glob.glob(os.path.join(d, "zz_pwned.pth")))
        found |= {p for p in glob.glob(os.path.join(d, "*customize.py")) if "pwned" in Path(p).read_text()}
    return found


def _reference_lines() -> list[str]:
    ref = Path(reference.__file__).parent / "ex08" / "layers.py"
    starter = Path(reference.__file__).parent / "ex08" / "starter" / "layers.py"
    common = set(starter.read_text().splitlines()) if starter.exists() else set()
    return [ln.strip() for ln in ref.read_text().splitlines()
            if len(ln.strip()) > 30 and ln not in common and not ln.strip().startswith(("def ", "#", '"""'))]


def _is_plain(v: Any) -> bool:
    if v is None or type(v) in (bool, int, float, str):
        return True
    if type(v) is np.ndarray:
        return v.dtype.kind in "biufc"
    if type(v) in (list, tuple):
        return all(_is_plain(x) for x in v)
    if type(v) is dict:
        return all(type(k) is str and _is_plain(x) for k, x in v.items())
    return False


def _judge_accepts(value: Any, expected: np.ndarray) -> bool:
    """The comparison a check makes, with the judge's own numpy."""
    return type(value) is np.ndarray and value.shape == expected.shape and bool(np.allclose(value, expected))


def _grader_lines() -> list[str]:
    import grader.runner

    return [ln.strip() for ln in Path(grader.runner.__file__).read_text().splitlines()
            if len(ln.strip()) > 40 and not ln.strip().startswith(("def ", "#", '"""', "from ", "import "))]


def _zygote_children(factory: SandboxFactory) -> list[str]:
    pid = factory._zygote.pid
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


@pytest.fixture(scope="module")
def attack_factory(canary: dict[str, str], open_factory):
    f = open_factory(LIMITS)
    yield f
    f.close()


@pytest.fixture(scope="module")
def listener():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", LISTEN_PORT))
    s.listen(8)
    s.setblocking(False)
    yield s
    s.close()


def _run(factory: SandboxFactory, source: bytes) -> tuple[list[Any], str]:
    """Call each known function the attack defines; returns what the judge saw and all text produced."""
    seen: list[Any] = []
    text: list[str] = []
    try:
        sb = factory.open(source)
    except (ImportFailed, SandboxError) as exc:
        return [exc], str(exc)
    with sb:
        for name, (args, expected) in CALLS.items():
            if name not in sb.functions():
                continue
            try:
                h = sb.call(name, *args)
                out = sb.get(h, 0)
                seen.append(out)
                assert _is_plain(out), f"{name} leaked a non-plain object to the judge: {type(out)}"
                assert not _judge_accepts(out, expected), f"{name}: a wrong answer was accepted"
                cache = sb.get(h, 1)
                assert _is_plain(cache)
                seen.append(cache)
                text.append(repr(cache))
            except SandboxError as exc:
                seen.append(exc)
                text.append(str(exc) + getattr(exc, "traceback", ""))
        text.append(sb.output())
    return seen, "\n".join(text)


def _params():
    return [pytest.param(p, id=p.stem, marks=[pytest.mark.slow] if p.stem in SLOW else []) for p in ATTACKS]


def test_corpus_is_complete():
    assert len(ATTACKS) >= 25


@pytest.mark.parametrize("attack", _params())
def test_attack_gains_nothing_leaks_nothing_leaves_nothing(attack: Path, attack_factory, canary, listener):
    before = _planted_paths()
    seen, text = _run(attack_factory, attack.read_bytes())

    assert canary["value"] not in text
    for line in _reference_lines():
        assert line not in text, f"reference line leaked: {line}"
    for line in _grader_lines():
        assert line not in text, f"grader source leaked: {line}"
    assert _planted_paths() <= before, f"planted: {_planted_paths() - before}"
    with pytest.raises(BlockingIOError):
        listener.accept()
    assert _zygote_children(attack_factory) == []

    with attack_factory.open(BENIGN) as sb:
        out = sb.get(sb.call("dropout_forward", X, {"p": 0.5, "mode": "test"}), 0)
    assert _judge_accepts(out, X)

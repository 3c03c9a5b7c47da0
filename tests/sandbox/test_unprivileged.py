"""The sandbox with a non-root judge (mode (b)): run by root through ``in_mode.sh userns``.

``in_mode.sh`` drops to an unprivileged user without capabilities (created on
first use) and, when the interpreter lives under ``/root`` (0700), exposes just
that runtime in a private mount namespace. ``make test-installed`` runs the
same against the installed wheel, in every mode; this is the editable checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv") or not shutil.which("unshare"),
                       reason="needs root, setpriv and unshare to drop to an unprivileged uid"),
]


def _as_user(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1",
           "AUTOGRADER_TEST_SANDBOX_MODE": "userns"}
    return subprocess.run([str(ROOT / "tests" / "sandbox" / "in_mode.sh"), "userns", sys.executable, *args],
                          cwd=ROOT, env=env, text=True, capture_output=True, timeout=240)


def test_doctor_tells_the_truth_unprivileged():
    out = _as_user("-c", "from grader.sandbox import doctor; print(doctor.report_text())")
    assert out.returncode == 0, out.stderr
    assert "euid 0" not in out.stdout and "MISS uid" in out.stdout and "ok   seccomp" in out.stdout
    assert "mode: userns (b)" in out.stdout and "unprivileged user namespaces" in out.stdout


def test_lockdown_and_attacks_hold_unprivileged():
    out = _as_user("-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow",
                   "tests/sandbox/test_lockdown.py", "tests/sandbox/test_attacks.py",
                   "tests/sandbox/test_isolation.py")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]

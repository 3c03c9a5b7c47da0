"""The sandbox as an unprivileged user: run by root under ``setpriv`` with uid 1000 and no capabilities.

The interpreter here lives under ``/root`` (mode 0700), so the test first
exposes just that runtime in a private mount namespace (``unshare -m``), then
drops to uid 1000 and runs the lock-down tests and the doctor there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SCRIPT = r'''
set -e
real=$(readlink -f "$PY")
case "$real" in
  /root/*)
    top=$(echo "$real" | cut -d/ -f1-3)
    mkdir -p /tmp/.ag-unpriv-bind
    mount --bind "$top" /tmp/.ag-unpriv-bind
    mount -t tmpfs -o mode=755 tmpfs /root
    mkdir -p "$top"
    mount --move /tmp/.ag-unpriv-bind "$top"
    ;;
esac
cd "$REPO"
exec setpriv --reuid 1000 --regid 1000 --clear-groups --inh-caps=-all --bounding-set=-all \
  env HOME=/tmp "$PY" "$@"
'''

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv") or not shutil.which("unshare"),
                       reason="needs root, setpriv and unshare to drop to an unprivileged uid"),
]


def _as_user(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PY": sys.executable, "REPO": str(ROOT), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    return subprocess.run(["unshare", "-m", "sh", "-c", SCRIPT, "sh", *args], env=env, text=True,
                          capture_output=True, timeout=240)


def test_doctor_tells_the_truth_unprivileged():
    out = _as_user("-c", "from grader.sandbox import doctor; print(doctor.report_text())")
    assert out.returncode == 0, out.stderr
    assert "euid 1000" in out.stdout
    assert "MISS uid" in out.stdout and "ok   seccomp" in out.stdout and "minimum present" in out.stdout


def test_lockdown_and_attacks_hold_unprivileged():
    out = _as_user("-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow",
                   "tests/sandbox/test_lockdown.py", "tests/sandbox/test_attacks.py")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]

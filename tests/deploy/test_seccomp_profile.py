"""deploy/seccomp.json: no wider than the sandbox needs, and enough for it (run for real, as a non-root user).

There is no Docker engine here: ``tests/deploy/docker_seccomp.py`` loads the
profile with libseccomp exactly as Docker would (default action, allowlist,
argument filters) and the worker's code runs under it as an unprivileged uid,
which is how docker-compose.yml runs the worker.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROFILE = json.loads((ROOT / "deploy" / "seccomp.json").read_text())
NEVER = {"setns", "chroot", "ptrace", "bpf", "keyctl", "add_key", "request_key", "userfaultfd",
         "perf_event_open", "process_vm_readv", "process_vm_writev", "kexec_load", "init_module",
         "finit_module", "open_tree", "move_mount", "fsopen", "fsmount", "fspick", "mount_setattr",
         "name_to_handle_at", "open_by_handle_at", "reboot", "swapon", "syslog", "acct", "iopl", "ioperm",
         "quotactl", "lookup_dcookie", "nfsservctl"}
SANDBOX_NEEDS = {"unshare", "mount", "umount2", "pivot_root", "landlock_create_ruleset", "landlock_add_rule",
                 "landlock_restrict_self", "seccomp", "prctl", "capset", "capget", "setresuid", "setgroups"}
CLONE_NAMESPACES = (0x80 | 0x20000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000
                    | 0x40000000)


def _rules(name: str) -> list[dict]:
    return [r for r in PROFILE["syscalls"] if name in r["names"]]


def test_default_is_deny_and_nothing_dangerous_is_allowed():
    assert PROFILE["defaultAction"] == "SCMP_ACT_ERRNO"
    allowed = {n for r in PROFILE["syscalls"] if r["action"] == "SCMP_ACT_ALLOW" for n in r["names"]}
    assert allowed & NEVER == set()
    assert allowed >= SANDBOX_NEEDS


def test_clone_and_unshare_carry_no_namespace_beyond_the_sandboxes():
    (clone,) = _rules("clone")
    assert clone["args"] == [{"index": 0, "value": CLONE_NAMESPACES, "valueTwo": 0,
                              "op": "SCMP_CMP_MASKED_EQ"}]
    (clone3,) = _rules("clone3")
    # ENOSYS: glibc falls back to clone
    assert clone3["action"] == "SCMP_ACT_ERRNO" and clone3["errnoRet"] == 38
    (unshare,) = _rules("unshare")
    (arg,) = unshare["args"]
    permitted = ~arg["value"] & 0xFFFFFFFF
    assert arg["op"] == "SCMP_CMP_MASKED_EQ" and arg["valueTwo"] == 0
    assert permitted == 0x20000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x40000000  # NS, UTS, IPC, USER, NET


WORKER = r'''
import ctypes, sys
sys.path.insert(0, ".")
import numpy as np
import torch
from grader.sandbox import SandboxFactory
f = SandboxFactory(mode="userns")
with f.open(b"def f(x):\n    return x * 2\n") as sb:
    doubled = sb.get(sb.call("f", np.ones(2)))
f.close()
libc = ctypes.CDLL(None)
print("mode", f.mode, doubled.tolist(), float(torch.ones(2).sum()),
      "judge unshare(NEWPID)", libc.unshare(0x20000000), "judge clone(NEWNET)", libc.syscall(56, 0x40000000,
      0, 0, 0, 0))
'''


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv") or not shutil.which("unshare"),
                    reason="needs root to become an unprivileged user")
def test_the_worker_and_its_sandbox_run_under_the_profile_as_an_unprivileged_user():
    out = subprocess.run(
        [str(ROOT / "tests" / "sandbox" / "in_mode.sh"), "userns", sys.executable,
         str(ROOT / "tests" / "deploy" / "docker_seccomp.py"), str(ROOT / "deploy" / "seccomp.json"), "--",
         sys.executable, "-c", WORKER],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    assert "mode userns [2.0, 2.0] 2.0 judge unshare(NEWPID) -1 judge clone(NEWNET) -1" in out.stdout

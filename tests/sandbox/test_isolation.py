"""What one child can do to the host, the judge and other children, measured from both sides.

Each test runs one file of tests/attacks through the real sandbox in the
mode this host (or ``make test-installed``) provides, and checks what the
child reports against what the judge observes on the host.
"""

from __future__ import annotations

import ctypes
import errno
import glob
import os
import time
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import Limits
from grader.sandbox.interface import CallTimedOut, ChildDied

ATTACKS = Path(__file__).parents[1] / "attacks"
MiB = 1 << 20


def _attack(name: str) -> bytes:
    return (ATTACKS / f"{name}.py").read_bytes()


def test_no_capability_and_no_namespace_through_clone(factory):
    with factory.open(_attack("capabilities_and_clone_namespaces")) as sb:
        seen = sb.get(sb.call("probe"))
    assert [seen[k] for k in ("effective", "permitted", "inheritable", "bounding", "ambient")] == [0] * 5, seen
    clones = {k: v for k, v in seen.items() if k.startswith("clone ")}
    assert len(clones) == 7 and set(clones.values()) == {"EPERM"}, clones  # EINVAL would mean the filter missed
    assert seen["unshare CLONE_NEWUSER"] == seen["unshare CLONE_NEWNS"] == "EPERM"
    assert seen["mount tmpfs"] == seen["chroot"] == "EPERM"
    assert seen["setuid 0"] in ("EPERM", "EINVAL")  # EINVAL: uid 0 is not mapped in a user namespace


def test_reference_and_grader_are_not_found_through_sys_path(factory):
    import grader.runner
    import reference

    ref = (Path(reference.__file__).parent / "ex08" / "layers.py").read_text()
    marker = next(ln.strip() for ln in ref.splitlines() if "np." in ln and len(ln.strip()) > 30)
    with factory.open(_attack("read_reference_via_sys_path")) as sb:
        loot = sb.get(sb.call("_steal"))
        assert sb.get(sb.call("_reference")) is None
    text = "\n".join(f"{k}: {v}" for k, v in loot.items())
    assert marker not in text
    assert Path(grader.runner.__file__).read_text().splitlines()[0] not in text
    readable = [k for k, v in loot.items() if not k.startswith(("spec ", "pkgutil"))
                and ("/reference/" in k or "/grader/" in k) and v not in ("PermissionError", "FileNotFoundError")]
    assert readable == []


def test_a_concurrent_submission_is_out_of_reach(factory, canary):
    victim_source = b"# victim-canary-5d1e\ndef dropout_forward(x, dropout_param):\n    return x, None\n"
    with factory.open(victim_source) as victim, factory.open(_attack("tamper_concurrent_scratch")) as thief:
        assert os.stat(victim._scratch).st_mode & 0o077 == 0  # 0700: no other uid may even enter it
        loot = thief.get(thief.call("steal", [victim._scratch]))
        text = repr(loot)
        assert "victim-canary-5d1e" not in text and canary["value"] not in text
        assert [k for k, v in loot.items() if k.startswith("wrote ") and v == "yes"] == []
        assert [k for k, v in loot.items() if k.startswith("environ ") and not v.endswith("Error")] == []
        assert Path(victim._submission).read_bytes() == victim_source
        out = victim.get(victim.call("dropout_forward", np.ones(3), {"p": 0.5, "mode": "test"}), 0)
        assert np.array_equal(out, np.ones(3))


def _shmem() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Shmem:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no Shmem in /proc/meminfo")


def _queue_left(name: bytes) -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.mq_open(name, os.O_RDONLY)
    if fd >= 0:
        libc.mq_close(fd)
        libc.mq_unlink(name)
        return True
    return ctypes.get_errno() != errno.ENOENT and ctypes.get_errno() != errno.ENOSYS


def test_kernel_memory_outside_the_address_space_limit_is_capped_and_freed(factory):
    before = _shmem()
    with factory.open(_attack("kernel_memory_outside_as")) as sb:
        scratch = sb._scratch
        got = sb.get(sb.call("hold", 256, timeout=20))
        held = _shmem() - before
    time.sleep(0.2)
    after = _shmem() - before
    assert got["memfd"] == got["dev_shm"] == got["tmp"] == got["mqueue"] == 0, got
    assert got["pipes"] <= 64 * MiB, got  # RLIMIT_NOFILE 64 and pipe-max-size bound it
    assert got["scratch"] <= 16 * MiB, got  # tmpfs size (namespaces) or FSIZE x NOFILE (Landlock only)
    assert held <= 64 * MiB, f"{held / MiB:.0f} MiB of shared memory held by one child"
    assert after <= 4 * MiB, f"{after / MiB:.0f} MiB of shared memory left after the child was reaped"
    assert glob.glob("/dev/shm/pwned_mem_*") == glob.glob("/tmp/pwned_mem_*") == []
    assert not os.path.exists(scratch)
    assert not _queue_left(b"/pwned_mq")


def test_every_call_just_under_its_timeout_stays_within_the_submission_budget(open_factory):
    # A round (re-import 1.2 s, slow 0.85 s, crash 0.85 s) takes ~2.9 s: three fit in the budget, so a
    # loaded machine that stretches each round still sees at least two re-imports before the budget ends it.
    budget = 9.0
    limits = Limits(call_timeout=1.0, import_timeout=1.5, memory_bytes=1024**3, cpu_seconds=10,
                    output_bytes=256 * 1024, submission_timeout=budget)
    factory = open_factory(limits)
    start = time.monotonic()
    outcomes: list[str] = []
    try:
        with factory.open(_attack("timeouts_just_under")) as sb:
            for _ in range(40):
                try:
                    sb.get(sb.call("slow"))
                    sb.call("crash")
                except ChildDied:
                    outcomes.append("restart")
                except CallTimedOut:
                    outcomes.append("timeout")
                    # Only the budget's timeout ends the attack: on a loaded machine a 0.85 s call can
                    # overrun its own 1.0 s limit, which kills that child and the next call starts another.
                    if time.monotonic() - start >= budget:
                        break
            restarts = sb.restarts
            late = time.monotonic()
            with pytest.raises(CallTimedOut):
                sb.call("slow", 0.0)
            assert time.monotonic() - late < 0.2  # once spent, the budget refuses at once
        elapsed = time.monotonic() - start  # the child reaped, the scratch removed; the zygote is not the budget's
    finally:
        factory.close()
    assert outcomes[-1] == "timeout" and restarts >= 2, (outcomes, restarts)
    assert elapsed <= budget + 0.5, f"{elapsed:.2f} s for a budget of {budget} s"

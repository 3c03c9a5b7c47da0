"""Each lock-down layer, observed from inside a real child forked by the zygote."""

from __future__ import annotations

import os

import numpy as np
import pytest

from grader.sandbox import SandboxFactory, doctor
from grader.sandbox.interface import CallTimedOut, ChildDied, StudentRaised

PROBES = b'''
import ctypes, os, socket, signal, resource
_libc = ctypes.CDLL(None, use_errno=True)

def attempt(what, arg=None):
    if what == "socket":
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    elif what == "unix":
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    elif what == "read":
        return open(arg).read()
    elif what == "write":
        with open(arg, "w") as f:
            f.write("x")
    elif what == "exec":
        os.execv("/bin/true", ["true"])
    elif what == "fork":
        os.fork()
    elif what == "kill":
        os.kill(arg, signal.SIGKILL)
    elif what == "setuid":
        os.setuid(0)
    elif what == "listdir":
        return sorted(os.listdir(arg))
    elif what in ("shmget", "msgget", "semget"):
        size = (4096,) if what == "shmget" else (1,) if what == "semget" else ()
        rc = getattr(_libc, what)(0, *size, 0o1600)
        if rc < 0:
            raise OSError(ctypes.get_errno(), what)
    elif what == "prlimit":
        resource.prlimit(arg, resource.RLIMIT_NOFILE, (32, 32))
    elif what == "renice":
        os.setpriority(os.PRIO_PROCESS, arg, 19)
    elif what == "renice_uid":
        os.setpriority(os.PRIO_USER, 0, 19)
    elif what == "affinity":
        os.sched_setaffinity(arg, {0})
    elif what == "scheduler":
        os.sched_setscheduler(arg, os.SCHED_BATCH, os.sched_param(0))
    elif what == "getpgid":
        return os.getpgid(arg)
    elif what == "getsid":
        return os.getsid(arg)
    elif what == "ioprio":
        if _libc.syscall(251, 1, arg, 3 << 13) != 0:
            raise OSError(ctypes.get_errno(), "ioprio_set")
    return "done"

def threads(n):
    import threading
    stop, started = threading.Event(), []
    for _ in range(n):
        try:
            t = threading.Thread(target=stop.wait, daemon=True)
            t.start()
            started.append(t)
        except RuntimeError:
            break
    stop.set()
    for t in started:
        t.join()
    return len(started)

def own_limits_and_scheduling():
    """What honest code may still do to itself."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))
    # one step nicer than now: a lower value needs CAP_SYS_NICE, and the judge may itself run under `nice`
    os.setpriority(os.PRIO_PROCESS, 0, min(19, os.getpriority(os.PRIO_PROCESS, 0) + 1))
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    import numpy as np
    a = np.random.rand(64, 64)
    return [os.getpgid(0) == os.getpgrp(), os.getsid(0) > 0, len(cpus) > 0, float((a @ a.T).trace()) > 0,
            resource.getrlimit(resource.RLIMIT_NOFILE)[0]]

def fds():
    try:
        return sorted(int(n) for n in os.listdir("/proc/self/fd"))
    except OSError:  # no /proc (namespaces), or not readable (Landlock)
        return None

def facts():
    return {"uid": os.getuid(), "cwd": os.getcwd(), "env": dict(os.environ),
            "fds": fds(),
            "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
            "core": resource.getrlimit(resource.RLIMIT_CORE)[0]}

def scratch_write():
    with open("notes.txt", "w") as f:
        f.write("scratch is writable")
    return open("notes.txt").read()
'''


@pytest.fixture(scope="module")
def sb(factory: SandboxFactory):
    with factory.open(PROBES) as box:
        yield box


def _denied(sb, *args) -> str:
    with pytest.raises(StudentRaised) as info:
        sb.get(sb.call("attempt", *args))
    return info.value.exc_type


def test_host_has_the_minimum(factory):
    assert doctor.missing_minimum(factory.layers) == []
    assert factory.describe()["insecure"] is False


@pytest.mark.parametrize("what", ["socket", "unix", "exec", "fork"])
def test_escape_syscalls_are_denied(sb, what):
    assert _denied(sb, what) == "PermissionError"


@pytest.mark.parametrize("what", ["shmget", "msgget", "semget"])
def test_sysv_ipc_is_denied(sb, what):
    assert _denied(sb, what) == "PermissionError"


@pytest.mark.parametrize("what",
                         ["prlimit", "renice", "affinity", "scheduler", "getpgid", "getsid", "ioprio"])
@pytest.mark.parametrize("target", ["judge", "zygote", "init"])
def test_other_processes_limits_and_scheduling_are_out_of_reach(sb, factory, what, target):
    pid = {"judge": os.getpid(), "zygote": factory._zygote.pid, "init": 1}[target]
    assert _denied(sb, what, pid) == "PermissionError"


def test_renicing_every_process_of_the_uid_is_denied(sb):
    assert _denied(sb, "renice_uid") == "PermissionError"


def test_own_limits_scheduling_and_numpy_still_work(sb):
    assert sb.get(sb.call("own_limits_and_scheduling")) == [True, True, True, True, 32]


def test_cannot_signal_the_judge_or_zygote(sb):
    assert _denied(sb, "kill", os.getpid()) == "PermissionError"
    assert _denied(sb, "kill", 1) == "PermissionError"
    assert _denied(sb, "kill", -1) == "PermissionError"
    assert _denied(sb, "setuid") in ("PermissionError", "OSError")  # EINVAL in a user namespace


def test_files_outside_scratch_cannot_be_read_or_written(sb, canary, tmp_path):
    assert _denied(sb, "read", canary["file"]) in ("PermissionError", "FileNotFoundError")
    assert _denied(sb, "read", "/etc/passwd") in ("PermissionError", "FileNotFoundError")
    target = tmp_path / "planted.txt"
    assert _denied(sb, "write", str(target)) in ("PermissionError", "FileNotFoundError", "OSError")
    assert not target.exists()


def test_the_reference_is_out_of_reach(sb):
    import reference

    ref = os.path.join(os.path.dirname(reference.__file__), "ex08", "layers.py")
    assert _denied(sb, "read", ref) in ("PermissionError", "FileNotFoundError")


def test_scratch_is_writable(sb):
    assert sb.get(sb.call("scratch_write")) == "scratch is writable"


def test_identity_environment_descriptors_and_limits(sb, factory, canary):
    facts = sb.get(sb.call("facts"))
    assert canary["env"] not in facts["env"] and canary["value"] not in repr(facts["env"])
    assert set(facts["env"]) <= {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                 "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS",
                                 "PYTHONDONTWRITEBYTECODE", "LC_CTYPE", "KMP_DUPLICATE_LIB_OK"}
    assert facts["core"] == 0 and facts["nofile"] <= 64
    if os.geteuid() == 0:
        assert facts["uid"] >= 60000
    if factory.layers["namespaces"]["active"]:
        assert facts["cwd"] == "/scratch" and facts["fds"] is None  # no /proc at all


def test_fork_bomb_at_import_is_contained(factory):
    src = (b"import os\nfor _ in range(100):\n    try:\n        os.fork()\n    except OSError:\n"
           b"        pass\ndef f(x): return x\n")
    with factory.open(src) as box:
        assert np.array_equal(box.get(box.call("f", np.ones(2))), np.ones(2))


def test_thread_flood_is_capped(factory):
    """RLIMIT_NPROC (8 tasks) binds with a per-job uid (root) or in the child's own user namespace."""
    if not (factory.layers["uid"]["active"] or factory.layers["namespaces"]["active"]):
        pytest.skip("NPROC would count the worker's own processes: not set")
    with factory.open(PROBES) as box:
        assert 1 <= box.get(box.call("threads", 48)) <= 7
        assert box.get(box.call("threads", 3)) == 3  # a few threads still work


def test_memory_hog_dies_and_the_sandbox_restarts(factory):
    src = b"import numpy as np\ndef hog(): return np.ones((1 << 40,))\ndef f(x): return x\n"
    with factory.open(src) as box:
        with pytest.raises((StudentRaised, ChildDied)):
            box.call("hog")
        assert np.array_equal(box.get(box.call("f", np.zeros(2))), np.zeros(2))


def test_spin_times_out_and_child_is_gone(factory):
    src = b"def spin():\n    while True:\n        pass\ndef f(x): return x\n"
    with factory.open(src) as box:
        pid = box._pid
        with pytest.raises(CallTimedOut):
            box.call("spin", timeout=0.5)
        assert not os.path.exists(f"/proc/{pid}")
        assert box.get(box.call("f", 3)) == 3

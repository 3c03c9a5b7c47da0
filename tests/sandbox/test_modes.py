"""The accepted sandbox modes: which one a host gets, and that less is refused."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import pytest

from grader.sandbox import SandboxFactory, doctor, landlock, modes
from grader.sandbox.interface import SandboxUnavailable

ON = {"active": True, "why": "test"}
OFF = {"active": False, "why": "test"}


def _found(*active: str) -> dict[str, dict[str, str | bool]]:
    return {n: ON if n in active else OFF
            for n in ("process", "rlimits", "seccomp", "landlock", "uid", "namespaces")}


@pytest.mark.parametrize(("active", "root", "expected"), [
    (("process", "rlimits", "seccomp", "landlock", "uid", "namespaces"), True, "root"),
    (("process", "rlimits", "seccomp", "landlock", "uid"), True, "landlock"),
    (("process", "rlimits", "seccomp", "namespaces"), False, "userns"),
    (("process", "rlimits", "seccomp", "landlock", "namespaces"), False, "userns"),
    (("process", "rlimits", "seccomp"), True, None),  # the old minimum: no filesystem confinement
    (("process", "rlimits", "seccomp", "landlock"), False, None),  # Landlock but the judge's own uid
    (("process", "rlimits", "seccomp", "namespaces", "landlock"), True, None),  # root without per-job uid
    (("process", "rlimits", "landlock", "uid", "namespaces"), True, None),  # no seccomp
])
def test_a_mode_needs_confinement_and_separation(active, root, expected):
    mode = modes.choose(_found(*active), root=root)
    assert (mode.name if mode else None) == expected


def test_userns_mode_adds_landlock_only_when_present():
    mode = modes.BY_NAME["userns"]
    assert "landlock" in mode.layers(_found("rlimits", "seccomp", "landlock", "namespaces"))
    assert "landlock" not in mode.layers(_found("rlimits", "seccomp", "namespaces"))


def test_a_host_without_a_mode_is_refused_unless_insecure(monkeypatch):
    monkeypatch.setattr(doctor, "detect", lambda launcher: _found("process", "rlimits", "seccomp"))
    with pytest.raises(SandboxUnavailable, match="no accepted sandbox mode"):
        SandboxFactory()
    f = SandboxFactory(insecure=True)
    try:
        assert f.describe()["insecure"] is True and f.mode is None
        with f.open(b"def f(x):\n    return x\n") as sb:
            assert sb.get(sb.call("f", 2)) == 2
    finally:
        f.close()


def test_a_mode_this_host_lacks_is_refused(factory):
    other = next(m.name for m in modes.MODES if m.name != factory.mode)
    with pytest.raises(SandboxUnavailable):
        SandboxFactory(mode=other)


def test_the_run_is_in_the_mode_and_install_it_claims(factory):
    """Under ``make test-installed``: the mode named for this run, and grader from site-packages."""
    import grader

    expected = os.environ.get("AUTOGRADER_TEST_SANDBOX_MODE")
    assert factory.mode == (expected or modes.choose(factory.layers, root=os.geteuid() == 0).name)
    assert factory.describe()["mode"] == factory.mode
    if os.environ.get("AUTOGRADER_TEST_INSTALLED"):
        assert "site-packages" in grader.__file__ and not Path(grader.__file__).is_relative_to(Path.cwd())


def test_doctor_names_the_mode_and_what_the_host_must_allow(factory):
    text = doctor.report_text()
    mode = modes.BY_NAME[factory.mode]
    assert f"mode: {mode.name} {mode.label}" in text
    assert all(need in text for need in mode.host_must_allow)


def test_carve_never_grants_an_ancestor_of_a_hidden_package(tmp_path):
    lib = tmp_path / "usr" / "local" / "lib"
    site = lib / "python3.11" / "site-packages"
    for d in ("reference/ex08", "grader", "numpy", "torch"):
        (site / d).mkdir(parents=True)
    (lib / "python3.11" / "os.py").write_text("")
    (lib / "libfoo.so").write_text("")
    hidden = (str(site / "reference"), str(site / "grader"))
    granted = landlock.carve((str(lib / "python3.11"), str(site), str(lib)), hidden)
    for h in hidden:
        assert not any(h == g or h.startswith(g + "/") for g in granted), (h, granted)
    assert {str(site / "numpy"), str(site / "torch"), str(lib / "python3.11" / "os.py"),
            str(lib / "libfoo.so")} <= set(granted)


@pytest.mark.skipif(landlock.abi() == 0, reason="no Landlock on this kernel")
def test_landlock_with_an_ancestor_granted_still_hides_the_package(tmp_path):
    """The image's layout: stdlib and /usr/local/lib are ancestors of site-packages/reference."""
    lib = tmp_path / "usr" / "local" / "lib"
    site = lib / "python3.11" / "site-packages"
    (site / "reference" / "ex08").mkdir(parents=True)
    (site / "numpy").mkdir()
    (site / "reference" / "ex08" / "layers.py").write_text("SECRET = 1\n")
    (site / "numpy" / "__init__.py").write_text("OK = 1\n")
    readable = tuple(landlock.carve((str(lib), str(lib / "python3.11"), str(site)),
                                    (str(site / "reference"),)))
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # a real Landlock domain needs its own process
        seen = []
        try:
            # PR_SET_NO_NEW_PRIVS: Landlock needs it without CAP_SYS_ADMIN
            ctypes.CDLL(None).prctl(38, 1, 0, 0, 0)
            landlock.restrict(read_only=readable, read_write=())
            for path in (site / "numpy" / "__init__.py", site / "reference" / "ex08" / "layers.py"):
                try:
                    seen.append(path.read_text().strip())
                except OSError as exc:
                    seen.append(type(exc).__name__)
        finally:
            os.write(write, repr(seen).encode())
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 4096).decode() == repr(["OK = 1", "PermissionError"])

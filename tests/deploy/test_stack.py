"""The deployed stack, end to end, on a real Docker engine (issue 19). ``make test-deploy`` runs it.

``make test-deploy`` first runs ``make deploy-up`` (engine, base images or stand-ins, build, up, healthy),
then this module against the running stack, in file order: what a container changes (the worker's
identity, capabilities, seccomp and AppArmor; the sandbox's mode (b) and the attack corpus inside it),
grading over HTTP with the host's scores, then the faults an admin meets (a worker killed mid-grading,
Redis and Postgres restarted, ``down``/``up``, a newer image over an older database). It leaves the stack
up and healthy. Without ``AUTOGRADER_TEST_DEPLOY=1`` (set by the target) every test here is skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.deploy.stack import (
    ROOT,
    URL,
    api_answers,
    compose,
    container,
    counts,
    docker,
    graded_lines,
    inspect,
    proc_status,
    scores,
    sql,
    submission,
    token,
    upload,
    wait_graded,
    wait_healthy,
)

pytestmark = pytest.mark.skipif(os.environ.get("AUTOGRADER_TEST_DEPLOY") != "1",
                                reason="needs the deployed stack: make test-deploy")
WORKER = os.environ.get("AUTOGRADER_DEPLOY_WORKER", "worker")  # docker-compose.yml alone: worker-gpu
REFERENCE = (ROOT / "reference" / "ex08" / "layers.py").read_bytes()
WRONG = (ROOT / "tests" / "submissions" / "wrong" / "batchnorm_backward__missing_eps.py").read_bytes()
GRADE_S = 600


@pytest.fixture(scope="module")
def stack() -> dict:
    wait_healthy()
    return {"instructor": token("deploy-test-instructor", instructor=True)}


def test_the_api_and_the_dashboard_answer(stack):
    assert httpx.get(URL + "/healthz", timeout=10).json()["status"] == "ok"
    page = httpx.get(URL + "/dashboard/login", timeout=10)
    assert page.status_code == 200 and "password" in page.text.lower()
    assert httpx.get(URL + "/dashboard", timeout=10).status_code in (200, 303, 307)


def test_the_worker_is_unprivileged_with_our_seccomp_profile(stack):
    status = proc_status(WORKER)
    assert status["Uid"].split()[:2] == ["1000", "1000"], status["Uid"]
    assert int(status["CapEff"], 16) == 0 and int(status["CapPrm"], 16) == 0 and int(status["CapBnd"],
                                                                                     16) == 0
    assert status["NoNewPrivs"] == "1" and status["Seccomp"] == "2", status  # 2: filtering
    host = inspect(WORKER)["HostConfig"]
    assert host["Privileged"] is False and host["CapDrop"] == ["ALL"] and not host.get("CapAdd")
    opts = host["SecurityOpt"]
    assert "no-new-privileges:true" in opts or "no-new-privileges" in opts, opts
    (profile,) = [json.loads(o.split("=", 1)[1]) for o in opts if o.startswith("seccomp=")]
    assert profile == json.loads((ROOT / "deploy" / "seccomp.json").read_text())
    # Docker's default profile denies unshare to a process without CAP_SYS_ADMIN; ours allows it (mode (b))
    compose("exec", "-T", WORKER, "unshare", "-Ur", "true")


def test_doctor_in_the_worker_names_mode_b(stack):
    out = compose("exec", "-T", WORKER, "autograder", "doctor")
    assert "euid 1000" in out and "mode: userns (b)" in out, out


def test_apparmor_confines_the_worker_where_the_kernel_has_it(stack):
    enabled = Path("/sys/module/apparmor/parameters/enabled")
    if not enabled.exists() or enabled.read_text().strip() != "Y":
        pytest.skip("this kernel has no AppArmor (/sys/module/apparmor absent or disabled): the profile "
                    "deploy/apparmor-autograder-worker cannot load; docs/deploy.md says what such a host "
                    "needs")
    assert inspect(WORKER)["AppArmorProfile"] == "autograder-worker"
    current = compose("exec", "-T", WORKER, "cat", "/proc/1/attr/current").strip()
    assert current.startswith("autograder-worker") and "enforce" in current, current


def _host_report(content: bytes, seed: int, tmp: Path) -> subprocess.Popen:
    path = tmp / f"{seed}.py"
    path.write_bytes(content)
    return subprocess.Popen([sys.executable, "-m", "autograder.cli", "grade", "--json", "--seed", str(seed),
                             str(path)], stdout=subprocess.PIPE, cwd=tmp)


def test_uploads_over_http_are_graded_as_on_the_host(stack, tmp_path):
    student = token("deploy-test-alice")
    ids = {name: upload(student, body) for name, body in (("correct", REFERENCE), ("wrong", WRONG))}
    seeds = {sid: int(seed) for sid, seed in sql("SELECT id, seed FROM submissions WHERE id IN "
                                                 f"('{ids['correct']}', '{ids['wrong']}')")}
    host = {name: _host_report(body, seeds[ids[name]], tmp_path) for name, body in
            (("correct", REFERENCE), ("wrong", WRONG))}
    got = wait_graded(stack["instructor"], list(ids.values()), GRADE_S)
    for name, sid in ids.items():
        out, _ = host[name].communicate(timeout=GRADE_S)
        expected = json.loads(out)
        body = got[sid]
        assert body["status"] == "graded", body
        assert scores(body["report"]) == scores(expected), name
        assert (body["score"], body["max_score"]) == (expected["score"], expected["max_score"]), name
    assert got[ids["correct"]]["score"] == got[ids["correct"]]["max_score"] > 0
    assert got[ids["wrong"]]["score"] < got[ids["wrong"]]["max_score"]
    assert submission(student, ids["correct"])["status"] == "graded"  # the student reads their own
    stack["alice"] = student


def _slow(i: int, seconds: float) -> bytes:
    return REFERENCE + f"\nimport time\ntime.sleep({seconds})  # deploy test submission {i}\n".encode()


def test_the_worker_killed_mid_grading_is_restarted_and_grades_each_once(stack):
    students = [token(f"deploy-test-kill-{i}") for i in range(3)]  # fair queueing: one each in the broker
    ids = [upload(tok, _slow(i, 3)) for i, tok in enumerate(students)]
    deadline = time.monotonic() + GRADE_S
    while not sql(f"SELECT id FROM submissions WHERE status = 'running' AND id IN ({_in(ids)})"):
        assert time.monotonic() < deadline, "nothing started grading"
        time.sleep(0.5)
    time.sleep(1)
    before = inspect(WORKER)
    subprocess.run(["kill", "-9", str(before["State"]["Pid"])], check=True)  # from the host
    deadline = time.monotonic() + 120
    while (now := inspect(WORKER))["RestartCount"] == before["RestartCount"] or not now["State"]["Running"]:
        assert time.monotonic() < deadline, "the restart policy did not bring the worker back"
        time.sleep(1)
    got = wait_graded(stack["instructor"], ids, GRADE_S)
    assert {b["status"] for b in got.values()} == {"graded"}, got
    assert all(b["score"] == b["max_score"] for b in got.values())
    assert Counter(sid for sid in graded_lines(WORKER) if sid in ids) == Counter(ids)
    assert max(b["attempts"] for b in got.values()) > 1  # the killed one was taken over
    stack["killed"] = ids


def _in(ids: list[str]) -> str:
    return ", ".join(f"'{i}'" for i in ids)


def test_redis_and_postgres_restarted_lose_nothing(stack):
    before = counts()
    compose("stop", WORKER)
    queued = upload(stack["alice"], REFERENCE)  # waits in Redis (append-only) while no worker runs
    compose("restart", "redis", "postgres")
    deadline = time.monotonic() + 120
    while not api_answers():  # /healthz: 200 once the database and the broker answer again
        assert time.monotonic() < deadline, "the API did not get its database and broker back"
        time.sleep(1)
    assert counts()["submissions"] == before["submissions"] + 1
    compose("start", WORKER)
    wait_healthy()
    got = wait_graded(stack["instructor"], [queued], GRADE_S)
    assert got[queued]["status"] == "graded" and Counter(graded_lines(WORKER))[queued] == 1
    after = counts()
    assert all(after[t] >= before[t] for t in before) and after["submissions"] == before["submissions"] + 1


def test_down_then_up_keeps_every_submission_grade_token_and_schedule(stack):
    compose("exec", "-T", "api", "python", "-c", _SET_SCHEDULE)
    before, rows = counts(), sql("SELECT id, status, score FROM submissions ORDER BY id")
    schedule = sql("SELECT body FROM schedules WHERE source = 'dashboard'")
    assert schedule and before["schedules"] >= 1
    compose("down")
    assert not compose("ps", "-q").split()
    compose("up", "-d")
    wait_healthy()
    assert counts() == before and sql("SELECT id, status, score FROM submissions ORDER BY id") == rows
    assert sql("SELECT body FROM schedules WHERE source = 'dashboard'") == schedule
    listed = httpx.get(URL + "/api/v1/submissions", headers={"Authorization": f"Bearer {stack['alice']}"},
                       timeout=10)
    assert listed.status_code == 200 and len(listed.json()) >= 3  # the old token still signs alice in


_SET_SCHEDULE = """
from datetime import UTC, datetime
from service.db.session import session_factory
from service.schedule import Schedule, set_override
from service.settings import load
with session_factory(load().database)() as s:
    set_override(s, "ex08", Schedule(due_at=datetime(2031, 1, 31, 23, 59, tzinfo=UTC)))
    s.commit()
"""

_PREVIOUS_HEAD = """
import os
from alembic import command
from alembic.script import ScriptDirectory
from service.db.migrate import config
cfg = config(os.environ["DATABASE_URL"])
head = ScriptDirectory.from_config(cfg).get_current_head()
previous = ScriptDirectory.from_config(cfg).get_revision(head).down_revision
command.downgrade(cfg, previous)
print(head, previous)
"""


def test_a_newer_image_over_the_previous_migration_head_migrates_at_start_and_keeps_the_data(stack):
    before, rows = counts(), sql("SELECT id, status, score, report FROM submissions ORDER BY id")
    compose("stop", "api", WORKER)
    head, previous = compose("run", "--rm", "--no-deps", "-T", "api", "python", "-c",
                             _PREVIOUS_HEAD).split()[-2:]
    assert sql("SELECT version_num FROM alembic_version") == [[previous]] != [[head]]
    compose("up", "-d")
    wait_healthy()
    assert sql("SELECT version_num FROM alembic_version") == [[head]]
    assert counts() == before and sql("SELECT id, status, score, report FROM submissions ORDER BY id") == rows


# The attack corpus inside the worker container: make test-installed's tests, against the image's wheel,
# as the container's uid 1000 under its seccomp profile; pytest comes from this venv (the image has none).
TEST_LIBS = ("pytest", "_pytest", "pluggy", "iniconfig", "pytest_timeout", "py")
TEST_FILES = ("tests/sandbox/test_attacks.py", "tests/sandbox/test_isolation.py",
              "tests/sandbox/test_lockdown.py", "tests/sandbox/test_modes.py")


def _corpus_tar(path: Path) -> Path:
    import importlib.util

    with tarfile.open(path, "w") as tar:
        for name in TEST_LIBS:
            spec = importlib.util.find_spec(name)
            if spec is None or spec.origin is None:
                continue
            origin = Path(spec.origin)
            src = origin.parent if origin.name == "__init__.py" else origin
            tar.add(src, arcname=f"libs/{src.name}", filter=_no_cache)
        # conftest.py imports the two service modules; what is missing on a branch is left out
        for rel in ("tests/__init__.py", "tests/conftest.py", "tests/service_backends.py",
                    "tests/service_fixtures.py", "tests/sandbox", "tests/attacks", "pyproject.toml"):
            if (ROOT / rel).exists():
                tar.add(ROOT / rel, arcname=f"tree/{rel}", filter=_no_cache)
    return path


def _no_cache(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    if "__pycache__" in info.name:
        return None
    info.uid = info.gid = 1000
    info.uname = info.gname = ""
    return info


@pytest.mark.timeout(1500)
def test_the_attack_corpus_holds_inside_the_worker_container(stack, tmp_path):
    tar = _corpus_tar(tmp_path / "corpus.tar")
    cid = container(WORKER)
    docker("exec", cid, "rm", "-rf", "/tmp/corpus")
    docker("exec", cid, "mkdir", "-p", "/tmp/corpus")
    with tar.open("rb") as f:
        subprocess.run(["docker", "exec", "-i", cid, "tar", "-x", "-C", "/tmp/corpus"], stdin=f, check=True)
    run = subprocess.run(
        ["docker", "exec", "-w", "/tmp/corpus/tree", "-e", "PYTHONPATH=/tmp/corpus/libs", "-e", "HOME=/tmp",
         "-e", "AUTOGRADER_TEST_SANDBOX_MODE=userns", "-e", "AUTOGRADER_TEST_INSTALLED=1",
         "-e", "PYTHONDONTWRITEBYTECODE=1", cid,
         "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "pytest_timeout", *TEST_FILES],
        capture_output=True, text=True, timeout=1400)
    docker("exec", cid, "rm", "-rf", "/tmp/corpus")
    tail = (run.stdout + run.stderr)[-4000:]
    assert run.returncode == 0, tail
    summary = tail.strip().splitlines()[-1]  # e.g. "105 passed in 35.13s"
    assert " passed" in summary and " failed" not in summary and " error" not in summary, tail

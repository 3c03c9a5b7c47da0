"""Driving the deployed compose stack from the host, for tests/deploy/test_stack.py (make test-deploy).

Everything goes through the admin's own tools: ``docker compose`` in the checkout (its ``.env`` names the
compose files and the project), ``docker`` for what only the engine knows (pids, restarts, security
options), HTTP on the published port, ``psql`` inside the Postgres container.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
URL = os.environ.get("AUTOGRADER_DEPLOY_URL", "http://127.0.0.1:8000")
TABLES = ("students", "tokens", "submissions", "test_results", "counted_grades", "schedules")


def compose(*args: str, input: str | None = None, timeout: float = 600, check: bool = True) -> str:
    out = subprocess.run(["docker", "compose", *args], cwd=ROOT, input=input, capture_output=True, text=True,
                         timeout=timeout)
    if check and out.returncode:
        raise AssertionError(f"docker compose {' '.join(args)}: exit {out.returncode}\n{out.stderr[-3000:]}")
    return out.stdout


def docker(*args: str, timeout: float = 120) -> str:
    out = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"docker {' '.join(args)}: {out.stderr[-2000:]}"
    return out.stdout


def container(service: str) -> str:
    cid = compose("ps", "-q", service).strip()
    assert cid, f"no container for {service}"
    return cid


def inspect(service: str) -> dict[str, Any]:
    return json.loads(docker("inspect", container(service)))[0]


def states() -> dict[str, str]:
    """Service name -> health (or state, without a healthcheck) of each container of the project."""
    out = {}
    for cid in compose("ps", "-q").split():
        info = json.loads(docker("inspect", cid))[0]
        health = info["State"].get("Health")
        out[info["Config"]["Labels"]["com.docker.compose.service"]] = (
            health["Status"] if health else info["State"]["Status"])
    return out


def wait_healthy(timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while True:
        now = states()
        if now and all(s in ("healthy", "running") for s in now.values()) and api_answers():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not healthy after {timeout} s: {now}")
        time.sleep(2)


def api_answers() -> bool:
    try:
        return httpx.get(URL + "/healthz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def sql(query: str) -> list[list[str]]:
    out = compose("exec", "-T", "postgres", "psql", "-U", "autograder", "-d", "autograder", "-At", "-F", "\t",
                  "-v", "ON_ERROR_STOP=1", "-c", query)
    return [line.split("\t") for line in out.splitlines() if line]


def counts() -> dict[str, int]:
    return {t: int(sql(f"SELECT count(*) FROM {t}")[0][0]) for t in TABLES}


def token(name: str, *, instructor: bool = False) -> str:
    """Exactly the admin's command: ``docker compose exec api autograder token create NAME``."""
    args = ["exec", "-T", "api", "autograder", "token", "create", name] + (["--instructor"] if instructor else [])
    return compose(*args).strip().splitlines()[-1]


def upload(tok: str, content: bytes) -> str:
    r = httpx.post(URL + "/api/v1/submissions", headers={"Authorization": f"Bearer {tok}"},
                   files={"file": ("layers.py", content, "text/x-python")}, timeout=30)
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


def submission(tok: str, sid: str) -> dict[str, Any]:
    r = httpx.get(f"{URL}/api/v1/submissions/{sid}", headers={"Authorization": f"Bearer {tok}"}, timeout=30)
    assert r.status_code == 200, r.text
    return dict(r.json())


def wait_graded(tok: str, ids: list[str], timeout: float) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        got = {sid: submission(tok, sid) for sid in ids}
        if all(b["status"] in ("graded", "failed") for b in got.values()):
            return got
        if time.monotonic() > deadline:
            raise AssertionError({sid: b["status"] for sid, b in got.items()})
        time.sleep(2)


def graded_lines(service: str = "worker") -> list[str]:
    """The ids of every ``submission <id>: graded`` the worker container logged, across its restarts."""
    out = subprocess.run(["docker", "logs", container(service)], capture_output=True, text=True)
    logs = out.stdout + out.stderr
    return [ln.split("submission ", 1)[1].split(": ")[0] for ln in logs.splitlines()
            if "submission " in ln and ln.rstrip().endswith(": graded")]


def proc_status(service: str, pid: str = "1") -> dict[str, str]:
    out = compose("exec", "-T", service, "cat", f"/proc/{pid}/status")
    return {k: v.strip() for k, _, v in (ln.partition(":") for ln in out.splitlines())}


def scores(report: dict[str, Any]) -> list[tuple[str, str, float, float]]:
    return [(t["number"], t["status"], t["score"], t["max_score"]) for t in report["tests"]]

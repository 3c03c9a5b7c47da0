"""docker-compose.yml against the Compose Specification JSON schema (no Docker engine here).

``compose_spec.json`` is the Compose Specification schema as shipped in the
``docker-compose`` 1.29.2 wheel on PyPI (``compose/config/compose_spec.json``),
vendored so the test needs no network.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((Path(__file__).parent / "compose_spec.json").read_text())


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_follows_the_specification():
    jsonschema.Draft7Validator(SCHEMA).validate(compose())


def test_schema_catches_a_misspelt_key():
    broken = compose()
    broken["services"]["api"]["healtcheck"] = broken["services"]["api"].pop("healthcheck")
    assert list(jsonschema.Draft7Validator(SCHEMA).iter_errors(broken))


def test_services_healthchecks_gpu_and_seccomp():
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "api", "worker-gpu"}
    assert all("healthcheck" in s for s in services.values())
    devices = services["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]
    assert "seccomp=./deploy/seccomp.json" in services["worker-gpu"]["security_opt"]
    assert services["worker-gpu"]["command"] == ["autograder", "worker"]
    assert services["api"]["environment"]["AUTOGRADER_ENV"] == "production"


def test_the_worker_is_unprivileged():
    """Mode (b): a non-root uid, no capability, its own seccomp and AppArmor profiles, no unconfined
    anything."""
    worker = compose()["services"]["worker-gpu"]
    assert worker["user"].split(":")[0] not in ("0", "root")
    assert worker["cap_drop"] == ["ALL"] and "cap_add" not in worker and not worker.get("privileged")
    opts = worker["security_opt"]
    assert "no-new-privileges:true" in opts and not any(o.endswith("=unconfined") for o in opts)
    (apparmor,) = [o.split("=", 1)[1] for o in opts if o.startswith("apparmor=")]
    text = (ROOT / "deploy" / f"apparmor-{apparmor}").read_text()
    profile = "\n".join(ln.strip() for ln in text.splitlines() if not ln.lstrip().startswith("# "))
    assert f"profile {apparmor} " in profile
    assert "deny mount" not in profile and "mount," in profile and "pivot_root," in profile
    assert "deny @{PROC}/kcore rwklx," in profile  # docker-default's denials are kept


def test_the_image_installs_the_wheel_and_runs_unprivileged():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip wheel" in dockerfile and "pip install /tmp/dist/autograder-*.whl" in dockerfile
    assert " -e " not in dockerfile and "SYS_ADMIN" not in dockerfile
    users = [ln.split()[1] for ln in dockerfile.splitlines() if ln.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored

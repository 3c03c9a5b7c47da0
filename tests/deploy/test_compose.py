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

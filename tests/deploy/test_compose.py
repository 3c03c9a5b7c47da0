"""docker-compose.yml and docker-compose.cpu.yml against the Compose Specification JSON schema, and the
Dockerfile's shape, without a Docker engine (``make test-deploy`` runs the stack itself: test_stack.py).

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


def compose(name: str = "docker-compose.yml") -> dict:
    return yaml.safe_load((ROOT / name).read_text())


def test_compose_files_follow_the_specification():
    jsonschema.Draft7Validator(SCHEMA).validate(compose())
    jsonschema.Draft7Validator(SCHEMA).validate(compose("docker-compose.cpu.yml"))


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
    """Mode (b): a non-root uid, no capability, its own seccomp and AppArmor profiles, no unconfined anything."""
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
    assert "pip wheel" in dockerfile and "pip install --no-deps /tmp/dist/autograder-*.whl" in dockerfile
    assert " -e " not in dockerfile and "SYS_ADMIN" not in dockerfile
    users = [ln.split()[1] for ln in dockerfile.splitlines() if ln.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored


def test_the_cpu_worker_is_the_gpu_worker_without_the_gpu():
    """Compose cannot delete a key in an override: the CPU file repeats the worker, and must not drift."""
    base, cpu = compose()["services"], compose("docker-compose.cpu.yml")["services"]
    assert cpu["worker-gpu"] == {"profiles": ["gpu"]}  # never started on a CPU host
    gpu = {k: v for k, v in base["worker-gpu"].items() if k not in ("deploy", "build", "image")}
    worker = {k: v for k, v in cpu["worker"].items() if k not in ("build", "image")}
    gpu["environment"] = {k: v for k, v in gpu["environment"].items() if k != "AUTOGRADER_GPUS"}
    assert worker.pop("environment") == {**gpu.pop("environment"), "AUTOGRADER_GPUS": ""}  # no GPU to pin
    assert worker == gpu
    assert "deploy" not in cpu["worker"] and cpu["worker"]["image"] == cpu["api"]["image"] == "autograder:cpu"
    assert cpu["api"]["build"]["args"]["TORCH"].startswith("${AUTOGRADER_TORCH:-torch==")


def test_the_wheel_stage_copies_every_package_the_wheel_holds():
    import tomllib

    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    copied = {ln.split()[1] for ln in (ROOT / "Dockerfile").read_text().splitlines() if ln.startswith("COPY ")}
    assert {p.rstrip("*") for p in include} <= copied


def test_the_cpu_image_requirements_swap_torch_and_drop_torchvision():
    import importlib.util

    spec = importlib.util.spec_from_file_location("requirements", ROOT / "deploy" / "requirements.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pinned = module.requirements(ROOT / "pyproject.toml", "")
    assert "torch==2.14.1" in pinned and "torchvision==0.29.1" in pinned
    cpu = module.requirements(ROOT / "pyproject.toml", "torch==2.13.0+cpu")
    assert cpu[0] == "torch==2.13.0+cpu" and not [r for r in cpu[1:] if r.startswith(("torch", "torchvision"))]
    assert len(cpu) == len(pinned) - 1

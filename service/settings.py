"""The one settings object of the service. Nothing else in the service reads ``os.environ``.

Values come from the environment (``AUTOGRADER_*``, plus the conventional
``DATABASE_URL``, ``REDIS_URL`` and ``BROKER_URL``). The grading library never
reads them: the worker passes what it needs as arguments.

Unsafe settings (placeholder or short secrets, a plain instructor password, the
insecure sandbox: :mod:`service.production`) are refused unless ``AUTOGRADER_ENV``
is ``development``; ``autograder serve`` (the laptop command) defaults to
development, every other entry point to production.
"""

from __future__ import annotations

import os
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER = "changethis"

# Every OpenMP/BLAS pool: forking after a pool has started hangs the child (DESIGN.md).
THREAD_POOL_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def _env(name: str, *aliases: str) -> AliasChoices:
    return AliasChoices(f"AUTOGRADER_{name}", *aliases)


class Settings(BaseSettings):
    """Configuration of the API, the workers and the sweeper."""

    model_config = SettingsConfigDict(env_prefix="AUTOGRADER_", extra="ignore", populate_by_name=True)

    env: Literal["development", "production"] = "production"
    """``development`` accepts placeholder secrets and creates demo tokens."""
    data_dir: Path = Path("var")
    """Where the default SQLite database, the private Redis and its files live."""
    database_url: str | None = Field(None, validation_alias=_env("DATABASE_URL", "DATABASE_URL"))
    """SQLAlchemy URL; unset means SQLite at ``data_dir/autograder.sqlite3``."""
    redis_url: str | None = Field(None, validation_alias=_env("REDIS_URL", "REDIS_URL"))
    """Redis for events, rate limits and (by default) the Celery broker; unset: ``serve`` starts one."""
    broker_url: str | None = Field(None, validation_alias=_env("BROKER_URL", "BROKER_URL"))
    """Celery broker when it is not ``redis_url``, e.g. ``amqp://guest@127.0.0.1//`` for RabbitMQ."""

    secret_key: SecretStr = SecretStr(PLACEHOLDER)
    """Signs nothing yet but sessions and callbacks will; must be set in production."""
    instructor_password: SecretStr = SecretStr(PLACEHOLDER)
    """Dashboard login (the dashboard helper uses it)."""
    session_secret: SecretStr = SecretStr(PLACEHOLDER)
    """Dashboard session cookies."""
    lms_shared_secret: SecretStr = SecretStr(PLACEHOLDER)
    """LMS webhook/callback signing secret of the integration named ``default`` (see docs/lms.md)."""
    lms_secrets: dict[str, SecretStr] = {}
    """More LMS integrations, name → secret (JSON: ``{"moodle": "..."}``); each signs its own requests."""
    lms_assignment_map: dict[str, str] = {}
    """LMS assignment id → our assignment id; an unmapped id is taken as ours."""
    lms_callback_hosts: str = ""
    """Comma-separated hosts callbacks may go to (e.g. ``lms.example.edu``); empty allows any host in
    development and none in production (:mod:`service.lms.callback_address`)."""
    lms_replay_window_s: int = 300
    """Webhook requests whose timestamp is further than this from now are refused."""
    lms_callback_max_attempts: int = 8
    """Deliveries of one grade before it is marked failed (the dashboard can re-send)."""
    lms_callback_backoff_s: float = 5.0
    """First retry delay; doubles each attempt, with jitter, up to ``lms_callback_backoff_max_s``."""
    lms_callback_backoff_max_s: float = 900.0
    lms_callback_timeout_s: float = 10.0
    operator_token: SecretStr = SecretStr("")
    """Bearer token for ``/metrics`` and the detailed ``/healthz`` (the instructor's session works too);
    empty: only the instructor's session."""
    report_link_max_age_s: int = 30 * 24 * 3600
    """Signed report links (sent to the LMS) stop working this long after they were made."""
    sign_in_code_max_age_s: int = 3 * 24 * 3600
    """One-time sign-in codes (the dashboard's sign-in links) expire after this long."""
    login_rate_limit: int = 10
    """Failed sign-ins per client address, and per account, per ``login_rate_window_s``; then 429."""
    login_rate_window_s: int = 300
    lti_platforms: list[dict[str, Any]] = []
    """LTI 1.3 platform registrations, JSON list (docs/lti.md); the dashboard can add more."""
    lti_private_key: SecretStr | None = None
    """The LTI tool's RSA private key (PEM); unset: generated under ``data_dir`` in development only."""
    lti_roster_refresh_s: float = 3600.0
    """A course's roster (LTI Names and Roles) is fetched again by the sweeper when older than this."""
    lti_roster_min_interval_s: float = 300.0
    """Launches ask for a roster refresh at most this often per course."""
    hidden_tests_release_at: datetime | None = None
    """When students may see hidden/after-due-date tests; unset: never (instructors always do)."""
    schedule: dict[str, dict[str, Any]] = {}
    """Per assignment id, its schedule over the data file's (``AUTOGRADER_SCHEDULE``, JSON: ``{"ex08":
    {"due_at": "2026-12-01T12:00:00+01:00", "late_penalty_per_day": 0.1, "counted": "latest"}}``);
    the dashboard's wins over both (:mod:`service.schedule`)."""

    host: str = "127.0.0.1"
    port: int = 8000
    public_base_url: str = ""
    """Absolute base of links in responses; empty means ``http://host:port``."""

    max_upload_bytes: int = 256 * 1024
    rate_limit: int = 30
    """Uploads per student per ``rate_window_s``."""
    rate_window_s: int = 60
    max_waiting_per_student: int = 10
    """A student's submissions waiting to be graded (one at a time per student); beyond it, 429."""
    assignments: str = "ex08"
    """Comma-separated assignment ids accepted; intersected with what the grader knows."""
    default_assignment: str = "ex08"
    similarity_known_dir: Path | None = None
    """Known solutions for the similarity check (previous years, public ones): ``<dir>/<assignment id>/``,
    every ``.py`` file under it; unset: submissions are compared with each other only."""
    similarity_time_limit_s: int = 1800
    """A similarity run's budget (2,000 counted submissions take about a minute on 2 cores)."""

    queue: str = "grading"
    """Celery queue the API sends to and workers consume (one per deployment or per GPU pool)."""
    worker_concurrency: int = 1
    """Prefork processes per worker; each holds one warm Grader (and at most one GPU)."""
    gpus: str = ""
    """Comma-separated GPU ids for the worker's processes, e.g. ``0,1``; empty means CPU."""
    insecure_sandbox: bool = False
    """Development only: grade even when the minimum sandbox layers are missing."""
    training: bool = True
    """Run the training check (the slowest part) when grading uploads."""
    training_data: str = "digits"
    """Data of the training check: ``digits`` (scikit-learn's bundled set) or the path of a local
    FashionMNIST folder (torchvision layout, nothing downloaded), the course's own data set."""

    task_soft_time_limit_s: int = 150
    """A grading task's budget: just above the assignment's ``submission_timeout`` (120 s for ex08);
    past it the submission fails without a retry, so a hostile one costs at most this long."""
    task_time_limit_s: int = 180
    """The hard stop (the pool process is killed) when the soft limit did not end the task."""
    max_attempts: int = 3
    """Deliveries of one submission before it is marked ``failed``."""
    sweep_after_s: int = 600
    """A row queued or running longer than this is re-enqueued; must exceed the hard time limit."""
    sweep_interval_s: float = 10.0
    resend_after_s: float = 15.0
    """A row queued this long is sent again when the broker holds fewer messages than there are queued
    rows (it lost some: a Redis restart); the claim drops duplicates."""
    lost_after_s: float = 20.0
    """A row running this long under a task no live worker process holds (heartbeats) is taken back."""

    @field_validator("schedule")
    @classmethod
    def _valid_schedules(cls, v: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        from service.schedule import Schedule

        for body in v.values():
            Schedule.model_validate(body)  # refused at start, naming the bad field
        return v

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        from service import production

        if self.env != "development" and (refused := production.refusals(self)):
            raise ValueError(production.message(refused))
        return self

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'autograder.sqlite3').resolve()}"

    @property
    def broker(self) -> str:
        if not (self.broker_url or self.redis_url):
            raise RuntimeError("no broker: set REDIS_URL (or BROKER_URL), or run `autograder serve`")
        return self.broker_url or self.redis_url  # type: ignore[return-value]

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def lms_integrations(self) -> dict[str, SecretStr]:
        """Every LMS integration's signing secret, by name (``default`` is ``lms_shared_secret``)."""
        return {"default": self.lms_shared_secret, **self.lms_secrets}

    @property
    def gpu_ids(self) -> list[str]:
        return [g.strip() for g in self.gpus.split(",") if g.strip()]

    @property
    def assignment_ids(self) -> list[str]:
        return [a.strip() for a in self.assignments.split(",") if a.strip()]

    def child_environ(self) -> dict[str, str]:
        """Environment for a subprocess (worker, API) that must see these same settings."""
        env = dict(os.environ)
        env.update({"AUTOGRADER_ENV": self.env, "AUTOGRADER_DATA_DIR": str(self.data_dir),
                    "DATABASE_URL": self.database, "AUTOGRADER_HOST": self.host,
                    "AUTOGRADER_PORT": str(self.port)})
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        env.update({v: "1" for v in THREAD_POOL_VARS})
        return env


def load(*, default_env: str = "production", **overrides: Any) -> Settings:
    """Settings from the environment; ``default_env`` applies only when AUTOGRADER_ENV is unset."""
    if "AUTOGRADER_ENV" not in os.environ and "env" not in overrides:
        overrides["env"] = default_env
    return Settings(**overrides)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (API dependency, worker start-up)."""
    return load()


# The only writes to os.environ: they must reach native libraries (OpenMP, BLAS, CUDA) that read
# the environment, not our settings.
def pin_thread_pools() -> None:
    """Pin every OpenMP/BLAS pool to one thread; call before numpy or torch is imported."""
    os.environ.update({v: "1" for v in THREAD_POOL_VARS})


def pin_gpu(gpu_id: str) -> None:
    """Show this process one GPU (``CUDA_VISIBLE_DEVICES``); call before anything touches CUDA."""
    os.environ["CUDA_VISIBLE_DEVICES"] = gpu_id

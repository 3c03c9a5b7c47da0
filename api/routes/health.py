"""``/healthz`` (database, broker, workers, sandbox layers) and ``/metrics`` (Prometheus).

Both for operators (:mod:`api.auth`); anyone else gets ``/healthz``'s bare
status (liveness: the same code, no details) and a 401 from ``/metrics``.
``ok`` means ready to grade: a worker process has warmed up (torch and Lightning
imported, reference runs cached) and announced itself; until then the status is
``starting`` and ``waiting_for`` says what for.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from api.auth import OperatorDep, RequireOperator
from api.deps import SettingsDep
from service import heartbeats
from service.db.session import engine_for
from service.settings import Settings

router = APIRouter(tags=["operations"])
WAITING_FOR = ("a warm worker: no worker process has announced itself yet (each imports torch and "
               "Lightning and runs the reference trainings before it takes submissions)")


def _database(settings: Settings) -> dict[str, Any]:
    try:
        with engine_for(settings.database).connect() as c:
            c.execute(text("SELECT 1"))
        return {"ok": True, "dialect": engine_for(settings.database).dialect.name}
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "error": str(e)[:200]}


def _broker(settings: Settings) -> dict[str, Any]:
    from kombu import Connection

    try:
        with Connection(settings.broker, connect_timeout=1) as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
        return {"ok": True, "transport": settings.broker.split(":", 1)[0]}
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "error": str(e)[:200]}


async def _workers(aredis: Any) -> dict[str, Any]:
    """Workers announce themselves (device, sandbox layers) with an expiring Redis key."""
    if aredis is None:
        return {"ok": False, "count": 0, "processes": []}
    try:
        values = await heartbeats.alive_async(aredis)
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "count": 0, "error": str(e)[:200]}
    return {"ok": bool(values), "count": len(values), "processes": values}


@router.get("/healthz", summary="Database, broker, workers and their sandbox layers")
async def healthz(request: Request, settings: SettingsDep, operator: OperatorDep) -> JSONResponse:
    db = await run_in_threadpool(_database, settings)
    broker = await run_in_threadpool(_broker, settings)
    workers = await _workers(request.app.state.aredis)
    layers = [p.get("sandbox", "unknown") for p in workers.get("processes", [])]
    ok = db["ok"] and broker["ok"]
    status = "ok" if ok and workers["ok"] else ("starting" if ok else "down")
    bare: dict[str, Any] = {"status": status}
    if status == "starting":
        bare["waiting_for"] = WAITING_FOR
    body = {**bare, "database": db, "broker": broker, "workers": workers,
            "sandbox": layers[0] if layers else "unknown"}
    return JSONResponse(body if operator else bare, status_code=200 if ok else 503)


@router.get("/metrics", summary="Prometheus metrics (operators)", dependencies=[RequireOperator])
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.registry), media_type=CONTENT_TYPE_LATEST)

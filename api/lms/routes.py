"""``POST /api/v1/lms/submissions``: the signed webhook an LMS calls (see docs/lms.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import QueueDep, RateLimiterDep, SessionDep, SettingsDep
from api.responses import submission_body
from service.lms import webhook_intake
from service.problems import PROBLEMS, Problem

router = APIRouter(prefix="/api/v1/lms", tags=["lms"])
BODY_OVERHEAD = 16 * 1024  # JSON fields around the base64 file


@router.post("/submissions", status_code=202, summary="A submission from an LMS (HMAC-signed JSON)")
async def lms_submission(request: Request, settings: SettingsDep, session: SessionDep,
                         queue: QueueDep, limiter: RateLimiterDep) -> JSONResponse:
    body = await _body(request, limit=settings.max_upload_bytes * 4 // 3 + BODY_OVERHEAD)
    integration = webhook_intake.authenticate(settings, body, dict(request.headers))
    payload, content = await run_in_threadpool(webhook_intake.parse, body, settings)  # resolves DNS
    done = webhook_intake.accept(session=session, queue=queue, settings=settings, limiter=limiter,
                                 integration=integration, payload=payload, content=content)
    out = submission_body(done.submission, base_url=settings.base_url, with_report=False)
    out.update(integration=integration, external_submission_id=done.link.external_submission_id)
    return JSONResponse(out, status_code=202 if done.created else 200, headers={"Location": out["links"]["self"]})


async def _body(request: Request, *, limit: int) -> bytes:
    """The raw body (the signature covers its exact bytes), refused once it passes ``limit``."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, "Submission too large", f"the request body exceeds {limit} bytes",
                          type=PROBLEMS + "too-large", limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)

"""A reference LMS receiver: verifies the grade callbacks' signatures and keeps what it got.

Run it beside the service to see what an LMS receives::

    python -m tests.lms.receiver --port 9000 --secret default=s3cret --out grades.jsonl

It answers 401 to a bad or stale signature, 200 otherwise, and records each
delivery once (``X-Autograder-Delivery`` makes a re-send harmless). The
end-to-end tests run it in a thread (:class:`Receiver`) and stop it to play
an LMS that is down.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from service.lms import signing
from tests.http_server import ThreadedServer, free_port


def create_app(secrets: dict[str, str], *, window_s: int = 300, out: Path | None = None) -> Starlette:
    """The receiver app; ``app.state.grades`` holds the verified payloads, by delivery id."""
    grades: dict[str, dict[str, Any]] = {}

    async def receive(request: Request) -> JSONResponse:
        body = await request.body()
        secret = secrets.get(request.headers.get(signing.INTEGRATION, "default"))
        try:
            if secret is None:
                raise signing.SignatureError("unknown integration")
            signing.verify(secret, body, timestamp=request.headers.get(signing.TIMESTAMP),
                           sig=request.headers.get(signing.SIGNATURE), window_s=window_s)
        except signing.SignatureError as e:
            return JSONResponse({"error": str(e)}, status_code=401)
        grade = json.loads(body)
        key = request.headers.get(signing.DELIVERY) or str(grade.get("delivery_id"))
        if key not in grades:
            grades[key] = grade
            if out is not None:
                with out.open("a") as f:
                    f.write(json.dumps(grade) + "\n")
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/{path:path}", receive, methods=["POST"])])
    app.state.grades = grades
    return app


class Receiver:
    """The receiver on 127.0.0.1 in a background thread; ``stop()`` and ``start()`` again keep the port."""

    def __init__(self, secrets: dict[str, str], *, port: int | None = None) -> None:
        self.app = create_app(secrets)
        self.port = port or free_port()
        self._http = ThreadedServer(self.app, self.port, name="lms-receiver", lifespan="off")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/grades"

    @property
    def grades(self) -> list[dict[str, Any]]:
        return list(self.app.state.grades.values())

    def start(self) -> Receiver:
        self._http.start(timeout=10)
        return self

    def stop(self) -> None:
        self._http.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9000)
    p.add_argument("--secret", action="append", default=[], metavar="NAME=SECRET",
                   help="an integration's secret (repeatable); a bare SECRET is the `default` integration")
    p.add_argument("--out", type=Path, help="append each verified grade to this JSON-lines file")
    args = p.parse_args()
    secrets = dict(s.split("=", 1) if "=" in s else ("default", s) for s in args.secret)
    import uvicorn

    uvicorn.run(create_app(secrets, out=args.out), host=args.host, port=args.port)


if __name__ == "__main__":
    main()

"""Every common client reads the 413, even one that writes its whole body before it reads (issue 19).

Refusing an oversize body before reading it and closing at once resets a client still writing: urllib saw
``Broken pipe`` for most 2 MB and all 10 MB uploads, curl without ``Expect: 100-continue`` lost some. The
lingering close (``api.body_limit.drain``) reads and discards the rest, bounded, before closing. Here a real
uvicorn gets 20 uploads of each size from each client; every one must come back as the 413 problem+json.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio
import httpx
import pytest
import requests

from api.app import create_app
from api.body_limit import DRAIN_BYTES, drain
from api.ratelimit import UploadLimiter
from service.settings import Settings
from tests.dashboard.live import uvicorn_server
from tests.doubles import MemoryQueue
from tests.http_server import free_port

KB, MB = 1024, 1024 * 1024
SIZES = {"300 kB": 300 * KB, "2 MB": 2 * MB, "10 MB": 10 * MB}
TIMES = 20
HEADERS = {"Content-Type": "multipart/form-data; boundary=x"}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    settings = Settings(env="development", data_dir=tmp_path_factory.mktemp("data"), database_url=None,
                        redis_url=None, broker_url=None)
    app = create_app(settings, queue=MemoryQueue(), rate_limiter=UploadLimiter(None, limit=100, window_s=60))
    with uvicorn_server(app, free_port()) as url:
        yield url + "/api/v1/submissions"


def _urllib(url: str, body: Path) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, data=body.read_bytes(), headers=HEADERS, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers["content-type"], r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["content-type"], e.read()


def _requests(url: str, body: Path) -> tuple[int, str, bytes]:
    r = requests.post(url, data=body.read_bytes(), headers=HEADERS, timeout=30)
    return r.status_code, r.headers["content-type"], r.content


def _httpx(url: str, body: Path) -> tuple[int, str, bytes]:
    r = httpx.post(url, content=body.read_bytes(), headers=HEADERS, timeout=30)
    return r.status_code, r.headers["content-type"], r.content


def _curl(url: str, body: Path) -> tuple[int, str, bytes]:
    """curl sends ``Expect: 100-continue`` above 1 MB unless told not to; the empty header turns it off."""
    out = subprocess.run(
        ["curl", "-sS", "-o", "-", "-w", "\n%{http_code} %{content_type}", "-H", "Expect:",
         "-H", f"Content-Type: {HEADERS['Content-Type']}", "--data-binary", f"@{body}", url],
        capture_output=True, timeout=60)
    if out.returncode:
        raise ConnectionError(out.stderr.decode().strip())
    body_bytes, _, tail = out.stdout.rpartition(b"\n")
    code, _, ctype = tail.decode().partition(" ")
    return int(code), ctype, body_bytes


CLIENTS: dict[str, Callable[[str, Path], tuple[int, str, bytes]]] = {
    "urllib": _urllib, "requests": _requests, "httpx": _httpx, "curl": _curl}


@pytest.mark.parametrize("client", list(CLIENTS))
def test_every_client_reads_the_413_of_every_size(server, client, tmp_path):
    if client == "curl" and not shutil.which("curl"):
        pytest.skip("no curl on this machine")
    missed: dict[str, list[str]] = {}
    for label, size in SIZES.items():
        body = tmp_path / f"{size}.bin"
        body.write_bytes(b"#" * size)
        for _ in range(TIMES):
            try:
                status, ctype, raw = CLIENTS[client](server, body)
                ok = (status == 413 and ctype.startswith("application/problem+json")
                      and json.loads(raw)["status"] == 413)
                outcome = "" if ok else f"{status} {ctype}"
            except (OSError, requests.RequestException, httpx.HTTPError) as e:
                outcome = f"{type(e).__name__}: {e}"
            if outcome:
                missed.setdefault(label, []).append(outcome)
    assert not missed, {k: f"{len(v)} of {TIMES}: {v[0]}" for k, v in missed.items()}


def test_the_drain_is_bounded_in_size():
    pulled = [0]

    async def endless() -> dict:
        pulled[0] += 1
        return {"type": "http.request", "body": b"#" * MB, "more_body": True}

    assert anyio.run(drain, endless) == DRAIN_BYTES and pulled[0] == DRAIN_BYTES // MB


def test_the_drain_is_bounded_in_time(monkeypatch):
    monkeypatch.setattr("api.body_limit.DRAIN_S", 0.2)

    async def silent() -> dict:
        await anyio.sleep(3600)
        return {"type": "http.disconnect"}

    assert anyio.run(drain, silent) == 0


def test_the_drain_stops_at_the_end_of_the_body_or_a_disconnect():
    messages = iter([{"type": "http.request", "body": b"ab", "more_body": True},
                     {"type": "http.request", "body": b"c", "more_body": False}])

    async def two() -> dict:
        return next(messages)

    async def gone() -> dict:
        return {"type": "http.disconnect"}

    assert anyio.run(drain, two) == 3 and anyio.run(drain, gone) == 0

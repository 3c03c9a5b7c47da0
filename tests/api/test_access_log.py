"""No credential reaches an access log line: a real uvicorn logging at info, its access log captured."""

from __future__ import annotations

import logging
import threading
import time

import httpx

from api.app import create_app
from tests.doubles import MemoryQueue
from tests.http_server import free_port


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_access_log_lines_carry_no_report_link_token_or_code(settings):
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, queue=MemoryQueue()), host="127.0.0.1",
                                           port=port, log_level="info"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    seen = Lines()
    access = logging.getLogger("uvicorn.access")
    access.addHandler(seen)  # after uvicorn configured its logging (it does not propagate)
    try:
        base = f"http://127.0.0.1:{port}"
        httpx.get(f"{base}/student/reports/SECRET-LINK.abc")
        httpx.get(f"{base}/student/login?token=SECRET-TOKEN&x=1")
        httpx.get(f"{base}/student/signin?CODE=SECRET-CODE")
        httpx.get(f"{base}/student/signin")
    finally:
        server.should_exit = True
        thread.join(10)
        access.removeHandler(seen)
    lines = seen.lines
    assert len(lines) == 4, lines
    assert not [line for line in lines if "SECRET" in line]
    assert '"GET /student/reports/[redacted] HTTP/1.1" 404' in lines[0] and "x=1" in lines[1]

"""A real HTTP server for tests: uvicorn on 127.0.0.1 in a background thread, stoppable and restartable."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Literal


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThreadedServer:
    """``app`` on 127.0.0.1:``port``; ``stop()`` then ``start()`` again keeps the port (a peer that goes
    down)."""

    def __init__(self, app: Any, port: int, *, name: str = "uvicorn",
                 lifespan: Literal["auto", "on", "off"] = "auto") -> None:
        self.app, self.port, self.name, self.lifespan = app, port, name, lifespan
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 20) -> ThreadedServer:
        import uvicorn

        self._server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                     log_level="warning", lifespan=self.lifespan))
        self._thread = threading.Thread(target=self._server.run, name=self.name, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"{self.name} did not start on port {self.port}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(15)
        self._server = self._thread = None

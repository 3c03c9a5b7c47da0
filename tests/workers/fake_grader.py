"""A stand-in for ``grader.runner.Grader``, injected by ``tests.workers.fake_worker``.

It grades nothing: it reads directives from the source so service tests can
steer it — ``# fake: sleep=2.5`` waits, ``# fake: internal_error`` reports our
fault, ``# fake: raise`` raises. Otherwise it passes one test worth 1 point.
The real grader is still what the service tests use once it is installed.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable

from grader.report import Report, Status, TestResult


class FakeGrader:
    def __init__(self, assignment: str = "ex08", *, insecure: bool = False, device: str | None = None,
                 options: dict | None = None) -> None:
        self.assignment, self.device, self.warmed = assignment, device, False

    def warm_up(self) -> None:
        self.warmed = True

    def grade(self, source: bytes, *, seed: int = 0, training: bool = True,
              progress: Callable[[TestResult], None] | None = None) -> Report:
        t0 = time.monotonic()
        text = source.decode("utf-8", "replace")
        if m := re.search(r"# fake: sleep=([\d.]+)", text):
            time.sleep(float(m.group(1)))
        if "# fake: raise" in text:
            raise RuntimeError("fake grader exploded")
        status = Status.INTERNAL_ERROR if "# fake: internal_error" in text else Status.PASSED
        test = TestResult("fake check", "1", 1.0 if status is Status.PASSED else 0.0, 1.0, status,
                          tags=["fake"])
        if progress:
            progress(test)
        return Report(test.score, 1.0, time.monotonic() - t0, "", [test], self.assignment, seed,
                      "fake", hashlib.sha256(source).hexdigest(), {"fake": True})

    def close(self) -> None:
        pass

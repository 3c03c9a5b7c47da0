"""In-memory doubles of the service's boundaries, for unit tests (the real ones are tested for real too)."""

from __future__ import annotations

from typing import Any


class MemoryQueue:
    """A :class:`service.task_sender.TaskQueue` that remembers what was sent; ``down=True`` plays a broker
    outage."""

    def __init__(self, down: bool = False) -> None:
        self.sent: list[str] = []
        self.deliveries: list[int] = []
        self.rosters: list[int] = []
        self.similarity_runs: list[int] = []
        self.down = down

    def enqueue(self, submission_id: str) -> None:
        if self.down:
            raise ConnectionError("broker down")
        self.sent.append(submission_id)

    def deliver(self, delivery_id: int, *, countdown: float | None = None) -> None:
        if self.down:
            raise ConnectionError("broker down")
        self.deliveries.append(delivery_id)

    def refresh_roster(self, context_pk: int) -> None:
        if self.down:
            raise ConnectionError("broker down")
        self.rosters.append(context_pk)

    def similarity(self, run_id: int) -> None:
        if self.down:
            raise ConnectionError("broker down")
        self.similarity_runs.append(run_id)


class MemoryHttp:
    """The LMS webhook transport's HTTP client (``service.lms.delivery.Http``): records each POST, answers
    from
    ``answers`` (a status, or an exception to raise), then 200."""

    def __init__(self, *answers: int | Exception) -> None:
        self.answers: list[int | Exception] = list(answers)
        self.sent: list[tuple[str, bytes, dict[str, str]]] = []

    def post(self, url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> int:
        self.sent.append((url, body, headers))
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        return answer


class MemoryTransport:
    """One integration's transport (``service.lms.delivery.Transport``: the webhook's, or LTI's AGS): records
    which delivery it sent to which link, answers from ``answers`` (status, error), then delivered."""

    def __init__(self, *answers: tuple[int | None, str | None]) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[int, str, str]] = []
        """(delivery id, link's integration, link's external id)."""

    def send(self, session: Any, delivery: Any, link: Any) -> tuple[int | None, str | None]:
        self.sent.append((delivery.id, link.integration, link.external_submission_id))
        return self.answers.pop(0) if self.answers else (200, None)


def one_test_report(*, score: float = 1.0, max_score: float = 1.0, name: str = "check",
                    status: str = "passed"):
    """A real :class:`grader.report.Report` of one test, for tests that store a report by hand."""
    from grader.report import Report, Status, TestResult

    test = TestResult(name, "1", score, max_score, Status(status))
    return Report(score, max_score, 0.0, "", [test], "ex08", 0, "test", "0" * 64)

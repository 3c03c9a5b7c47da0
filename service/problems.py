"""Errors a caller can act on, as RFC 9457 problem details (the API renders them as problem+json)."""

from __future__ import annotations

from typing import Any

PROBLEMS = "https://autograder.invalid/problems/"
"""Base of every problem ``type`` URI."""


class Problem(Exception):
    """An error answer: what was wrong, where, what to do. Raised by intake and by routes."""

    def __init__(self, status: int, title: str, detail: str = "", *, type: str = "about:blank",
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.type = status, title, detail, type
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"type": self.type, "title": self.title, "status": self.status, "detail": self.detail,
                **self.extra}

"""HTTP for pylti1p3 (it uses ``requests``): the key set fetch, the token request, the score post."""

from __future__ import annotations

from typing import Any

import requests


class TimeoutSession(requests.Session):
    """requests with a timeout on every call (pylti1p3 sets none) and no redirects followed."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("allow_redirects", False)
        return super().request(*args, **kwargs)

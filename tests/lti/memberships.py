"""The simulated platform's course roster, served as LTI Names and Roles Provisioning Service 2.0 does.

``GET /memberships`` (a bearer token of scope ``contextmembership.readonly``, the
membership container media type accepted) answers ``page_size`` members a page,
``Link: <…>; rel="next"`` to the next page (its cursor in upper case, so a client
that lower-cases URLs loses it), and on each page ``rel="differences"`` to
``/memberships/differences?since=<version>``, which lists only the members
changed since that version, those removed with ``status: Deleted``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"


class Memberships:
    """The roster; ``requests`` records each URL asked (paths and queries), ``down`` answers 503."""

    def __init__(self, url: str, authorized: Callable[[Request, str], bool], *, page_size: int = 20) -> None:
        self.url, self.authorized, self.page_size = url, authorized, page_size
        self.members: dict[str, dict[str, Any]] = {}
        self.changed: dict[str, int] = {}
        self.version = 0
        self.requests: list[str] = []
        self.down = False

    def claim(self) -> dict[str, Any]:
        return {"context_memberships_url": f"{self.url}/memberships", "service_versions": ["2.0"]}

    def add(self, user_id: str, *roles: str, name: str | None = None, email: str | None = None) -> None:
        self.version += 1
        member = {"user_id": user_id, "roles": list(roles) or [MEMBERSHIP + "Learner"], "status": "Active"}
        member.update({k: v for k, v in (("name", name), ("email", email)) if v})
        self.members[user_id], self.changed[user_id] = member, self.version

    def remove(self, user_id: str) -> None:
        """The member left the course: gone from the listing, ``Deleted`` in the differences."""
        self.version += 1
        self.members[user_id]["status"] = "Deleted"
        self.changed[user_id] = self.version

    def suspend(self, user_id: str) -> None:
        """Still enrolled but suspended: listed with ``status: Inactive``."""
        self.version += 1
        self.members[user_id]["status"] = "Inactive"
        self.changed[user_id] = self.version

    def learners(self, n: int, prefix: str = "learner") -> list[str]:
        ids = [f"{prefix}-{i:03d}" for i in range(n)]
        for i, user_id in enumerate(ids):
            self.add(user_id, name=f"Learner {i}", email=f"{user_id}@example.edu")
        return ids

    async def handle(self, request: Request) -> JSONResponse:
        self.requests.append(str(request.url.path) + ("?" + request.url.query if request.url.query else ""))
        if self.down:
            return JSONResponse({"error": "maintenance"}, status_code=503)
        if not self.authorized(request, NRPS_SCOPE):
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        if CONTAINER not in request.headers.get("accept", ""):
            return JSONResponse({"error": "not acceptable"}, status_code=406)
        since = request.query_params.get("since")
        listed = ([m for u, m in self.members.items() if self.changed[u] > int(since)] if since is not None
                  else [m for m in self.members.values() if m["status"] != "Deleted"])
        page = int(request.query_params.get("cursor", "P0").removeprefix("P"))
        chunk = listed[page * self.page_size:(page + 1) * self.page_size]
        links = [f'<{self.url}/memberships/differences?since={self.version}>; rel="differences"']
        if (page + 1) * self.page_size < len(listed):
            query = f"since={since}&" if since is not None else ""
            links.insert(0, f'<{self.url}{request.url.path}?{query}cursor=P{page + 1}>; rel="next"')
        body = {"id": f"{self.url}/memberships", "context": {"id": "course-1", "label": "I2DL"}, "members": chunk}
        return JSONResponse(body, media_type=CONTAINER, headers={"Link": ", ".join(links)})

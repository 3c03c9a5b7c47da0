"""Where callbacks may go: the allow-list, the resolved addresses, and the pinned delivery request."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.app import create_app
from service.lms import signing
from service.lms.callback_address import Refused, check
from service.lms.delivery import PinnedHttp
from service.passwords import hash_password
from service.settings import Settings
from tests.dashboard.live import uvicorn_server
from tests.doubles import MemoryQueue
from tests.http_server import free_port

SAFE = {"secret_key": "k" * 32, "session_secret": "s" * 32, "lms_shared_secret": "l" * 32}


def production(tmp_path, database_url="", **over) -> Settings:
    return Settings(env="production", instructor_password=hash_password("pw"), data_dir=tmp_path,
                    database_url=database_url or None, **SAFE, **over)


def dns(table: dict[str, list[str]]):
    calls = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        answer = table[host]
        return answer.pop(0) if answer and isinstance(answer[0], list) else answer

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


@pytest.mark.parametrize(("url", "answer", "why"), [
    ("http://lms.example.edu/g", ["169.254.169.254"], "cloud metadata"),
    ("http://lms.example.edu/g", ["93.184.216.34", "fe80::1"], "link-local"),  # any address counts
    ("http://lms.example.edu/g", ["::ffff:169.254.169.254"], "cloud metadata"),  # IPv4-mapped
    ("http://lms.example.edu/g", ["0.0.0.0"], "unspecified"),
    ("http://evil.example/g", ["93.184.216.34"], "only"),  # not on the list
    ("ftp://lms.example.edu/g", ["93.184.216.34"], "http(s)"),
    ("http://lms.example.edu:99999/g", ["93.184.216.34"], "not a valid URL"),
    ("http://[::1/g", ["93.184.216.34"], "not a valid URL"),
])
def test_production_refuses(tmp_path, url, answer, why):
    settings = production(tmp_path, lms_callback_hosts="lms.example.edu")
    with pytest.raises(Refused, match=why.replace("(", r"\(").replace(")", r"\)")):
        check(url, settings, resolve=dns({"lms.example.edu": answer, "evil.example": answer}))


def test_production_requires_the_allow_list(tmp_path):
    with pytest.raises(Refused, match="AUTOGRADER_LMS_CALLBACK_HOSTS"):
        check("https://lms.example.edu/g", production(tmp_path), resolve=dns({"lms.example.edu": ["93.184.216.34"]}))


def test_a_listed_host_may_be_on_the_campus_network_an_unlisted_one_nowhere_private(tmp_path):
    listed = production(tmp_path, lms_callback_hosts="lms.campus.edu")
    target = check("https://lms.campus.edu:8443/g", listed, resolve=dns({"lms.campus.edu": ["10.1.2.3"]}))
    assert (target.address, target.port, target.host) == ("10.1.2.3", 8443, "lms.campus.edu")
    dev = Settings(env="development", data_dir=tmp_path)  # no list: any host, but not the metadata service
    assert check("http://127.0.0.1:9/g", dev, resolve=dns({"127.0.0.1": ["127.0.0.1"]})).address == "127.0.0.1"
    with pytest.raises(Refused, match="cloud metadata"):
        check("http://169.254.169.254/latest", dev, resolve=dns({"169.254.169.254": ["169.254.169.254"]}))


def _lms_body(callback_url: str) -> bytes:
    return json.dumps({"course_id": "c", "assignment_id": "ex08", "student_id": "u1",
                       "external_submission_id": "e1", "file_base64": base64.b64encode(b"x = 1\n").decode(),
                       "callback_url": callback_url}).encode()


@pytest.mark.parametrize("callback_url", [
    "http://10.0.0.7:8080/grades",  # private, not listed
    "http://127.0.0.1:6379/",  # loopback (Redis), not listed
    "http://[fe80::1]/grades",  # link-local, not listed
    "http://169.254.169.254/latest/meta-data/",  # metadata, listed by mistake
])
def test_production_webhook_answers_422_problem(tmp_path, database_url, callback_url):
    settings = production(tmp_path, database_url, lms_secrets={"moodle": SecretStr("m" * 32)},
                          lms_callback_hosts="lms.example.edu,169.254.169.254")
    raw = _lms_body(callback_url)
    with TestClient(create_app(settings, queue=MemoryQueue())) as client:
        r = client.post("/api/v1/lms/submissions", content=raw, headers={
            "Content-Type": "application/json", **signing.sign("m" * 32, raw, integration="moodle")})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "Bad callback URL"


@pytest.fixture
def lms_server():
    seen: list[dict] = []

    async def grades(request: Request) -> Response:
        seen.append({"host": request.headers["host"], "body": await request.body()})
        return Response(status_code=204)

    port = free_port()
    with uvicorn_server(Starlette(routes=[Route("/grades", grades, methods=["POST"])]), port):
        yield port, seen


def test_delivery_goes_to_the_address_that_was_checked(tmp_path, lms_server):
    port, seen = lms_server
    settings = Settings(env="development", data_dir=tmp_path, lms_callback_hosts="lms.test")
    resolve = dns({"lms.test": ["127.0.0.1"]})  # a name the system's DNS does not know
    code = PinnedHttp(settings, resolve=resolve).post(f"http://lms.test:{port}/grades", b"{}", {}, timeout=5)
    assert code == 204 and resolve.calls == ["lms.test"]
    assert seen == [{"host": f"lms.test:{port}", "body": b"{}"}]


def test_a_rebinding_between_intake_and_delivery_is_refused_before_connecting(tmp_path, lms_server):
    port, seen = lms_server
    settings = Settings(env="development", data_dir=tmp_path, lms_callback_hosts="lms.test")
    resolve = dns({"lms.test": [["127.0.0.1"], ["169.254.169.254"]]})
    check(f"http://lms.test:{port}/grades", settings, resolve=resolve)  # intake: fine
    with pytest.raises(Refused, match="cloud metadata"):
        PinnedHttp(settings, resolve=resolve).post(f"http://lms.test:{port}/grades", b"{}", {}, timeout=5)
    assert seen == []

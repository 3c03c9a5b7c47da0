"""Deep linking: course staff pick an assignment; the platform receives a signed link to it with a line item."""

from __future__ import annotations

import httpx

from grader.assignments import load
from tests.lti.conftest import LAUNCH_URL
from tests.lti.simulator import login_params, parse_form
from tests.lti.test_launch import post_launch


def deep_link_launch(client, platform, user: str) -> httpx.Response:
    r = client.get("/lti/login", params=login_params(platform, user, lti_message_hint="deep-link"),
                   follow_redirects=False)
    _, fields = parse_form(httpx.get(r.headers["location"], timeout=10).text)
    return post_launch(client, fields)


def test_staff_pick_an_assignment_and_the_platform_gets_a_signed_link(client, platform):
    picker = deep_link_launch(client, platform, "carol")
    assert picker.status_code == 200 and "ag_session" not in picker.headers.get("set-cookie", "")  # no session
    assert 'value="ex08"' in picker.text
    action, fields = parse_form(picker.text)
    assert action == "/lti/deep-link"
    answer = client.post(action, data={"launch_id": fields["launch_id"], "assignment": "ex08"})
    assert answer.status_code == 200
    to, back = parse_form(answer.text)
    assert to == f"{platform.url}/deep-link-return"
    assert httpx.post(to, data=back, timeout=10).status_code == 200  # the platform verified the signature
    [[item]] = platform.deep_links
    assert (item["type"], item["url"], item["custom"]) == ("ltiResourceLink", LAUNCH_URL, {"assignment": "ex08"})
    assert item["lineItem"]["scoreMaximum"] == load("ex08").max_score > 0
    again = client.post(action, data={"launch_id": fields["launch_id"], "assignment": "ex08"})
    assert again.status_code == 400 and "made already" in again.text  # the launch serves once


def test_students_cannot_deep_link(client, platform):
    r = deep_link_launch(client, platform, "alice")
    assert r.status_code == 401 and "only course staff" in r.text


def test_a_made_up_selection_is_refused(client, platform):
    r = client.post("/lti/deep-link", data={"launch_id": "lti1p3-launch-made-up", "assignment": "ex08"})
    assert r.status_code == 400 and "expired or was made already" in r.text
    picker = deep_link_launch(client, platform, "carol")
    _, fields = parse_form(picker.text)
    r = client.post("/lti/deep-link", data={"launch_id": fields["launch_id"], "assignment": "ex99"})
    assert r.status_code == 400 and "ex99" in r.text

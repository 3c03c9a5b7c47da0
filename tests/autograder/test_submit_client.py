"""``autograder submit``'s progress lines, from the SSE stream (an httpx MockTransport plays the API)."""

from __future__ import annotations

import json

import httpx

from autograder.submit_client import _follow


def stream(*events: tuple[str, dict]) -> httpx.Client:
    body = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    return httpx.Client(transport=httpx.MockTransport(handle), base_url="http://api")


def test_a_held_submission_says_it_waits_for_the_students_previous_one(capsys):
    with stream(("queued", {"id": "s2", "position": 3, "held": True}),
                ("queued", {"id": "s2", "position": 1}), ("running", {"id": "s2"}),
                ("graded", {"id": "s2"})) as client:
        _follow(client, "s2")
    assert capsys.readouterr().err.splitlines() == [
        "waiting for your previous submission to be graded, position 3", "queued, position 1", "running"]

"""``autograder submit``: upload, follow the event stream, print the report."""

from __future__ import annotations

import json
from pathlib import Path

import click
import httpx
from httpx_sse import connect_sse


def submit(path: str, *, server: str, token: str, assignment: str | None, as_json: bool) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    params = {"assignment": assignment} if assignment else {}
    with httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=30) as client:
        r = client.post("/api/v1/submissions", params=params,
                        files={"file": (Path(path).name, Path(path).read_bytes(), "text/x-python")})
        if r.status_code >= 400:
            body = r.json() if r.headers.get("content-type", "").endswith("json") else {"title": r.text}
            click.echo(f"refused ({r.status_code}): {body.get('title')}: {body.get('detail', '')}", err=True)
            return 1
        sid = r.json()["id"]
        click.echo(f"submitted {sid}", err=True)
        _follow(client, sid)
        final = client.get(f"/api/v1/submissions/{sid}").json()
    if as_json:
        click.echo(json.dumps(final.get("report"), indent=2))
    else:
        _table(final)
    return 0 if final["status"] == "graded" else 2


def _follow(client: httpx.Client, sid: str) -> None:
    """Progress on stderr until the submission is graded or failed (the report follows on stdout)."""
    with connect_sse(client, "GET", f"/api/v1/submissions/{sid}/events", timeout=None) as source:
        done = 0
        for sse in source.iter_sse():
            data = json.loads(sse.data)
            if sse.event == "queued" and data.get("held"):  # fair queueing: one of a student's at a time
                click.echo(f"waiting for your previous submission to be graded, position {data['position']}",
                           err=True)
            elif sse.event == "queued":
                click.echo(f"queued, position {data['position']}", err=True)
            elif sse.event == "running":
                click.echo("running", err=True)
            elif sse.event == "test":
                done += 1
                click.echo(f"  {done} test(s) done", err=True)
            elif sse.event in ("graded", "failed"):
                return


def _table(final: dict) -> None:
    report = final.get("report")
    if not report:
        click.echo(f"{final['status']}: {final.get('error') or ''}")
        return
    for t in report["tests"]:
        click.echo(f"{t['status']:>8}  {_points(t['score']):>5}/{_points(t['max_score']):<5} {t['name']}")
        if t["status"] not in ("passed", "hidden") and t.get("output"):
            click.echo("".join(f"            {line}\n" for line in t["output"].splitlines()), nl=False)
    click.echo(f"score: {report['score']:g}/{report['max_score']:g}")


def _points(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"

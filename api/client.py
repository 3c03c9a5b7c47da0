"""``autograder submit``: upload, follow the event stream, print the report."""

from __future__ import annotations

import json
from pathlib import Path

import click
import httpx


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
    event = ""
    with client.stream("GET", f"/api/v1/submissions/{sid}/events", timeout=None) as r:
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
                if event == "queued":
                    click.echo(f"queued, position {data['position']}", err=True)
                elif event == "running":
                    click.echo("running", err=True)
                elif event == "test":
                    click.echo(f"  {data['status']:>8}  {data['score']:g}/{data['max_score']:g}  {data['name']}",
                               err=True)
                elif event in ("graded", "failed"):
                    return


def _table(final: dict) -> None:
    report = final.get("report")
    if not report:
        click.echo(f"{final['status']}: {final.get('error') or ''}")
        return
    for t in report["tests"]:
        click.echo(f"{t['status']:>8}  {t['score']:>5g}/{t['max_score']:<5g} {t['name']}")
    click.echo(f"score: {report['score']:g}/{report['max_score']:g}")

"""``/dashboard/similarity``: an assignment's similarity check, its flagged pairs side by side, verdicts, CSV.

Thin: every route calls :mod:`service.similarity` and maps its outcome to a page, a
redirect or a problem. The check itself runs in a worker (``autograder.similarity_run``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from api.auth import CsrfDep, InstructorDep
from api.deps import QueueDep, SessionDep, SettingsDep
from api.pages import render
from service import similarity
from service.problems import Problem

router = APIRouter(prefix="/dashboard", include_in_schema=False)


@router.get("/similarity", response_class=HTMLResponse)
def similarity_page(request: Request, web: InstructorDep, settings: SettingsDep, session: SessionDep,
                    assignment: str = "") -> HTMLResponse:
    assignment = assignment or settings.default_assignment
    done = similarity.latest_done(session, assignment)
    pairs = similarity.pairs(session, done.id) if done else []
    return render(request, "similarity.html", web, assignment=assignment, assignments=settings.assignment_ids,
                  latest=similarity.latest_run(session, assignment), done=done,
                  between=[p for p in pairs if not p.known], known=[p for p in pairs if p.known])


@router.post("/similarity/run")
def run_now(_w: InstructorDep, _: CsrfDep, settings: SettingsDep, session: SessionDep, queue: QueueDep,
            assignment: Annotated[str, Form()]) -> Response:
    """Start the check now (or show the one already queued or running)."""
    if assignment not in settings.assignment_ids:
        raise Problem(422, "Unknown assignment",
                      f"{assignment!r} is not one of {', '.join(settings.assignment_ids)}")
    try:
        similarity.request_run(session, assignment=assignment, reason="on demand", send=queue.similarity)
    except Exception:  # noqa: BLE001 - the broker: the run is marked failed, saying so
        raise Problem(503, "Workers unreachable",
                      "the check could not be sent to the workers; try again") from None
    return RedirectResponse(f"/dashboard/similarity?assignment={assignment}", status_code=303)


@router.get("/similarity/pairs/{pair_id}", response_class=HTMLResponse)
def pair_page(request: Request, web: InstructorDep, settings: SettingsDep, session: SessionDep,
              pair_id: int) -> HTMLResponse:
    found = similarity.pair(session, pair_id, known_dir=settings.similarity_known_dir)
    if found is None:
        raise Problem(404, "Not found", f"no flagged pair {pair_id}")
    view, assignment, a_source, b_source = found
    return render(request, "similarity_pair.html", web, p=view, assignment=assignment,
                  a_html=_marked(a_source, view.matches, "a_lines"),
                  b_html=_marked(b_source, view.matches, "b_lines"))


@router.post("/similarity/pairs/{pair_id}/verdict")
def save_verdict(_w: InstructorDep, _: CsrfDep, session: SessionDep, pair_id: int,
                 verdict: Annotated[str, Form()], note: Annotated[str, Form()] = "") -> Response:
    try:
        assignment = similarity.set_verdict(session, pair_id, verdict=verdict, note=note)
    except ValueError as e:
        raise Problem(422, "Invalid verdict", str(e)) from None
    if assignment is None:
        raise Problem(404, "Not found", f"no flagged pair {pair_id}")
    return RedirectResponse(f"/dashboard/similarity/pairs/{pair_id}?saved=1", status_code=303)


@router.get("/similarity/export.csv")
def export(_w: InstructorDep, settings: SettingsDep, session: SessionDep, assignment: str = "") -> Response:
    assignment = assignment or settings.default_assignment
    return Response(similarity.csv_export(session, assignment), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{assignment}-similarity.csv"',
                             "Cache-Control": "no-store"})


def _marked(source: str, matches: list[dict[str, list[int]]], side: str) -> Markup:
    """The source with line numbers, the lines of every match highlighted."""
    lines = sorted({n for m in matches for n in range(m[side][0], m[side][1] + 1)})
    fmt = HtmlFormatter(linenos="table", cssclass="source", hl_lines=lines)
    return Markup(highlight(source, PythonLexer(), fmt))

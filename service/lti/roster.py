"""The course roster from the platform: LTI Names and Roles Provisioning Service (NRPS) 2.0.

A launch names its course (the context claim) and, when the platform shares the
roster, the course's ``context_memberships_url`` (the NRPS claim). :func:`remember`
keeps both in ``lti_contexts`` and the launching user in ``lti_members``.
:func:`refresh` (the worker task ``autograder.refresh_roster``; sent on launch at
most every ``lti_roster_min_interval_s``, from the dashboard's LTI page, and by
the sweeper when a roster is older than ``lti_roster_refresh_s``) fetches the
membership with a client-credentials token of scope ``contextmembership.readonly``,
page after page (``Link: <…>; rel="next"``). When the platform offered a
``rel="differences"`` link, the next refresh asks it for the changes only; a full
fetch still runs once a day, and whenever the differences are refused.

Learners become students of the course (``<platform>:<user_id>``, the name a launch
gives them), no token needed; instructors, administrators and teaching assistants
are kept but not counted. A member the platform lists as ``Inactive`` or
``Deleted``, or no longer lists at all, is marked inactive, never deleted: their
submissions and grades stay. Who counts, as SQL for the course membership (the gradebook,
its filters, the CSV): :mod:`service.lti.members`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin

from requests.utils import parse_header_links
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db.lti_models import LtiContext, LtiMember
from service.db.models import Student, utcnow
from service.lti.http import TimeoutSession
from service.lti.members import is_learner
from service.lti.registrations import Platform, all_platforms, find
from service.settings import Settings

NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
CONTEXT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/context"
ROLES_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/roles"
MEMBERSHIP_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERSHIP_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
FULL_EVERY = timedelta(days=1)
MAX_PAGES = 1000
"""A platform answering ``next`` forever is cut off here (1000 pages of members is no course)."""


class RosterError(RuntimeError):
    """The roster could not be fetched; ``str()`` says why (kept on the context, shown on the dashboard)."""


@dataclass(frozen=True)
class Synced:
    """What one refresh found."""

    learners: int
    """Active learners: students of the course."""
    staff: int
    """Active instructors, administrators, teaching assistants."""
    inactive: int
    """Members who left (learners and staff)."""
    full: bool
    """A full fetch (else only the differences since the last one)."""


# --- launches -------------------------------------------------------------------------------------------

def remember(session: Session, *, platform: Platform, claims: dict[str, Any], lineitems_url: str | None = None
             ) -> LtiContext | None:
    """The launch's course, with its NRPS URL and line item container, and the launching user as an active
    member (the launch proves it); None without a context claim. Commits."""
    context_id = str((claims.get(CONTEXT_CLAIM) or {}).get("id") or "")
    if not context_id:
        return None
    row = _context(session, platform, context_id)
    row.title = str((claims.get(CONTEXT_CLAIM) or {}).get("title") or row.title or "")[:300] or None
    nrps = claims.get(NRPS_CLAIM) or {}
    versions = nrps.get("service_versions") or ["2.0"]
    if nrps.get("context_memberships_url") and "2.0" in versions:
        row.memberships_url = str(nrps["context_memberships_url"])[:2000]
    row.lineitems_url = lineitems_url or row.lineitems_url
    session.flush()
    roles = [str(r) for r in claims.get(ROLES_CLAIM) or []]
    _store(session, row, platform, [{"user_id": str(claims["sub"]), "roles": roles, "status": "Active",
                                     "name": claims.get("name"), "email": claims.get("email")}],
           keep_name=True)
    session.commit()
    return row


def _context(session: Session, platform: Platform, context_id: str) -> LtiContext:
    where = (LtiContext.issuer == platform.issuer, LtiContext.client_id == platform.client_id,
             LtiContext.context_id == context_id[:255])
    row = session.scalar(select(LtiContext).where(*where))
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = LtiContext(issuer=platform.issuer, client_id=platform.client_id,
                             context_id=context_id[:255])
            session.add(row)
        return row
    except IntegrityError:  # a launch of the same course at the same moment made it
        return session.scalars(select(LtiContext).where(*where)).one()


def claim(session: Session, context_pk: int, *, every_s: float) -> bool:
    """True for the one caller that may send a refresh now (none sent in the last ``every_s``); commits."""
    now = utcnow()
    won = session.execute(update(LtiContext).where(
        LtiContext.id == context_pk, LtiContext.memberships_url.is_not(None),
        or_(LtiContext.requested_at.is_(None), LtiContext.requested_at < now - timedelta(seconds=every_s)))
        .values(requested_at=now).execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    session.commit()
    return bool(won)


def due(session: Session, settings: Settings) -> list[int]:
    """Contexts whose roster is older than ``lti_roster_refresh_s``, claimed for this caller (the sweeper)."""
    older = utcnow() - timedelta(seconds=settings.lti_roster_refresh_s)
    ids = session.scalars(select(LtiContext.id).where(
        LtiContext.memberships_url.is_not(None),
        or_(LtiContext.synced_at.is_(None), LtiContext.synced_at < older))).all()
    return [i for i in ids if claim(session, i, every_s=settings.lti_roster_min_interval_s)]


@dataclass(frozen=True)
class Course:
    """A course on the dashboard's LTI page."""

    context: LtiContext
    learners: int
    staff: int
    inactive: int


def courses(session: Session) -> list[Course]:
    """Every course some launch came from, with its roster's counts."""
    counts: dict[int, list[int]] = {}
    for pk, learner, active, n in session.execute(
            select(LtiMember.context_pk, LtiMember.learner, LtiMember.active, func.count())
            .group_by(LtiMember.context_pk, LtiMember.learner, LtiMember.active)):
        c = counts.setdefault(pk, [0, 0, 0])
        c[0 if learner and active else 1 if active else 2] += n
    return [Course(row, *counts.get(row.id, [0, 0, 0]))
            for row in session.scalars(select(LtiContext).order_by(LtiContext.issuer, LtiContext.context_id))]


# --- the refresh (a worker) ---------------------------------------------------------------------------

def refresh(session: Session, context_pk: int, settings: Settings, *, full: bool = False) -> Synced:
    """Fetch the membership of this context and store it; the failure is kept on the context and raised."""
    row = session.get(LtiContext, context_pk)
    if row is None or not row.memberships_url:
        raise RosterError("this course shares no roster (no Names and Roles claim in its launches)")
    try:
        platform = _platform(session, row, settings)
        full = full or not row.differences_url or row.full_synced_at is None or (
            utcnow() - row.full_synced_at > FULL_EVERY)
        synced = _fetch_and_store(session, row, platform, settings, full=full)
    except Exception as e:
        session.rollback()
        row = session.get(LtiContext, context_pk)
        assert row is not None
        row.sync_error = f"{type(e).__name__}: {e}"[:1000] if not isinstance(e,
                                                                             RosterError) else str(e)[:1000]
        session.commit()
        raise
    return synced


def _fetch_and_store(session: Session, row: LtiContext, platform: Platform, settings: Settings, *,
                     full: bool) -> Synced:
    from service.lti.keys import tool_key
    from service.lti.scores import CachingConnector

    connector = CachingConnector(platform.registration(tool_key(settings)),
                                 TimeoutSession(settings.lms_callback_timeout_s))
    if not full:
        try:
            members, differences = fetch(connector, str(row.differences_url))
        except RosterError:  # differences expired or not kept by the platform: fetch everything
            full = True
    if full:
        members, differences = fetch(connector, str(row.memberships_url))
    stamp = utcnow()
    _store(session, row, platform, members)
    if full:  # whoever this fetch did not list (their row not stamped by it) left the course
        session.execute(update(LtiMember).where(LtiMember.context_pk == row.id, LtiMember.updated_at < stamp,
                                                LtiMember.active == True)  # noqa: E712 - SQL
                        .values(active=False,
                                updated_at=utcnow()).execution_options(synchronize_session=False))
        row.full_synced_at = utcnow()
    row.differences_url, row.synced_at, row.sync_error = differences, utcnow(), None
    session.commit()
    return _counts(session, row.id, full=full)


def fetch(connector: Any, url: str) -> tuple[list[dict[str, Any]], str | None]:
    """Every member on the pages from ``url`` (``rel="next"``) and the ``rel="differences"`` link, if any."""
    from pylti1p3.exception import LtiServiceException

    members: list[dict[str, Any]] = []
    differences: str | None = None
    pages = 0
    next_url: str | None = url
    while next_url:
        pages += 1
        if pages > MAX_PAGES:
            raise RosterError(f"the platform's roster ran past {MAX_PAGES} pages")
        try:
            answer = connector.make_service_request([MEMBERSHIP_SCOPE], next_url, accept=MEMBERSHIP_TYPE,
                                                    case_insensitive_headers=True)
        except LtiServiceException as e:
            # a kept token the platform no longer takes: the next try gets one
            if e.response.status_code == 401:
                connector.forget()
            raise RosterError(f"the platform answered {e.response.status_code} for {next_url}") from e
        members += list((answer["body"] or {}).get("members") or [])  # type: ignore[union-attr]
        links = _links(answer["headers"].get("link", ""), base=next_url)
        next_url, differences = links.get("next"), links.get("differences") or differences
    return members, differences


def _links(header: str, *, base: str) -> dict[str, str]:
    """``rel`` → absolute URL of an HTTP ``Link`` header (pylti1p3 lower-cases the URLs it finds; we do
    not)."""
    found: dict[str, str] = {}
    for link in parse_header_links(header.replace("\n", " ")) if header else []:
        for rel in str(link.get("rel", "")).split():
            found.setdefault(rel.lower(), urljoin(base, link["url"]))
    return found


def _store(session: Session, context: LtiContext, platform: Platform, members: list[dict[str, Any]], *,
           keep_name: bool = False) -> None:
    """Upsert these members (their students created for learners), each stamped ``updated_at`` now."""
    wanted = [m for m in members if str(m.get("user_id") or "")]
    q = select(LtiMember).where(LtiMember.context_pk == context.id)
    if len(wanted) <= 500:  # a launch (one member) or a few differences: not the whole course
        q = q.where(LtiMember.user_id.in_([str(m["user_id"])[:255] for m in wanted]))
    kept = {m.user_id: m for m in session.scalars(q)}
    students = _students(session, platform, [str(m["user_id"]) for m in wanted
                                             if is_learner(m.get("roles") or [])])
    now = utcnow()
    for m in wanted:
        user_id, roles = str(m["user_id"])[:255], [str(r) for r in m.get("roles") or []]
        row = kept.get(user_id) or LtiMember(context_pk=context.id, user_id=user_id)
        row.roles, row.learner = " ".join(roles), is_learner(roles)
        row.student_id = students.get(user_id) if row.learner else None
        row.active = str(m.get("status") or "Active") == "Active"
        row.full_name = str(m["name"])[:300] if m.get("name") else (row.full_name if keep_name else None)
        row.email = str(m["email"])[:300] if m.get("email") else (row.email if keep_name else None)
        row.updated_at = now
        session.add(row)
        kept[user_id] = row
    session.flush()


def _students(session: Session, platform: Platform, user_ids: list[str]) -> dict[str, int]:
    """The student of each learner (``<platform>:<user_id>``, as a launch names them), created when new."""
    names = {f"{platform.label}:{u}"[:200]: u for u in user_ids}
    found: dict[str, int] = {}
    chunk = list(names)
    for i in range(0, len(chunk), 500):
        found.update({n: sid for sid, n in session.execute(
            select(Student.id, Student.name).where(Student.name.in_(chunk[i:i + 500])))})
    for name in [n for n in names if n not in found]:
        try:
            with session.begin_nested():
                student = Student(name=name)
                session.add(student)
            found[name] = student.id
        except IntegrityError:  # their launch (or another refresh) created them just now
            found[name] = session.scalars(select(Student.id).where(Student.name == name)).one()
    return {names[n]: sid for n, sid in found.items()}


def _platform(session: Session, row: LtiContext, settings: Settings) -> Platform:
    platform = find(all_platforms(session, settings), row.issuer, row.client_id)
    if platform is None:
        raise RosterError(f"no registration for {row.issuer} (client {row.client_id}) any more")
    return platform


def _counts(session: Session, context_pk: int, *, full: bool) -> Synced:
    rows = session.execute(select(LtiMember.learner,
                                  LtiMember.active).where(LtiMember.context_pk == context_pk))
    flags = list(rows)
    return Synced(learners=sum(1 for learner, active in flags if learner and active),
                  staff=sum(1 for learner, active in flags if not learner and active),
                  inactive=sum(1 for _, active in flags if not active), full=full)

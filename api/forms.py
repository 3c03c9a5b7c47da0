"""The dashboard's forms, read and checked: each gives the value to save, or a message per field.

A refused form is shown again as HTML with each message beside its field and what was typed kept
(``templates/_field.html``); nothing here raises. Dates are read as the pages write them
(``2026-12-01 12:00 UTC``) or as ISO 8601; without a zone they are UTC.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from service.schedule import Schedule

DATE_HELP = "write it as 2026-12-01 12:00 (UTC) or 2026-12-01T12:00+01:00"


@dataclass
class Checked:
    """A form's outcome: ``value`` when every field is right, else ``errors`` (field -> message)."""

    value: Any = None
    errors: dict[str, str] = field(default_factory=dict)
    confirm: str = ""
    """Set when the form is right but asks to be confirmed first (a close in the past)."""


def when(text: str, errors: dict[str, str], name: str) -> datetime | None:
    """A date-time typed in field ``name`` (empty: None); a message in ``errors`` when it is not one."""
    raw = text.strip()
    if not raw:
        return None
    cleaned = raw.removesuffix("UTC").removesuffix("Z").strip() if raw.upper().endswith(("UTC", "Z")) else raw
    try:
        at = datetime.fromisoformat(cleaned)
    except ValueError:
        errors[name] = f"`{raw}` is not a date and time: {DATE_HELP}."
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def share(text: str, errors: dict[str, str], name: str) -> float:
    """A share of the score: ``0.1`` or ``10 %`` (empty: 0)."""
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        value = float(raw.rstrip("%").strip() or 0) / (100 if percent else 1)
    except ValueError:
        errors[name] = f"`{raw}` is not a number: write 0.1 or 10 % for a tenth of the score per day."
        return 0.0
    if not 0 <= value <= 1:
        errors[name] = (f"`{raw}` is more than the whole score: write 0.1 or 10 % for a tenth per day."
                        if value > 1 else "A penalty cannot be negative.")
    return value


def whole_days(text: str, errors: dict[str, str], name: str) -> int | None:
    raw = text.strip()
    if not raw:
        return None
    if not raw.isdigit():
        errors[name] = f"`{raw}` is not a whole number of days (0, 1, 2, …); empty: no limit."
        return None
    return int(raw)


def schedule(form: dict[str, str], *, now: datetime, open_until: datetime | None) -> Checked:
    """The schedule form. A close before the due date is refused; a save that closes uploads now (its close is
    past while ``open_until``, the close in force, is not) asks for ``confirm_past_close`` first."""
    errors: dict[str, str] = {}
    due = when(form.get("due_at", ""), errors, "due_at")
    closes = when(form.get("closes_at", ""), errors, "closes_at")
    penalty = share(form.get("late_penalty_per_day", ""), errors, "late_penalty_per_day")
    days = whole_days(form.get("late_days_max", ""), errors, "late_days_max")
    counted = form.get("counted", "latest")
    if counted not in ("latest", "best"):
        errors["counted"] = "Choose latest or best."
    if due and closes and closes < due:
        errors["closes_at"] = (f"The close ({_utc(closes)}) is before the due date ({_utc(due)}): "
                               "uploads would stop before they are due.")
    if errors:
        return Checked(errors=errors)
    try:
        value = Schedule(due_at=due, closes_at=closes, late_penalty_per_day=penalty, late_days_max=days,
                         counted=counted)  # type: ignore[arg-type]
    except ValidationError as e:  # every field was checked above; this is a rule of Schedule's own
        return Checked(errors={"due_at": e.errors()[0]["msg"]})
    close = value.close()
    if close is not None and close <= now and (open_until is None or open_until > now) \
            and not form.get("confirm_past_close"):
        return Checked(value=value, confirm=_utc(close))
    return Checked(value=value)


def _utc(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def student_name(text: str, names: list[str], errors: dict[str, str], name: str = "student") -> str:
    """An existing student's name (``names``: every student's), with "did you mean" when it is not one."""
    raw = text.strip()
    if not raw:
        errors[name] = "Type the student's name, as on the Students page."
    elif raw not in names:
        close = difflib.get_close_matches(raw, names, n=3)
        errors[name] = f"No student is named `{raw}`." + (f" Did you mean {', '.join(close)}?" if close else
                                                          " Names are as on the Students page.")
    return raw


def new_name(text: str, errors: dict[str, str], name: str = "student") -> str:
    raw = text.strip()
    if not raw:
        errors[name] = "Type the student's name."
    elif len(raw) > 200:
        errors[name] = "A name has at most 200 characters."
    return raw


def platform(form: dict[str, str]) -> Checked:
    """An LTI platform's registration; each missing or malformed field gets its own message."""
    from service.lti.registrations import Platform

    required = ("issuer", "client_id", "deployment_ids", "auth_login_url", "auth_token_url", "key_set_url")
    errors = {f: "Required." for f in required if not form.get(f, "").strip()}
    if errors:
        return Checked(errors=errors)
    data = {k: form.get(k, "").strip() for k in (*required, "name")}
    data["deployment_ids"] = [d for d in form["deployment_ids"].replace(",", " ").split() if d]  # type: ignore[assignment]
    try:
        return Checked(value=Platform.model_validate(data))
    except ValidationError as e:
        return Checked(errors={str(err["loc"][0]) if err["loc"] else "issuer": err["msg"] for err in e.errors()})

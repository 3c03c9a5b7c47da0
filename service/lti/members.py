"""Who counts on an LTI course roster: learners, not course staff; the SQL conditions for "a student of the
course" (:func:`service.course.course_member`). Only SQLAlchemy here: the membership query imports it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import exists

from service.db.lti_models import LtiMember
from service.db.models import Student

STAFF = {"Instructor", "Administrator", "TeachingAssistant", "ContentDeveloper", "Mentor"}


def role_names(roles: Iterable[str]) -> set[str]:
    """The course (membership) roles as short names: ``…/membership#Learner`` → Learner,
    ``…/membership/Instructor#TeachingAssistant`` → Instructor and TeachingAssistant, ``Learner`` → Learner.
    System and institution roles say nothing about this course and are left out."""
    names: set[str] = set()
    for role in roles:
        if "://" in role and "/lis/v2/membership" not in role:
            continue
        names.update(p for p in re.split(r"[#/]", role.split("/lis/v2/membership", 1)[-1]) if p)
    return names


def is_learner(roles: Iterable[str]) -> bool:
    names = role_names(roles)
    return "Learner" in names and not names & STAFF


def active_learner() -> Any:
    """SQL condition on ``Student``: an active learner on some course roster."""
    return exists().where(LtiMember.student_id == Student.id, LtiMember.active == True,  # noqa: E712 - SQL
                          LtiMember.learner == True)  # noqa: E712


def on_roster() -> Any:
    """SQL condition on ``Student``: on some course roster, active or not (the roster decides for them)."""
    return exists().where(LtiMember.student_id == Student.id)

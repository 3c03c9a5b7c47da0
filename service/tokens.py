"""Bearer tokens. Only their SHA-256 is stored: a token is 256 random bits, so no salt or slow hash is
needed."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Student, Token

PREFIX = "ag_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(*, session: Session, student: str, instructor: bool = False) -> str:
    """Create the student if new and return a fresh bearer token (shown once, stored hashed)."""
    row = session.scalar(select(Student).where(Student.name == student))
    if row is None:
        row = Student(name=student, is_instructor=instructor)
        session.add(row)
        session.flush()
    elif instructor and not row.is_instructor:
        row.is_instructor = True
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(Token(student_id=row.id, token_sha256=digest(token)))
    session.commit()
    return token


def authenticate(*, session: Session, token: str) -> Student | None:
    """The student a token belongs to, or None for an unknown or revoked token."""
    return session.scalar(
        select(Student).join(Token, Token.student_id == Student.id)
        .where(Token.token_sha256 == digest(token), Token.revoked_at.is_(None)))

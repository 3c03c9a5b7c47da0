"""Tables of the LTI 1.3 integration: platforms added on the dashboard, one-time login values, launched users,
line items, and the courses (contexts) with their rosters (Names and Roles) and per-assignment line items."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db.models import Base, utcnow


class LtiPlatform(Base):
    """A platform registration added on the dashboard (those from ``AUTOGRADER_LTI_PLATFORMS`` are not stored)."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_lti_platform"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    deployment_ids: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of the deployment ids this registration accepts."""
    auth_login_url: Mapped[str] = mapped_column(String(2000))
    auth_token_url: Mapped[str] = mapped_column(String(2000))
    key_set_url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LtiValue(Base):
    """Server-side login state: the OIDC ``state`` and ``nonce`` (each taken once) and validated launches.

    The launch is a cross-site form POST from the platform, on which a
    ``SameSite=Lax`` cookie is not sent, so these live here and not in the browser.
    """

    __tablename__ = "lti_values"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class LtiAccount(Base):
    """A student who came through an LTI launch: who the platform says they are."""

    __tablename__ = "lti_accounts"
    __table_args__ = (UniqueConstraint("issuer", "client_id", "sub", name="uq_lti_account"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    sub: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    email: Mapped[str | None] = mapped_column(String(300), nullable=True)
    last_launch_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LtiLineItem(Base):
    """Where a student's grade for one of our assignments goes: an AGS line item of a launch."""

    __tablename__ = "lti_line_items"
    __table_args__ = (UniqueConstraint("student_id", "lineitem_url", name="uq_lti_line_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    assignment: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(255))
    """The platform's id of the student (the launch's ``sub``): the score's ``userId``."""
    lineitem_url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LtiContext(Base):
    """A course (LTI context) some launch came from, with its Names and Roles and line item endpoints."""

    __tablename__ = "lti_contexts"
    __table_args__ = (UniqueConstraint("issuer", "client_id", "context_id", name="uq_lti_context"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(300), nullable=True)
    memberships_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    """NRPS ``context_memberships_url``; None when the platform does not share the roster."""
    differences_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    """The ``rel="differences"`` link of the last full fetch: the changes since then."""
    lineitems_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    """AGS line item container, when the launch granted the line item scope."""
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    full_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    """When a refresh was last sent to a worker (at most one every few minutes)."""
    sync_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LtiMember(Base):
    """A member of a context, as Names and Roles says; a learner is a student of the course."""

    __tablename__ = "lti_members"
    __table_args__ = (UniqueConstraint("context_pk", "user_id", name="uq_lti_member"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    context_pk: Mapped[int] = mapped_column(ForeignKey("lti_contexts.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(255))
    """The platform's id of the member (a launch's ``sub``)."""
    student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id"), nullable=True, index=True)
    """Learners only; course staff are not students."""
    roles: Mapped[str] = mapped_column(Text, default="")
    learner: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    """False once the platform lists them as Inactive or Deleted, or no more: left the course (kept)."""
    full_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    email: Mapped[str | None] = mapped_column(String(300), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LtiContextLineItem(Base):
    """The line item (gradebook column) of one of our assignments in a context: every member's grade goes there."""

    __tablename__ = "lti_context_line_items"
    __table_args__ = (UniqueConstraint("context_pk", "assignment", name="uq_lti_context_line_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    context_pk: Mapped[int] = mapped_column(ForeignKey("lti_contexts.id"), index=True)
    assignment: Mapped[str] = mapped_column(String(64))
    lineitem_url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

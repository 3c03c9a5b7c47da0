"""Platform registrations: from ``AUTOGRADER_LTI_PLATFORMS`` and from the dashboard, as pylti1p3's tool
config.

A registration names one platform (issuer) and the client id it gave the
tool, the deployments it may launch from, and its three URLs. The same issuer
may register the tool more than once (several client ids): launches are matched
on issuer *and* audience.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, HttpUrl, ValidationError
from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.lti_models import LtiPlatform
from service.lti.keys import ToolKey
from service.settings import Settings


class Platform(BaseModel):
    """One registration of the tool on a platform."""

    issuer: str = Field(min_length=1)
    client_id: str = Field(min_length=1)
    deployment_ids: list[str] = Field(min_length=1)
    auth_login_url: HttpUrl
    auth_token_url: HttpUrl
    key_set_url: HttpUrl
    name: str = ""
    """Short name; students are named ``<name>:<sub>`` (the issuer's host when empty)."""
    id: int | None = None
    """The dashboard row; None for one from the environment (read-only on the dashboard)."""

    @property
    def label(self) -> str:
        return self.name or urlsplit(self.issuer).hostname or self.issuer

    def registration(self, key: ToolKey) -> Registration:
        return (Registration().set_issuer(self.issuer).set_client_id(self.client_id)
                .set_auth_login_url(str(self.auth_login_url)).set_auth_token_url(str(self.auth_token_url))
                .set_key_set_url(str(self.key_set_url)).set_tool_private_key(key.private_pem)
                .set_tool_public_key(key.public_pem))


class BadPlatform(ValueError):
    """A registration that does not validate (message names the field)."""


def parse(data: dict[str, Any]) -> Platform:
    try:
        return Platform.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        raise BadPlatform(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from e


def from_settings(settings: Settings) -> list[Platform]:
    try:
        return [parse(p) for p in settings.lti_platforms]
    except BadPlatform as e:
        raise BadPlatform(f"AUTOGRADER_LTI_PLATFORMS is invalid: {e}") from e


def from_database(session: Session) -> list[Platform]:
    return [Platform.model_validate({
        "id": r.id, "name": r.name, "issuer": r.issuer, "client_id": r.client_id,
        "deployment_ids": json.loads(r.deployment_ids), "auth_login_url": r.auth_login_url,
        "auth_token_url": r.auth_token_url, "key_set_url": r.key_set_url})
            for r in session.scalars(select(LtiPlatform).order_by(LtiPlatform.id))]


def all_platforms(session: Session, settings: Settings) -> list[Platform]:
    """Every registration; one added on the dashboard replaces the environment's for the same issuer and
    client."""
    stored = from_database(session)
    mine = {(p.issuer, p.client_id) for p in stored}
    return [p for p in from_settings(settings) if (p.issuer, p.client_id) not in mine] + stored


def find(platforms: list[Platform], issuer: str, client_id: str | None) -> Platform | None:
    """The registration for this issuer and client id; without a client id, the issuer's only one."""
    same = [p for p in platforms if p.issuer == issuer]
    if client_id:
        same = [p for p in same if p.client_id == client_id]
    return same[0] if len(same) == 1 else None


def save(session: Session, platform: Platform) -> LtiPlatform:
    """Add a registration (or replace the stored one with the same issuer and client id)."""
    row = session.scalar(select(LtiPlatform).where(LtiPlatform.issuer == platform.issuer,
                                                   LtiPlatform.client_id == platform.client_id))
    row = row or LtiPlatform(issuer=platform.issuer, client_id=platform.client_id)
    row.name, row.deployment_ids = platform.name, json.dumps(platform.deployment_ids)
    row.auth_login_url, row.auth_token_url = str(platform.auth_login_url), str(platform.auth_token_url)
    row.key_set_url = str(platform.key_set_url)
    session.add(row)
    session.commit()
    return row


def delete(session: Session, platform_id: int) -> bool:
    row = session.get(LtiPlatform, platform_id)
    if row is None:
        return False
    session.delete(row)
    session.commit()
    return True


class ToolConf(ToolConfAbstract):  # type: ignore[type-arg]
    """pylti1p3's view of our registrations: always matched on issuer and client id."""

    def __init__(self, platforms: list[Platform], key: ToolKey) -> None:
        self.issuers_relation_types = {}  # the base class's is shared by every instance
        self.platforms, self.key = platforms, key

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        return self.find_registration_by_params(iss, "")

    def find_registration_by_params(self, iss: str, client_id: str, *args: Any,
                                    **kwargs: Any) -> Registration:
        platform = find(self.platforms, iss, client_id)
        return platform.registration(self.key) if platform else None  # type: ignore[return-value]

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, "")

    def find_deployment_by_params(self, iss: str, deployment_id: str, client_id: str,
                                  *args: Any, **kwargs: Any) -> Deployment | None:
        platform = find(self.platforms, iss, client_id)
        if platform is None or deployment_id not in platform.deployment_ids:
            return None
        return Deployment().set_deployment_id(deployment_id)

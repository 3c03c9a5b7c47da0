"""Server-side LTI login state in the database: pylti1p3's launch data storage and its "cookies".

The OIDC login issues a ``state`` and a ``nonce``; the platform answers with a
cross-site form POST, which carries no ``SameSite=Lax`` cookie. So both are
kept here (any API process can check them) and each is taken at most once:
taking deletes the row in the same statement that finds it, so two launches
racing with one nonce cannot both succeed.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from pylti1p3.cookie import CookieService
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from service.db.lti_models import LtiValue
from service.db.models import utcnow

LIFETIME_S = 600
"""How long a state, a nonce and a validated launch are kept: the platform answers within seconds."""


class DatabaseStorage(LaunchDataStorage[Any]):
    """Values with an expiry in ``lti_values``; ``check_value`` (the nonce check) takes the value."""

    _session_cookie_name = ""  # no per-browser id: the keys (state, nonce) are random and single-use

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        super().__init__()
        self._sessions = sessions

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        with self._sessions() as s:
            row = s.scalar(select(LtiValue).where(LtiValue.key == self._prepare_key(key),
                                                  LtiValue.expires_at > utcnow()))
            return json.loads(row.value) if row else None

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        now = utcnow()
        with self._sessions() as s:
            s.execute(delete(LtiValue).where(LtiValue.expires_at <= now))
            s.merge(LtiValue(key=self._prepare_key(key), value=json.dumps(value),
                             expires_at=now + timedelta(seconds=exp or LIFETIME_S)))
            s.commit()

    def check_value(self, key: str) -> bool:
        return self.take(key) is not None

    def take(self, key: str) -> Any:
        """The value, removed so that nobody gets it again; None when absent, expired or already taken."""
        full = self._prepare_key(key)
        with self._sessions() as s:
            row = s.scalar(select(LtiValue).where(LtiValue.key == full, LtiValue.expires_at > utcnow()))
            if row is None:
                return None
            gone = s.execute(delete(LtiValue).where(LtiValue.key == full)).rowcount  # type: ignore[attr-defined]
            s.commit()
            return json.loads(row.value) if gone == 1 else None


class ServerSideState(CookieService):
    """pylti1p3 keeps ``state`` in a cookie; this adapter keeps it in :class:`DatabaseStorage` instead.

    Reading a state takes it: a state opens one launch.
    """

    def __init__(self, storage: DatabaseStorage) -> None:
        self._storage = storage

    def get_cookie(self, name: str) -> str | None:
        value = self._storage.take("cookie-" + name)
        return str(value) if value is not None else None

    def set_cookie(self, name: str, value: str | int, exp: int | None = 3600) -> None:
        self._storage.set_value("cookie-" + name, value, exp=min(exp or LIFETIME_S, LIFETIME_S))

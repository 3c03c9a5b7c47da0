"""The login bound to the browser that started it (login CSRF; the LTI 1.3 security framework's ``state``).

The OIDC login keeps its state and nonce server-side (:mod:`service.lti.store`);
this adds what ties them to one browser. The login hands the browser a random
secret in a short-lived cookie ``lti1p3-<state>`` (``SameSite=None; Secure;
HttpOnly``, 10 minutes: it must travel with the platform's cross-site form POST)
and keeps only its SHA-256 under the state. The launch is accepted from a browser
that proves it holds the secret:

- the cookie, sent with the launch; or
- when the browser dropped the cookie (third-party cookies blocked in the
  platform's iframe) and the platform offers the LTI client-side postMessage
  storage (``lti_storage_target`` in its login request): the login page put the
  secret into the platform's storage (``lti.put_data``) before going to the
  platform; at the launch, a page of ours reads it back (``lti.get_data``, only
  answered by the platform's origin) and posts the launch again with it in the
  field ``lti_state_proof``. That post must come from our own origin (its
  ``Origin`` header): a form on another site cannot present a proof.

A cookie that differs, a proof that differs or comes from another site, and no
proof at all where no fallback exists, are refused before the state and nonce
are spent. The forgery this stops: someone starts a login in their own browser,
gets their own platform-signed launch, and makes another person's browser post it
(that browser would be signed in as them).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from service.lti.launch import Refused
from service.lti.store import LIFETIME_S, DatabaseStorage

COOKIE_PREFIX = "lti1p3-"
PROOF_FIELD = "lti_state_proof"
STORAGE_KEY_PREFIX = "state::"
"""The key of the secret in the platform's storage: ``state::<state>``."""
UNKNOWN_STATE = "this launch's state is unknown or was used already: start it again from your course page"


@dataclass(frozen=True)
class Binding:
    """What the login's answer carries: the cookie, and for the postMessage fallback, where to put the secret."""

    state: str
    secret: str
    auth_url: str
    storage_target: str | None
    """The platform's ``lti_storage_target`` (``_parent`` or a frame name); None: the platform has no storage."""

    @property
    def cookie(self) -> str:
        return COOKIE_PREFIX + self.state

    @property
    def max_age(self) -> int:
        return LIFETIME_S

    @property
    def storage_key(self) -> str:
        return STORAGE_KEY_PREFIX + self.state

    @property
    def platform_origin(self) -> str:
        return origin(self.auth_url)


@dataclass(frozen=True)
class AskStorage:
    """No cookie came back, but the platform keeps the secret: a page of ours must read it and post again."""

    storage_target: str
    storage_key: str
    platform_origin: str


def bind(storage: DatabaseStorage, *, auth_url: str, params: Mapping[str, str]) -> Binding:
    """A fresh secret for the state in ``auth_url`` (the login's redirect), its hash kept server-side."""
    state = parse_qs(urlsplit(auth_url).query)["state"][0]
    secret = secrets.token_urlsafe(32)
    target = params.get("lti_storage_target") or None
    storage.set_value(_key(state), {"sha256": _digest(secret), "target": target, "origin": origin(auth_url)},
                      exp=LIFETIME_S)
    return Binding(state=state, secret=secret, auth_url=auth_url, storage_target=target)


def check(storage: DatabaseStorage, *, params: Mapping[str, str], cookies: Mapping[str, str],
          request_origin: str | None, own_origin: str) -> AskStorage | None:
    """None when this browser proved it started the login; :class:`AskStorage` when only the platform's
    storage can prove it; :class:`~service.lti.launch.Refused` otherwise. A launch without a state is left
    to :func:`service.lti.launch.validate` (it says so)."""
    state = params.get("state", "")
    if not state:
        return None
    kept: dict[str, Any] | None = storage.get_value(_key(state))
    if kept is None:
        raise Refused(UNKNOWN_STATE)
    cookie, proof = cookies.get(COOKIE_PREFIX + state), params.get(PROOF_FIELD)
    if cookie is not None and not proof:
        _same(kept, cookie)
        return None
    if proof:
        if request_origin != own_origin:
            raise Refused("this launch's proof of the browser was posted from another site")
        _same(kept, proof)
        return None
    if kept.get("target"):
        return AskStorage(storage_target=str(kept["target"]), storage_key=STORAGE_KEY_PREFIX + state,
                          platform_origin=str(kept["origin"]))
    raise Refused("this browser did not send back the sign-in cookie the tool set when the launch started "
                  "(a launch from another browser, or third-party cookies blocked): open the activity in a new "
                  "window")


def spent(storage: DatabaseStorage, state: str) -> None:
    """The launch was accepted: the binding goes with its state."""
    storage.take(_key(state))


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _same(kept: dict[str, Any], secret: str) -> None:
    if not hmac.compare_digest(_digest(secret), str(kept.get("sha256", ""))):
        raise Refused("this launch was started in another browser (its state does not match this browser's "
                      "sign-in cookie)")


def _key(state: str) -> str:
    return "bind-" + state


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()

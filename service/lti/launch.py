"""The OIDC login and the launch, through pylti1p3, with framework-free adapters.

:func:`login_redirect` answers the platform's third-party-initiated login with
the URL of its auth endpoint (state and nonce kept server-side); :func:`validate`
checks the id_token the platform posts back (signature against the platform's
key set, issuer, audience, expiry, state, nonce taken once, deployment, message
type) and :func:`outcome` reads what we need from it. Any refusal is a
:class:`Refused` with a reason fit for the error page.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.redirect import Redirect
from pylti1p3.request import Request
from pylti1p3.roles import TeacherRole, TeachingAssistantRole
from pylti1p3.session import SessionService

from service.lti.registrations import Platform, ToolConf, find
from service.lti.store import LIFETIME_S, DatabaseStorage, ServerSideState
from service.settings import Settings

AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"
RESOURCE_LINK_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
MESSAGE_TYPE_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/message_type"
RESOURCE_LINK, DEEP_LINKING = "LtiResourceLinkRequest", "LtiDeepLinkingRequest"
HANDLED = (RESOURCE_LINK, DEEP_LINKING)
"""Message types this tool answers; pylti1p3 also validates others (data privacy, submission review)."""


class Refused(Exception):
    """A login or launch we do not accept; ``str()`` says why."""


class Params(Request):
    """A request as pylti1p3 sees it: its query and form parameters."""

    def __init__(self, params: Mapping[str, str], *, secure: bool) -> None:
        self._params, self._secure = dict(params), secure

    @property
    def session(self) -> dict[str, Any]:
        return {}  # never used: state lives in DatabaseStorage

    def is_secure(self) -> bool:
        return self._secure

    def get_param(self, key: str) -> str:
        return self._params.get(key, "")


class _Url(Redirect[str]):
    def __init__(self, url: str) -> None:
        self.url = url

    def do_redirect(self) -> str:
        return self.url

    def do_js_redirect(self) -> str:
        return self.url

    def set_redirect_url(self, location: str) -> None:
        self.url = location

    def get_redirect_url(self) -> str:
        return self.url


def _services(request: Params, storage: DatabaseStorage) -> tuple[SessionService, ServerSideState]:
    sessions = SessionService(request)
    sessions.set_data_storage(storage)
    sessions.set_launch_data_lifetime(LIFETIME_S)
    return sessions, ServerSideState(storage)


class _Login(OIDCLogin):  # type: ignore[type-arg]
    def get_redirect(self, url: str) -> Redirect[str]:
        return _Url(url)


class _Launch(MessageLaunch):  # type: ignore[type-arg]
    def _get_request_param(self, key: str) -> str:
        return str(self._request.get_param(key))

    def validate(self) -> MessageLaunch:
        """pylti1p3's checks, with the nonce taken only once the signature holds (a forgery burns nothing)."""
        self._validated = True
        try:
            return (self.validate_state().validate_jwt_format().validate_registration()
                    .validate_jwt_signature().validate_deployment().validate_message()
                    .validate_nonce().save_launch_data())
        except Exception:
            self._validated = False
            raise

    def fetch_public_key(self, key_set_url: str) -> Any:
        """The platform's key set, kept per process for ``KEY_SET_TTL_S`` (a class starts with many
        launches)."""
        cached = _key_sets.get(key_set_url)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        keys = super().fetch_public_key(key_set_url)
        _key_sets[key_set_url] = (keys, time.monotonic() + KEY_SET_TTL_S)
        return keys

    def get_public_key(self) -> tuple[str, str]:
        """pylti1p3's lookup by kid; a kid not in the kept set fetches the set again once (the platform
        rotated)."""
        try:
            return super().get_public_key()
        except LtiException:
            url = self._registration.get_key_set_url() if self._registration else None
            if url is None or _key_sets.pop(url, None) is None:
                raise
            self._registration.set_key_set(None)  # type: ignore[union-attr]
            return super().get_public_key()


KEY_SET_TTL_S = 300.0
_key_sets: dict[str, tuple[Any, float]] = {}


def login_redirect(*, params: Mapping[str, str], secure: bool, tool: ToolConf, storage: DatabaseStorage,
                   launch_url: str, base_url: str) -> str:
    """The platform's auth URL to send the browser to (with state, nonce, our redirect URI)."""
    target = params.get("target_link_uri", "")
    if target and not (target + "/").startswith(base_url.rstrip("/") + "/"):
        raise Refused(f"the login is for {target}, not for this autograder ({base_url})")
    request = Params(params, secure=secure)
    sessions, cookies = _services(request, storage)
    try:
        return str(_Login(request, tool, sessions, cookies).redirect(launch_url))
    except (OIDCException, LtiException) as e:
        raise Refused(_reason(str(e))) from e


def validate(*, params: Mapping[str, str], tool: ToolConf, storage: DatabaseStorage,
             http: requests.Session | None = None) -> tuple[dict[str, Any], str]:
    """The launch's claims once every check passed, and its id (its claims are kept under it, for deep
    linking)."""
    request = Params(params, secure=True)
    sessions, cookies = _services(request, storage)
    launch = _Launch(request, tool, sessions, cookies, requests_session=http)
    try:
        claims = dict(launch.get_launch_data())
    except LtiException as e:
        raise Refused(_reason(str(e))) from e
    if claims.get(MESSAGE_TYPE_CLAIM) not in HANDLED:
        raise Refused(f"this tool does not handle {claims.get(MESSAGE_TYPE_CLAIM)} messages")
    return claims, launch.get_launch_id()


def restore(launch_id: str, *, tool: ToolConf, storage: DatabaseStorage) -> MessageLaunch:
    """A validated launch, from its id; taken, so it serves once."""
    body = storage.take(launch_id)
    if not body:
        raise Refused("this selection expired or was made already: start again from your course")
    request = Params({}, secure=True)
    sessions, cookies = _services(request, storage)
    try:  # what pylti1p3's MessageLaunch.from_cache does, from the body we took
        return (_Launch(request, tool, sessions,
                        cookies).set_launch_id(launch_id).set_auto_validation(enable=False)
                .set_jwt({"body": body}).set_restored().validate_registration())
    except LtiException as e:
        raise Refused(_reason(str(e))) from e


def is_staff(claims: dict[str, Any]) -> bool:
    """An Instructor, Administrator or TeachingAssistant membership role (the LTI context roles)."""
    return bool(TeacherRole(claims).check() or TeachingAssistantRole(claims).check())


@dataclass(frozen=True)
class Outcome:
    """Who launched, into which of our assignments, and where their grade goes."""

    platform: Platform
    sub: str
    instructor: bool
    assignment: str
    full_name: str | None = None
    email: str | None = None
    lineitem: str | None = None
    """The AGS line item the score is posted to; None without the AGS claim or its score scope."""

    @property
    def student_name(self) -> str:
        return f"{self.platform.label}:{self.sub}"


def outcome(claims: dict[str, Any], *, tool: ToolConf, settings: Settings) -> Outcome:
    aud = claims.get("aud")
    platform = find(tool.platforms, claims["iss"], aud[0] if isinstance(aud, list) else aud)
    assert platform is not None  # validate() matched it
    ags = claims.get(AGS_CLAIM) or {}
    lineitem = ags.get("lineitem") if SCORE_SCOPE in (ags.get("scope") or []) else None
    return Outcome(platform=platform, sub=str(claims["sub"]), assignment=assignment_of(claims, settings),
                   instructor=is_staff(claims),
                   full_name=claims.get("name"), email=claims.get("email"), lineitem=lineitem)


def assignment_of(claims: dict[str, Any], settings: Settings) -> str:
    """Custom parameter ``assignment``, else the LMS assignment map on the resource link id, else the
    default."""
    custom = claims.get(CUSTOM_CLAIM) or {}
    link = str((claims.get(RESOURCE_LINK_CLAIM) or {}).get("id", ""))
    wanted = custom.get("assignment") or settings.lms_assignment_map.get(link) or settings.default_assignment
    if wanted not in settings.assignment_ids:
        raise Refused(f"this link asks for assignment `{wanted}`, which this autograder does not grade "
                      f"(it grades: {', '.join(settings.assignment_ids)})")
    return str(wanted)


_REASONS = {
    "Missing state param": "the launch carries no state: start it again from your course page",
    "State not found": "this launch's state is unknown or was used already: start it again from your course "
                       "page",
    "Invalid Nonce": ("this launch was used already (its nonce is spent): "
                      "start it again from your course page"),
    "Registration not found.": "no platform registration matches this launch's issuer and audience",
    "Client id not registered for this issuer": "the launch is for another client id (audience)",
    "Unable to find deployment": "the launch comes from a deployment that is not registered",
    "Unable to find public key": "no key in the platform's key set matches the launch's signature",
    "Unrecognized message type": "unrecognized message type",
    "Could not find registration details": "no platform registration matches this issuer and client id",
}


def _reason(message: str) -> str:
    if message.startswith("Can't decode id_token:"):
        detail = message.partition(":")[2].strip()
        if "expired" in detail.lower():
            return "the launch has expired: start it again from your course page"
        return f"the launch's signature or claims do not verify ({detail})"
    return _REASONS.get(message, message[0].lower() + message[1:] if message else "refused")

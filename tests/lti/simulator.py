"""An LTI 1.3 platform for tests: its own RSA key, a JWKS, an OIDC auth endpoint, a token endpoint, line items' scores.

It plays Moodle or Canvas as the tool sees them, on a real HTTP server in a
thread (like ``tests.lms.receiver``):

- ``GET /jwks``: the platform's public key set (the tool verifies launches with it);
- ``GET /auth``: the OIDC authorization endpoint; it checks ``client_id``,
  ``redirect_uri`` (must be the registered one), ``response_type``,
  ``response_mode``, ``scope``, ``prompt``, and that ``state``, ``nonce`` and a
  known ``login_hint`` are there, then answers the auto-submitting form a
  browser would post to the tool, with a signed ``id_token`` carrying that nonce;
- ``POST /token``: client credentials; verifies the tool's JWT assertion against
  the tool's JWKS (signature, ``iss``/``sub`` = client id, ``aud`` = this URL,
  expiry) and answers a bearer token;
- ``POST /lineitems/{id}/scores``: needs that bearer token and the AGS score media
  type; records each score (``down = True`` answers 503 instead, recording nothing);
- ``GET|POST /lineitems``: the course's line item container (bearer token needed):
  lists them, or creates one (``application/vnd.ims.lis.v2.lineitem+json``);
- ``GET /memberships``: the course's roster, Names and Roles 2.0 (``tests.lti.memberships``);
- ``POST /deep-link-return``: the tool's deep-linking response; verifies its JWT
  against the tool's JWKS (``iss`` = client id, ``aud`` = issuer, deployment, the
  request's ``data`` echoed) and records the content items.

``GET /start?user=alice`` is the course page's link: it redirects the browser to the tool's
login URL, as a platform starts a third-party-initiated login. ``GET /course?user=alice`` is a
course page that embeds the tool in an iframe (login with ``lti_storage_target=_parent``) and
offers the LTI platform storage over postMessage. A login with
``lti_message_hint=deep-link`` gets a deep-linking request instead of a resource link launch.
"""

from __future__ import annotations

import html
import re
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.http_server import ThreadedServer, free_port
from tests.lti.memberships import NRPS_CLAIM, NRPS_SCOPE, Memberships

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPES = {SCORE_SCOPE, LINEITEM_SCOPE, NRPS_SCOPE, "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
          "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"}
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


class Platform:
    """The simulated platform; ``users`` maps a login hint to the user's ``sub``, name and roles."""

    def __init__(self, *, launch_url: str, tool_jwks: Callable[[], dict[str, Any]], name: str = "sim",
                 client_id: str = "autograder-tool", deployment_id: str = "deployment-1") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.issuer = self.url
        self.name, self.client_id, self.deployment_id = name, client_id, deployment_id
        self.launch_url, self.tool_jwks = launch_url, tool_jwks
        self.key, self.kid = new_key(), "platform-key-1"
        self.users: dict[str, dict[str, Any]] = {
            "alice": {"sub": "alice-sub-1", "name": "Alice Example", "email": "alice@example.edu", "roles": [LEARNER]},
            "bob": {"sub": "bob-sub-2", "roles": [LEARNER]},
            "carol": {"sub": "carol-sub-3", "name": "Carol Teacher", "roles": [INSTRUCTOR]},
        }
        self.auth_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, Any]] = []
        self.scores: list[dict[str, Any]] = []
        self.deep_links: list[list[dict[str, Any]]] = []
        self.score_attempts = 0
        self.down = False
        self.plain_score_answer = False
        self.jwks_requests = 0
        self.lineitems: list[dict[str, Any]] = []
        self._tokens: dict[str, set[str]] = {}
        """Access tokens issued, with their scopes."""
        self._http: ThreadedServer | None = None
        self.roster = Memberships(self.url, self.authorized)
        """The course's members (Names and Roles): the users above to start with."""
        for u in self.users.values():
            self.roster.add(u["sub"], *u["roles"], name=u.get("name"), email=u.get("email"))

    # -- what the tool is told -------------------------------------------------------------------
    def registration(self) -> dict[str, Any]:
        """This platform as an entry of ``AUTOGRADER_LTI_PLATFORMS``."""
        return {"name": self.name, "issuer": self.issuer, "client_id": self.client_id,
                "deployment_ids": [self.deployment_id], "auth_login_url": f"{self.url}/auth",
                "auth_token_url": f"{self.url}/token", "key_set_url": f"{self.url}/jwks"}

    def lineitem(self, n: int = 1) -> str:
        return f"{self.url}/lineitems/{n}"

    # -- launches ---------------------------------------------------------------------------------
    def claims(self, user: str, *, nonce: str, **overrides: Any) -> dict[str, Any]:
        u, now = self.users[user], int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": self.client_id, "sub": u["sub"], "iat": now, "exp": now + 300,
            "nonce": nonce, LTI + "message_type": "LtiResourceLinkRequest", LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id, LTI + "target_link_uri": self.launch_url,
            LTI + "resource_link": {"id": "resource-link-1", "title": "Exercise 8"},
            LTI + "roles": u["roles"], LTI + "custom": {"assignment": "ex08"},
            LTI + "context": {"id": "course-1", "label": "I2DL"},
            AGS: {"scope": [SCORE_SCOPE, LINEITEM_SCOPE],
                  "lineitems": f"{self.url}/lineitems", "lineitem": self.lineitem(1)},
            NRPS_CLAIM: self.roster.claim(),
        }
        claims.update({k: v for k, v in u.items() if k in ("name", "email")})
        for k, v in overrides.items():
            if v is None:
                claims.pop(k, None)
            else:
                claims[k] = v
        return claims

    def deep_link_claims(self, user: str, *, nonce: str) -> dict[str, Any]:
        claims = self.claims(user, nonce=nonce, **{LTI + "message_type": "LtiDeepLinkingRequest",
                                                   LTI + "resource_link": None, LTI + "custom": None, AGS: None})
        claims[DL + "deep_linking_settings"] = {
            "deep_link_return_url": f"{self.url}/deep-link-return", "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["window", "iframe"], "data": "platform-opaque-7"}
        return claims

    def id_token(self, claims: dict[str, Any], *, key: rsa.RSAPrivateKey | None = None, kid: str | None = None) -> str:
        """Signed with the platform's key, or ``key`` (a forgery) under the platform's kid."""
        return jwt.encode(claims, pem(key or self.key), algorithm="RS256", headers={"kid": kid or self.kid})

    # -- the HTTP side ----------------------------------------------------------------------------
    def rotate_key(self) -> None:
        """A new signing key under a new kid; the key set serves only the new one."""
        self.key, self.kid = new_key(), f"platform-key-{secrets.token_hex(4)}"

    async def _jwks(self, request: Request) -> JSONResponse:
        self.jwks_requests += 1
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return JSONResponse({"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]})

    async def _start(self, request: Request) -> Response:
        user = request.query_params.get("user", "alice")
        login_url = self.launch_url.removesuffix("/launch") + "/login"
        return RedirectResponse(f"{login_url}?{urlencode(login_params(self, user))}", status_code=302)

    async def _course(self, request: Request) -> HTMLResponse:
        """The course page with the tool in an iframe, and the LTI platform storage the tool may use
        (``lti.put_data`` / ``lti.get_data`` over postMessage, kept per tool origin)."""
        user = request.query_params.get("user", "alice")
        login_url = self.launch_url.removesuffix("/launch") + "/login"
        src = f"{login_url}?{urlencode(login_params(self, user, lti_storage_target='_parent'))}"
        return HTMLResponse(f'<!doctype html><title>Course</title><iframe id="tool" src="{html.escape(src)}" '
                            f'width="900" height="600"></iframe><script>{PLATFORM_STORAGE_JS}</script>')

    async def _auth(self, request: Request) -> Response:
        q = dict(request.query_params)
        self.auth_requests.append(q)
        wanted = {"client_id": self.client_id, "redirect_uri": self.launch_url, "response_type": "id_token",
                  "response_mode": "form_post", "scope": "openid", "prompt": "none"}
        wrong = [k for k, v in wanted.items() if q.get(k) != v]
        wrong += [k for k in ("state", "nonce") if not q.get(k)]
        if q.get("login_hint") not in self.users:
            wrong.append("login_hint")
        if wrong:
            return JSONResponse({"error": "invalid_request", "wrong": wrong}, status_code=400)
        make = self.deep_link_claims if q.get("lti_message_hint") == "deep-link" else self.claims
        token = self.id_token(make(q["login_hint"], nonce=q["nonce"]))
        return HTMLResponse(auto_post_form(q["redirect_uri"], {"id_token": token, "state": q["state"]}))

    async def _token(self, request: Request) -> JSONResponse:
        form = dict(await request.form())
        self.token_requests.append(form)
        if (form.get("grant_type") != "client_credentials" or form.get("client_assertion_type")
                != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"):
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        try:
            assertion = str(form["client_assertion"])
            kid = jwt.get_unverified_header(assertion)["kid"]
            jwk = next(k for k in self.tool_jwks()["keys"] if k["kid"] == kid)
            claims = jwt.decode(assertion, RSAAlgorithm.from_jwk(jwk), algorithms=["RS256"],
                                audience=f"{self.url}/token", issuer=self.client_id,
                                options={"require": ["exp", "iat", "jti"]})
        except Exception as e:  # noqa: BLE001 - any bad assertion is refused
            return JSONResponse({"error": "invalid_client", "detail": str(e)}, status_code=401)
        scopes = set(str(form.get("scope", "")).split())
        if claims["sub"] != self.client_id or not scopes or not scopes <= SCOPES:
            return JSONResponse({"error": "invalid_scope"}, status_code=400)
        token = secrets.token_urlsafe(16)
        self._tokens[token] = scopes
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 3600,
                             "scope": " ".join(sorted(scopes))})

    def authorized(self, request: Request, scope: str) -> bool:
        """A bearer token we issued, for ``scope``."""
        return scope in self._tokens.get(request.headers.get("authorization", "").removeprefix("Bearer "), set())

    async def _scores(self, request: Request) -> JSONResponse:
        self.score_attempts += 1
        if self.down:
            return JSONResponse({"error": "maintenance"}, status_code=503)
        if not self.authorized(request, SCORE_SCOPE):
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        if request.headers.get("content-type") != SCORE_TYPE:
            return JSONResponse({"error": "unsupported media type"}, status_code=415)
        self.scores.append({"lineitem": request.path_params["n"], **(await request.json())})
        if self.plain_score_answer:  # some platforms answer 200 with a body that is not JSON
            return Response("OK", media_type="text/plain")
        return JSONResponse({})

    async def _lineitems(self, request: Request) -> Response:
        if not self.authorized(request, LINEITEM_SCOPE):
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        if request.method == "GET":
            return JSONResponse(self.lineitems, media_type="application/vnd.ims.lis.v2.lineitemcontainer+json")
        if request.headers.get("content-type") != "application/vnd.ims.lis.v2.lineitem+json":
            return JSONResponse({"error": "unsupported media type"}, status_code=415)
        item = {**(await request.json()), "id": self.lineitem(100 + len(self.lineitems))}
        self.lineitems.append(item)
        return JSONResponse(item, media_type="application/vnd.ims.lis.v2.lineitem+json")

    async def _deep_link_return(self, request: Request) -> JSONResponse:
        response = str((await request.form()).get("JWT", ""))
        try:
            kid = jwt.get_unverified_header(response)["kid"]
            jwk = next(k for k in self.tool_jwks()["keys"] if k["kid"] == kid)
            claims = jwt.decode(response, RSAAlgorithm.from_jwk(jwk), algorithms=["RS256"], audience=self.issuer,
                                issuer=self.client_id, options={"require": ["exp", "iat", "nonce"]})
        except Exception as e:  # noqa: BLE001 - any bad response is refused
            return JSONResponse({"error": str(e)}, status_code=401)
        if (claims[LTI + "message_type"] != "LtiDeepLinkingResponse" or claims[LTI + "version"] != "1.3.0"
                or claims[LTI + "deployment_id"] != self.deployment_id or claims[DL + "data"] != "platform-opaque-7"):
            return JSONResponse({"error": "not a deep-linking response to our request"}, status_code=400)
        self.deep_links.append(claims[DL + "content_items"])
        return JSONResponse({"ok": True})

    def start(self) -> Platform:
        app = Starlette(routes=[Route("/jwks", self._jwks), Route("/start", self._start), Route("/auth", self._auth),
                                Route("/course", self._course),
                                Route("/token", self._token, methods=["POST"]),
                                Route("/lineitems/{n}/scores", self._scores, methods=["POST"]),
                                Route("/lineitems", self._lineitems, methods=["GET", "POST"]),
                                Route("/memberships", self.roster.handle),
                                Route("/memberships/differences", self.roster.handle),
                                Route("/deep-link-return", self._deep_link_return, methods=["POST"])])
        self._http = ThreadedServer(app, self.port, name="lti-platform", lifespan="off").start(timeout=10)
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.stop()
        self._http = None


PLATFORM_STORAGE_JS = """
var store = {}; window.storageLog = [];
window.addEventListener("message", function (e) {
  var m = e.data || {}, reply = {subject: m.subject + ".response", message_id: m.message_id, key: m.key};
  if (m.subject === "lti.put_data") { store[e.origin + " " + m.key] = m.value; reply.value = m.value; }
  else if (m.subject === "lti.get_data") {
    var v = store[e.origin + " " + m.key];
    if (v === undefined) { reply.error = {code: "bad_request", message: "no such key"}; } else { reply.value = v; }
  } else { return; }
  window.storageLog.push(m.subject + " " + e.origin);
  e.source.postMessage(reply, e.origin);
});
"""


def auto_post_form(action: str, fields: dict[str, str]) -> str:
    """What the platform sends the browser: a form that posts itself to the tool."""
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    return (f'<!doctype html><form id="lti" method="post" action="{html.escape(action)}">{inputs}</form>'
            '<script>document.getElementById("lti").submit()</script>')


def parse_form(page: str) -> tuple[str, dict[str, str]]:
    """The action and fields of :func:`auto_post_form`'s page (what the browser would post)."""
    action = html.unescape(re.search(r'action="([^"]*)"', page).group(1))  # type: ignore[union-attr]
    fields = {html.unescape(k): html.unescape(v) for k, v in re.findall(r'name="([^"]*)" value="([^"]*)"', page)}
    return action, fields


def cross_site_cookies(cookies: Any) -> dict[str, str]:
    """The headers of a cross-site form POST to the tool from a browser holding ``cookies`` (an httpx jar):
    the login's ``SameSite=None`` state cookies go with it, the ``SameSite=Lax`` session does not. (Set by
    hand: httpx sends no ``Secure`` cookie over plain http, where browsers do for localhost.)"""
    sent = "; ".join(f"{c.name}={c.value}" for c in cookies.jar if c.name.startswith("lti1p3-"))
    return {"cookie": sent} if sent else {}


def login_params(platform: Platform, user: str, **extra: str) -> dict[str, str]:
    """The platform's third-party-initiated login request to the tool."""
    return {"iss": platform.issuer, "login_hint": user, "target_link_uri": platform.launch_url,
            "client_id": platform.client_id, "lti_message_hint": "resource-link-1",
            "lti_deployment_id": platform.deployment_id, **extra}


"""Where a grade callback may go: the allow-list, then every address its host resolves to.

A ``callback_url`` comes from the LMS, so it could name our own network: the
metadata service, Redis, the database. :func:`check` refuses it unless

- its host is on ``AUTOGRADER_LMS_CALLBACK_HOSTS`` (production requires the
  list; an empty list allows any host in development only), and
- no address the host resolves to is link-local, multicast, unspecified,
  reserved or a cloud metadata address; a loopback or private address only
  for a listed host (an LMS on the campus network), or in development with
  no list.

It runs at intake (422) and again before each delivery, whose request then
goes to the address that was checked (:func:`post_pinned`): a DNS answer that
changes in between (rebinding) cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from service.settings import Settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
METADATA = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192"))
"""Cloud metadata services (AWS, ECS, AWS IPv6, Alibaba, Oracle): never a callback target."""


class Refused(ValueError):
    """The callback URL may not be used; the message says why (shown to the LMS)."""


@dataclass(frozen=True)
class Target:
    """A checked callback: the URL as given and the one address to connect to."""

    url: str
    host: str
    port: int
    address: str


def system_resolver(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def allowed_hosts(settings: Settings) -> list[str]:
    return [h.strip().lower() for h in settings.lms_callback_hosts.split(",") if h.strip()]


def check(url: str, settings: Settings, *, resolve: Resolver = system_resolver) -> Target:
    """The target to POST to, or :class:`Refused`."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # a bad port or IPv6 literal
        raise Refused("`callback_url` is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("`callback_url` must be an absolute http(s) URL")
    host, allowed = parts.hostname.lower(), allowed_hosts(settings)
    if not allowed and settings.env != "development":
        raise Refused("no callback host is allowed: the service must list them in "
                      "AUTOGRADER_LMS_CALLBACK_HOSTS")
    if allowed and host not in allowed:
        raise Refused(f"callbacks may go to {allowed} only")
    try:
        addresses = resolve(host, port)
    except OSError as e:
        raise Refused(f"`{host}` does not resolve ({e})") from None
    if not addresses:
        raise Refused(f"`{host}` does not resolve")
    for a in addresses:
        ip = _unmapped(ipaddress.ip_address(a.split("%")[0]))
        if why := _forbidden(ip, listed=bool(allowed) or settings.env == "development"):
            raise Refused(f"`{host}` resolves to {a}, a {why} address")
    return Target(url=url, host=host, port=port, address=addresses[0])


def _unmapped(ip: Address) -> Address:
    return ip.ipv4_mapped or ip if isinstance(ip, ipaddress.IPv6Address) else ip


def _forbidden(ip: Address, *, listed: bool) -> str | None:
    """Why ``ip`` may not receive a callback (None: it may); ``listed``: its host is on the allow-list."""
    if ip in METADATA:
        return "cloud metadata"
    for why in ("link_local", "multicast", "unspecified", "reserved"):
        if getattr(ip, f"is_{why}"):
            return why.replace("_", "-")
    if not ip.is_global and not listed:
        return "loopback" if ip.is_loopback else "private"
    return None


def post_pinned(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> int:
    """POST to the checked address (TLS still verifies the host name); no redirects, no proxies."""
    import httpx

    parts = urlsplit(target.url)
    address = f"[{target.address}]" if ":" in target.address else target.address
    pinned = urlunsplit((parts.scheme, f"{address}:{target.port}", parts.path or "/", parts.query, ""))
    host = parts.netloc.rpartition("@")[2]  # as the URL gave it, port included, credentials never
    extensions = {"sni_hostname": target.host} if parts.scheme == "https" else {}
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        r = client.post(pinned, content=body, headers={**headers, "Host": host}, extensions=extensions)
    return r.status_code

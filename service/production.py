"""What production refuses at start: every unsafe setting at once, named by its environment variable.

A plain (not hashed) instructor password, a secret shorter than
:data:`MIN_SECRET_BYTES` (empty and placeholder ones included) and the
insecure-sandbox flag. :class:`service.settings.Settings` calls
:func:`refusals` when ``AUTOGRADER_ENV`` is not ``development``, so the
``api`` and ``worker`` commands stop before they connect to anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from service.passwords import is_hash

if TYPE_CHECKING:
    from service.settings import Settings

MIN_SECRET_BYTES = 32
SECRETS = ("secret_key", "session_secret", "lms_shared_secret")
OPTIONAL_SECRETS = ("operator_token",)
"""Checked only when set: empty turns the feature off."""


def _var(name: str) -> str:
    return f"AUTOGRADER_{name.upper()}"


def refusals(settings: Settings) -> list[str]:
    """One line per offending setting (its variable and what is wrong; never its value)."""
    out = []
    if not is_hash(settings.instructor_password.get_secret_value()):
        out.append(f"{_var('instructor_password')} is a plain password, not a hash "
                   "(make one with `autograder hash-password`)")
    secrets = {_var(n): getattr(settings, n).get_secret_value() for n in SECRETS}
    secrets |= {_var(n): v for n in OPTIONAL_SECRETS if (v := getattr(settings, n).get_secret_value())}
    secrets |= {f"AUTOGRADER_LMS_SECRETS[{k}]": v.get_secret_value() for k, v in settings.lms_secrets.items()}
    for var, value in secrets.items():
        if len(value.encode()) < MIN_SECRET_BYTES:
            out.append(f"{var} is {len(value.encode())} bytes, shorter than {MIN_SECRET_BYTES}")
    if settings.insecure_sandbox:
        out.append(f"{_var('insecure_sandbox')}=true is for development only")
    key = settings.lti_private_key
    if settings.lti_platforms and not (key and key.get_secret_value().strip()):
        out.append(f"{_var('lti_platforms')} is set without {_var('lti_private_key')} (the LTI tool's RSA "
                   "key, PEM)")
    return out


def message(refused: list[str]) -> str:
    return ("refusing to start with AUTOGRADER_ENV=production (AUTOGRADER_ENV=development on a laptop):\n"
            + "".join(f"  - {r}\n" for r in refused)
            + "make a secret with `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`")

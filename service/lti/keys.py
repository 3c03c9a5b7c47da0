"""The tool's RSA key: signs AGS client assertions; its public half is served at ``/lti/jwks``.

``AUTOGRADER_LTI_PRIVATE_KEY`` (PEM) in production. In development a key is
generated once and kept at ``<data_dir>/lti_private_key.pem`` (mode 0600), so
the API and the workers of one laptop sign with the same key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pylti1p3.registration import Registration

from service.settings import Settings

KEY_FILE = "lti_private_key.pem"


class KeyMissing(RuntimeError):
    """No tool key outside development (set ``AUTOGRADER_LTI_PRIVATE_KEY``)."""


@dataclass(frozen=True)
class ToolKey:
    private_pem: str
    public_pem: str

    @property
    def jwk(self) -> dict[str, Any]:
        """The public key as a JWK (``kid`` is its RFC 7638 thumbprint, ``alg`` RS256)."""
        return dict(Registration.get_jwk(self.public_pem))

    @property
    def kid(self) -> str:
        return str(self.jwk["kid"])


def tool_key(settings: Settings) -> ToolKey:
    """The configured key; in development, the one kept under the data dir (made on first use)."""
    if settings.lti_private_key is not None and settings.lti_private_key.get_secret_value().strip():
        return _from_pem(settings.lti_private_key.get_secret_value())
    if settings.env != "development":
        raise KeyMissing("LTI needs the tool's key: set AUTOGRADER_LTI_PRIVATE_KEY to an RSA private key "
                         "(PEM)")
    path = Path(settings.data_dir) / KEY_FILE
    if not path.exists():
        _write_new(path)
    return _from_pem(path.read_text())


def generate_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _write_new(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(generate_pem())
    try:  # two processes starting at once: the first key written wins, the other is dropped
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def _from_pem(pem: str) -> ToolKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyMissing("AUTOGRADER_LTI_PRIVATE_KEY must be an RSA private key")
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return ToolKey(private_pem=pem, public_pem=public)

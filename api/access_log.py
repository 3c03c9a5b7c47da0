"""Access logs name no credential: report links' signed part and any ``token``/``code`` query value are cut.

Tokens travel in headers and sign-in codes after ``#`` (never sent), so what
is left is the capability in a report link's path and whatever a client puts
in a query string by mistake. The filter rewrites uvicorn's access records
(``uvicorn.access``: client, method, path with query, HTTP version, status).
"""

from __future__ import annotations

import logging
import re

LOGGER = "uvicorn.access"
_SECRETS = (re.compile(r"(/student/reports/)[^/?#\s]+"), re.compile(r"([?&](?:token|code)=)[^&#\s]+", re.I))


def redact(path: str) -> str:
    for pattern in _SECRETS:
        path = pattern.sub(r"\1[redacted]", path)
    return path


class RedactCredentials(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


def install() -> None:
    """Attach the filter to uvicorn's access logger (once)."""
    logger = logging.getLogger(LOGGER)
    if not any(isinstance(f, RedactCredentials) for f in logger.filters):
        logger.addFilter(RedactCredentials())

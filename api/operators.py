"""Who may read ``/metrics`` and the detailed ``/healthz``: an operator.

An operator sends ``Authorization: Bearer <AUTOGRADER_OPERATOR_TOKEN>`` (a
scraper, a load balancer's probe) or is signed in to the dashboard as the
instructor. Anyone else gets the bare liveness answer of ``/healthz`` and a
401 from ``/metrics``: worker hosts, sandbox layers and queue sizes are a map
for an attacker.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from api.dashboard import auth
from api.deps import SettingsDep
from service.problems import Problem


def is_operator(request: Request, settings: SettingsDep) -> bool:
    expected = settings.operator_token.get_secret_value()
    scheme, _, sent = request.headers.get("authorization", "").partition(" ")
    if expected and scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), expected.encode()):
        return True
    return auth.read(request, settings).get("role") == "instructor"


OperatorDep = Annotated[bool, Depends(is_operator)]


def require_operator(operator: OperatorDep) -> None:
    if not operator:
        raise Problem(401, "Unauthorized", "operators only: send `Authorization: Bearer <AUTOGRADER_OPERATOR_TOKEN>` "
                      "or sign in to the dashboard", headers={"WWW-Authenticate": "Bearer"})


RequireOperator = Depends(require_operator)

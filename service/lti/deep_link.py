"""Deep linking: course staff pick one of our assignments; the platform gets a signed link to it with a line
item.

The deep-linking request is validated like any launch (:func:`service.lti.launch.validate`)
and kept under its launch id; the staff member's choice comes back with that id
(random, single-use), and :func:`response_form` answers the form that posts the
signed ``LtiDeepLinkingResponse`` (pylti1p3's) to the platform's return URL.
"""

from __future__ import annotations

from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from grader.assignments import load
from service.lti.launch import DEEP_LINKING, MESSAGE_TYPE_CLAIM, Refused, is_staff, restore
from service.lti.registrations import ToolConf
from service.lti.store import DatabaseStorage


def choices(assignment_ids: list[str]) -> list[tuple[str, str, float]]:
    """The assignments to pick from: id, title, points."""
    return [(a, load(a).title, load(a).max_score) for a in assignment_ids]


def resource(assignment: str, *, launch_url: str) -> DeepLinkResource:
    """A resource link that launches this assignment, with a line item worth its points."""
    spec = load(assignment)
    title = f"{spec.title} (autograded)"
    item = LineItem().set_score_maximum(spec.max_score).set_label(title).set_resource_id(assignment)
    return (DeepLinkResource().set_url(launch_url).set_title(title)
            .set_custom_params({"assignment": assignment}).set_lineitem(item))


def response_form(*, launch_id: str, assignment: str, allowed: list[str], tool: ToolConf,
                  storage: DatabaseStorage, launch_url: str) -> str:
    """The auto-submitting HTML form carrying the signed response to the platform."""
    if assignment not in allowed:
        raise Refused(f"`{assignment}` is not an assignment this autograder grades")
    launch = restore(launch_id, tool=tool, storage=storage)
    claims = dict(launch.get_launch_data())
    if claims.get(MESSAGE_TYPE_CLAIM) != DEEP_LINKING or not is_staff(claims):
        raise Refused("only course staff picking content may create a link")
    return str(launch.get_deep_link().output_response_form([resource(assignment, launch_url=launch_url)]))

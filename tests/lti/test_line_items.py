"""One line item per assignment and course: each assignment's counted grade goes to its own gradebook column.

Launches of two links (ex08 and ex08_2020) in one course, granting the line item
scope with the course's container, and the scores the simulated platform records.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from grader.assignments import load
from service.db.lti_models import LtiContext
from service.db.session import session_factory
from service.lti import roster
from tests.lti.simulator import AGS, LINEITEM_SCOPE, LTI, SCORE_SCOPE
from tests.lti.test_launch import platform_form, post_launch
from tests.lti.test_scores import deliver, graded


@pytest.fixture(autouse=True)
def no_cached_tokens():
    from service.lti import scores

    scores._tokens.clear()  # per process; each test's platform is new


@pytest.fixture
def two_assignments(client, platform, lti_settings):
    """Both assignments graded; launches carry the container and the scope but no line item of their own."""
    settings = lti_settings.model_copy(update={"assignments": "ex08,ex08_2020"})
    client.app.state.settings = settings
    claims = platform.claims
    link = {"assignment": "ex08"}

    def of_the_link(user, **kw):
        c = claims(user, **kw)
        c[LTI + "custom"] = {"assignment": link["assignment"]}
        c[LTI + "resource_link"] = {"id": f"link-{link['assignment']}"}
        c[AGS] = {"scope": [SCORE_SCOPE, LINEITEM_SCOPE], "lineitems": f"{platform.url}/lineitems"}
        return c

    platform.claims = of_the_link
    return settings, link


def launch(client, platform, link, user: str, assignment: str) -> None:
    link["assignment"] = assignment
    assert post_launch(client, platform_form(client, platform, user)).status_code == 303


def test_two_assignments_get_two_line_items_and_each_score_its_own(client, platform, two_assignments):
    settings, link = two_assignments
    launch(client, platform, link, "alice", "ex08")
    launch(client, platform, link, "alice", "ex08_2020")
    launch(client, platform, link, "bob", "ex08")  # found again, not created twice
    items = {i["resourceId"]: i for i in platform.lineitems}
    assert set(items) == {"ex08", "ex08_2020"} and len(platform.lineitems) == 2
    assert items["ex08_2020"]["scoreMaximum"] == load("ex08_2020").max_score
    assert items["ex08"]["label"] == f"{load('ex08').title} (autograded)"
    assert items["ex08"]["resourceLinkId"] == "link-ex08"

    deliver(settings, graded(settings, "sim:alice-sub-1", 14.0, assignment="ex08"))
    deliver(settings, graded(settings, "sim:alice-sub-1", 5.0, assignment="ex08_2020"))
    deliver(settings, graded(settings, "sim:bob-sub-2", 9.0, assignment="ex08"))
    column = {items[a]["id"].rsplit("/", 1)[1]: a for a in items}
    got = sorted((column[s["lineitem"]], s["userId"], s["scoreGiven"]) for s in platform.scores)
    assert got == [("ex08", "alice-sub-1", 14.0), ("ex08", "bob-sub-2", 9.0), ("ex08_2020", "alice-sub-1", 5.0)]


def test_a_learner_who_never_launched_gets_the_score_in_the_column(client, platform, two_assignments):
    settings, link = two_assignments
    platform.roster.learners(3)
    launch(client, platform, link, "carol", "ex08")  # the instructor opens the link: the column exists
    with session_factory(settings.database)() as s:
        roster.refresh(s, s.scalars(select(LtiContext.id)).one(), settings)
    deliver(settings, graded(settings, "sim:learner-002", 11.0))  # e.g. uploaded with a token
    [got] = platform.scores
    assert (got["userId"], got["scoreGiven"]) == ("learner-002", 11.0)
    assert platform.lineitems[0]["resourceId"] == "ex08"


def test_the_launch_line_item_serves_its_assignment_and_the_other_gets_its_own(client, platform, two_assignments):
    settings, link = two_assignments
    claims = platform.claims

    def with_its_own_item(user, **kw):  # the ex08 link has a line item of its own (Moodle's grade item)
        c = claims(user, **kw)
        if link["assignment"] == "ex08":
            c[AGS] = {**c[AGS], "lineitem": platform.lineitem(1)}
        return c

    platform.claims = with_its_own_item
    launch(client, platform, link, "alice", "ex08")
    launch(client, platform, link, "alice", "ex08_2020")
    assert [i["resourceId"] for i in platform.lineitems] == ["ex08_2020"]  # ex08 needed none created
    deliver(settings, graded(settings, "sim:alice-sub-1", 16.0, assignment="ex08"))
    deliver(settings, graded(settings, "sim:alice-sub-1", 4.0, assignment="ex08_2020"))
    assert sorted((s["lineitem"], s["scoreGiven"]) for s in platform.scores) == [("1", 16.0), ("100", 4.0)]

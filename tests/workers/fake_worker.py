"""``python -m tests.workers.fake_worker``: the real worker with :class:`FakeGrader` injected.

The service tests that steer grading (sleep, raise, internal error) run this;
every other service test runs ``autograder worker`` with the real grader.
"""

from __future__ import annotations

import sys

from service.settings import load, pin_thread_pools


def main() -> None:
    pin_thread_pools()
    from tests.workers.fake_grader import FakeGrader
    from workers.celery_app import run

    run(load(), make_grader=FakeGrader, loglevel=sys.argv[1] if len(sys.argv) > 1 else "INFO")


if __name__ == "__main__":
    main()

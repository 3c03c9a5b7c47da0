"""Hand-made reports, inserted as graded rows: test data for the HTTP-level dashboard tests.

They are small on purpose (4 tests, 6 points) and have what ex08's real reports
lack: a hidden test (``HIDDEN-DETAIL`` in its output). ``# canned: keep_convention``
in a source makes the dropout test fail with that hint, ``# canned: import_error`` makes every test an
error with the same message (a file that cannot be imported); anything else passes everything. The browser tests grade real submissions with the real grader and
use these only to show a student a hidden test.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from grader.mistakes import group
from grader.report import Report, Status, TestResult

CURVES = {"reference": {"train_loss": [2.3, 1.1, 0.6, 0.4], "val_acc": [0.3, 0.7, 0.85, 0.9]},
          "student": {"train_loss": [2.3, 1.3, 0.9, 0.7], "val_acc": [0.3, 0.6, 0.72, 0.8]}}


IMPORT_ERROR = ("Your layers.py could not be imported, so no test could run: NameError: name 'np' is not "
                "defined (line 3). Fix this error first (run the file once with `python layers.py`).")


def tests_for(source: str) -> list[TestResult]:
    if "# canned: import_error" in source:
        return [replace(t, score=0.0, status=Status.ERROR, output=IMPORT_ERROR, hint="", data={})
                for t in tests_for("")]
    wrong = "# canned: keep_convention" in source
    dropout = (TestResult("dropout_forward: train-mode scaling", "2", 0.0, 2.0, Status.FAILED,
                          "expected mean 1.0 after inverted dropout, measured 0.25: p looks like the keep "
                          "probability", tags=["dropout_forward"], hint="keep_convention")
               if wrong else TestResult("dropout_forward: train-mode scaling", "2", 2.0, 2.0, Status.PASSED,
                                        "ok", tags=["dropout_forward"]))
    return [
        TestResult("batchnorm_forward: train-mode output", "1", 2.0, 2.0, Status.PASSED, "max abs error 1e-9",
                   tags=["batchnorm_forward"]),
        dropout,
        TestResult("batchnorm_backward: hidden gradient check", "3", 1.0, 1.0, Status.PASSED,
                   "HIDDEN-DETAIL relative error 3e-10", visibility="hidden", tags=["batchnorm_backward"]),
        TestResult("training: network trains with your layers", "4", 1.0, 1.0, Status.PASSED,
                   "val accuracy 0.80 (reference 0.90)", tags=["training"], data={"curves": CURVES}),
    ]


def report_for(source: bytes) -> Report:
    tests = tests_for(source.decode("utf-8", "replace"))
    output = IMPORT_ERROR if all(t.output == IMPORT_ERROR for t in tests) else ""
    return Report(sum(t.score for t in tests), sum(t.max_score for t in tests), 0.1, output, tests, "ex08", 0,
                  "canned", hashlib.sha256(source).hexdigest(), {"canned": True}, mistakes=group(tests))


def add_graded(sessions: Any, student: str, source: bytes, **fields: Any) -> str:
    """Insert a graded submission of ``student`` (created if new) with the report this source gets."""
    from service import lifecycle
    from service.db.models import Student, Submission
    from service.tokens import create_token

    with sessions() as s:
        who = s.query(Student).filter_by(name=student).one_or_none()
        if who is None:
            create_token(session=s, student=student)
            who = s.query(Student).filter_by(name=student).one()
        rep = report_for(source)
        row = Submission(student_id=who.id, assignment="ex08", content=source, sha256=rep.submission_sha256,
                         status="running", attempts=1, **fields)
        s.add(row)
        s.commit()
        # Stored through the same code as a worker's report: per-test rows and the counted grade follow.
        held = lifecycle.Claim(row.id, 1, source, "ex08", row.seed, lifecycle._aware(row.received_at))
        assert lifecycle.store(s, held, report=rep)
        return row.id

"""The grading library: checks, scoring, the report model, the sandbox and the CLI.

It imports no web, queue or database code (a test proves it). The public
surface is :class:`Grader` (warm, reusable: what a worker holds), :func:`grade`
(one-shot) and the report model in :mod:`grader.report`.
"""

from grader.report import Report, Status, TestResult

__version__ = "0.1.0"

__all__ = ["Grader", "Report", "Status", "TestResult", "__version__", "grade"]


def __getattr__(name: str):  # lazy: `import grader` must stay cheap for the API process
    if name in ("Grader", "grade"):
        from grader import runner

        return getattr(runner, name)
    raise AttributeError(name)

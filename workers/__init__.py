"""The Celery worker: its app and tasks (grade a submission, deliver a grade to an LMS) and the sweeper.

Entry point: :func:`workers.celery_app.run`, called by ``autograder worker``
with the grader to use. Pin the thread pools (``service.settings.pin_thread_pools``)
before importing this package in a process that forks (DESIGN.md).
"""

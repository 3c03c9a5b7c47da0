"""The shared service layer: what the API and the workers both need, and neither owns.

Settings, the database (models, sessions, migrations), the submission
lifecycle, intake, the task sender, progress events, visibility, tokens and
LMS signing/delivery. It imports ``grader.report`` and nothing else of
``grader``; it never imports ``api`` or ``workers`` (tests/test_layering.py).
"""

"""The training part of the grading: the course's networks, trained on the student's layers.

Imported only by :mod:`grader.checks.training` (and so only when a training
check runs): it pulls in torch and Lightning, which take seconds to import.
"""

"""The Celery app and its tasks: load a submission, call the grader, store the report."""

from api.settings import pin_thread_pools

pin_thread_pools()  # before anything here imports numpy or torch: worker processes fork (DESIGN.md)

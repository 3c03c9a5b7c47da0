"""Prometheus metrics read from the database at scrape time, so they are right across every process."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select

from service.db.models import Submission
from service.db.session import session_factory

BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600)


class DatabaseCollector(Collector):
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def collect(self) -> Iterator[GaugeMetricFamily | HistogramMetricFamily]:
        with session_factory(self.database_url)() as s:
            by_status = dict(s.execute(select(Submission.status,
                                              func.count()).group_by(Submission.status)).all())
            cols = [func.sum(case((Submission.latency_s <= b, 1), else_=0)) for b in BUCKETS]
            row = s.execute(select(func.count(Submission.latency_s), func.sum(Submission.latency_s), *cols)
                            .where(Submission.latency_s.is_not(None))).one()
        depth = GaugeMetricFamily("autograder_queue_depth", "Submissions waiting or being graded",
                                  labels=["status"])
        for status in ("held", "queued", "running"):
            depth.add_metric([status], by_status.get(status, 0))
        yield depth
        outcomes = GaugeMetricFamily("autograder_submissions", "Submissions by status", labels=["status"])
        for status in ("held", "queued", "running", "graded", "failed"):
            outcomes.add_metric([status], by_status.get(status, 0))
        yield outcomes
        count, total, *cum = row
        hist = HistogramMetricFamily("autograder_latency_seconds", "Upload to stored report")
        buckets = [(str(b), int(c or 0)) for b, c in zip(BUCKETS, cum, strict=True)] + [("+Inf", int(count))]
        hist.add_metric([], buckets, sum_value=float(total or 0.0))
        yield hist

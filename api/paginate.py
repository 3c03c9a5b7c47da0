"""One page of a query: paging, sorting and counting, written once for every table of the pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


@dataclass
class Page:
    """One page of rows and how many rows match in all."""

    rows: list[Any]
    """The page's rows (SQLAlchemy rows: they unpack like tuples)."""
    total: int
    """Rows matching the query, on every page."""
    number: int
    """This page, from 1."""
    size: int
    """Rows per page."""

    @property
    def pages(self) -> int:
        """How many pages there are (at least one, even when empty)."""
        return max(1, -(-self.total // self.size))


def sort(column: Any, order: str) -> Any:
    """``column`` ascending when ``order`` is ``asc``, else descending; empty values last either way."""
    return column.asc().nulls_last() if order == "asc" else column.desc().nulls_last()


def paginate(session: Session, query: Select, *, page: int, size: int, order_by: Sequence[Any]) -> Page:
    """Page ``page`` (from 1) of ``query`` in ``order_by`` order, and the number of rows it matches."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = max(page, 1)
    rows = session.execute(query.order_by(*order_by).offset((page - 1) * size).limit(size)).all()
    return Page(list(rows), int(total), page, size)

"""INSERT … ON CONFLICT (primary key) DO UPDATE, on PostgreSQL and SQLite alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def upsert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows``, or update the ones whose primary key exists: a worker storing a grade while the API
    recomputes every grade (or two API processes recomputing at once) both succeed, the last one wins."""
    if not rows:
        return
    from sqlalchemy.dialects import postgresql, sqlite

    dialect: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(model)
    keys = [c.name for c in model.__table__.primary_key.columns]
    session.execute(stmt.on_conflict_do_update(
        index_elements=keys, set_={c: stmt.excluded[c] for c in rows[0] if c not in keys}), rows)

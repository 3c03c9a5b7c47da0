"""The database: the source of truth for every submission (SQLAlchemy 2, Alembic migrations)."""

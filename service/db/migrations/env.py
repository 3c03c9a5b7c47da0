"""Alembic environment: online migrations only, the URL comes from the Config (see service.db.migrate)."""

from alembic import context
from sqlalchemy import engine_from_config, pool

import service.db.link_models  # noqa: F401 - registers report links' revocations on Base
import service.db.lms_models  # noqa: F401 - registers the LMS tables on Base
import service.db.lti_models  # noqa: F401 - and the LTI tables
import service.db.similarity_models  # noqa: F401 - and the similarity check's
from service.db.models import Base

config = context.config
connectable = engine_from_config(config.get_section(config.config_ini_section) or {},
                                 prefix="sqlalchemy.", poolclass=pool.NullPool)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()

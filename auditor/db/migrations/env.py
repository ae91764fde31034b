"""Alembic environment: runs migrations on the engine auditor hands over (never a URL from an ini)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from auditor.db.models import Base

engine: Engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them; batch mode does that
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()

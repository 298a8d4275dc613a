"""Alembic environment: runs the migrations on the async engine of the configured database."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.core.database import Base
from app.core.settings import get_settings, normalize_database_url

# Import every feature's models so that autogenerate sees the whole schema.
import app.intake.models  # noqa: F401,E402
import app.issues.models  # noqa: F401,E402
import app.jobs.models  # noqa: F401,E402
import app.auth.models  # noqa: F401,E402
import app.examples.models  # noqa: F401,E402
import app.predictions.models  # noqa: F401,E402
import app.review.models  # noqa: F401,E402

target_metadata = Base.metadata


def _database_url() -> str:
    url = context.config.attributes.get("database_url") or get_settings().database_url
    return normalize_database_url(url)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(_database_url(), poolclass=NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(_run_async())

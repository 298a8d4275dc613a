"""Database engine, sessions and the declarative base shared by all features."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import JSON, DateTime, MetaData, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from app.core.logging import get_logger
from app.core.settings import PROJECT_ROOT

log = get_logger(__name__)

# Stable constraint names, so that Alembic migrations name the same objects on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend.

    SQLite stores no offset, so values read back from it are marked as UTC here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(timezone.utc)")
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Database:
    """One async engine and its session factory."""

    def __init__(self, url: str, *, pool: bool = True):
        kwargs: dict = {}
        if url.startswith("sqlite"):
            # SQLite allows one writer at a time; wait for the lock instead of failing at once.
            kwargs["connect_args"] = {"timeout": 30}
        if not pool:
            kwargs["poolclass"] = NullPool
        self.url = url
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine.sync_engine, "connect", _configure_sqlite_connection)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Open a session, commit when the block succeeds, roll back when it raises."""
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()


def _configure_sqlite_connection(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the API read while the worker writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config(database_url: str):
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    """Run `alembic upgrade` synchronously. Call it outside a running event loop."""
    from alembic import command

    _ensure_sqlite_directory(database_url)
    log.info("database.upgrade.start", revision=revision, backend=database_url.split(":", 1)[0])
    command.upgrade(alembic_config(database_url), revision)
    log.info("database.upgrade.done", revision=revision)


def downgrade_database(database_url: str, revision: str = "base") -> None:
    from alembic import command

    log.info("database.downgrade.start", revision=revision)
    command.downgrade(alembic_config(database_url), revision)
    log.info("database.downgrade.done", revision=revision)


async def upgrade_database_async(database_url: str, revision: str = "head") -> None:
    """Run the migrations from async code; Alembic's env runs its own event loop in a thread."""
    await asyncio.to_thread(upgrade_database, database_url, revision)


def _ensure_sqlite_directory(database_url: str) -> None:
    if database_url.startswith("sqlite") and ":memory:" not in database_url:
        path = database_url.split(":///", 1)[-1].split("?", 1)[0]
        if path:
            Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)

"""Alembic migrations run forwards and backwards on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect

from app.core.database import downgrade_database, upgrade_database
from app.core.settings import normalize_database_url

TABLES = {"deliveries", "issues", "jobs", "predictions", "pool_examples"}


def sync_url(url: str) -> str:
    async_url = normalize_database_url(url)
    return async_url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")


def table_names(url: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite_url", "postgres_url"])
def test_upgrade_downgrade_upgrade(request, backend):
    url = request.getfixturevalue(backend)

    upgrade_database(url, "head")
    assert TABLES <= table_names(url)
    assert "alembic_version" in table_names(url)

    downgrade_database(url, "base")
    assert table_names(url) & TABLES == set()

    upgrade_database(url, "head")
    assert TABLES <= table_names(url)

"""Read and write the database part of the example pool."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.examples.models import PoolExample
from app.triage.examples import LabelledExample


def to_labelled(row: PoolExample) -> LabelledExample:
    return LabelledExample(
        id=f"{row.source}-{row.id}",
        engine=row.engine,
        title=row.title,
        body=row.body,
        symptom=row.symptom,
        root_cause=row.root_cause,
        phase=row.phase,
        component=row.component,
        rationale=row.rationale,
        source=row.source,
    )


async def load_pool(session: AsyncSession) -> list[LabelledExample]:
    rows = await session.execute(select(PoolExample).order_by(PoolExample.id))
    return [to_labelled(row) for row in rows.scalars()]


async def pool_version(session: AsyncSession) -> tuple[int, str | None]:
    """Changes whenever an example is added or updated, so workers know to rebuild their index."""
    count, latest = (await session.execute(select(func.count(), func.max(PoolExample.updated_at)))).one()
    return int(count), latest.isoformat() if latest else None


async def get_by_key(session: AsyncSession, key: str) -> PoolExample | None:
    return await session.scalar(select(PoolExample).where(PoolExample.key == key))


async def upsert(session: AsyncSession, key: str, **values) -> PoolExample:
    row = await get_by_key(session, key)
    if row is None:
        row = PoolExample(key=key, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    await session.flush()
    return row

"""FastAPI dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; commits when the handler succeeds, rolls back when it raises."""
    async with request.app.state.database.transaction() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]

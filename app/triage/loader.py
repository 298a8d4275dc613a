"""Build a Triager from the prompt files plus what the database has learned.

The database adds imported study issues and human-reviewed predictions to the example pool,
and reviewed outcomes to the calibration. A worker keeps one Triager and rebuilds it when the
pool changes.
"""

from __future__ import annotations

import time

from app.core.database import Database
from app.core.logging import get_logger
from app.core.settings import Settings
from app.examples import service as pool_service
from app.llm.client import ChatClient
from app.triage.service import Triager

log = get_logger(__name__)


class TriagerLoader:
    def __init__(self, database: Database, settings: Settings, client: ChatClient | None):
        self.database = database
        self.settings = settings
        self.client = client
        self._triager: Triager | None = None
        self._version = None
        self._checked_at = 0.0

    @classmethod
    def fixed(cls, triager: Triager) -> "TriagerLoader":
        """A loader that always returns `triager` and never reads the pool (for tests and one-off runs)."""
        loader = cls(None, triager.settings, triager.client)
        loader._triager = triager
        loader._checked_at = float("inf")
        return loader

    async def get(self) -> Triager:
        """The current Triager, rebuilt when the pool changed since the last check."""
        now = time.monotonic()
        if self._triager is not None and (self.database is None or now - self._checked_at < self.settings.pool_refresh_seconds):
            return self._triager
        self._checked_at = now

        async with self.database.sessionmaker() as session:
            version = await pool_service.pool_version(session)
            if self._triager is not None and version == self._version:
                return self._triager
            pool = await pool_service.load_pool(session)
            calibrator = await self._calibrator(session)

        started = time.perf_counter()
        self._triager = Triager(self.settings, client=self.client, extra_examples=pool, calibrator=calibrator)
        self._version = version
        log.info(
            "triager.loaded",
            pool_examples=len(pool),
            total_examples=len(self._triager.examples),
            calibration=self._triager.calibrator.method,
            seconds=round(time.perf_counter() - started, 2),
        )
        return self._triager

    async def _calibrator(self, session):
        # Calibration from reviews arrives with the review feature; until then confidences stay raw.
        return None

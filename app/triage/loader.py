"""Build a Triager from the prompt files plus what the database has learned.

The database adds imported study issues and human-reviewed predictions to the example pool,
and reviewed outcomes to the calibration. A worker keeps one Triager and rebuilds it when the
pool changes.
"""

from __future__ import annotations

import time

from sqlalchemy import func, select, true

from app.core.database import Database
from app.core.logging import get_logger
from app.core.settings import Settings
from app.examples import service as pool_service
from app.llm.client import ChatClient
from app.predictions.models import Prediction
from app.review.models import ACCEPT, CORRECT, Review
from app.triage.calibration import Calibrator, fit_calibrator, fit_gate
from app.triage.service import FIELDS, Triager

# Newest reviews used for calibration; older ones may describe an older prompt or model.
CALIBRATION_WINDOW = 5000

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
        """Return the current Triager, rebuilt when the pool changed since the last check."""
        now = time.monotonic()
        if self._triager is not None and (self.database is None or now - self._checked_at < self.settings.pool_refresh_seconds):
            return self._triager
        self._checked_at = now

        async with self.database.sessionmaker() as session:
            # Reviews change both the pool and the calibration, so both are part of the version.
            version = (await pool_service.pool_version(session), await session.scalar(select(func.max(Review.id))))
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

    async def _calibrator(self, session) -> Calibrator | None:
        """Fit calibration from the current human reviews (accepts and corrections)."""
        rows = await session.execute(
            select(Prediction, Review)
            .join(Review, Review.prediction_id == Prediction.id)
            .where(Review.is_current == true(), Review.verdict.in_((ACCEPT, CORRECT)))
            .order_by(Review.id.desc())
            .limit(CALIBRATION_WINDOW)
        )
        model_outcomes: dict[str, list[tuple[float, bool]]] = {name: [] for name in FIELDS}
        final_outcomes: dict[str, list[tuple[float, bool]]] = {"symptom": [], "root_cause": [], "root_cause_category": []}
        gate_outcomes: dict[str, list[tuple[bool, bool]]] = {name: [] for name in FIELDS}
        for prediction, review in rows.all():
            local_top = (prediction.raw_answer or {}).get("local_top") or {}
            for name in FIELDS:
                truth = getattr(review, name, None)
                if truth is not None and name in local_top and prediction.predictor == "llm":
                    pooled = getattr(prediction, name) or (prediction.raw_answer or {}).get("abstained_root_cause")
                    gate_outcomes[name].append((local_top[name][0] == truth, pooled == truth))
            for name, vote in ((prediction.raw_answer or {}).get("votes") or {}).items():
                truth = getattr(review, name, None)
                if name in model_outcomes and truth is not None:
                    model_outcomes[name].append((float(vote["signal"]), vote["label"] == truth))
            if review.symptom is not None:
                final_outcomes["symptom"].append((prediction.symptom_confidence_raw, prediction.symptom == review.symptom))
            if review.root_cause is not None and prediction.root_cause_confidence_raw is not None:
                leaf = prediction.root_cause or (prediction.raw_answer or {}).get("abstained_root_cause")
                final_outcomes["root_cause"].append((prediction.root_cause_confidence_raw, leaf == review.root_cause))
            if review.root_cause_category is not None and prediction.root_cause_category_confidence is not None:
                final_outcomes["root_cause_category"].append(
                    (prediction.root_cause_category_confidence, prediction.root_cause_category == review.root_cause_category)
                )
        calibrator = fit_calibrator(model_outcomes, final_outcomes)
        for name, outcomes in gate_outcomes.items():
            enabled = fit_gate(outcomes)
            if enabled is not None:
                calibrator.model_gate[name] = enabled
        return calibrator

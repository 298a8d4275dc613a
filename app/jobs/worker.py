"""The triage worker: claims jobs, runs the pipeline, stores predictions.

It runs inside `triage serve` and as `triage worker` in its own process, and any number of workers
may share one PostgreSQL database. The model call happens outside any database transaction, so a
slow endpoint never keeps a lock. The prediction and the job's completion are written in one
transaction at the end.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time

from app.core.database import Database
from app.core.errors import ModelUnavailable
from app.core.logging import get_logger
from app.core.settings import Settings
from app.intake.models import Delivery
from app.intake.service import parse_taxonomy_label
from app.issues.models import Issue
from app.jobs import service as job_service
from app.jobs.models import Job
from app.predictions import service as prediction_service
from app.review import service as review_service
from app.triage.schemas import IssueInput
from app.triage.loader import TriagerLoader

log = get_logger(__name__)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        loader: TriagerLoader,
        *,
        signal: job_service.JobSignal | None = None,
        worker_id: str | None = None,
        metrics=None,
    ):
        self.database = database
        self.settings = settings
        self.loader = loader
        self.signal = signal or job_service.JobSignal()
        self.worker_id = worker_id or default_worker_id()
        self.metrics = metrics

    async def run(self, stop: asyncio.Event) -> None:
        """Process jobs until `stop` is set; sleep until signalled or the poll interval passes."""
        log.info("worker.start", worker=self.worker_id)
        try:
            while not stop.is_set():
                try:
                    processed = await self.run_once()
                except Exception:
                    # A database outage must not kill the worker; it retries at the next poll.
                    log.exception("worker.loop.error", worker=self.worker_id)
                    processed = False
                if not processed:
                    await self.signal.wait(self.settings.worker_poll_seconds)
        finally:
            log.info("worker.stop", worker=self.worker_id)

    async def run_once(self) -> bool:
        """Claim and process one job. Return False when no job was due."""
        async with self.database.transaction() as session:
            job = await job_service.claim(session, self.worker_id, self.settings.job_lease_seconds)
        if job is None:
            return False
        await self.process(job)
        return True

    async def drain(self) -> int:
        """Process jobs until none is due; return how many were processed."""
        count = 0
        while await self.run_once():
            count += 1
        return count

    async def process(self, job: Job) -> None:
        started = time.perf_counter()
        try:
            await self._process(job)
        finally:
            if self.metrics is not None:
                self.metrics.job_seconds.observe(time.perf_counter() - started)

    async def _process(self, job: Job) -> None:
        bound = log.bind(job_id=job.id, attempt=job.attempts, worker=self.worker_id, kind=job.kind)
        triager = await self.loader.get()
        if job.kind == job_service.LABEL_REVIEW:
            await self._process_label_review(job, triager, bound)
            return
        async with self.database.transaction() as session:
            issue = await session.get(Issue, job.issue_id) if job.issue_id else None
            existing = None
            if issue is not None:
                existing = await prediction_service.find_existing(
                    session,
                    issue_id=issue.id,
                    content_hash=issue.content_hash,
                    prompt_version=triager.prompt_version,
                    model=triager.model_name,
                )
            if issue is None or existing is not None:
                # Re-checked at run time: the issue may be gone, or a burst of edits may have
                # queued several jobs for text that is already triaged.
                result = "issue_missing" if issue is None else "unchanged"
                await job_service.complete(session, job, result)
                bound.info("job.skipped", reason=result)
                self._count("skipped")
                return

        bound = bound.bind(repository=issue.repository, number=issue.number)
        bound.info("job.start")
        issue_input = IssueInput(
            repository=issue.repository,
            number=issue.number,
            title=issue.title,
            body=issue.body,
            engine=issue.engine,
            url=issue.html_url,
        )
        try:
            result = await triager.triage(issue_input)
        except ModelUnavailable as exc:
            await self._handle_model_failure(triager, job, issue, issue_input, exc, bound)
            return
        except Exception as exc:
            bound.exception("job.error")
            async with self.database.transaction() as session:
                await job_service.fail(session, job, f"{type(exc).__name__}: {exc}", retryable=False)
            self._count("failed")
            return

        async with self.database.transaction() as session:
            prediction = await prediction_service.store(session, issue=issue, job_id=job.id, result=result)
            await job_service.complete(session, job, "predicted")
        self._count("done", result)
        bound.info(
            "job.done",
            prediction_id=prediction.id,
            predictor=result.predictor,
            symptom=result.symptom,
            root_cause=result.root_cause,
            latency_ms=round(result.latency_ms, 1),
        )

    async def _handle_model_failure(self, triager, job, issue, issue_input, exc, bound) -> None:
        """Schedule a retry, or after the last attempt store the local predictor's prediction instead of nothing."""
        async with self.database.transaction() as session:
            status = await job_service.fail(session, job, str(exc), retryable=True)
        if status == job_service.QUEUED:
            bound.warning("job.retry", error=str(exc)[:300])
            return

        bound.error("job.model_failed", error=str(exc)[:300])
        result = await triager.triage(issue_input, use_model=False)
        result.needs_review = True
        result.raw_answer["model_error"] = str(exc)[:1000]
        async with self.database.transaction() as session:
            await prediction_service.store(session, issue=issue, job_id=job.id, result=result)
        self._count("failed", result)

    async def _process_label_review(self, job: Job, triager, bound) -> None:
        """Record a person's taxonomy-label change on GitHub as a review (no model call)."""
        async with self.database.transaction() as session:
            delivery = await session.get(Delivery, job.delivery_id) if job.delivery_id else None
            parsed = parse_taxonomy_label((delivery.payload.get("label") or {}).get("name", ""), self.settings) if delivery else None
            review = None
            if parsed is not None and job.issue_id is not None:
                field_name, label = parsed
                review = await review_service.review_from_label_change(
                    session,
                    issue_id=job.issue_id,
                    field_name=field_name,
                    label=label,
                    action=delivery.payload.get("action"),
                    reviewer=(delivery.payload.get("sender") or {}).get("login") or "github",
                    taxonomy=triager.taxonomy,
                )
            result = "reviewed" if review is not None else "nothing_to_review"
            await job_service.complete(session, job, result)
        bound.info("job.done", result=result, review_id=review.id if review else None)
        self._count("done")
        if review is not None and self.metrics is not None:
            self.metrics.reviews.labels(verdict=review.verdict, source=review.source).inc()

    def _count(self, outcome: str, result=None) -> None:
        if self.metrics is None:
            return
        self.metrics.jobs_finished.labels(outcome=outcome).inc()
        if result is not None:
            self.metrics.observe_prediction(result)

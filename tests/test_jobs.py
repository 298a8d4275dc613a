"""The durable job queue and the worker, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from app.core.database import Database, utcnow
from app.jobs import service as job_service
from app.jobs.models import Job
from app.jobs.worker import Worker
from app.main import build_client
from app.predictions.models import Prediction
from app.triage.loader import TriagerLoader
from app.triage.service import Triager
from tests.conftest import delivery_headers, encode, make_settings, real_issue_payload
from tests.support.servers import FakeModelBehaviour, ServerThread, build_fake_openai


async def accept_delivery(client, index: int = 0) -> int:
    body = encode(real_issue_payload(index))
    response = await client.post("/webhooks/github", content=body, headers=delivery_headers(body))
    assert response.status_code == 202
    return response.json()["job_id"]


async def job_row(database: Database, job_id: int) -> Job:
    async with database.sessionmaker() as session:
        return await session.get(Job, job_id)


async def predictions(database: Database) -> list[Prediction]:
    async with database.sessionmaker() as session:
        return list((await session.execute(select(Prediction))).scalars())


class TestDurability:
    async def test_job_survives_worker_crash(self, app, client, settings):
        job_id = await accept_delivery(client)
        database = app.state.database

        # A first worker claims the job and dies without finishing it.
        async with database.transaction() as session:
            claimed = await job_service.claim(session, "worker-that-crashes", lease_seconds=60)
        assert claimed.id == job_id

        # While the lease runs, nobody else may take it.
        async with database.transaction() as session:
            assert await job_service.claim(session, "second-worker", lease_seconds=60) is None

        # The lease expires (simulated by moving it into the past); a new worker, as after a
        # restart, with its own engine and triager, finishes the job.
        async with database.transaction() as session:
            await session.execute(update(Job).where(Job.id == job_id).values(locked_until=utcnow() - timedelta(seconds=1)))
        restarted = Database(settings.database_url)
        try:
            worker = Worker(restarted, settings, TriagerLoader(restarted, settings, None), worker_id="restarted-worker")
            assert await worker.drain() == 1
        finally:
            await restarted.dispose()

        job = await job_row(database, job_id)
        assert job.status == "done"
        assert job.attempts == 2
        assert job.locked_by == "restarted-worker"
        assert len(await predictions(database)) == 1

    async def test_unchanged_issue_is_not_triaged_twice(self, app, client, settings):
        first = await accept_delivery(client)
        second = await accept_delivery(client)  # same text, new delivery id
        worker = Worker(app.state.database, settings, TriagerLoader.fixed(Triager(settings)))
        assert await worker.drain() == 2
        assert (await job_row(app.state.database, first)).result == "predicted"
        assert (await job_row(app.state.database, second)).result == "unchanged"
        assert len(await predictions(app.state.database)) == 1

    async def test_concurrent_workers_claim_each_job_once(self, app, client, settings):
        job_ids = [await accept_delivery(client, index) for index in range(4)]
        workers = [Worker(app.state.database, settings, TriagerLoader.fixed(Triager(settings)), worker_id=f"w{i}") for i in range(3)]
        counts = await asyncio.gather(*(worker.drain() for worker in workers))
        assert sum(counts) == len(job_ids)
        rows = await predictions(app.state.database)
        assert sorted(row.job_id for row in rows) == sorted(job_ids)


class TestModelFailures:
    async def test_unavailable_model_is_retried_then_falls_back(self, database_url):
        behaviour = FakeModelBehaviour(fail_status=503)
        with ServerThread(build_fake_openai(behaviour)) as model_server:
            settings = make_settings(
                database_url,
                openai_base_url=f"{model_server.url}/v1",
                openai_api_key="k",
                llm_max_retries=0,
                job_max_attempts=2,
            )
            database = Database(settings.database_url)
            client = build_client(settings)
            try:
                async with database.transaction() as session:
                    from app.issues.service import upsert_from_payload

                    payload = real_issue_payload(2)
                    issue = await upsert_from_payload(session, payload["repository"]["full_name"], payload["issue"])
                    job = await job_service.enqueue(session, job_service.TRIAGE, issue_id=issue.id, delivery_id=None, max_attempts=2)
                worker = Worker(database, settings, TriagerLoader.fixed(Triager(settings, client=client)))

                assert await worker.run_once()
                retried = await job_row(database, job.id)
                assert retried.status == "queued"
                assert "503" in retried.last_error
                assert retried.run_after > utcnow()

                # Make the retry due now, then let it fail for the last time.
                async with database.transaction() as session:
                    await session.execute(update(Job).where(Job.id == job.id).values(run_after=utcnow()))
                assert await worker.run_once()
                failed = await job_row(database, job.id)
                rows = await predictions(database)
            finally:
                await client.close()
                await database.dispose()

        assert failed.status == "failed"
        assert failed.attempts == 2
        assert len(rows) == 1
        assert rows[0].predictor == "local"
        assert rows[0].needs_review is True
        assert "503" in rows[0].raw_answer["model_error"]

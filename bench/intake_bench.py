"""Webhook intake latency and local triage throughput, as ratios against baselines in the same run.

Usage: .venv/bin/python bench/intake_bench.py [--deliveries 300] [--shared ../shared]

For each database (SQLite file, PostgreSQL on 127.0.0.1:5432), the service runs under uvicorn on
127.0.0.1 with its worker switched off, and one client sends signed `issues.opened` deliveries built
from the real reports in unlabelled-issues.jsonl, one after another. The baseline is `GET /healthz`
on the same server, which also opens a database session, so the ratio shows what storing the
delivery, the issue snapshot and the job costs on top of a round trip. Then the worker drains the
queued jobs with the local predictor, and the time per job is compared with the pipeline alone
(no database), so the ratio shows the queue's overhead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.database import Database, upgrade_database  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.intake.signature import sign  # noqa: E402
from app.jobs.worker import Worker  # noqa: E402
from app.main import create_app  # noqa: E402
from app.triage.loader import TriagerLoader  # noqa: E402
from app.triage.schemas import IssueInput  # noqa: E402
from app.triage.service import Triager  # noqa: E402
from tests.support.servers import ServerThread  # noqa: E402

SECRET = "bench-secret"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def deliveries(reports: list[dict], count: int) -> list[bytes]:
    template = json.loads((ROOT / "tests" / "fixtures" / "github" / "issues.opened.json").read_text())
    bodies = []
    for index in range(count):
        report = reports[index % len(reports)]
        template["repository"]["full_name"] = report["repo"]
        template["issue"]["number"] = 100000 + index
        template["issue"]["title"] = report["title"]
        template["issue"]["body"] = report["body"]
        bodies.append(json.dumps(template, indent=2, ensure_ascii=False).encode())
    return bodies


def measure_intake(base_url: str, bodies: list[bytes]) -> tuple[list[float], list[float]]:
    intake, health = [], []
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for body in bodies[:20]:  # warm-up: connection, imports, first queries
            client.get("/healthz")
        for body in bodies:
            headers = {
                "Content-Type": "application/json",
                "X-GitHub-Event": "issues",
                "X-GitHub-Delivery": str(uuid.uuid4()),
                "X-Hub-Signature-256": sign(SECRET.encode(), body),
            }
            started = time.perf_counter()
            response = client.post("/webhooks/github", content=body, headers=headers)
            intake.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 202, response.text

            started = time.perf_counter()
            client.get("/healthz")
            health.append((time.perf_counter() - started) * 1000)
    return intake, health


async def measure_worker(settings: Settings, reports: list[dict], jobs: int) -> tuple[float, float]:
    """Milliseconds per job through the queue, and per issue for the pipeline alone."""
    triager = Triager(settings)
    started = time.perf_counter()
    for report in reports[:jobs]:
        await triager.triage(IssueInput(report["repo"], 1, report["title"], report["body"], report["engine"]))
    alone = (time.perf_counter() - started) * 1000 / jobs

    database = Database(settings.database_url)
    worker = Worker(database, settings, TriagerLoader.fixed(triager))
    started = time.perf_counter()
    done = await worker.drain()
    queued = (time.perf_counter() - started) * 1000 / max(done, 1)
    await database.dispose()
    return queued, alone


def run(name: str, url: str, reports: list[dict], count: int) -> dict:
    upgrade_database(url)
    settings = Settings(_env_file=None, database_url=url, webhook_secret=SECRET, worker_enabled=False,
                        auto_migrate=False, log_level="WARNING")
    with ServerThread(create_app(settings)) as server:
        intake, health = measure_intake(server.url, deliveries(reports, count))
    queued, alone = asyncio.run(measure_worker(settings, reports, count))
    return {
        "database": name,
        "intake_p50": statistics.median(intake),
        "intake_p95": percentile(intake, 0.95),
        "health_p50": statistics.median(health),
        "health_p95": percentile(health, 0.95),
        "job_ms": queued,
        "pipeline_ms": alone,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=300)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    arguments = parser.parse_args()

    reports = [json.loads(line) for line in (arguments.shared / "unlabelled-issues.jsonl").read_text().splitlines()]
    results = []

    sqlite_path = Path(f"/tmp/intake-bench-{uuid.uuid4().hex[:8]}.db")
    results.append(run("SQLite", f"sqlite:///{sqlite_path}", reports, arguments.deliveries))
    sqlite_path.unlink(missing_ok=True)

    name = f"intake_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(arguments.postgres, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        results.append(run("PostgreSQL", f"{arguments.postgres.rsplit('/', 1)[0]}/{name}", reports, arguments.deliveries))
    finally:
        with psycopg.connect(arguments.postgres, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    print(f"{arguments.deliveries} deliveries per database, sent one after another from one client.\n")
    print("| Database | POST /webhooks/github p50 / p95 (ms) | GET /healthz p50 / p95 (ms) | intake / healthz (p50) | ms per job via the queue | ms per issue, pipeline alone | queue / pipeline |")
    print("|---|---|---|---|---|---|---|")
    for row in results:
        print(
            f"| {row['database']} | {row['intake_p50']:.1f} / {row['intake_p95']:.1f} | {row['health_p50']:.1f} / {row['health_p95']:.1f} "
            f"| {row['intake_p50'] / row['health_p50']:.1f}× | {row['job_ms']:.1f} | {row['pipeline_ms']:.1f} | {row['job_ms'] / row['pipeline_ms']:.1f}× |"
        )


if __name__ == "__main__":
    main()

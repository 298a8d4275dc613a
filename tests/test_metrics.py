"""`GET /metrics` counts what the service does."""

from __future__ import annotations

import asyncio
import re
import time

import httpx

from app.auth import service as auth_service
from app.core.database import Database
from app.main import create_app
from tests.conftest import delivery_headers, encode, load_payload, make_settings, real_issue_payload
from tests.support.servers import ServerThread


def metric(text: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus text format, 0 when absent."""
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        match = re.match(r"^([\w:]+)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(match.group(3))
    return 0.0


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_metrics_count_service_events(database_url):
    settings = make_settings(database_url, worker_enabled=True)
    with ServerThread(create_app(settings)) as service:
        def post(body: bytes, event: str = "issues") -> None:
            httpx.post(f"{service.url}/webhooks/github", content=body, headers=delivery_headers(body, event=event))

        post(encode(real_issue_payload(0)))
        post(encode(load_payload("ping.json")), event="ping")
        post(encode(load_payload("issue_comment.created.json")), event="issue_comment")
        wait_until(lambda: httpx.get(f"{service.url}/v1/predictions").json()["items"])

        prediction = httpx.get(f"{service.url}/v1/predictions").json()["items"][0]

        async def token() -> str:
            database = Database(settings.database_url)
            async with database.transaction() as session:
                value, _ = await auth_service.create_token(session, "alice", ["review"])
            await database.dispose()
            return value

        headers = {"Authorization": f"Bearer {asyncio.run(token())}"}
        assert httpx.post(f"{service.url}/v1/predictions/{prediction['id']}/review", json={"verdict": "accept"}, headers=headers).status_code == 201
        text = httpx.get(f"{service.url}/metrics").text

    assert metric(text, "triage_webhook_deliveries_total", event="issues", outcome="queued") == 1
    assert metric(text, "triage_webhook_deliveries_total", event="ping", outcome="pong") == 1
    assert metric(text, "triage_webhook_deliveries_total", event="issue_comment", outcome="ignored") == 1
    assert metric(text, "triage_jobs", status="done") == 1
    assert metric(text, "triage_jobs", status="queued") == 0
    assert metric(text, "triage_jobs_finished_total", outcome="done") == 1
    assert metric(text, "triage_job_duration_seconds_count") == 1
    assert metric(text, "triage_predictions_total", predictor="local", symptom=prediction["symptom"]) == 1
    assert metric(text, "triage_reviews_total", verdict="accept", source="api") == 1

"""History API for dashboards: counts over time, accuracy against reviews, calibration, export."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

from app.auth import service as auth_service
from app.issues.models import Issue
from app.predictions.models import Prediction


def when(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


async def add_prediction(app, number: int, created: str, *, symptom: str, root_cause: str | None,
                         confidence: float, repository: str = "vllm-project/vllm", tokens: int = 100) -> int:
    category = {"Incompatible Version": "Environment", "Misused API": "Functionality", None: "Functionality"}[root_cause]
    async with app.state.database.transaction() as session:
        issue = Issue(repository=repository, number=number, title=f"Issue {number}", body="", content_hash=str(number), labels=[])
        session.add(issue)
        await session.flush()
        prediction = Prediction(
            issue_id=issue.id, repository=repository, issue_number=number, engine="vLLM", content_hash=str(number),
            predictor="llm", model="m", prompt_version="p", taxonomy_version="t",
            symptom=symptom, symptom_confidence=confidence, symptom_confidence_raw=confidence,
            root_cause_category=category, root_cause_category_confidence=confidence,
            root_cause=root_cause, root_cause_confidence=confidence, root_cause_confidence_raw=confidence,
            phase="Inference/Serving", component="Operators", needs_review=confidence < 0.6,
            prompt_tokens=tokens, completion_tokens=10, latency_ms=200.0, created_at=when(created),
        )
        session.add(prediction)
        await session.flush()
        return prediction.id


async def review(app, client, prediction_id: int, body: dict) -> None:
    async with app.state.database.transaction() as session:
        token, _ = await auth_service.create_token(session, "reviewer", ["review"])
    response = await client.post(f"/v1/predictions/{prediction_id}/review", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text


async def seed(app, client) -> list[int]:
    ids = [
        await add_prediction(app, 1, "2026-11-30T10:00:00", symptom="Crash", root_cause="Incompatible Version", confidence=0.95),
        await add_prediction(app, 2, "2026-12-03T23:59:00", symptom="Crash", root_cause="Misused API", confidence=0.85),
        await add_prediction(app, 3, "2026-12-07T00:00:01", symptom="System Hang", root_cause=None, confidence=0.35,
                             repository="ggml-org/llama.cpp"),
        await add_prediction(app, 4, "2026-10-15T12:00:00", symptom="Crash", root_cause="Misused API", confidence=0.55),
    ]
    await review(app, client, ids[0], {"verdict": "accept"})
    await review(app, client, ids[1], {"verdict": "correct", "root_cause": "Incompatible Version"})
    await review(app, client, ids[2], {"verdict": "correct", "symptom": "Crash", "root_cause": "Misused API"})
    await review(app, client, ids[3], {"verdict": "reject"})
    return ids


async def test_counts_per_week_and_month(app, client):
    await seed(app, client)
    weekly = (await client.get("/v1/stats/counts", params={"field": "symptom", "interval": "week"})).json()["rows"]
    assert {(row["bucket"], row["label"]): row["count"] for row in weekly} == {
        ("2026-10-12", "Crash"): 1,
        ("2026-11-30", "Crash"): 2,  # Monday 30 Nov and Thursday 3 Dec share a week
        ("2026-12-07", "System Hang"): 1,
    }
    monthly = (await client.get("/v1/stats/counts", params={"field": "root_cause_category", "interval": "month"})).json()["rows"]
    assert {(row["bucket"], row["label"]): row["count"] for row in monthly} == {
        ("2026-10-01", "Functionality"): 1,
        ("2026-11-01", "Environment"): 1,
        ("2026-12-01", "Functionality"): 2,
    }
    daily = (await client.get("/v1/stats/counts", params={"field": "symptom", "interval": "day", "by_repository": True})).json()["rows"]
    assert {"bucket": "2026-12-07", "label": "System Hang", "repository": "ggml-org/llama.cpp", "count": 1} in daily


async def test_counts_respect_filters_and_reject_bad_field(app, client):
    await seed(app, client)
    rows = (await client.get("/v1/stats/counts", params={"interval": "month", "since": "2026-11-01T00:00:00Z"})).json()["rows"]
    assert sum(row["count"] for row in rows) == 3
    bad = await client.get("/v1/stats/counts", params={"field": "title"})
    assert bad.status_code == 400
    assert "field must be one of" in bad.json()["detail"]


async def test_accuracy_against_reviews(app, client):
    await seed(app, client)
    accuracy = (await client.get("/v1/stats/accuracy")).json()
    # Three reviews give labels (the reject does not): symptoms right 2 of 3, leaves right 1 of 3.
    assert accuracy["symptom"]["reviewed"] == 3
    assert abs(accuracy["symptom"]["accuracy"] - 2 / 3) < 1e-9
    assert abs(accuracy["root_cause"]["accuracy"] - 1 / 3) < 1e-9
    crash = accuracy["symptom"]["per_class"]["Crash"]
    assert crash["precision"] == 1.0
    assert abs(crash["recall"] - 2 / 3) < 1e-9
    matrix = accuracy["symptom"]["confusion"]
    row = matrix["labels"].index("Crash")
    column = matrix["labels"].index("System Hang")
    assert matrix["matrix"][row][column] == 1


async def test_calibration_bins(app, client):
    await seed(app, client)
    data = (await client.get("/v1/stats/calibration", params={"field": "symptom"})).json()
    assert data["reviewed"] == 3
    by_bin = {round(item["lower"], 1): item for item in data["bins"]}
    assert by_bin[0.9]["accuracy"] == 1.0
    assert by_bin[0.3]["accuracy"] == 0.0
    expected_ece = (abs(0.95 - 1) + abs(0.85 - 1) + abs(0.35 - 0)) / 3
    assert abs(data["ece"] - expected_ece) < 1e-6


async def test_summary_totals(app, client):
    await seed(app, client)
    summary = (await client.get("/v1/stats/summary")).json()
    assert summary["predictions"] == 4
    assert summary["reviewed"] == 4
    assert summary["abstention_rate"] == 0.25
    assert summary["needs_review_rate"] == 0.5
    assert summary["prompt_tokens"] == 400
    assert summary["completion_tokens"] == 40


async def test_review_state_filter(app, client):
    ids = await seed(app, client)
    await add_prediction(app, 5, "2026-12-08T00:00:00", symptom="Crash", root_cause="Misused API", confidence=0.9)
    def ids_of(response):
        return [item["id"] for item in response.json()["items"]]
    assert ids_of(await client.get("/v1/predictions", params={"review_state": "corrected"})) == [ids[2], ids[1]]  # newest first
    assert ids_of(await client.get("/v1/predictions", params={"review_state": "rejected"})) == [ids[3]]
    assert len(ids_of(await client.get("/v1/predictions", params={"review_state": "unreviewed"}))) == 1
    listed = (await client.get("/v1/predictions", params={"review_state": "accepted"})).json()["items"][0]
    assert listed["review"]["verdict"] == "accept"
    assert (await client.get("/v1/predictions", params={"review_state": "maybe"})).status_code == 400


async def test_export_csv_and_ndjson(app, client):
    await seed(app, client)
    response = await client.get("/v1/predictions/export", params={"format": "csv", "symptom": "Crash"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 3
    assert {row["symptom"] for row in rows} == {"Crash"}
    assert rows[0]["repository"] == "vllm-project/vllm"

    response = await client.get("/v1/predictions/export", params={"format": "ndjson"})
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert len(lines) == 4
    assert lines[0]["issue_number"] == 3  # newest first: created on 7 December
    assert "evidence" in lines[0]

    assert (await client.get("/v1/predictions/export", params={"format": "xml"})).status_code == 400

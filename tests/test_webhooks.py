"""Webhook intake over the ASGI app, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from sqlalchemy import func, select

from app.intake.models import Delivery
from app.issues.models import Issue
from app.jobs.models import Job
from tests.conftest import delivery_headers, encode, load_payload, real_issue_payload


async def count(app, model) -> int:
    async with app.state.database.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def stored_delivery(app, guid: str) -> Delivery | None:
    async with app.state.database.sessionmaker() as session:
        return await session.scalar(select(Delivery).where(Delivery.delivery_guid == guid))


class TestSignature:
    async def test_valid_signature_is_queued(self, app, client):
        body = encode(real_issue_payload())
        response = await client.post("/webhooks/github", content=body, headers=delivery_headers(body))
        assert response.status_code == 202
        assert response.json()["status"] == "queued"
        assert response.json()["job_id"] is not None

    async def test_missing_signature_is_401(self, app, client):
        body = encode(real_issue_payload())
        response = await client.post("/webhooks/github", content=body, headers=delivery_headers(body, secret=None))
        assert response.status_code == 401
        assert "X-Hub-Signature-256" in response.json()["detail"]
        assert await count(app, Delivery) == 0

    async def test_wrong_secret_is_401(self, app, client):
        body = encode(real_issue_payload())
        response = await client.post("/webhooks/github", content=body, headers=delivery_headers(body, secret="other"))
        assert response.status_code == 401
        assert response.json()["error"] == "InvalidSignature"
        assert await count(app, Job) == 0

    async def test_non_ascii_signature_is_401(self, app, client):
        body = encode(real_issue_payload())
        headers = delivery_headers(body)
        headers["X-Hub-Signature-256"] = "sha256=é".encode("utf-8")  # raw non-ASCII header bytes
        response = await client.post("/webhooks/github", content=body, headers=headers)
        assert response.status_code == 401

    async def test_body_changed_after_signing_is_401(self, app, client):
        body = encode(real_issue_payload())
        headers = delivery_headers(body)
        response = await client.post("/webhooks/github", content=body.replace(b"Crash", b"crash") + b" ", headers=headers)
        assert response.status_code == 401


class TestContentTypes:
    async def test_form_encoded_delivery_is_queued(self, app, client):
        payload = real_issue_payload()
        body = urlencode({"payload": json.dumps(payload)}).encode()
        headers = delivery_headers(body, content_type="application/x-www-form-urlencoded")
        response = await client.post("/webhooks/github", content=body, headers=headers)
        assert response.status_code == 202
        assert response.json()["status"] == "queued"
        async with app.state.database.sessionmaker() as session:
            issue = await session.scalar(select(Issue))
        assert issue.title == payload["issue"]["title"]

    async def test_form_without_payload_field_is_400(self, app, client):
        body = b"data=%7B%7D"
        headers = delivery_headers(body, content_type="application/x-www-form-urlencoded")
        response = await client.post("/webhooks/github", content=body, headers=headers)
        assert response.status_code == 400
        assert "payload" in response.json()["detail"]

    async def test_other_content_type_is_415(self, app, client):
        body = encode(real_issue_payload())
        response = await client.post(
            "/webhooks/github", content=body, headers=delivery_headers(body, content_type="text/plain")
        )
        assert response.status_code == 415
        assert "application/json" in response.json()["detail"]

    async def test_invalid_json_is_400(self, app, client):
        body = b"{not json"
        response = await client.post("/webhooks/github", content=body, headers=delivery_headers(body))
        assert response.status_code == 400
        assert "not valid JSON" in response.json()["detail"]

    async def test_oversized_body_is_413(self, app, client):
        body = b"{" + b" " * (app.state.settings.max_webhook_bytes + 1) + b"}"
        response = await client.post("/webhooks/github", content=body, headers=delivery_headers(body))
        assert response.status_code == 413


class TestEvents:
    async def test_ping_is_200_and_stored(self, app, client):
        body = encode(load_payload("ping.json"))
        headers = delivery_headers(body, event="ping")
        response = await client.post("/webhooks/github", content=body, headers=headers)
        assert response.status_code == 200
        assert response.json()["status"] == "pong"
        assert (await stored_delivery(app, headers["X-GitHub-Delivery"])).outcome == "pong"

    async def test_duplicate_delivery_creates_no_second_job(self, app, client):
        body = encode(real_issue_payload())
        headers = delivery_headers(body, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
        first = await client.post("/webhooks/github", content=body, headers=headers)
        second = await client.post("/webhooks/github", content=body, headers=headers)
        assert first.status_code == 202
        assert second.status_code == 200
        assert second.json()["status"] == "duplicate"
        assert await count(app, Job) == 1
        assert await count(app, Delivery) == 1

    async def test_issue_comment_is_ignored_and_stored(self, app, client):
        body = encode(load_payload("issue_comment.created.json"))
        headers = delivery_headers(body, event="issue_comment")
        response = await client.post("/webhooks/github", content=body, headers=headers)
        assert response.status_code == 202
        assert response.json()["status"] == "ignored"
        assert "issue_comment" in response.json()["reason"]
        delivery = await stored_delivery(app, headers["X-GitHub-Delivery"])
        assert delivery.outcome == "ignored"
        assert delivery.payload["comment"]["id"]
        assert await count(app, Job) == 0

    async def test_non_taxonomy_label_is_ignored(self, app, client):
        body = encode(load_payload("issues.labeled.json"))  # adds the label "bug"
        response = await client.post("/webhooks/github", content=body, headers=delivery_headers(body))
        assert response.status_code == 202
        assert response.json()["status"] == "ignored"
        assert response.json()["reason"] == "label 'bug' is not a taxonomy label"

    async def test_edit_without_text_change_is_ignored(self, app, client):
        body = encode(load_payload("issues.edited.json"))  # GitHub's example has "changes": {}
        response = await client.post("/webhooks/github", content=body, headers=delivery_headers(body))
        assert response.json()["status"] == "ignored"
        assert "neither title nor body" in response.json()["reason"]

    async def test_edit_of_body_is_queued(self, app, client):
        payload = real_issue_payload(action="edited")
        payload["changes"] = {"body": {"from": "old text"}}
        body = encode(payload)
        response = await client.post("/webhooks/github", content=body, headers=delivery_headers(body))
        assert response.status_code == 202
        assert response.json()["status"] == "queued"

    async def test_null_body_is_queued(self, app, client):
        body = encode(load_payload("issues.opened.null-body.json"))
        response = await client.post("/webhooks/github", content=body, headers=delivery_headers(body))
        assert response.json()["status"] == "queued"
        async with app.state.database.sessionmaker() as session:
            issue = await session.scalar(select(Issue))
        assert issue.body == ""

    async def test_malformed_issues_payload_is_400_and_stored(self, app, client):
        body = encode({"action": "opened", "issue": {"title": "no number"}, "repository": {"full_name": "a/b"}})
        headers = delivery_headers(body)
        response = await client.post("/webhooks/github", content=body, headers=headers)
        assert response.status_code == 400
        assert "issue.number" in response.json()["detail"]
        delivery = await stored_delivery(app, headers["X-GitHub-Delivery"])
        assert delivery.outcome == "rejected"

    async def test_missing_event_header_is_400(self, app, client):
        body = encode(real_issue_payload())
        headers = delivery_headers(body)
        del headers["X-GitHub-Event"]
        response = await client.post("/webhooks/github", content=body, headers=headers)
        assert response.status_code == 400
        assert "X-GitHub-Event" in response.json()["detail"]

    async def test_out_of_order_edit_keeps_newer_snapshot(self, app, client):
        newer = real_issue_payload(action="edited")
        newer["changes"] = {"title": {"from": "x"}}
        newer["issue"]["title"] = "Newest title"
        newer["issue"]["updated_at"] = "2030-01-01T00:00:00Z"
        older = real_issue_payload(action="edited")
        older["changes"] = {"title": {"from": "y"}}
        older["issue"]["title"] = "Stale title"
        older["issue"]["updated_at"] = "2029-01-01T00:00:00Z"
        for payload in (newer, older):
            body = encode(payload)
            await client.post("/webhooks/github", content=body, headers=delivery_headers(body))
        async with app.state.database.sessionmaker() as session:
            issue = await session.scalar(select(Issue))
        assert issue.title == "Newest title"

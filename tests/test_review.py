"""Reviews, the review queue, GitHub label changes as reviews, and learning from corrections."""

from __future__ import annotations

import copy

import httpx
import pytest
from sqlalchemy import select

from app.auth import service as auth_service
from app.examples.models import PoolExample
from app.jobs.worker import Worker
from app.main import create_app
from app.review.models import Review
from app.triage.loader import TriagerLoader
from tests.conftest import delivery_headers, encode, load_payload, make_settings, real_issue_payload


async def create_token(app, name: str, *scopes: str) -> dict:
    async with app.state.database.transaction() as session:
        token, _ = await auth_service.create_token(session, name, list(scopes))
    return {"Authorization": f"Bearer {token}"}


async def deliver(client, payload: dict) -> dict:
    body = encode(payload)
    response = await client.post("/webhooks/github", content=body, headers=delivery_headers(body))
    assert response.status_code == 202, response.text
    return response.json()


async def triage_all(app, settings) -> None:
    await Worker(app.state.database, settings, TriagerLoader(app.state.database, settings, None)).drain()


async def predictions(client) -> list[dict]:
    return (await client.get("/v1/predictions", params={"limit": 500})).json()["items"]


@pytest.fixture
async def closed_app(database_url):
    """The service with reads closed: every /v1 call needs a token."""
    settings = make_settings(database_url, open_read=False)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield application, http, settings


class TestAccessControl:
    async def test_read_needs_token_unless_open(self, closed_app):
        app, client, _ = closed_app
        missing = await client.get("/v1/predictions")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        assert "triage tokens create" in missing.json()["detail"]
        bad = await client.get("/v1/predictions", headers={"Authorization": "Bearer trg_wrong"})
        assert bad.status_code == 401
        ok = await client.get("/v1/predictions", headers=await create_token(app, "dash", "read"))
        assert ok.status_code == 200

    async def test_review_needs_review_scope(self, closed_app):
        app, client, settings = closed_app
        await deliver(client, real_issue_payload(0))
        await triage_all(app, settings)
        reader = await create_token(app, "reader", "read")
        prediction = (await client.get("/v1/predictions", headers=reader)).json()["items"][0]
        denied = await client.post(f"/v1/predictions/{prediction['id']}/review", json={"verdict": "accept"}, headers=reader)
        assert denied.status_code == 403
        assert "review" in denied.json()["detail"]
        admin = await create_token(app, "root", "admin")
        accepted = await client.post(f"/v1/predictions/{prediction['id']}/review", json={"verdict": "accept"}, headers=admin)
        assert accepted.status_code == 201
        assert accepted.json()["reviewer"] == "root"

    async def test_revoked_token_is_refused(self, closed_app):
        app, client, _ = closed_app
        headers = await create_token(app, "temp", "read")
        async with app.state.database.transaction() as session:
            token_id = (await auth_service.list_tokens(session))[-1].id
            assert await auth_service.revoke(session, token_id)
        assert (await client.get("/v1/predictions", headers=headers)).status_code == 401

    async def test_tokens_are_stored_hashed(self, closed_app):
        app, _, _ = closed_app
        headers = await create_token(app, "hashed", "read")
        token = headers["Authorization"].split()[1]
        async with app.state.database.sessionmaker() as session:
            rows = await auth_service.list_tokens(session)
        assert all(token not in (row.token_hash, row.prefix) for row in rows)
        assert rows[-1].token_hash == auth_service.hash_token(token)


class TestReviews:
    async def test_accept_correct_reject_and_history(self, app, client, settings):
        await deliver(client, real_issue_payload(0))
        await triage_all(app, settings)
        headers = await create_token(app, "alice", "review")
        prediction = (await predictions(client))[0]
        url = f"/v1/predictions/{prediction['id']}/review"

        accepted = (await client.post(url, json={"verdict": "accept", "note": "looks right"}, headers=headers)).json()
        assert accepted["symptom"] == prediction["symptom"]
        assert accepted["reviewer"] == "alice"

        corrected = await client.post(
            url, json={"verdict": "correct", "root_cause": "Incompatible Version", "reviewer": "bob"}, headers=headers
        )
        assert corrected.status_code == 201
        assert corrected.json()["root_cause"] == "Incompatible Version"
        assert corrected.json()["root_cause_category"] == "Environment"
        assert corrected.json()["symptom"] == prediction["symptom"]

        reviews = (await client.get(f"/v1/predictions/{prediction['id']}/reviews")).json()
        assert [review["verdict"] for review in reviews] == ["correct", "accept"]
        assert [review["is_current"] for review in reviews] == [True, False]

        rejected = (await client.post(url, json={"verdict": "reject", "note": "user error"}, headers=headers)).json()
        assert rejected["symptom"] is None
        async with app.state.database.sessionmaker() as session:
            assert (await session.scalar(select(PoolExample).where(PoolExample.source == "review"))) is None

    @pytest.mark.parametrize(
        ("body", "status", "fragment"),
        [
            ({"verdict": "correct"}, 400, "at least one corrected label"),
            ({"verdict": "correct", "root_cause": "Bad Luck"}, 400, "Bad Luck"),
            ({"verdict": "correct", "root_cause": "Misused API", "root_cause_category": "Environment"}, 400, "belongs to"),
            ({"verdict": "maybe"}, 422, "verdict"),
        ],
    )
    async def test_invalid_reviews_are_explained(self, app, client, settings, body, status, fragment):
        await deliver(client, real_issue_payload(0))
        await triage_all(app, settings)
        headers = await create_token(app, "alice", "review")
        prediction = (await predictions(client))[0]
        response = await client.post(f"/v1/predictions/{prediction['id']}/review", json=body, headers=headers)
        assert response.status_code == status
        assert fragment in response.text

    async def test_unknown_prediction_is_404(self, app, client):
        headers = await create_token(app, "alice", "review")
        response = await client.post("/v1/predictions/999999/review", json={"verdict": "accept"}, headers=headers)
        assert response.status_code == 404


class TestQueue:
    async def test_least_confident_first_and_reviewed_leave(self, app, client):
        settings = make_settings(app.state.settings.database_url, review_below=1.01)  # every prediction needs review
        for index in range(5):
            await deliver(client, real_issue_payload(index))
        await triage_all(app, settings)

        queue = (await client.get("/v1/review-queue")).json()
        confidences = [item["prediction"]["symptom_confidence"] for item in queue["items"]]
        assert queue["total"] == 5
        assert confidences == sorted(confidences)
        assert queue["items"][0]["issue"]["title"]

        headers = await create_token(app, "alice", "review")
        first = queue["items"][0]["prediction"]["id"]
        await client.post(f"/v1/predictions/{first}/review", json={"verdict": "accept"}, headers=headers)
        after = (await client.get("/v1/review-queue")).json()
        assert after["total"] == 4
        assert first not in [item["prediction"]["id"] for item in after["items"]]

        repository = queue["items"][1]["prediction"]["repository"]
        filtered = (await client.get("/v1/review-queue", params={"repository": repository})).json()
        assert all(item["prediction"]["repository"] == repository for item in filtered["items"])


class TestGitHubLabels:
    def label_payload(self, index: int, label: str, action: str = "labeled", sender_type: str = "User") -> dict:
        source = real_issue_payload(index)
        payload = copy.deepcopy(load_payload("issues.labeled.json"))
        payload["action"] = action
        payload["issue"] = source["issue"]
        payload["repository"]["full_name"] = source["repository"]["full_name"]
        payload["label"]["name"] = label
        payload["sender"]["type"] = sender_type
        payload["sender"]["login"] = "maintainer-1" if sender_type == "User" else "triage-bot[bot]"
        return payload

    async def test_person_adding_a_label_is_a_review(self, app, client, settings):
        await deliver(client, real_issue_payload(0))
        await triage_all(app, settings)
        answer = await deliver(client, self.label_payload(0, "root cause: Dependent Module Issue"))
        assert answer["status"] == "queued"
        await triage_all(app, settings)

        prediction = (await predictions(client))[0]
        reviews = (await client.get(f"/v1/predictions/{prediction['id']}/reviews")).json()
        assert reviews[0]["source"] == "github_label"
        assert reviews[0]["reviewer"] == "maintainer-1"
        assert reviews[0]["root_cause"] == "Dependent Module Issue"
        assert reviews[0]["symptom"] == prediction["symptom"]
        assert reviews[0]["verdict"] == ("accept" if prediction["root_cause"] == "Dependent Module Issue" else "correct")

    async def test_person_removing_our_label_is_a_correction(self, app, client, settings):
        await deliver(client, real_issue_payload(0))
        await triage_all(app, settings)
        prediction = (await predictions(client))[0]
        await deliver(client, self.label_payload(0, f"symptom: {prediction['symptom']}", action="unlabeled"))
        await triage_all(app, settings)
        review = (await client.get(f"/v1/predictions/{prediction['id']}/reviews")).json()[0]
        assert review["verdict"] == "correct"
        assert review["symptom"] is None

    async def test_bot_label_changes_are_ignored(self, app, client, settings):
        await deliver(client, real_issue_payload(0))
        await triage_all(app, settings)
        answer = await deliver(client, self.label_payload(0, "symptom: Crash", sender_type="Bot"))
        assert answer["status"] == "ignored"
        assert "bot" in answer["reason"]
        async with app.state.database.sessionmaker() as session:
            assert (await session.scalar(select(Review))) is None


class TestLearning:
    async def test_correction_is_retrieved_for_a_similar_issue(self, app, client, settings):
        original = real_issue_payload(7)
        await deliver(client, original)
        await triage_all(app, settings)
        prediction = (await predictions(client))[0]
        corrected_cause = "Incorrect Job Context Management"  # rare, so the local predictor alone would not say it
        headers = await create_token(app, "alice", "review")
        await client.post(
            f"/v1/predictions/{prediction['id']}/review",
            json={"verdict": "correct", "root_cause": corrected_cause, "symptom": "System Hang"},
            headers=headers,
        )

        # The same report filed again in another repository: the worker must pick up the reviewed example.
        similar = copy.deepcopy(original)
        similar["repository"]["full_name"] = "example-org/fork"
        similar["issue"]["number"] = 1
        await deliver(client, similar)
        await triage_all(app, settings)

        newest = (await predictions(client))[0]
        assert newest["repository"] == "example-org/fork"
        assert newest["examples"][0].startswith("review-")
        assert (prediction["symptom"], prediction["root_cause"]) != ("System Hang", corrected_cause)
        assert (newest["symptom"], newest["root_cause"]) == ("System Hang", corrected_cause)
        async with app.state.database.sessionmaker() as session:
            example = await session.scalar(select(PoolExample).where(PoolExample.source == "review"))
        assert example.root_cause == corrected_cause

    async def test_reviews_calibrate_confidence(self, app, client, settings):
        for index in range(24):
            await deliver(client, real_issue_payload(index))
        await triage_all(app, settings)
        headers = await create_token(app, "alice", "review")
        for position, prediction in enumerate(await predictions(client)):
            body = {"verdict": "accept"} if position % 3 else {"verdict": "correct", "symptom": "Silent Error"}
            await client.post(f"/v1/predictions/{prediction['id']}/review", json=body, headers=headers)

        loader = TriagerLoader(app.state.database, settings, None)
        triager = await loader.get()
        assert triager.calibrator.method == "platt"
        assert triager.calibrator.samples["symptom"] == 24
        # A third of the reviewed symptoms were wrong, so calibrated confidence drops below the raw one.
        raw = 0.95
        assert triager.calibrator.apply("symptom", raw) < raw

"""Read API: listing, filters, pagination and the issue view, on both databases."""

from __future__ import annotations

from app.jobs.worker import Worker
from app.triage.loader import TriagerLoader
from app.triage.service import Triager
from tests.conftest import delivery_headers, encode, real_issue_payload


async def triage_reports(app, client, settings, indexes) -> None:
    for index in indexes:
        body = encode(real_issue_payload(index))
        response = await client.post("/webhooks/github", content=body, headers=delivery_headers(body))
        assert response.status_code == 202
    await Worker(app.state.database, settings, TriagerLoader.fixed(Triager(settings))).drain()


async def test_list_is_newest_first_and_paginated(app, client, settings):
    await triage_reports(app, client, settings, range(5))

    first = (await client.get("/v1/predictions", params={"limit": 2})).json()
    second = (await client.get("/v1/predictions", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    third = (await client.get("/v1/predictions", params={"limit": 2, "cursor": second["next_cursor"]})).json()

    ids = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 5
    assert third["next_cursor"] is None


async def test_filters_by_repository_and_labels(app, client, settings):
    await triage_reports(app, client, settings, range(4))
    everything = (await client.get("/v1/predictions")).json()["items"]
    sample = everything[0]

    by_repository = (await client.get("/v1/predictions", params={"repository": sample["repository"]})).json()["items"]
    assert by_repository and all(item["repository"] == sample["repository"] for item in by_repository)

    by_symptom = (await client.get("/v1/predictions", params={"symptom": sample["symptom"]})).json()["items"]
    assert sample["id"] in [item["id"] for item in by_symptom]
    assert all(item["symptom"] == sample["symptom"] for item in by_symptom)

    by_category = (await client.get("/v1/predictions", params={"root_cause_category": sample["root_cause_category"]})).json()["items"]
    assert all(item["root_cause_category"] == sample["root_cause_category"] for item in by_category)

    none = (await client.get("/v1/predictions", params={"repository": "nobody/nothing"})).json()
    assert none == {"items": [], "next_cursor": None}


async def test_invalid_query_parameters_are_explained(client):
    response = await client.get("/v1/predictions", params={"limit": 0})
    assert response.status_code == 422
    response = await client.get("/v1/predictions", params={"cursor": "abc"})
    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]


async def test_issue_view_and_unknown_issue(app, client, settings):
    await triage_reports(app, client, settings, [0])
    payload = real_issue_payload(0)
    repository = payload["repository"]["full_name"]
    number = payload["issue"]["number"]

    view = (await client.get(f"/v1/issues/{repository}/{number}")).json()
    assert view["issue"]["number"] == number
    assert len(view["predictions"]) == 1
    assert view["jobs"][0]["status"] == "done"

    missing = await client.get(f"/v1/issues/{repository}/999999")
    assert missing.status_code == 404
    assert missing.json()["error"] == "NotFound"


async def test_health_and_openapi(client):
    health = (await client.get("/healthz")).json()
    assert health["status"] == "ok"
    schema = (await client.get("/openapi.json")).json()
    assert "/webhooks/github" in schema["paths"]
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "cdn.jsdelivr.net" not in docs.text  # the Swagger UI files are served locally
    root = await client.get("/")
    assert root.status_code == 307
    assert root.headers["location"] == "/ui/review"

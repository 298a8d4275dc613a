"""A signed `issues.opened` delivery sent to the running service ends as a stored prediction.

Both servers are real: the service under uvicorn with its worker, and an OpenAI-compatible
endpoint on 127.0.0.1 that the real `openai` client talks to.
"""

from __future__ import annotations

import time

import httpx

from app.main import create_app
from tests.conftest import delivery_headers, dev_issues, encode, make_settings, real_issue_payload
from tests.support.servers import FakeModelBehaviour, ServerThread, build_fake_openai


def wait_for_prediction(base_url: str, repository: str, number: int, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = httpx.get(f"{base_url}/v1/issues/{repository}/{number}", timeout=5)
        if response.status_code == 200 and response.json()["predictions"]:
            return response.json()
        time.sleep(0.1)
    raise AssertionError(f"no prediction for {repository}#{number} within {timeout} s")


def test_webhook_to_llm_prediction(database_url):
    behaviour = FakeModelBehaviour(reject_formats={"json_schema"})  # as llama.cpp's server does
    report = dev_issues()[0]
    payload = real_issue_payload(0)
    body = encode(payload)

    with ServerThread(build_fake_openai(behaviour)) as model_server:
        settings = make_settings(
            database_url,
            worker_enabled=True,
            openai_base_url=f"{model_server.url}/v1",
            openai_api_key="test-key",
            model="fake-model",
        )
        with ServerThread(create_app(settings)) as service:
            started = time.monotonic()
            response = httpx.post(f"{service.url}/webhooks/github", content=body, headers=delivery_headers(body))
            acknowledged = time.monotonic() - started
            assert response.status_code == 202, response.text
            assert acknowledged < 5  # generous: the request only stores and enqueues

            result = wait_for_prediction(service.url, report["repo"], report["number"])
            listing = httpx.get(f"{service.url}/v1/predictions", params={"repository": report["repo"]}).json()

    prediction = result["predictions"][0]
    assert result["issue"]["title"] == report["title"]
    assert result["issue"]["engine"] == report["engine"]
    assert result["jobs"][0]["status"] == "done"
    assert prediction["predictor"] == "llm"
    assert prediction["model"] == "fake-model"
    assert prediction["response_format"] == "json_object+schema"
    assert prediction["symptom"] == "Crash"
    assert prediction["root_cause_category"] in ("Environment", "Functionality", "Configuration", "Resource", "Input/output processing")
    assert 0 < prediction["symptom_confidence"] <= 1
    assert prediction["rationale"] == behaviour.answer["rationale"]
    assert prediction["prompt_tokens"] > 0
    assert prediction["completion_tokens"] > 0
    assert prediction["latency_ms"] > 0
    assert len(prediction["prompt_version"]) == 16
    assert prediction["evidence"]["engine_version"] == "0.7.2"
    assert listing["items"][0]["id"] == prediction["id"]

    # The model saw the report inside the untrusted-data delimiters, after the fixed instructions.
    last_request = behaviour.requests[-1]
    assert last_request["messages"][0]["role"] == "system"
    assert "<issue>" in last_request["messages"][-1]["content"]
    assert report["title"] in last_request["messages"][-1]["content"]
    formats = [request.get("response_format", {}).get("type") for request in behaviour.requests]
    assert formats[0] == "json_schema" and formats[-1] == "json_object"


def test_webhook_to_local_prediction_without_model(database_url):
    report = dev_issues()[1]
    body = encode(real_issue_payload(1))
    settings = make_settings(database_url, worker_enabled=True)
    with ServerThread(create_app(settings)) as service:
        health = httpx.get(f"{service.url}/healthz").json()
        response = httpx.post(f"{service.url}/webhooks/github", content=body, headers=delivery_headers(body))
        assert response.status_code == 202
        result = wait_for_prediction(service.url, report["repo"], report["number"])

    assert health["predictor"] == "local"
    prediction = result["predictions"][0]
    assert prediction["predictor"] == "local"
    assert prediction["model"] == "local-tfidf-logreg"
    assert prediction["symptom"] in ("Crash", "Unexpected Output", "Feature Failure", "Abnormal Performance", "System Hang", "Silent Error")
    assert prediction["examples"]

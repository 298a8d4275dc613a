"""The reviewer pages in a real browser: Debian's headless Chromium drives /ui/review and /ui/dashboard."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from app.auth import service as auth_service
from app.core.database import Database
from app.main import create_app
from tests.conftest import delivery_headers, encode, make_settings, real_issue_payload
from tests.support.servers import ServerThread

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
REPORTS = 3


@contextlib.contextmanager
def chromium_browser():
    # A missing browser is a broken test machine, not a reason to skip the only test of the pages.
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's Chromium with `apt-get install chromium`.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def create_review_token(settings) -> str:
    async def create() -> str:
        database = Database(settings.database_url)
        try:
            async with database.transaction() as session:
                token, _ = await auth_service.create_token(session, "web-reviewer", ["review"])
        finally:
            await database.dispose()
        return token

    return asyncio.run(create())


def wait_for_queue(http: httpx.Client, count: int) -> list[dict]:
    """Wait until the worker has triaged every delivered report."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        queue = http.get("/v1/review-queue").raise_for_status().json()
        if queue["total"] >= count:
            return queue["items"]
        time.sleep(0.1)
    pytest.fail(f"only {queue['total']} of {count} predictions reached the review queue within 60 s")


def other_labels(taxonomy: dict, prediction: dict) -> tuple[str, str, str]:
    """A symptom and a root-cause leaf (with its category) that differ from the prediction's."""
    symptom = next(item["name"] for item in taxonomy["symptoms"] if item["name"] != prediction["symptom"])
    for category in taxonomy["root_cause_categories"]:
        if category["name"] != prediction["root_cause_category"]:
            return symptom, category["leaves"][0]["name"], category["name"]
    raise AssertionError("the taxonomy has a single root-cause category")


def shown_prediction_id(page) -> int:
    return int(page.locator("#detail article").get_attribute("data-prediction-id"))


def test_review_and_dashboard_pages(database_url):
    # Every prediction needs review (confidence is at most 1), and reads need a token.
    settings = make_settings(database_url, worker_enabled=True, open_read=False, review_below=1.01)
    with ServerThread(create_app(settings)) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        for index in range(REPORTS):
            body = encode(real_issue_payload(index))
            assert http.post("/webhooks/github", content=body, headers=delivery_headers(body)).status_code == 202

        token = create_review_token(settings)
        http.headers["Authorization"] = f"Bearer {token}"
        queue = wait_for_queue(http, REPORTS)
        by_id = {item["prediction"]["id"]: item for item in queue}
        taxonomy = http.get("/v1/taxonomy").json()

        with chromium_browser() as browser:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []

            def record_console(message) -> None:
                if message.type == "error":
                    errors.append(message.text)

            page.on("console", record_console)
            page.on("pageerror", lambda error: errors.append(str(error)))

            # Without a token the API rejects the requests, and the page shows the API's explanation.
            page.goto(f"{server.url}/ui/review")
            expect(page.locator("#message")).to_contain_text("Not signed in (401)")
            expect(page.locator("#message")).to_contain_text("triage tokens create")
            # Chromium logs each rejected request as a console error, so these are expected here.
            assert all("401" in text for text in errors), errors
            errors.clear()

            # Entering the token loads the queue, least confident first, with the first report open.
            page.fill("#token-input", token)
            page.click("#token-form button[type=submit]")
            expect(page.locator("#queue li")).to_have_count(REPORTS)
            expect(page.locator("#queue-total")).to_contain_text(f"{REPORTS} reports wait")
            assert shown_prediction_id(page) == queue[0]["prediction"]["id"]
            first = by_id[shown_prediction_id(page)]
            expect(page.locator("#issue-title")).to_have_text(first["issue"]["title"])
            # The body is shown as the reporter wrote it, markup and all, not rendered.
            assert page.locator("#issue-body").text_content() == first["issue"]["body"]
            expect(page.locator("#correct-symptom")).to_have_value(first["prediction"]["symptom"])

            # Accept with one click, and the next report opens.
            page.click("#accept")
            expect(page.locator("#queue li")).to_have_count(REPORTS - 1)
            expect(page.locator("#message")).to_contain_text("Accepted")
            second = by_id[shown_prediction_id(page)]
            assert second["prediction"]["id"] != first["prediction"]["id"]

            # Correct through the select boxes, with a note.
            symptom, root_cause, category = other_labels(taxonomy, second["prediction"])
            page.select_option("#correct-symptom", symptom)
            page.select_option("#correct-root-cause", root_cause)
            page.fill("#note", "traceback points elsewhere")
            page.click("#save-correction")
            expect(page.locator("#queue li")).to_have_count(REPORTS - 2)
            third = by_id[shown_prediction_id(page)]

            # The keyboard shortcut rejects the last one, and the queue is empty.
            page.locator("#issue-title").click()
            page.keyboard.press("r")
            expect(page.locator("#queue li")).to_have_count(0)
            expect(page.locator("#queue-total")).to_have_text("The queue is empty.")

            # The reviews are stored as coming from the web page, with the chosen labels.
            accepted = http.get(f"/v1/predictions/{first['prediction']['id']}/reviews").json()
            assert [(review["verdict"], review["source"]) for review in accepted] == [("accept", "web")]
            assert accepted[0]["symptom"] == first["prediction"]["symptom"]
            assert accepted[0]["reviewer"] == "web-reviewer"
            corrected = http.get(f"/v1/predictions/{second['prediction']['id']}/reviews").json()
            assert [(review["verdict"], review["source"]) for review in corrected] == [("correct", "web")]
            assert (corrected[0]["symptom"], corrected[0]["root_cause"], corrected[0]["root_cause_category"]) == (
                symptom, root_cause, category,
            )
            assert corrected[0]["note"] == "traceback points elsewhere"
            rejected = http.get(f"/v1/predictions/{third['prediction']['id']}/reviews").json()
            assert [(review["verdict"], review["source"]) for review in rejected] == [("reject", "web")]

            # The dashboard draws one series per class, the legend, accuracy and calibration.
            page.goto(f"{server.url}/ui/dashboard")
            counts = http.get("/v1/stats/counts", params={"field": "symptom", "interval": "week"}).json()
            labels = {row["label"] for row in counts["rows"]}
            expect(page.locator("#counts-chart svg rect.segment")).to_have_count(len(counts["rows"]))
            drawn = page.eval_on_selector_all("#counts-chart rect.segment", "rects => rects.map(r => r.dataset.series)")
            assert set(drawn) == labels
            expect(page.locator("#counts-legend li")).to_have_count(len(labels))

            # Accuracy counts the accepted and the corrected prediction, because a rejection gives no label.
            expect(page.locator("#accuracy-table tr[data-field=symptom] td").first).to_have_text("2")
            expect(page.locator("#per-class-table tbody tr")).not_to_have_count(0)
            calibration = http.get("/v1/stats/calibration", params={"field": "symptom"}).json()
            expect(page.locator("#calibration-chart svg circle.point")).to_have_count(len(calibration["bins"]))
            expect(page.locator("#calibration-chart svg path.diagonal")).to_have_count(1)
            expect(page.locator("#calibration-numbers")).to_contain_text("2 reviewed")
            expect(page.locator("#summary")).to_contain_text("Reviewed")

            # Another field redraws the chart with that field's classes.
            page.select_option("#counts-field", "root_cause_category")
            categories = http.get("/v1/stats/counts", params={"field": "root_cause_category"}).json()
            category_labels = {row["label"] or "(none)" for row in categories["rows"]}
            expect(page.locator("#counts-legend li")).to_have_count(len(category_labels))
            drawn = page.eval_on_selector_all("#counts-chart rect.segment", "rects => rects.map(r => r.dataset.series)")
            assert set(drawn) == category_labels

            assert errors == [], f"console errors: {errors}"

"""Take the README's screenshots of the reviewer pages: docs/screenshots/review.png and dashboard.png.

The service runs on a temporary SQLite database on 127.0.0.1 with the local predictor. Its demo
data comes only from this project's own example reports in prompts/examples/*.yaml. Half of them
stay labelled examples that the predictor learns from. The other half are delivered as signed
`issues.opened` webhooks, so the predictor sees them as new reports and makes real mistakes.
Some predictions then get reviews with the example's labels, and the rest wait in the review
queue. Real reports from elsewhere are never used.

Needs Debian's Chromium (`apt-get install chromium`; `fonts-noto-color-emoji` draws the emoji
that some reports contain) and the dev extra (playwright):

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import shutil
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import uvicorn
import yaml
from playwright.sync_api import sync_playwright

from app.auth import service as auth_service
from app.core.database import Database, upgrade_database
from app.core.settings import Settings
from app.intake.signature import sign
from app.main import create_app

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SECRET = "screenshot-demo-secret"
WIDTH = 1280

# One repository per engine, for the demo deliveries.
REPOSITORY_BY_ENGINE = {
    "vLLM": "vllm-project/vllm",
    "llama.cpp": "ggml-org/llama.cpp",
    "TensorRT-LLM": "NVIDIA/TensorRT-LLM",
    "SGLang": "sgl-project/sglang",
    "MLC-LLM": "mlc-ai/mlc-llm",
    "DeepSpeed": "deepspeedai/DeepSpeed",
    "Ollama": "ollama/ollama",
}


def split_prompts(folder: Path) -> tuple[Path, list[dict]]:
    """Copy prompts/ to `folder` with every other example, and return the copy and the rest.

    A predictor asked about its own labelled examples would be right every time, which would
    make the accuracy and calibration charts meaningless, so the demo reports are held out.
    """
    prompts = folder / "prompts"
    shutil.copytree(ROOT / "prompts", prompts)
    held_out = []
    for path in sorted((prompts / "examples").glob("*.yaml")):
        examples = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        path.write_text(yaml.safe_dump(examples[0::2], allow_unicode=True, sort_keys=False), encoding="utf-8")
        held_out.extend(examples[1::2])
    return prompts, held_out


def demo_payload(template: dict, example: dict, number: int) -> dict:
    """Build an `issues.opened` delivery that carries one example report."""
    payload = copy.deepcopy(template)
    repository = REPOSITORY_BY_ENGINE.get(example.get("engine"), "example-org/engine")
    payload["issue"]["title"] = example["title"]
    payload["issue"]["body"] = str(example.get("body") or "")
    payload["issue"]["number"] = number
    payload["issue"]["html_url"] = f"https://github.com/{repository}/issues/{number}"
    payload["issue"]["labels"] = []
    payload["repository"]["full_name"] = repository
    return payload


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """The service under uvicorn in a thread, on a free port of 127.0.0.1."""

    def __init__(self, app):
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Server":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the service did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


async def create_review_token(settings: Settings) -> str:
    database = Database(settings.database_url)
    try:
        async with database.transaction() as session:
            token, _ = await auth_service.create_token(session, "screenshots", ["review"])
    finally:
        await database.dispose()
    return token


def deliver_examples(http: httpx.Client, examples: list[dict]) -> dict[int, dict]:
    """Send every example as a signed webhook, and return the examples by issue number."""
    template = json.loads((ROOT / "examples" / "issues.opened.json").read_text(encoding="utf-8"))
    by_number = {}
    for position, example in enumerate(examples):
        number = 1000 + position
        body = json.dumps(demo_payload(template, example, number), ensure_ascii=False).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": "issues",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-Hub-Signature-256": sign(SECRET.encode(), body),
        }
        http.post("/webhooks/github", content=body, headers=headers).raise_for_status()
        by_number[number] = example
    return by_number


def wait_for_predictions(http: httpx.Client, expected: int) -> list[dict]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        items = http.get("/v1/predictions", params={"limit": 500}).raise_for_status().json()["items"]
        if len(items) >= expected:
            return items
        time.sleep(0.3)
    raise TimeoutError(f"only {len(items)} of {expected} predictions after 120 s")


def review_some(http: httpx.Client, predictions: list[dict], examples: dict[int, dict]) -> None:
    """Review about half of the predictions with the example's own labels."""
    chooser = random.Random(7)
    for prediction in predictions:
        if chooser.random() > 0.5:
            continue
        # A review that names only some labels keeps the predicted ones for the rest, so every
        # label of the example goes in, and the accuracy of each field is measured.
        truth = examples[prediction["issue_number"]]
        fields = ("symptom", "root_cause", "phase", "component")
        labels = {name: truth.get(name) for name in fields if truth.get(name)}
        right = all(prediction[name] == value for name, value in labels.items())
        body = {"verdict": "accept"} if right else {"verdict": "correct", **labels}
        http.post(
            f"/v1/predictions/{prediction['id']}/review", json=body, headers={"X-Review-Source": "web"}
        ).raise_for_status()


def spread_over_weeks(database_path: Path, weeks: int = 8) -> None:
    """Give the demo predictions creation times over the past weeks, so the time chart has bars.

    All deliveries arrive within seconds, which would make a single bar. Real use spreads them.
    """
    now = datetime.now(timezone.utc)
    chooser = random.Random(11)
    with sqlite3.connect(database_path) as connection:
        ids = [row[0] for row in connection.execute("SELECT id FROM predictions ORDER BY id")]
        for prediction_id in ids:
            moment = now - timedelta(days=chooser.uniform(0, weeks * 7))
            connection.execute(
                "UPDATE predictions SET created_at = ? WHERE id = ?",
                (moment.strftime("%Y-%m-%d %H:%M:%S.%f"), prediction_id),
            )


def take_screenshots(url: str, token: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": 1000})

        # The review page, with the token entered as a reviewer would.
        page.goto(f"{url}/ui/review")
        page.fill("#token-input", token)
        page.click("#token-form button[type=submit]")
        page.wait_for_selector("#detail article")
        page.screenshot(path=str(OUTPUT / "review.png"))

        # The token stays in localStorage for the dashboard. The picture shows the whole page.
        page.goto(f"{url}/ui/dashboard")
        page.wait_for_selector("#counts-chart svg rect.segment")
        page.wait_for_selector("#calibration-chart svg circle")
        page.screenshot(path=str(OUTPUT / "dashboard.png"), full_page=True)
        browser.close()


def main() -> int:
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: run `apt-get install chromium` first.", file=sys.stderr)
        return 1

    with tempfile.TemporaryDirectory() as folder:
        database_path = Path(folder) / "demo.db"
        database_url = f"sqlite:///{database_path}"
        upgrade_database(database_url)
        prompts_dir, examples = split_prompts(Path(folder))
        settings = Settings(
            _env_file=None,
            database_url=database_url,
            webhook_secret=SECRET,
            worker_enabled=True,
            auto_migrate=False,
            open_read=False,
            log_level="WARNING",
            worker_poll_seconds=0.05,
            prompts_dir=prompts_dir,
        )
        token = asyncio.run(create_review_token(settings))

        with Server(create_app(settings)) as server:
            with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
                by_number = deliver_examples(http, examples)
                predictions = wait_for_predictions(http, len(examples))
                review_some(http, predictions, by_number)
            spread_over_weeks(database_path)
            take_screenshots(server.url, token)

    print(f"wrote {OUTPUT / 'review.png'} and {OUTPUT / 'dashboard.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A fake GitHub REST API on 127.0.0.1 with rate-limit answers, for the study importer."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class FakeGitHub:
    issues: dict[tuple[str, int], dict] = field(default_factory=dict)
    # Answer this many requests with a secondary rate limit (403 and retry-after) first.
    rate_limited_first: int = 0
    requests: list[dict] = field(default_factory=list)

    def add_issue(self, repository: str, number: int, title: str, body: str | None) -> None:
        self.issues[(repository, number)] = {"number": number, "title": title, "body": body, "state": "closed"}


def build_fake_github(state: FakeGitHub) -> FastAPI:
    app = FastAPI()

    @app.get("/repos/{owner}/{repo}/issues/{number}")
    async def get_issue(owner: str, repo: str, number: int, request: Request):
        state.requests.append({"path": request.url.path, "authorization": request.headers.get("authorization"),
                               "api_version": request.headers.get("x-github-api-version"), "time": time.monotonic()})
        if state.rate_limited_first > 0:
            state.rate_limited_first -= 1
            return JSONResponse(
                status_code=403,
                headers={"retry-after": "1", "x-ratelimit-remaining": "4999"},
                content={"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."},
            )
        issue = state.issues.get((f"{owner}/{repo}", number))
        if issue is None:
            return JSONResponse(status_code=404, content={"message": "Not Found"})
        return issue

    return app

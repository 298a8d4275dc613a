"""A small GitHub REST client that stays within GitHub's rate limits.

Requests are sent one at a time with a minimum interval. When GitHub signals a limit (403 or
429), the client waits as GitHub's REST documentation asks: `retry-after` seconds if given, else
until `x-ratelimit-reset` when no requests remain, else at least a minute with exponential
backoff, and gives up after a few tries.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from app.core.errors import TriageError
from app.core.logging import get_logger

log = get_logger(__name__)

API_VERSION = "2022-11-28"


class GitHubError(TriageError):
    status_code = 502


class GitHubNotFound(GitHubError):
    """The issue is gone (404) or its repository disabled issues (410)."""

    status_code = 404


class GitHubClient:
    def __init__(
        self,
        *,
        base_url: str = "https://api.github.com",
        token: str | None = None,
        min_interval: float = 0.25,
        max_retries: int = 4,
        secondary_wait: float = 60.0,
        timeout: float = 30.0,
    ):
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "inference-bug-triage",
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout, follow_redirects=True)
        self.min_interval = min_interval
        self.max_retries = max_retries
        self.secondary_wait = secondary_wait
        self._last_request = 0.0
        self._lock = asyncio.Lock()

    async def get_issue(self, repository: str, number: int) -> dict:
        return await self.request("GET", f"/repos/{repository}/issues/{number}")

    async def request(self, method: str, path: str, **kwargs) -> dict:
        async with self._lock:
            for attempt in range(self.max_retries + 1):
                wait = self.min_interval - (time.monotonic() - self._last_request)
                if wait > 0:
                    await asyncio.sleep(wait)
                self._last_request = time.monotonic()
                response = await self._http.request(method, path, **kwargs)

                if response.status_code in (404, 410):
                    raise GitHubNotFound(f"GitHub {method} {path} returned {response.status_code}.")
                if response.status_code in (403, 429) and attempt < self.max_retries:
                    delay = self._rate_limit_delay(response, attempt)
                    if delay is not None:
                        log.warning("github.rate_limited", path=path, status=response.status_code, wait_seconds=round(delay, 1), attempt=attempt + 1)
                        await asyncio.sleep(delay)
                        continue
                if response.status_code >= 500 and attempt < self.max_retries:
                    log.warning("github.retry", path=path, status=response.status_code, attempt=attempt + 1)
                    await asyncio.sleep(min(2**attempt, 30))
                    continue
                if response.status_code >= 400:
                    raise GitHubError(f"GitHub {method} {path} returned {response.status_code}: {response.text[:300]}")
                return response.json()
        raise GitHubError(f"GitHub {method} {path} still limited after {self.max_retries} retries.")

    def _rate_limit_delay(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when the 403 is not a rate limit."""
        retry_after = response.headers.get("retry-after")
        if retry_after and retry_after.isdigit():
            return float(retry_after)
        if response.headers.get("x-ratelimit-remaining") == "0":
            reset = response.headers.get("x-ratelimit-reset", "")
            if reset.isdigit():
                return max(float(reset) - time.time(), 0.0) + 1.0
        if response.status_code == 429 or "rate limit" in response.text.lower():
            return self.secondary_wait * 2**attempt
        return None

    async def close(self) -> None:
        await self._http.aclose()

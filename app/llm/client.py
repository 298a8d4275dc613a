"""The one place that talks to an OpenAI-compatible chat endpoint.

Endpoints differ in how they constrain answers to JSON, so the client tries, in this order:
`json_schema` (OpenAI, vLLM), `json_object` with a `schema` (llama.cpp's server, which answers
`json_schema` with HTTP 500), plain `json_object`, then free text. The first format an endpoint
accepts is remembered for the life of the process.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field

import openai
from openai import AsyncOpenAI

from app.core.errors import InvalidModelAnswer, ModelUnavailable
from app.core.logging import get_logger
from app.llm.tokens import count_tokens

log = get_logger(__name__)

JSON_SCHEMA = "json_schema"
JSON_OBJECT_WITH_SCHEMA = "json_object+schema"
JSON_OBJECT = "json_object"
TEXT = "text"
FORMATS = (JSON_SCHEMA, JSON_OBJECT_WITH_SCHEMA, JSON_OBJECT, TEXT)

# The format each endpoint accepted: {(base_url, model): format}.
_ACCEPTED_FORMAT: dict[tuple[str, str], str] = {}


@dataclass
class Completion:
    texts: list[str]
    response_format: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int | None
    latency_ms: float
    # Per choice: list of (token, logprob, top alternatives {token: logprob}).
    logprobs: list[list[tuple[str, float, dict[str, float]]]] = field(default_factory=list)


def _response_format(kind: str, schema: dict) -> dict | None:
    if kind == JSON_SCHEMA:
        return {"type": "json_schema", "json_schema": {"name": "triage", "schema": schema, "strict": True}}
    if kind == JSON_OBJECT_WITH_SCHEMA:
        return {"type": "json_object", "schema": schema}
    if kind == JSON_OBJECT:
        return {"type": "json_object"}
    return None


def _is_format_rejection(exc: openai.APIStatusError) -> bool:
    """True when the endpoint rejected the request shape rather than failing for another reason."""
    if exc.status_code in (400, 422, 501):
        return True
    # llama.cpp's server rejects an unsupported response_format with HTTP 500.
    if exc.status_code == 500:
        message = str(exc).lower()
        return "response_format" in message or "schema" in message or "json" in message or "grammar" in message
    return False


def parse_json_answer(text: str) -> dict:
    """Parse a JSON object from a model's answer, tolerating code fences and prose around it."""
    candidate = text.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", candidate, re.S)
    if fenced:
        candidate = fenced.group(1).strip()
    try:
        value = json.loads(candidate)
    except json.JSONDecodeError:
        value = None
        start = candidate.find("{")
        while start != -1 and value is None:
            depth = 0
            for index in range(start, len(candidate)):
                if candidate[index] == "{":
                    depth += 1
                elif candidate[index] == "}":
                    depth -= 1
                    if depth == 0:
                        try:
                            value = json.loads(candidate[start : index + 1])
                        except json.JSONDecodeError:
                            pass
                        break
            start = candidate.find("{", start + 1) if value is None else start
    if not isinstance(value, dict):
        raise InvalidModelAnswer(f"Model answer contains no JSON object: {text[:200]!r}")
    return value


class ChatClient:
    """Async chat client with JSON-format negotiation, timeouts, usage and latency."""

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        model: str,
        timeout: float = 120.0,
        max_retries: int = 2,
    ):
        self.model = model
        self.base_url = base_url or "https://api.openai.com/v1"
        # Local servers ignore the key, but the client refuses to start without one.
        self._client = AsyncOpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=max_retries
        )
        self.timeout = timeout

    @property
    def endpoint_key(self) -> tuple[str, str]:
        return (self.base_url, self.model)

    def accepted_format(self) -> str | None:
        return _ACCEPTED_FORMAT.get(self.endpoint_key)

    async def complete_json(
        self,
        messages: list[dict],
        schema: dict,
        *,
        samples: int = 1,
        temperature: float = 0.0,
        logprobs: bool = False,
        max_tokens: int = 400,
    ) -> Completion:
        """Ask for a JSON answer, falling back through the formats the endpoint accepts."""
        known = self.accepted_format()
        formats = [known] if known else list(FORMATS)
        last_error: Exception | None = None

        for kind in formats:
            try:
                completion = await self._create(
                    messages, kind, schema, samples=samples, temperature=temperature,
                    logprobs=logprobs, max_tokens=max_tokens,
                )
            except openai.APIStatusError as exc:
                if known is None and _is_format_rejection(exc) and kind != TEXT:
                    log.info("llm.format.rejected", response_format=kind, status=exc.status_code, model=self.model)
                    last_error = exc
                    continue
                raise ModelUnavailable(f"Model endpoint returned HTTP {exc.status_code}: {str(exc)[:300]}") from exc
            except (openai.APIConnectionError, openai.APITimeoutError, asyncio.TimeoutError) as exc:
                raise ModelUnavailable(f"Model endpoint {self.base_url} unreachable or timed out: {exc}") from exc

            if known is None:
                _ACCEPTED_FORMAT[self.endpoint_key] = kind
                log.info("llm.format.accepted", response_format=kind, model=self.model, base_url=self.base_url)
            return completion

        raise ModelUnavailable(f"Model endpoint rejected every response format: {last_error}")

    async def _create(
        self, messages, kind, schema, *, samples, temperature, logprobs, max_tokens
    ) -> Completion:
        request: dict = {
            "model": self.model,
            "messages": messages,
            "temperature": temperature,
            "max_tokens": max_tokens,
        }
        response_format = _response_format(kind, schema)
        if response_format is not None:
            request["response_format"] = response_format
        if samples > 1:
            request["n"] = samples
        if logprobs:
            request["logprobs"] = True
            request["top_logprobs"] = 5

        started = time.perf_counter()
        response = await self._client.chat.completions.create(**request)
        latency_ms = (time.perf_counter() - started) * 1000

        texts = [choice.message.content or "" for choice in response.choices]
        # Some servers ignore `n`; the caller then gets fewer samples and asks again if needed.
        choice_logprobs = []
        for choice in response.choices:
            content = getattr(choice.logprobs, "content", None) if choice.logprobs else None
            choice_logprobs.append(
                [
                    (item.token, item.logprob, {top.token: top.logprob for top in (item.top_logprobs or [])})
                    for item in content or []
                ]
            )

        usage = response.usage
        prompt_tokens = usage.prompt_tokens if usage and usage.prompt_tokens else sum(
            count_tokens(str(message.get("content", "")), self.model) for message in messages
        )
        completion_tokens = usage.completion_tokens if usage and usage.completion_tokens else sum(
            count_tokens(text, self.model) for text in texts
        )
        details = getattr(usage, "prompt_tokens_details", None) if usage else None
        cached = getattr(details, "cached_tokens", None) if details else None
        return Completion(
            texts=texts,
            response_format=kind,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cached_tokens=cached,
            latency_ms=latency_ms,
            logprobs=choice_logprobs if logprobs else [],
        )

    async def close(self) -> None:
        await self._client.close()

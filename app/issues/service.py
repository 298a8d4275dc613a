"""Issue snapshots: upsert from webhook payloads and look-ups for the API and the worker."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.issues.models import Issue

# Repositories of the engines the taxonomy was built on, plus SGLang and Ollama. Renamed owners
# (ggerganov -> ggml-org, microsoft -> deepspeedai) keep working through the old names.
ENGINE_BY_REPOSITORY = {
    "vllm-project/vllm": "vLLM",
    "ggml-org/llama.cpp": "llama.cpp",
    "ggerganov/llama.cpp": "llama.cpp",
    "nvidia/tensorrt-llm": "TensorRT-LLM",
    "sgl-project/sglang": "SGLang",
    "mlc-ai/mlc-llm": "MLC-LLM",
    "deepspeedai/deepspeed": "DeepSpeed",
    "microsoft/deepspeed": "DeepSpeed",
    "ollama/ollama": "Ollama",
}
_ENGINE_BY_NAME_PART = [
    ("vllm", "vLLM"),
    ("llama.cpp", "llama.cpp"),
    ("tensorrt-llm", "TensorRT-LLM"),
    ("sglang", "SGLang"),
    ("mlc-llm", "MLC-LLM"),
    ("deepspeed", "DeepSpeed"),
    ("ollama", "Ollama"),
]


def engine_for_repository(repository: str) -> str | None:
    """Name the inference engine a repository belongs to, or None when it is not one we know."""
    key = repository.lower()
    if key in ENGINE_BY_REPOSITORY:
        return ENGINE_BY_REPOSITORY[key]
    name = key.split("/", 1)[-1]
    for part, engine in _ENGINE_BY_NAME_PART:
        if part in name:
            return engine
    return None


def content_hash(title: str, body: str | None) -> str:
    """Hash of the text the classifier reads, so that no-op edits are not triaged twice."""
    digest = hashlib.sha256()
    digest.update(title.strip().encode("utf-8"))
    digest.update(b"\x00")
    digest.update((body or "").strip().encode("utf-8"))
    return digest.hexdigest()


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def upsert_from_payload(session: AsyncSession, repository: str, issue: dict) -> Issue:
    """Insert or update the snapshot of `issue` (the `issue` object of a webhook payload)."""
    number = int(issue["number"])
    title = issue.get("title") or ""
    body = issue.get("body") or ""
    updated_at = _parse_time(issue.get("updated_at"))

    row = await get_by_number(session, repository, number)
    if row is None:
        row = Issue(repository=repository, number=number)
        session.add(row)
    elif row.github_updated_at and updated_at and updated_at < row.github_updated_at:
        # Deliveries can arrive out of order; an older snapshot must not overwrite a newer one.
        return row

    row.github_id = issue.get("id")
    row.node_id = issue.get("node_id")
    row.engine = engine_for_repository(repository)
    row.title = title
    row.body = body
    row.author = (issue.get("user") or {}).get("login")
    row.html_url = issue.get("html_url")
    row.state = issue.get("state")
    row.labels = [label.get("name") for label in issue.get("labels") or [] if isinstance(label, dict)]
    row.content_hash = content_hash(title, body)
    row.github_created_at = _parse_time(issue.get("created_at"))
    row.github_updated_at = updated_at
    await session.flush()
    return row


async def get_by_number(session: AsyncSession, repository: str, number: int) -> Issue | None:
    result = await session.execute(
        select(Issue).where(Issue.repository == repository, Issue.number == number)
    )
    return result.scalar_one_or_none()

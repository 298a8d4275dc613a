"""The LLM path against a real llama.cpp OpenAI-compatible server.

Runs only when TRIAGE_TEST_LLAMA_URL points at one, for example:

    python -m llama_cpp.server --model SmolLM2-135M-Instruct.Q4_1.gguf --host 127.0.0.1 --port 8088 \\
        --n_ctx 8192 --n_threads 2 --n_threads_batch 2
    TRIAGE_TEST_LLAMA_URL=http://127.0.0.1:8088/v1 pytest -m llm_server

The model is far too small to triage well; the test checks the wire contract, not quality.
"""

from __future__ import annotations

import os

import pytest

from app.core.settings import Settings
from app.llm.client import JSON_OBJECT_WITH_SCHEMA, ChatClient
from app.triage.schemas import IssueInput
from app.triage.service import Triager
from tests.conftest import dev_issues

LLAMA_URL = os.environ.get("TRIAGE_TEST_LLAMA_URL")

pytestmark = [
    pytest.mark.llm_server,
    pytest.mark.skipif(not LLAMA_URL, reason="set TRIAGE_TEST_LLAMA_URL to a llama.cpp server to run"),
]


async def test_real_server_gives_a_valid_prediction():
    settings = Settings(
        _env_file=None, openai_base_url=LLAMA_URL, model="local", prompt_detail="compact",
        few_shot_k=2, examples_token_budget=700, issue_token_budget=600, llm_max_retries=0,
    )
    client = ChatClient(base_url=LLAMA_URL, api_key=None, model="local", timeout=600, max_retries=0)
    triager = Triager(settings, client=client)
    report = dev_issues()[10]
    try:
        result = await triager.triage(IssueInput(report["repo"], report["number"], report["title"], report["body"], report["engine"]))
    finally:
        await client.close()

    # llama.cpp answers json_schema with HTTP 500, so the client settles on json_object with a schema.
    assert result.response_format == JSON_OBJECT_WITH_SCHEMA
    assert result.predictor in ("llm", "local")
    assert result.symptom in triager.taxonomy.names("symptom")
    assert result.prompt_tokens > 1000
    assert result.completion_tokens > 0
    assert result.raw_answer["texts"]

"""Real HTTP servers on 127.0.0.1 for tests: a fake OpenAI-compatible endpoint and the service itself.

The fake endpoint speaks the Chat Completions wire format, so the real `openai` client is
exercised end to end. Its behaviour is set per test through `FakeModelBehaviour`.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerThread:
    """Run an ASGI app under uvicorn in a thread, on a free port of 127.0.0.1."""

    def __init__(self, app, port: int | None = None):
        self.port = port or free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("server thread exited during start-up")
            if time.monotonic() > deadline:
                raise TimeoutError("server did not start within 30 s")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@dataclass
class FakeModelBehaviour:
    """How the fake endpoint answers. Defaults imitate a well-behaved OpenAI endpoint."""

    answer: dict = field(
        default_factory=lambda: {
            "symptom": "Crash",
            "symptom_confidence": 0.9,
            "root_cause_category": "Environment",
            "root_cause": "Incompatible Version",
            "root_cause_confidence": 0.8,
            "phase": "Inference/Serving",
            "component": "Operators",
            "rationale": "The traceback shows an error raised after a library upgrade.",
        }
    )
    # Response formats answered with HTTP 500, as llama.cpp's server does for json_schema.
    reject_formats: set[str] = field(default_factory=set)
    wrap_in_prose: bool = False
    answer_sequence: list[dict] = field(default_factory=list)  # answers to give first, one per request
    invalid_first: int = 0  # answer this many requests with a label outside the taxonomy
    fail_status: int | None = None  # answer every request with this HTTP status
    logprob: float | None = None  # per-token logprob to report, if set
    requests: list[dict] = field(default_factory=list)


def build_fake_openai(behaviour: FakeModelBehaviour) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request):
        body = await request.json()
        behaviour.requests.append(body)
        if behaviour.fail_status:
            return JSONResponse(status_code=behaviour.fail_status, content={"error": {"message": "overloaded"}})

        response_format = body.get("response_format") or {}
        kind = response_format.get("type", "text")
        if kind == "json_object" and "schema" in response_format:
            kind = "json_object+schema"
        if kind in behaviour.reject_formats:
            return JSONResponse(
                status_code=500,
                content={"error": {"message": f"response_format {kind} is not supported", "type": "server_error"}},
            )

        answer = dict(behaviour.answer_sequence.pop(0) if behaviour.answer_sequence else behaviour.answer)
        if behaviour.invalid_first > 0:
            behaviour.invalid_first -= 1
            answer["symptom"] = "Meltdown"
        text = json.dumps(answer)
        if behaviour.wrap_in_prose:
            text = f"Here is my classification:\n```json\n{text}\n```\nHope this helps."

        prompt_text = " ".join(str(message.get("content", "")) for message in body["messages"])
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": "stop",
            "logprobs": None,
        }
        if body.get("logprobs") and behaviour.logprob is not None:
            pieces = re.findall(r"\w+|\W", text)
            choice["logprobs"] = {
                "content": [
                    {"token": piece, "logprob": behaviour.logprob, "bytes": None, "top_logprobs": []}
                    for piece in pieces
                ]
            }
        return {
            "id": f"chatcmpl-{len(behaviour.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [choice],
            "usage": {
                "prompt_tokens": len(prompt_text.split()),
                "completion_tokens": len(text.split()),
                "total_tokens": len(prompt_text.split()) + len(text.split()),
            },
        }

    return app

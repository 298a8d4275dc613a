"""Build the chat messages for one issue.

Layout, fixed part first so that servers that cache prompt prefixes (llama.cpp, vLLM, OpenAI)
reuse it across issues: the system message (instructions and the whole taxonomy), then the
retrieved examples, then the issue itself, delimited as untrusted data.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from app.triage.examples import LabelledExample
from app.triage.taxonomy import Taxonomy

SYSTEM_TEMPLATE_FILE = "system.md"
ISSUE_OPEN = "<issue>"
ISSUE_CLOSE = "</issue>"


@dataclass(frozen=True)
class PromptMessages:
    messages: list[dict]
    fixed_prefix: str  # the system message, identical for every issue
    example_ids: list[str]


@functools.lru_cache(maxsize=8)
def prompt_version(prompts_dir: Path) -> str:
    """Hash of every file under prompts/: any edit to the prompt, taxonomy or examples changes it."""
    digest = hashlib.sha256()
    for path in sorted(Path(prompts_dir).rglob("*")):
        if path.is_file() and path.suffix in (".md", ".yaml", ".yml", ".json"):
            digest.update(str(path.relative_to(prompts_dir)).encode())
            digest.update(b"\x00")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def render_taxonomy(taxonomy: Taxonomy, detail: str = "full") -> str:
    render = _render_label if detail == "full" else _render_definition
    lines = ["## Symptoms"]
    for label in taxonomy.symptoms:
        lines.append(render(label))
    lines.append("\n## Root causes (category, then its leaves)")
    for category in taxonomy.categories:
        lines.append(f"\n### {category.name}: {category.definition}")
        for leaf in category.leaves:
            lines.append(render(leaf))
    lines.append("\n## Phases")
    for label in taxonomy.phases:
        lines.append(f"- {label.name}: {label.definition}")
    lines.append("\n## Components")
    for label in taxonomy.components:
        lines.append(f"- {label.name}: {label.definition}")
    return "\n".join(lines)


def _render_definition(label) -> str:
    return f"- {label.name}: {label.definition}"


def _render_label(label) -> str:
    text = f"- {label.name}: {label.definition}"
    if label.cues:
        text += " Cues: " + "; ".join(label.cues[:6]) + "."
    for name, how_to_tell in label.lookalikes[:2]:
        text += f" Versus {name}: {how_to_tell}"
    return text


@functools.lru_cache(maxsize=8)
def system_message(prompts_dir: Path, taxonomy: Taxonomy, detail: str = "full") -> str:
    template = (Path(prompts_dir) / SYSTEM_TEMPLATE_FILE).read_text(encoding="utf-8")
    return template.replace("{taxonomy_version}", taxonomy.version).replace(
        "{taxonomy}", render_taxonomy(taxonomy, detail)
    )


def render_issue(text: str, engine: str | None, evidence: dict | None = None) -> str:
    # A report could contain the delimiters to escape them; defuse both.
    safe = text.replace(ISSUE_CLOSE, "</ issue>").replace(ISSUE_OPEN, "< issue>")
    engine_line = f"Engine: {engine}\n" if engine else ""
    rendered = f"{ISSUE_OPEN}\n{engine_line}{safe}\n{ISSUE_CLOSE}"
    if evidence:
        # Extracted by the service with regular expressions; cite these in the rationale.
        facts = {key: value for key, value in evidence.items() if key != "error_lines"}
        facts_text = json.dumps(facts, ensure_ascii=False).replace(ISSUE_CLOSE, "</ issue>")
        rendered += f"\nFacts extracted from the report: {facts_text}"
    return rendered


def example_answer(example: LabelledExample, taxonomy: Taxonomy) -> str:
    return json.dumps(
        {
            "symptom": example.symptom,
            "symptom_confidence": 0.9,
            "root_cause_category": taxonomy.category_of[example.root_cause],
            "root_cause": example.root_cause,
            "root_cause_confidence": 0.8,
            "phase": example.phase,
            "component": example.component,
            "rationale": example.rationale,
        },
        ensure_ascii=False,
    )


INSTRUCTION = "Classify the bug report above. Answer with the JSON object only."


def build_messages(
    *,
    prompts_dir: Path,
    taxonomy: Taxonomy,
    issue_text: str,
    engine: str | None,
    examples: list[tuple[LabelledExample, str]],
    evidence: dict | None = None,
    detail: str = "full",
) -> PromptMessages:
    """Assemble system, example and issue messages. `examples` pairs each example with its fitted text."""
    system = system_message(prompts_dir, taxonomy, detail)
    messages: list[dict] = [{"role": "system", "content": system}]
    for example, text in examples:
        messages.append({"role": "user", "content": f"{render_issue(text, example.engine)}\n{INSTRUCTION}"})
        messages.append({"role": "assistant", "content": example_answer(example, taxonomy)})
    messages.append({"role": "user", "content": f"{render_issue(issue_text, engine, evidence)}\n{INSTRUCTION}"})
    return PromptMessages(messages=messages, fixed_prefix=system, example_ids=[e.id for e, _ in examples])

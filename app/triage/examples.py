"""Labelled few-shot examples: the files in `prompts/examples/`, written for this project."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from app.core.errors import ConfigurationError
from app.triage.taxonomy import Taxonomy


@dataclass(frozen=True)
class LabelledExample:
    id: str
    engine: str | None
    title: str
    body: str
    symptom: str
    root_cause: str
    phase: str | None
    component: str | None
    rationale: str = ""
    source: str = "prompts"  # "prompts", "review" or "study"

    @property
    def text(self) -> str:
        return f"{self.title}\n\n{self.body}"


@functools.lru_cache(maxsize=8)
def load_examples(prompts_dir: Path, taxonomy: Taxonomy) -> tuple[LabelledExample, ...]:
    """Load and validate every example file; a label outside the taxonomy is a configuration error."""
    examples = []
    for path in sorted((Path(prompts_dir) / "examples").glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            example = LabelledExample(
                id=str(entry["id"]),
                engine=entry.get("engine"),
                title=str(entry["title"]),
                body=str(entry.get("body") or ""),
                symptom=entry["symptom"],
                root_cause=entry["root_cause"],
                phase=entry.get("phase"),
                component=entry.get("component"),
                rationale=" ".join(str(entry.get("rationale", "")).split()),
            )
            _validate(example, taxonomy, path)
            examples.append(example)
    if not examples:
        raise ConfigurationError(f"No labelled examples found in {Path(prompts_dir) / 'examples'}.")
    return tuple(examples)


def _validate(example: LabelledExample, taxonomy: Taxonomy, path: Path) -> None:
    checks = {
        "symptom": example.symptom,
        "root_cause": example.root_cause,
        "phase": example.phase,
        "component": example.component,
    }
    for field_name, value in checks.items():
        if value is not None and value not in taxonomy.names(field_name):
            raise ConfigurationError(
                f"{path}: example {example.id} has {field_name} {value!r}, which is not in the taxonomy."
            )

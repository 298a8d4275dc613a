"""Inputs and outputs of the triage pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from app.triage.taxonomy import Taxonomy


@dataclass
class IssueInput:
    repository: str
    number: int
    title: str
    body: str
    engine: str | None = None
    url: str | None = None


class ModelAnswer(BaseModel):
    """A model's answer after validation: every label is a taxonomy name or None.

    Validate with `ModelAnswer.model_validate(data, context={"taxonomy": taxonomy})`. Labels are
    matched ignoring case and punctuation; anything else becomes a validation error, so only
    taxonomy values can ever be stored.
    """

    model_config = ConfigDict(extra="ignore")

    symptom: str
    symptom_confidence: float = Field(default=0.5)
    root_cause_category: str | None = None
    root_cause: str | None = None
    root_cause_confidence: float = Field(default=0.5)
    phase: str | None = None
    component: str | None = None
    rationale: str = ""

    @field_validator("symptom", "root_cause_category", "root_cause", "phase", "component", mode="before")
    @classmethod
    def _taxonomy_name(cls, value, info: ValidationInfo):
        taxonomy: Taxonomy = info.context["taxonomy"]
        if value in (None, "", "null", "None", "unknown", "Unknown"):
            if info.field_name == "symptom":
                raise ValueError("symptom is required")
            return None
        name = taxonomy.canonical(info.field_name, value)
        if name is None:
            allowed = ", ".join(taxonomy.names(info.field_name))
            raise ValueError(f"{value!r} is not a {info.field_name}; use one of: {allowed}")
        return name

    @field_validator("symptom_confidence", "root_cause_confidence", mode="before")
    @classmethod
    def _probability(cls, value):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return 0.5
        if number > 1.0 and number <= 100.0:
            number /= 100.0  # some models answer in percent
        return min(max(number, 0.0), 1.0)

    @field_validator("rationale", mode="before")
    @classmethod
    def _short_text(cls, value):
        return str(value or "")[:1000]


def answer_schema(taxonomy: Taxonomy) -> dict:
    """JSON schema of the answer, with the taxonomy names as enums (strict-mode compatible)."""

    def nullable_enum(names):
        # anyOf, not "type": [..., "null"]: llama.cpp's grammar builder ignores the enum in the
        # type-array form (checked with llama-cpp-python 0.3.36) but enforces it under anyOf.
        return {"anyOf": [{"type": "string", "enum": list(names)}, {"type": "null"}]}

    properties = {
        "symptom": {"type": "string", "enum": list(taxonomy.names("symptom"))},
        "symptom_confidence": {"type": "number"},
        "root_cause_category": nullable_enum(taxonomy.category_names),
        "root_cause": nullable_enum(taxonomy.names("root_cause")),
        "root_cause_confidence": {"type": "number"},
        "phase": {"type": "string", "enum": list(taxonomy.names("phase"))},
        "component": {"type": "string", "enum": list(taxonomy.names("component"))},
        "rationale": {"type": "string"},
    }
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


@dataclass
class TriageResult:
    predictor: str
    model: str
    prompt_version: str
    taxonomy_version: str
    symptom: str
    symptom_confidence: float
    symptom_confidence_raw: float
    root_cause_category: str | None
    root_cause_category_confidence: float | None
    root_cause: str | None
    root_cause_confidence: float | None
    root_cause_confidence_raw: float | None
    phase: str | None
    phase_confidence: float | None
    component: str | None
    component_confidence: float | None
    calibration: str
    needs_review: bool
    rationale: str
    evidence: dict
    examples: list[str]
    raw_answer: dict
    response_format: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prefix_tokens: int = 0
    latency_ms: float = 0.0
    distributions: dict = field(default_factory=dict)
    local: object = None  # the LocalPrediction the result was pooled from (not stored)

    def as_row(self) -> dict:
        """Columns of a `predictions` row."""
        row = dict(self.__dict__)
        row.pop("distributions")
        row.pop("local")
        return row

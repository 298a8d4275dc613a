"""The study's taxonomy, loaded from `prompts/taxonomy.yaml`.

Source of the names and counts: Liu et al., "A First Look at Bugs in LLM Inference Engines",
arXiv 2506.09713 (ACM TOSEM). The definitions in the YAML file are this project's own wording.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from app.core.errors import ConfigurationError

TAXONOMY_FILE = "taxonomy.yaml"
FIELDS = ("symptom", "root_cause", "phase", "component")


@dataclass(frozen=True)
class Label:
    name: str
    definition: str
    count: int = 0
    cues: tuple[str, ...] = ()
    lookalikes: tuple[tuple[str, str], ...] = ()  # (name, how to tell apart)


@dataclass(frozen=True)
class Category:
    name: str
    definition: str
    leaves: tuple[Label, ...]


@dataclass(frozen=True)
class Taxonomy:
    version: str
    source: str
    symptoms: tuple[Label, ...]
    categories: tuple[Category, ...]
    phases: tuple[Label, ...]
    components: tuple[Label, ...]
    raw: dict = field(repr=False, compare=False, default_factory=dict)

    @functools.cached_property
    def leaves(self) -> tuple[Label, ...]:
        return tuple(leaf for category in self.categories for leaf in category.leaves)

    @functools.cached_property
    def category_of(self) -> dict[str, str]:
        return {leaf.name: category.name for category in self.categories for leaf in category.leaves}

    def names(self, field_name: str) -> tuple[str, ...]:
        """The allowed values of one predicted field, in taxonomy order."""
        if field_name == "root_cause_category":
            return self.category_names
        labels = {
            "symptom": self.symptoms,
            "root_cause": self.leaves,
            "phase": self.phases,
            "component": self.components,
        }[field_name]
        return tuple(label.name for label in labels)

    @functools.cached_property
    def category_names(self) -> tuple[str, ...]:
        return tuple(category.name for category in self.categories)

    def priors(self, field_name: str) -> dict[str, float]:
        """Class frequencies in the study's 929 bugs, as probabilities (add-one smoothed)."""
        labels = {
            "symptom": self.symptoms,
            "root_cause": self.leaves,
            "phase": self.phases,
            "component": self.components,
        }[field_name]
        total = sum(label.count + 1 for label in labels)
        return {label.name: (label.count + 1) / total for label in labels}

    def canonical(self, field_name: str, value: object) -> str | None:
        """Map a model's spelling of a label to the taxonomy's name, or None if it is not one."""
        if not isinstance(value, str):
            return None
        names = self.names(field_name)
        key = _normalize(value)
        for name in names:
            if _normalize(name) == key:
                return name
        return None


def _normalize(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _label(entry: dict) -> Label:
    return Label(
        name=entry["name"],
        definition=" ".join(str(entry.get("definition", "")).split()),
        count=int(entry.get("count", 0)),
        cues=tuple(str(cue) for cue in entry.get("cues") or ()),
        lookalikes=tuple(
            (item["name"], " ".join(str(item.get("how_to_tell", "")).split()))
            for item in entry.get("lookalikes") or ()
        ),
    )


@functools.lru_cache(maxsize=8)
def load_taxonomy(prompts_dir: Path) -> Taxonomy:
    path = Path(prompts_dir) / TAXONOMY_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigurationError(
            f"Taxonomy file {path} not found; set TRIAGE_PROMPTS_DIR to the project's prompts/ folder."
        ) from exc

    taxonomy = Taxonomy(
        version=str(raw["version"]),
        source=str(raw.get("source", "")),
        symptoms=tuple(_label(entry) for entry in raw["symptoms"]),
        categories=tuple(
            Category(
                name=entry["name"],
                definition=" ".join(str(entry.get("definition", "")).split()),
                leaves=tuple(_label(leaf) for leaf in entry["leaves"]),
            )
            for entry in raw["root_cause_categories"]
        ),
        phases=tuple(_label(entry) for entry in raw["phases"]),
        components=tuple(_label(entry) for entry in raw["components"]),
        raw=raw,
    )
    if len(taxonomy.symptoms) != 6 or len(taxonomy.categories) != 5 or len(taxonomy.leaves) != 28:
        raise ConfigurationError(
            f"{path} must define 6 symptoms, 5 root-cause categories and 28 leaves; it defines "
            f"{len(taxonomy.symptoms)}, {len(taxonomy.categories)} and {len(taxonomy.leaves)}."
        )
    return taxonomy

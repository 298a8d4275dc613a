"""The taxonomy file and the few-shot examples against the study's own labels."""

from __future__ import annotations

import csv
from collections import Counter

from app.triage.examples import load_examples
from app.triage.taxonomy import load_taxonomy
from tests.conftest import ROOT, SHARED

PROMPTS = ROOT / "prompts"


def study_values(column: str) -> Counter:
    counts: Counter = Counter()
    with (SHARED / "reference" / "study-dataset.csv").open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            for value in row[column].split("@@"):
                if value.strip():
                    counts[value.strip()] += 1
    return counts


def test_names_and_counts_match_the_study():
    taxonomy = load_taxonomy(PROMPTS)
    checks = {
        "symptom": ("Symptom(s)", taxonomy.symptoms),
        "root_cause": ("Root Cause(s)", taxonomy.leaves),
        "phase": ("Phase", taxonomy.phases),
        "component": ("Component", taxonomy.components),
    }
    for field_name, (column, labels) in checks.items():
        study = study_values(column)
        assert {label.name for label in labels} == set(study), field_name
        for label in labels:
            assert label.count == study[label.name], (field_name, label.name)


def test_every_label_is_defined_with_cues_and_lookalikes():
    taxonomy = load_taxonomy(PROMPTS)
    assert taxonomy.category_names == ("Configuration", "Functionality", "Environment", "Resource", "Input/output processing")
    for label in (*taxonomy.symptoms, *taxonomy.leaves):
        assert len(label.definition.split()) >= 8, label.name
        assert label.cues, label.name
        assert label.lookalikes, label.name
        level = taxonomy.names("symptom") if label in taxonomy.symptoms else taxonomy.names("root_cause")
        for name, how_to_tell in label.lookalikes:
            assert name in level
            assert name != label.name
            assert how_to_tell
    for label in (*taxonomy.phases, *taxonomy.components):
        assert label.definition, label.name


def test_examples_cover_every_class():
    taxonomy = load_taxonomy(PROMPTS)
    examples = load_examples(PROMPTS, taxonomy)
    assert len(examples) >= 90
    assert len({example.id for example in examples}) == len(examples)
    assert {example.symptom for example in examples} == set(taxonomy.names("symptom"))
    assert {example.root_cause for example in examples} == set(taxonomy.names("root_cause"))
    assert {taxonomy.category_of[example.root_cause] for example in examples} == set(taxonomy.category_names)
    assert {example.phase for example in examples} == set(taxonomy.names("phase"))
    # The common classes lead, as in the study.
    symptoms = Counter(example.symptom for example in examples)
    assert symptoms.most_common(1)[0][0] == "Crash"
    leaves = Counter(example.root_cause for example in examples)
    assert leaves.most_common(1)[0][0] == "Incorrect Algorithm Implementation"


def test_examples_do_not_copy_dev_reports():
    """No example shares a 12-word run of prose with a real report of the dev set.

    Stack frames and the source lines under them are left out: tracebacks of one engine share them.
    """
    import json
    import re

    def prose(text: str) -> str:
        frame = re.compile(r'File "|/usr/|site-packages|dist-packages|Traceback \(most recent call last\)|^\s*at ')
        kept, after_frame = [], False
        for line in text.splitlines():
            is_frame = bool(frame.search(line))
            if not is_frame and not after_frame:
                kept.append(line)
            after_frame = is_frame  # the line after a frame is the engine's source code
        return "\n".join(kept)

    def shingles(text: str, size: int = 12) -> set[tuple[str, ...]]:
        words = re.findall(r"[A-Za-z]{2,}", prose(text).lower())
        return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}

    taxonomy = load_taxonomy(PROMPTS)
    dev = set()
    for line in (SHARED / "dev-issues.jsonl").read_text(encoding="utf-8").splitlines():
        report = json.loads(line)
        dev |= shingles(f"{report['title']} {report['body']}")
    for example in load_examples(PROMPTS, taxonomy):
        shared = shingles(example.text) & dev
        assert not shared, (example.id, sorted(shared)[:2])


async def test_taxonomy_endpoint(client):
    response = await client.get("/v1/taxonomy")
    assert response.status_code == 200
    data = response.json()
    assert len(data["symptoms"]) == 6
    assert sum(len(category["leaves"]) for category in data["root_cause_categories"]) == 28
    assert len(data["phases"]) == 3
    assert len(data["components"]) == 14
    assert len(data["prompt_version"]) == 16

"""Import the study's labelled issues into the example pool.

The study's CSV (Liu et al., github.com/infbug/bugs-in-LLM-inference-engines, MIT licence) holds
URLs and labels but no text, so each issue's title and body are fetched from the GitHub REST API.
Rows already imported are skipped, so an interrupted import can simply be run again.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from app.core.database import Database
from app.core.errors import InvalidPayload
from app.core.logging import get_logger
from app.examples import service as pool_service
from app.examples.models import SOURCE_STUDY
from app.github.client import GitHubClient, GitHubNotFound
from app.triage.taxonomy import Taxonomy

log = get_logger(__name__)

ENGINE_BY_STUDY_LABEL = {
    "llama.cpp": "llama.cpp",
    "vllm": "vLLM",
    "deepspeed": "DeepSpeed",
    "mlc-llm": "MLC-LLM",
    "tensorrt-llm": "TensorRT-LLM",
}
ISSUE_URL = re.compile(r"^https://github\.com/([^/]+/[^/]+)/issues/(\d+)/?$")
SEPARATOR = "@@"


@dataclass
class StudyRow:
    url: str
    repository: str
    number: int
    engine: str | None
    symptom: str
    root_cause: str
    phase: str | None
    component: str | None


@dataclass
class ImportSummary:
    imported: int = 0
    skipped_existing: int = 0
    missing_on_github: list[str] = field(default_factory=list)
    invalid_rows: list[str] = field(default_factory=list)


def read_study_csv(path: Path, taxonomy: Taxonomy) -> tuple[list[StudyRow], list[str]]:
    """Parse the CSV; return the valid rows and a description of each invalid one."""
    rows, invalid = [], []
    # utf-8-sig: the published file starts with a byte-order mark.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        required = {"URL", "repo", "Phase", "Symptom(s)", "Component", "Root Cause(s)"}
        if not required <= set(reader.fieldnames or []):
            raise InvalidPayload(f"{path} lacks the study's columns {sorted(required - set(reader.fieldnames or []))}.")
        for line_number, record in enumerate(reader, start=2):
            match = ISSUE_URL.match(record["URL"].strip())
            symptom = record["Symptom(s)"].split(SEPARATOR)[0].strip()
            root_cause = record["Root Cause(s)"].split(SEPARATOR)[0].strip()
            phase = record["Phase"].strip() or None
            component = record["Component"].split(SEPARATOR)[0].strip() or None
            problems = []
            if not match:
                problems.append(f"URL {record['URL']!r} is not a GitHub issue URL")
            if symptom not in taxonomy.names("symptom"):
                problems.append(f"unknown symptom {symptom!r}")
            if root_cause not in taxonomy.names("root_cause"):
                problems.append(f"unknown root cause {root_cause!r}")
            if phase and phase not in taxonomy.names("phase"):
                problems.append(f"unknown phase {phase!r}")
            if component and component not in taxonomy.names("component"):
                problems.append(f"unknown component {component!r}")
            if problems:
                invalid.append(f"line {line_number}: " + "; ".join(problems))
                continue
            rows.append(
                StudyRow(
                    url=record["URL"].strip(),
                    repository=match.group(1),
                    number=int(match.group(2)),
                    engine=ENGINE_BY_STUDY_LABEL.get(record["repo"].strip().lower()),
                    symptom=symptom,
                    root_cause=root_cause,
                    phase=phase,
                    component=component,
                )
            )
    return rows, invalid


async def import_study(
    database: Database,
    github: GitHubClient,
    rows: list[StudyRow],
    *,
    refresh: bool = False,
    body_limit: int = 20000,
) -> ImportSummary:
    """Fetch each row's issue text and store it as a study example; one transaction per issue."""
    summary = ImportSummary()
    for position, row in enumerate(rows, start=1):
        async with database.transaction() as session:
            if not refresh and await pool_service.get_by_key(session, row.url) is not None:
                summary.skipped_existing += 1
                continue
        try:
            issue = await github.get_issue(row.repository, row.number)
        except GitHubNotFound:
            log.warning("study.issue_missing", url=row.url)
            summary.missing_on_github.append(row.url)
            continue

        async with database.transaction() as session:
            await pool_service.upsert(
                session,
                row.url,
                source=SOURCE_STUDY,
                repository=row.repository,
                number=row.number,
                engine=row.engine,
                title=issue.get("title") or "",
                body=(issue.get("body") or "")[:body_limit],
                symptom=row.symptom,
                root_cause=row.root_cause,
                phase=row.phase,
                component=row.component,
                rationale="Labelled by the study's authors.",
            )
        summary.imported += 1
        if position % 25 == 0:
            log.info("study.progress", done=position, total=len(rows), imported=summary.imported)
    return summary

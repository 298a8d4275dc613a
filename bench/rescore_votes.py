"""Re-score the model votes stored by a `triage eval` run with the current combination code.

Usage: .venv/bin/python bench/rescore_votes.py REPORT.json DATASET.jsonl [--run INDEX]

A model evaluation on this machine takes an hour or more, so this script reuses the per-issue
votes (label and confidence signal per field) that the report stores. It recomputes the local
predictor's distributions with the current example pool, then runs the same out-of-fold
calibration and per-field gate as `triage eval` (app.evaluation.service.recalibrated). No model is
called, so only the combination is measured, not a new prompt.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.settings import Settings  # noqa: E402
from app.evaluation import service as evaluation  # noqa: E402
from app.triage.service import Triager  # noqa: E402


async def rescore(report_path: Path, dataset: Path, run_index: int) -> None:
    stored = json.loads(report_path.read_text())[run_index]
    triager = Triager(Settings(_env_file=None))
    items = evaluation.load_dataset(dataset, triager.taxonomy)
    votes = {record["id"]: record.get("votes") or {} for record in stored["items"]}

    run = evaluation.EvaluationRun(name=f"{stored['run']} (stored votes)", items=items)
    for item in items:
        result = await triager.triage(item.issue, use_model=False)
        result.raw_answer["votes"] = votes.get(item.id, {})
        result.predictor = "llm"
        run.results.append(result)

    for label, scored in (("pooled, uncalibrated", run), ("calibrated and gated out-of-fold", evaluation.recalibrated(run, triager))):
        if scored is run:
            # Pool the stored votes once with the default (uncalibrated) reliability.
            scored = evaluation.EvaluationRun(name=run.name, items=items, results=[evaluation._refinish(triager, result) for result in run.results])
        fields = evaluation.report(scored, triager.taxonomy)["fields"]
        cells = " | ".join(f"{fields[name]['accuracy']:.3f}" for name in evaluation.EVALUATED_FIELDS)
        print(f"| {stored['run']}: {label} | {cells} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--run", type=int, default=0, help="index of the run in the report")
    arguments = parser.parse_args()
    print("| Run | " + " | ".join(evaluation.EVALUATED_FIELDS) + " |")
    print("|---|" + "---|" * len(evaluation.EVALUATED_FIELDS))
    asyncio.run(rescore(arguments.report, arguments.dataset, arguments.run))


if __name__ == "__main__":
    main()

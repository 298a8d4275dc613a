"""`GET /v1/issues/{owner}/{repo}/{number}`: one issue with all its predictions."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from app.auth.dependencies import ReadAccess
from app.core.dependencies import SessionDep
from app.core.errors import NotFound
from app.issues import service as issue_service
from app.jobs.models import Job
from app.predictions import service as prediction_service
from app.predictions.schemas import IssueOut, IssueWithPredictions, PredictionOut

router = APIRouter(prefix="/v1", tags=["issues"])


@router.get("/issues/{owner}/{repo}/{number}", response_model=IssueWithPredictions)
async def get_issue(owner: str, repo: str, number: int, session: SessionDep, _: ReadAccess) -> IssueWithPredictions:
    """Return the stored snapshot of an issue, its predictions (newest first) and its triage jobs."""
    repository = f"{owner}/{repo}"
    issue = await issue_service.get_by_number(session, repository, number)
    if issue is None:
        raise NotFound(f"Issue {repository}#{number} has not been received; send its webhook first.")

    predictions = await prediction_service.for_issue(session, issue.id)
    jobs = (await session.execute(select(Job).where(Job.issue_id == issue.id).order_by(Job.id.desc()))).scalars()
    return IssueWithPredictions(
        issue=IssueOut.model_validate(issue),
        predictions=[PredictionOut.model_validate(row) for row in predictions],
        jobs=[
            {
                "id": job.id,
                "status": job.status,
                "attempts": job.attempts,
                "result": job.result,
                "last_error": job.last_error,
                "created_at": job.created_at.isoformat(),
                "finished_at": job.finished_at.isoformat() if job.finished_at else None,
            }
            for job in jobs
        ],
    )

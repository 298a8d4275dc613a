"""`GET /v1/taxonomy`: the labels the service predicts, with their definitions."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.auth.dependencies import ReadAccess
from app.triage.prompt import prompt_version
from app.triage.taxonomy import load_taxonomy

router = APIRouter(prefix="/v1", tags=["taxonomy"])


@router.get("/taxonomy")
async def get_taxonomy(request: Request, _: ReadAccess) -> dict:
    """Return the taxonomy file as data: symptoms, root-cause categories and leaves, phases, components."""
    prompts_dir = request.app.state.settings.prompts_dir
    taxonomy = load_taxonomy(prompts_dir)
    return {"prompt_version": prompt_version(prompts_dir), **taxonomy.raw}

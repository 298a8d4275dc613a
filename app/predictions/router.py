"""Read API over predictions: listing with filters and cursor pagination, and export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from app.auth.dependencies import ReadAccess
from app.core.dependencies import SessionDep
from app.core.errors import InvalidPayload
from app.predictions import service as prediction_service
from app.predictions.dependencies import FiltersDep
from app.predictions.schemas import CurrentReview, PredictionOut, PredictionPage

router = APIRouter(prefix="/v1", tags=["predictions"])

EXPORT_BATCH = 1000
EXPORT_COLUMNS = [name for name in PredictionOut.model_fields if name not in ("review", "evidence", "examples")]


@router.get("/predictions", response_model=PredictionPage)
async def list_predictions(
    session: SessionDep,
    _: ReadAccess,
    filters: FiltersDep,
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
) -> PredictionPage:
    """List predictions, newest first, with their current review."""
    rows, next_cursor = await prediction_service.list_predictions(session, filters, limit=limit, cursor=cursor)
    reviews = await prediction_service.current_reviews(session, [row.id for row in rows])
    items = []
    for row in rows:
        item = PredictionOut.model_validate(row)
        if row.id in reviews:
            item.review = CurrentReview.model_validate(reviews[row.id])
        items.append(item)
    return PredictionPage(items=items, next_cursor=next_cursor)


@router.get(
    "/predictions/export",
    responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}, "description": "All matching predictions"}},
)
async def export_predictions(
    request: Request,
    _: ReadAccess,
    filters: FiltersDep,
    format: str = Query("ndjson", description="ndjson (one JSON object a line, with evidence) or csv"),
) -> StreamingResponse:
    """Stream every matching prediction, newest first, in batches, as CSV or NDJSON."""
    if format not in ("csv", "ndjson"):
        raise InvalidPayload(f"format must be csv or ndjson, not {format!r}.")
    database = request.app.state.database
    # Validate the filters before the response starts, so a bad value still gets a clean 400.
    prediction_service.PredictionFilters.apply(filters, prediction_service.select_predictions())

    async def rows() -> AsyncIterator[str]:
        cursor = None
        if format == "csv":
            yield _csv_line(EXPORT_COLUMNS)
        while True:
            # A short session per batch, so that a long export never keeps one transaction open.
            async with database.sessionmaker() as session:
                batch, cursor = await prediction_service.list_predictions(session, filters, limit=EXPORT_BATCH, cursor=cursor)
            for row in batch:
                data = PredictionOut.model_validate(row).model_dump(mode="json", exclude={"review"})
                if format == "csv":
                    yield _csv_line([data[name] for name in EXPORT_COLUMNS])
                else:
                    yield json.dumps(data, ensure_ascii=False) + "\n"
            if cursor is None:
                break

    media_type = "text/csv" if format == "csv" else "application/x-ndjson"
    headers = {"Content-Disposition": f'attachment; filename="predictions.{format}"'}
    return StreamingResponse(rows(), media_type=media_type, headers=headers)


def _csv_line(values: list) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue()

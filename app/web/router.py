"""Web pages for reviewers: the review queue and the dashboard, served under `/ui`.

The pages are plain HTML files with vanilla JavaScript and CSS beside them. They call the `/v1`
API from the browser, so they need no build step and load nothing from other hosts.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

HERE = Path(__file__).resolve().parent
PAGES = HERE / "pages"
STATIC = HERE / "static"

router = APIRouter(prefix="/ui", tags=["web"], include_in_schema=False)

# JavaScript modules and the stylesheet. A mount inside an included router does not get the
# router's prefix, so a route passes the path to StaticFiles. StaticFiles rejects paths outside
# the folder and sets ETag and Last-Modified for caching.
static_files = StaticFiles(directory=STATIC)


@router.get("")
async def index() -> RedirectResponse:
    """`/ui` opens the review queue, the page reviewers use most."""
    return RedirectResponse("/ui/review", status_code=307)


@router.get("/review")
async def review_page() -> FileResponse:
    return FileResponse(PAGES / "review.html", media_type="text/html")


@router.get("/dashboard")
async def dashboard_page() -> FileResponse:
    return FileResponse(PAGES / "dashboard.html", media_type="text/html")


@router.get("/static/{path:path}")
async def static(path: str, request: Request) -> Response:
    return await static_files.get_response(path, request.scope)

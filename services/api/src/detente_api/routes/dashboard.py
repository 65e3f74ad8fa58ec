"""The live dashboard page and its assets, served from the bundle built by `make dashboard`.

The bundle (our HTML/CSS/JS plus the uPlot charting library) is build output, copied into
`detente_api/static/dashboard/` by `services/api/dashboard/build.mjs` and never committed. The
page talks only to this API (`/v1/...`, `/v1/stream`); nothing is loaded from elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, JSONResponse

router = APIRouter(tags=["dashboard"])

BUNDLE_DIR = Path(__file__).resolve().parent.parent / "static" / "dashboard"
BUILD_HINT = (
    "the dashboard bundle is not built: run `make dashboard` "
    "(npm ci && npm run build in services/api/dashboard)"
)

# Explicit types: the platform's mimetypes table varies (and may lack .map or .mjs).
_MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
}

_ASSET_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # File names are not content-hashed: revalidate (ETag / Last-Modified) on every load.
    "Cache-Control": "no-cache",
}
# The page and its scripts come from this server and talk only to it: no CDN, no third party.
_PAGE_HEADERS = _ASSET_HEADERS | {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; "
        "base-uri 'self'; frame-ancestors 'none'"
    ),
}


def _not_built() -> JSONResponse:
    return JSONResponse({"detail": BUILD_HINT}, status_code=503)


@router.get(
    "/dashboard",
    response_class=FileResponse,
    response_model=None,
    responses={
        200: {"content": {"text/html": {}}, "description": "The dashboard page"},
        503: {"description": "The bundle has not been built (see `detail`)"},
    },
)
async def dashboard() -> FileResponse | JSONResponse:
    """The live dashboard: top actors and pairs, a history chart and alerts, kept current
    through `/v1/stream` (polling `/v1/actors` and `/v1/dyads` when the stream is down)."""
    page = BUNDLE_DIR / "index.html"
    if not page.is_file():
        return _not_built()
    return FileResponse(page, media_type=_MEDIA_TYPES[".html"], headers=_PAGE_HEADERS)


@router.get("/dashboard/assets/{path:path}", include_in_schema=False, response_model=None)
async def dashboard_asset(path: str) -> FileResponse | JSONResponse:
    """A file of the bundle's `assets/` folder; nothing outside it, whatever the path says."""
    root = (BUNDLE_DIR / "assets").resolve()
    if not root.is_dir():
        return _not_built()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise HTTPException(status_code=404, detail=f"no dashboard asset {path!r}")
    media_type = _MEDIA_TYPES.get(target.suffix.lower(), "application/octet-stream")
    return FileResponse(target, media_type=media_type, headers=_ASSET_HEADERS)

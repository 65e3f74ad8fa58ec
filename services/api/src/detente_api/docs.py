"""`/openapi.json`, `/docs` (Swagger UI) and `/redoc`, with their scripts served from here.

The Swagger UI and ReDoc bundles come from the `fastapi-offline` package (pinned in
services/api/pyproject.toml and uv.lock): the pages load nothing from a CDN, so the docs
run no third-party script on the API's (and the dashboard's) origin.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_PATH = "/docs/assets"
OPENAPI_PATH = "/openapi.json"


def docs_routes(openapi: Callable[[], dict[str, Any]], title: str) -> list[BaseRoute]:
    """Routes serving the OpenAPI document that `openapi()` returns, and its two viewers."""

    async def openapi_json(request: Request) -> JSONResponse:
        return JSONResponse(openapi())

    async def swagger(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_PATH,
            title=f"{title} - Swagger UI",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
        )

    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=OPENAPI_PATH,
            title=f"{title} - ReDoc",
            redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )

    methods = ["GET", "HEAD"]
    return [
        Route(OPENAPI_PATH, openapi_json, methods=methods, include_in_schema=False),
        Route("/docs", swagger, methods=methods, include_in_schema=False),
        Route("/redoc", redoc, methods=methods, include_in_schema=False),
        Mount(ASSETS_PATH, app=StaticFiles(directory=ASSETS_DIR), name="docs-assets"),
    ]

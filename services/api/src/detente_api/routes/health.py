from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from detente_api.deps import ViewDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process serves HTTP, whatever the state of Kafka."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={
        200: {"content": {"application/json": {"example": {"status": "ready"}}}},
        503: {
            "description": "Still reading the topics (lag is null while Kafka is unreachable)",
            "content": {"application/json": {"example": {"status": "starting", "lag": 1234}}},
        },
    },
)
async def readyz(view: ViewDep) -> JSONResponse:
    """Readiness: the view has read every partition up to where it ended at start-up."""
    if view.ready:
        return JSONResponse({"status": "ready"})
    return JSONResponse({"status": "starting", "lag": view.lag}, status_code=503)

"""`detente-api` / `python -m detente_api`: serve the API with uvicorn."""

from __future__ import annotations

import logging
import socket

import uvicorn

from detente_api.main import create_app
from detente_api.settings import Settings
from detente_api.stream import EventBus

# Responses still running this long after a shutdown began are cancelled.
GRACEFUL_SHUTDOWN_SECONDS = 10


class ApiServer(uvicorn.Server):
    """Ends the event streams as soon as shutdown begins: uvicorn waits for open responses
    to finish, and a server-sent event stream never finishes by itself. Clients reconnect
    (to another replica) with their `Last-Event-ID`."""

    def __init__(self, config: uvicorn.Config, bus: EventBus) -> None:
        super().__init__(config)
        self._bus = bus

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._bus.close()
        await super().shutdown(sockets)


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings()
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    ApiServer(config, app.state.view.bus).run()


if __name__ == "__main__":
    main()

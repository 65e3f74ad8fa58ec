"""`detente-api` / `python -m detente_api`: serve the API with uvicorn."""

from __future__ import annotations

import logging
import socket

import uvicorn

from detente.logs import collapse_repeats
from detente_api.main import create_app
from detente_api.server import listeners, server_config
from detente_api.settings import Settings
from detente_api.stream import EventBus

log = logging.getLogger("detente_api")


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
    # The Kafka client logs every failed connection attempt: once per episode, with a count.
    repeats = collapse_repeats("aiokafka", "detente_api.consumer")
    config = server_config(app, settings, on_drop=app.state.metrics.connection_dropped)
    # The public port, and the admin port if metrics or docs are placed there: one server,
    # one event loop; detente_api.guards.PortSplit tells the two apart.
    sockets = listeners(settings)
    log.info(
        "serving on %s:%d; metrics: %s, docs: %s%s",
        settings.host,
        settings.port,
        settings.metrics_on,
        settings.docs_on,
        f" (admin port {settings.admin_host}:{settings.admin_port})"
        if settings.uses_admin_port
        else "",
    )
    try:
        ApiServer(config, app.state.view.bus).run(sockets=sockets)
    finally:
        repeats.flush()


if __name__ == "__main__":
    main()

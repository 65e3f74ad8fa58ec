"""`detente-worker` / `python -m detente_worker`: run the Faust worker."""

from __future__ import annotations

import sys

from prometheus_client import start_http_server


def main() -> None:
    from detente_worker import agents  # noqa: F401  (registers the agents on the app)
    from detente_worker.app import app, settings
    from detente_worker.engine import get_engine

    get_engine()  # fail fast on a missing model or a bad registry, before joining the group
    start_http_server(settings.metrics_port, addr=settings.web_host)
    sys.argv = [sys.argv[0], "worker", "--loglevel", "info", *sys.argv[1:]]
    app.main()


if __name__ == "__main__":
    main()

"""`detente-worker` / `python -m detente_worker`: run the Faust worker."""

from __future__ import annotations

import sys

from detente import heap
from detente.logs import collapse_repeats
from detente.metrics_http import start_metrics_server


def main() -> None:
    from detente_worker import agents, fencing, metrics  # noqa: F401  (agents: registers them)
    from detente_worker.app import app, settings
    from detente_worker.engine import get_engine
    from detente_worker.tables import index_state, seen_articles
    from detente_worker.topics import articles_topic, contributions_topic

    # Fail fast on a missing model or a bad registry, before joining the group; this also
    # publishes the model version.
    metrics.instrumented(get_engine())
    from detente_worker.classify import IN_PROCESS

    if IN_PROCESS:  # its engine loaded (or failed) before the worker joins
        from detente_worker.scoring import CLASSIFYING_PROCESS

        CLASSIFYING_PROCESS.start()
    metrics.METRICS.install(
        app,
        sources=[articles_topic.get_topic_name(), contributions_topic.get_topic_name()],
        subjects_topic=contributions_topic.get_topic_name(),
        tables={table.name: table for table in (index_state, seen_articles)},
    )
    start_metrics_server(
        settings.metrics_port,
        settings.metrics_host,
        timeout=settings.metrics_timeout_seconds,
        max_connections=settings.metrics_max_connections,
    )
    # aiokafka logs every failed connection attempt (thousands in a short broker outage):
    # once per episode, with a count. Its loggers exist once the Kafka driver is imported.
    import faust.transport.drivers.aiokafka  # noqa: F401

    collapse_repeats("aiokafka", "faust.transport")
    if settings.restart_after_pause:
        fencing.PAUSE_WATCH.start()
    heap.settle()  # the model, the registry and Faust's modules are loaded by now
    sys.argv = [sys.argv[0], "worker", "--loglevel", "info", *sys.argv[1:]]
    app.main()


if __name__ == "__main__":
    main()

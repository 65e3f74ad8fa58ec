"""`detente-ingest`: poll the feeds of a TOML file and send their new stories to Kafka.

detente-ingest --feeds feeds.toml           # runs until SIGTERM or Ctrl-C
detente-ingest --feeds feeds.toml --once    # polls each feed once, then exits
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from datetime import timedelta
from pathlib import Path

from kafka import KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError
from prometheus_client import CollectorRegistry

from detente.events import Article
from detente.metrics_http import start_metrics_server
from detente.topics import TopicNames
from detente_producer.ingest.feeds import FeedConfigError, load_feeds
from detente_producer.ingest.fetch import Fetcher
from detente_producer.ingest.metrics import IngestMetrics
from detente_producer.ingest.service import Ingester, PollReport
from detente_producer.ingest.settings import IngestSettings
from detente_producer.ingest.state import KafkaState
from detente_producer.sending import DELIVERY_TIMEOUT_MS, article_producer

log = logging.getLogger("detente_producer.ingest")


class KafkaSink:
    """Article events into `articles`, keyed by id, each acknowledged before it counts."""

    def __init__(self, producer: KafkaProducer, topic: str) -> None:
        self.producer = producer
        self.topic = topic

    def send(self, article: Article) -> None:
        future = self.producer.send(
            self.topic, key=article.id.encode(), value=article.to_json_bytes()
        )
        future.get(timeout=DELIVERY_TIMEOUT_MS / 1000 + 30)


def describe(report: PollReport) -> str:
    if report.result == "error":
        return f"{report.feed}: error ({report.reason})"
    return (
        f"{report.feed}: {report.result}, sent {len(report.sent)}, duplicates "
        f"{report.duplicates}, other languages {report.skipped_language}, "
        f"to retry {report.pending}, given up {report.abandoned}"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="detente-ingest",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--feeds", type=Path, help="TOML file of feeds (default: DETENTE_FEEDS)")
    parser.add_argument("--once", action="store_true", help="poll each feed once, then exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = IngestSettings()
    try:
        feeds = load_feeds(args.feeds or settings.feeds, min_poll_seconds=settings.min_poll_seconds)
    except FeedConfigError as exc:
        print(f"detente-ingest: {exc}", file=sys.stderr)
        return 1
    names = TopicNames(settings.kafka.topic_prefix)
    try:
        producer = article_producer(settings.kafka, "detente-ingest")
        state = KafkaState.connect(
            settings.kafka, producer, names.ingest_state,
            timedelta(days=settings.state_retention_days),
        )  # fmt: skip
    except KafkaTimeoutError:
        print(f"detente-ingest: no Kafka broker at {settings.kafka.bootstrap_servers}",
              file=sys.stderr)  # fmt: skip
        return 2
    fetcher = Fetcher(settings.fetch)
    try:
        remembered = state.load()
        log.info("ingest state: %d handled items and the validators of %d feeds remembered "
                 "from %s", remembered, len(state.feed_validators), state.topic)  # fmt: skip
        registry = CollectorRegistry()
        metrics = IngestMetrics(registry, feeds)
        if settings.metrics_port:
            # Idle or slow scrapers are closed, never a thread each for ever (issue #16).
            start_metrics_server(settings.metrics_port, settings.metrics_host, registry)
        ingester = Ingester(
            feeds, fetcher, KafkaSink(producer, names.articles), state, metrics,
            languages=settings.languages, max_item_attempts=settings.max_item_attempts,
            workers=settings.poll_workers,
        )  # fmt: skip
        if args.once:
            for report in ingester.poll_all():
                print(describe(report), file=sys.stderr)
        else:
            stop = threading.Event()
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
            log.info("polling %d feed(s); metrics on port %d", len(feeds), settings.metrics_port)
            ingester.run(stop)
    except (KafkaError, RuntimeError, TimeoutError) as exc:
        print(f"detente-ingest: {exc}", file=sys.stderr)
        return 2
    finally:
        fetcher.close()
        producer.close(timeout=10)
        state.consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`detente-produce PATH…`: send article events from files into Kafka (key: article id)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from kafka.errors import KafkaError, KafkaTimeoutError
from tqdm import tqdm

from detente.event_time import EventTimeBounds
from detente.events import Article
from detente.topics import TopicNames
from detente_producer.reader import InvalidRecord, read_articles
from detente_producer.sending import DELIVERY_TIMEOUT_MS, article_producer
from detente_producer.settings import Settings


def _published_at(value: str) -> datetime:
    if value == "now":
        return datetime.now().astimezone()
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("needs a time zone, e.g. 2026-03-01T12:00:00Z")
    return moment


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="detente-produce", description=__doc__)
    parser.add_argument(
        "paths", nargs="+", type=Path, help=".jsonl files, .json/.txt files, folders"
    )
    parser.add_argument("--bootstrap", help="Kafka bootstrap servers (default from settings)")
    parser.add_argument("--topic", help="target topic (default: the articles topic)")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="articles per second (0: as fast as possible)"
    )
    parser.add_argument(
        "--published-at", type=_published_at, default=None,
        help="published_at of .txt files: RFC 3339 or 'now' (default: date in name, else mtime)",
    )  # fmt: skip
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def out_of_bounds(articles: Iterable[Article], bounds: EventTimeBounds, now: datetime) -> list[str]:
    """A warning per article whose date the worker will refuse (it still goes, so the
    worker's dead-letter topic keeps it with the reason)."""
    warnings = []
    for article in articles:
        refused = bounds.check(article.published_at, now)
        if refused is not None:
            warnings.append(f"article {article.id}: {refused.detail} ({refused.reason})")
    return warnings


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    kafka = settings.kafka
    if args.bootstrap:
        kafka = kafka.model_copy(update={"bootstrap_servers": args.bootstrap})
    topic = args.topic or TopicNames(kafka.topic_prefix).articles

    records = list(read_articles(args.paths, args.published_at))
    invalid = [r for r in records if isinstance(r, InvalidRecord)]
    articles = [r for r in records if isinstance(r, Article)]
    for record in invalid:
        print(f"invalid record {record.where}: {record.reason}", file=sys.stderr)
    if invalid:
        print(f"detente-produce: {len(invalid)} invalid record(s); nothing sent", file=sys.stderr)
        return 1

    for warning in out_of_bounds(articles, settings.event_time, datetime.now(UTC)):
        print(
            f"detente-produce: warning: {warning}; the worker will dead-letter it", file=sys.stderr
        )

    try:
        producer = article_producer(kafka, "detente-producer")
    except KafkaTimeoutError:
        print(f"detente-produce: no Kafka broker at {kafka.bootstrap_servers}", file=sys.stderr)
        return 2

    interval = 1.0 / args.rate if args.rate > 0 else 0.0
    started = time.monotonic()
    futures = []
    try:
        for n, article in enumerate(tqdm(articles, unit="article", disable=args.no_progress)):
            if interval:
                delay = started + n * interval - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            futures.append(
                producer.send(topic, key=article.id.encode(), value=article.to_json_bytes())
            )
        # Every record is delivered or has failed once its delivery timeout has passed.
        producer.flush(timeout=DELIVERY_TIMEOUT_MS / 1000 + 30)
        for future in futures:
            future.get(timeout=30)
    except KafkaError as exc:
        print(f"detente-produce: sending to {topic} failed: {exc}", file=sys.stderr)
        return 2
    finally:
        producer.close(timeout=10)
    print(
        f"sent {len(articles)} article(s) to {topic} on {kafka.bootstrap_servers}", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

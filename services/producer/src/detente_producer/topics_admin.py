"""`detente-topics`: create the pipeline's topics explicitly (the broker never auto-creates)."""

from __future__ import annotations

import argparse
import sys
import time

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, KafkaTimeoutError, TopicAlreadyExistsError

from detente.topics import TopicNames, TopicSpec, topic_specs
from detente_producer.settings import Settings


def ensure_topics(
    admin: KafkaAdminClient, specs: list[TopicSpec], visible_within: float = 30.0
) -> list[str]:
    """Create the missing topics; returns the names created. Existing ones are left alone.

    Returns only once the broker's metadata shows every created topic with all its
    partitions: the controller answers as soon as it has recorded a topic, and a worker
    that asks the broker a moment later is told the topic does not exist yet (seen here
    under load, a second after creation), then sits without partitions until its next
    metadata refresh.
    """
    existing = set(admin.list_topics())
    missing = [s for s in specs if s.name not in existing]
    created = []
    for spec in missing:
        try:
            admin.create_topics(
                [NewTopic(spec.name, spec.partitions, 1, topic_configs=spec.config)]
            )
            created.append(spec.name)
        except TopicAlreadyExistsError:
            pass
    wait_until_visible(admin, {s.name: s.partitions for s in missing}, visible_within)
    return created


def wait_until_visible(
    admin: KafkaAdminClient, partitions: dict[str, int], timeout: float, poll: float = 0.1
) -> None:
    """Wait until the broker's metadata lists each topic with its partition count."""
    deadline = time.monotonic() + timeout
    pending = dict(partitions)
    while pending:
        shown = {topic.get("name"): topic for topic in admin.describe_topics(list(pending))}
        pending = {
            name: count
            for name, count in pending.items()
            if name not in shown
            or shown[name].get("error_code") != 0
            or len(shown[name].get("partitions") or ()) < count
        }
        if not pending:
            return
        if time.monotonic() >= deadline:
            raise KafkaTimeoutError(
                f"topics created but not in the broker's metadata after {timeout:.0f}s: "
                + ", ".join(sorted(pending))
            )
        time.sleep(poll)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="detente-topics", description=__doc__)
    parser.add_argument("--bootstrap", help="Kafka bootstrap servers (host:port,...)")
    parser.add_argument("--prefix", help="topic name prefix")
    parser.add_argument("--partitions", type=int, help="partitions of keyed topics")
    args = parser.parse_args(argv)
    settings = Settings()
    kafka = settings.kafka
    if args.bootstrap:
        kafka = kafka.model_copy(update={"bootstrap_servers": args.bootstrap})
    prefix = args.prefix if args.prefix is not None else kafka.topic_prefix
    specs = topic_specs(TopicNames(prefix), args.partitions or settings.partitions)
    try:
        admin = KafkaAdminClient(
            **kafka.client_options(), client_id="detente-topics", bootstrap_timeout_ms=10_000
        )
    except KafkaTimeoutError:
        print(f"detente-topics: no Kafka broker at {kafka.bootstrap_servers}", file=sys.stderr)
        return 2
    try:
        created = ensure_topics(admin, specs)
    except KafkaError as exc:
        print(f"detente-topics: {exc}", file=sys.stderr)
        return 2
    finally:
        admin.close()
    for spec in specs:
        state = "created" if spec.name in created else "exists"
        print(f"{state:8} {spec.name} partitions={spec.partitions} {spec.config}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

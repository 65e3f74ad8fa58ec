"""What every fault test shares: one corpus, one way to read the outcome, one comparison.

Each fault run feeds the same corpus into fresh topics and must end with exactly the
indices and per-article stances of the undisturbed run (`conftest.undisturbed`).
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.partitioner.default import murmur2

from detente.events import ContributionBundle, IndexUpdate, StanceEvent
from detente.topics import TopicNames

from harness import (
    BIN,
    PARTITIONS,
    ROOT,
    Services,
    group_progress,
    http_get,
    read_all,
    settled,
    wait_for,
)

ARTICLES = int(os.environ.get("DETENTE_CHAOS_ARTICLES", "2000"))
# Generous bounds that grow with the corpus: a slow machine must not fail a correct run.
WAIT_SECONDS = 300 + ARTICLES * 0.05
# Reading every stance and index update of a run back takes longer the bigger the corpus.
READ_MS = 10_000 + ARTICLES * 10
TEST_TIMEOUT = max(600, int(300 + ARTICLES * 0.15))
NOW = datetime.now(UTC).replace(microsecond=0)


def corpus() -> list[tuple[bytes, bytes]]:
    """The sample, re-identified and spread over the last days so every article counts."""
    sample = [
        json.loads(line) for line in (ROOT / "data/sample/articles.jsonl").read_text().splitlines()
    ]
    spacing = timedelta(days=3) / ARTICLES
    records = []
    for n in range(ARTICLES):
        event = dict(sample[n % len(sample)])
        event["id"] = f"chaos-{n}"
        event["published_at"] = (NOW - (ARTICLES - n) * spacing).isoformat()
        records.append((event["id"].encode(), json.dumps(event).encode()))
    return records


def write_corpus(path: Path) -> Path:
    path.write_bytes(b"".join(value + b"\n" for _, value in corpus()))
    return path


def replay(services: Services, path: Path, rate: float) -> subprocess.Popen[bytes]:
    """The corpus, written to `path`, sent in the background by the real `detente-produce`
    at a steady `rate` (articles per second); its output is piped."""
    return subprocess.Popen(
        [str(BIN / "detente-produce"), str(write_corpus(path)),
         "--bootstrap", services.bootstrap, "--rate", str(rate), "--no-progress"],
        env={**os.environ, "DETENTE_KAFKA__TOPIC_PREFIX": services.names.prefix},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT,
    )  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    indices: dict[str, Any]  # subject → its latest index update, minus wall-clock fields
    stances: frozenset[tuple[str, ...]]  # (article, actor, stance, p_hardline)

    def differing(self, other: Outcome) -> list[str]:
        """The subjects whose final index is not the same in `other`."""
        return sorted(s for s in self.indices if self.indices[s] != other.indices.get(s))

    def compare(self, other: Outcome, fault: str) -> None:
        """Print what was compared, then assert equality."""
        differing = self.differing(other)
        only_one = self.stances ^ other.stances
        print(
            f"{fault}: compared {len(self.indices)} subjects' final indices "
            f"({self.indices.get('global', {}).get('total_articles')} articles in the global "
            f"index) and {len(self.stances)} per-article stances with the undisturbed run; "
            f"differing subjects: {len(differing)}; stances in only one run: {len(only_one)}"
        )
        for subject in differing[:10]:
            theirs = other.indices.get(subject)
            print("  ", subject, describe_difference(self.indices[subject], theirs))
        assert self.indices.keys() == other.indices.keys()
        assert differing == [], differing
        assert only_one == frozenset(), sorted(only_one)[:5]


def describe_difference(expected: dict[str, Any], got: dict[str, Any] | None) -> str:
    """Articles counted in each run, and the hourly buckets that differ."""
    if got is None:
        return "missing"
    mine = {b[0]: b for b in expected["hourly"]}
    theirs = {b[0]: b for b in got["hourly"]}
    hours = sorted(h for h in mine.keys() | theirs.keys() if mine.get(h) != theirs.get(h))
    return (
        f"articles {expected['total_articles']} (undisturbed) vs {got['total_articles']}; "
        f"buckets [hour, hardline, weight, statements, articles] that differ: "
        f"{[(mine.get(h), theirs.get(h)) for h in hours[:5]]}"
    )


def outcome(bootstrap: str, names: TopicNames) -> Outcome:
    indices: dict[str, Any] = {}
    for key, value in read_all(bootstrap, names.indices, timeout_ms=READ_MS):
        update = IndexUpdate.model_validate_json(value)
        indices[(key or b"").decode()] = update.model_dump(
            mode="json", exclude={"updated_at", "last_article_id"}
        )
    stances = set()
    for _, value in read_all(bootstrap, names.stances, timeout_ms=READ_MS):
        event = StanceEvent.model_validate_json(value)
        s = event.stance
        stances.add((event.article_id, s.actor, s.stance, f"{s.p_hardline:.4f}"))
    return Outcome(indices, frozenset(stances))


def counted(bootstrap: str, names: TopicNames) -> int:
    """Articles in the global index so far.

    Reads only the tail of the partition that holds the global subject: polled every half
    second over 20,000 articles, reading the whole topic would compete with the worker."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partition = TopicPartition(names.indices, global_partition())
        consumer.assign([partition])
        end = consumer.end_offsets([partition])[partition]
        for tail in (2_000, None):
            start = 0 if tail is None else max(0, end - tail)
            consumer.seek(partition, start)
            total = 0
            while consumer.position(partition) < end:
                for batch in consumer.poll(timeout_ms=1000).values():
                    for record in batch:
                        if record.key == b"global":
                            total = max(
                                total, IndexUpdate.model_validate_json(record.value).total_articles
                            )
            if total or start == 0:
                return total
        return 0
    finally:
        consumer.close()


def global_partition() -> int:
    """Where the producers' partitioner (murmur2 of the key) puts the global subject."""
    return (murmur2(b"global") & 0x7FFFFFFF) % PARTITIONS


def wait_ready(services: Services, *names: str) -> None:
    for name in names:
        log = services.log_dir / f"{name}.log"
        wait_for(lambda log=log: "Ready" in log.read_text(errors="replace"), 120, f"{name} ready")


def consumed(services: Services) -> bool:
    """The workers' group has committed both of its inputs to their ends: every article and
    every contribution bundle is handled, its outputs delivered (they precede the commit)."""
    return all(
        committed == end
        for topic in (services.names.articles, services.names.contributions)
        for committed, end in group_progress(services.bootstrap, services.app_id, topic).values()
    )


def finish(services: Services) -> Outcome:
    """Wait until every article is counted and both inputs are consumed, then for the outputs
    to stop changing. The global count alone is not enough: its partition can finish while
    others still wait out a rebalance, and two equal reads a second apart then look settled."""
    bootstrap, names = services.bootstrap, services.names
    try:
        wait_for(lambda: counted(bootstrap, names) >= ARTICLES, WAIT_SECONDS, f"{ARTICLES} counted")
        wait_for(lambda: consumed(services), WAIT_SECONDS, "both inputs consumed")
    except AssertionError:
        print(services.logs())
        raise
    return settled(lambda: outcome(bootstrap, names), WAIT_SECONDS, "indices and stances")  # type: ignore[no-any-return]


def api_view(api: str) -> dict[str, Any]:
    """Everything the API says about indices and alerts (no field carries wall-clock time)."""
    view = {}
    for path in (
        "/v1/actors?limit=1000", "/v1/dyads?limit=1000", "/v1/global", "/v1/alerts?limit=1000",
        "/v1/movers", "/v1/actors/russia/history?window=24h",
    ):  # fmt: skip
        status, body = http_get(f"{api}{path}")
        assert status == 200, (path, status, body)
        view[path] = body
    return view


def explain_differences(services: Services, expected: dict[str, int]) -> None:
    """Where a differing subject lost (or gained) counts: its contributions as sent, and its
    state as written to the `index-state` changelog, where the article count of a subject
    must only grow (a drop means a stale state overwrote a newer one). `expected`: each
    subject's article count in the undisturbed run."""
    subjects = list(expected)
    bootstrap, names = services.bootstrap, services.names
    sent: dict[str, list[tuple[str, int | None, int | None]]] = {s: [] for s in subjects}
    for _, value in read_all(bootstrap, names.contributions, timeout_ms=READ_MS):
        for c in ContributionBundle.model_validate_json(value).contributions:
            if c.subject in sent:
                sent[c.subject].append((c.article_id, c.source_partition, c.source_offset))
    changelog = f"{services.app_id}-index-state-changelog"
    written: dict[str, list[dict[str, Any]]] = {s: [] for s in subjects}
    drops = 0
    last: dict[bytes, int] = {}
    for key, value in read_all(bootstrap, changelog, timeout_ms=READ_MS):
        state = json.loads(value)
        subject = (key or b"").decode()
        if state["articles"] < last.get(key or b"", 0):
            drops += 1
            print(f"   changelog: {subject} went back from {last[key or b'']} to "
                  f"{state['articles']} articles")  # fmt: skip
        last[key or b""] = state["articles"]
        if subject in written:
            written[subject].append(state)
    print(f"   changelog {changelog}: {len(last)} subjects, {drops} drops in article counts")
    for topic in (names.articles, names.contributions):
        # (committed, end) per partition: a gap means records not yet handled, not lost.
        print(f"   {topic}: {group_progress(bootstrap, services.app_id, topic)}")
    for subject in subjects:
        ids = [article for article, _, _ in sent[subject]]
        states = written[subject]
        print(f"   {subject}: {expected[subject]} articles expected; {len(ids)} contributions "
              f"sent ({len(set(ids))} articles); "
              f"{len(states)} states written, article counts "
              f"{[s['articles'] for s in states][-8:]}; last sources "
              f"{states[-1]['sources'] if states else None}")  # fmt: skip

"""Issue #16's hostile sizes through a real broker, worker and API: twenty articles, each one
sentence of ~199 KB naming 40 registered actors (3.7 MB in all), between normal ones.

Before the bounds (docs/events.md, "Bounds") they held the worker's event loop for about
178 s, wrote 800 stance records of ~190 KB, grew the API from 78 MB to 237 MB and made
`GET /v1/articles/{id}` answer 7.4 MB. Here normal articles must reach the API within a
generous bound, the huge ones go through small (or to the DLQ with a reason), and the API's
memory stays within a bound. The figures printed go to docs/performance.md.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from detente import bounds
from detente.events import DeadLetter
from detente.registry import ActorRegistry
from detente.topics import TopicNames

from harness import ROOT, Services, counter_totals, produce, read_all, wait_for

SAMPLE = ROOT / "data" / "sample" / "articles.jsonl"
HUGE_ARTICLES = 20
HUGE_CHARS = 199_000
ACTORS_NAMED = 40
# Generous bounds for a shared two-core machine; the figures measured are far below them.
NORMAL_LATENCY_SECONDS = 10.0  # produce -> GET /v1/articles/{id} answers, normal articles
STANCE_RECORD_BYTES = 16_000  # one record of `stances`
ARTICLE_ANSWER_BYTES = 300_000  # GET /v1/articles/{id}
API_RSS_GROWTH_MB = 60.0  # the API's resident memory, after all of it against before
LOOP_DRIFT_SECONDS = 10.0  # the worst lateness of a worker timer ("woke up too late")


def huge_text(registry: ActorRegistry, seed: int) -> str:
    """One sentence of HUGE_CHARS characters naming ACTORS_NAMED registered states, over and
    over, with no full stop until the end."""
    names = [actor.name for actor in registry if actor.kind == "state"][:ACTORS_NAMED]
    assert len(names) == ACTORS_NAMED
    clauses = []
    size = 0
    k = seed
    while size < HUGE_CHARS:
        clause = (
            f"{names[k % ACTORS_NAMED]} warned that {names[(k + 7) % ACTORS_NAMED]} would face "
            "grave consequences and officials in the region said talks would continue, "
        )
        clauses.append(clause)
        size += len(clause)
        k += 1
    return "".join(clauses)[: HUGE_CHARS - 1].rstrip(", ") + "."


def article(article_id: str, title: str, text: str, at: datetime) -> dict[str, Any]:
    return {
        "schema_version": 1, "id": article_id, "published_at": at.isoformat(),
        "source": "hostile sizes test", "url": "", "title": title, "text": text, "language": "en",
    }  # fmt: skip


def get_raw(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    assert match is not None
    return int(match.group(1)) / 1024


def worst_timer_drift(log: str) -> float:
    """The largest "Timer ... woke up too late, with a drift of +X" in a worker's log."""
    drifts = re.findall(r"woke up too late, with a drift of \+([0-9.]+)", log)
    return max((float(d) for d in drifts), default=0.0)


def test_huge_articles_between_normal_ones_stay_bounded(
    bootstrap: str, topics: TopicNames, services: Services
) -> None:
    services.worker()
    api = services.api()
    api_pid = next(p.pid for p, log in services.processes if log.name == "api.log")
    now = datetime.now(UTC) - timedelta(minutes=5)
    samples = [json.loads(line) for line in SAMPLE.read_text().splitlines()]

    def send_normal(rows: list[dict[str, Any]]) -> dict[str, float]:
        sent = {}
        for row in rows:
            produce(bootstrap, topics.articles, [(row["id"].encode(), json.dumps(row).encode())])
            sent[row["id"]] = time.monotonic()
        return sent

    def arrival(ids: dict[str, float], timeout: float, expected: int = 0) -> dict[str, float]:
        """Seconds from each article's produce to the API's first answer for it. `ids` may
        still be filling (`expected` of them in the end) while another thread sends: the API
        is asked all along, so the time that sending takes is not counted as delay."""
        expected = expected or len(ids)
        seen: dict[str, float] = {}
        deadline = time.monotonic() + timeout
        while len(seen) < expected:
            if time.monotonic() > deadline:
                raise AssertionError(f"{expected - len(seen)} articles not in the API")
            for article_id in [i for i in list(ids) if i not in seen]:
                if get_raw(f"{api}/v1/articles/{article_id}")[0] == 200:
                    seen[article_id] = time.monotonic()
            time.sleep(0.05)
        return {article_id: seen[article_id] - ids[article_id] for article_id in ids}

    try:
        # Warm up (the worker loads its model, joins its group), then the baseline.
        warm = [article(f"warm-{i}", s["title"], s["text"], now) for i, s in enumerate(samples[:4])]
        arrival(send_normal(warm), 180)
        alone = arrival(
            send_normal([article(f"alone-{i}", s["title"], s["text"], now)
                         for i, s in enumerate(samples[4:10])]), 60,
        )  # fmt: skip
        rss_before = rss_mb(api_pid)

        registry = ActorRegistry.load()
        huge = [article(f"huge-{i}", "", huge_text(registry, i), now) for i in range(HUGE_ARTICLES)]
        assert sum(len(h["text"]) for h in huge) > 3_900_000 and len(huge[0]["text"]) < HUGE_CHARS
        normal = [
            article(f"normal-{i}", s["title"], s["text"], now) for i, s in enumerate(samples[10:])
        ]
        assert len(normal) >= len(huge)
        sent: dict[str, float] = {}
        with ThreadPoolExecutor(1) as watcher:
            arrived = watcher.submit(arrival, sent, 300, len(huge))
            for i, row in enumerate(huge):  # one normal article after each huge one
                produce(
                    bootstrap, topics.articles, [(row["id"].encode(), json.dumps(row).encode())]
                )
                sent.update(send_normal(normal[i : i + 1]))
            latencies = arrived.result()

        def huge_handled() -> list[str] | None:
            dead = {
                DeadLetter.model_validate_json(v).raw(): DeadLetter.model_validate_json(v).reason
                for _, v in read_all(bootstrap, topics.articles_dlq)
            }
            handled = []
            for row in huge:
                status, _ = get_raw(f"{api}/v1/articles/{row['id']}")
                reason = dead.get(json.dumps(row).encode())
                if status == 200 or reason:
                    handled.append(reason or "api")
            return handled if len(handled) == len(huge) else None

        outcomes = wait_for(huge_handled, 300, "the huge articles in the API or the DLQ")
        time.sleep(3)  # the API has read what the worker wrote
        rss_after = rss_mb(api_pid)
    except AssertionError:
        print(services.logs())
        raise

    stance_sizes = [len(value) for _, value in read_all(bootstrap, topics.stances)]
    answers = [len(get_raw(f"{api}/v1/articles/{row['id']}")[1]) for row in huge]
    metrics = f"http://127.0.0.1:{services.metrics_ports['worker']}/metrics"
    counts = counter_totals(metrics, "detente_worker_bounded", "reason")
    drift = worst_timer_drift(services.logs(tail=10_000_000))
    between = [latencies[row["id"]] for row in normal]
    print(f"normal articles alone: produce -> API {min(alone.values()):.1f}-"
          f"{max(alone.values()):.1f} s")  # fmt: skip
    print(f"normal articles between the huge ones: produce -> API {min(between):.1f}-"
          f"{max(between):.1f} s; huge articles: {sorted(set(outcomes))}")  # fmt: skip
    print(f"stance records: {len(stance_sizes)}, largest {max(stance_sizes)} bytes")
    print(f"GET /v1/articles/{{huge id}}: largest {max(answers)} bytes")
    print(f"API RSS: {rss_before:.0f} MB before the huge articles, {rss_after:.0f} MB after")
    print(f"worker: worst timer drift {drift:.2f} s; detente_worker_bounded_total {counts}")

    assert all(outcome == "api" for outcome in outcomes)
    assert max(between) < NORMAL_LATENCY_SECONDS
    assert max(stance_sizes) < STANCE_RECORD_BYTES
    assert max(answers) < ARTICLE_ANSWER_BYTES
    assert rss_after - rss_before < API_RSS_GROWTH_MB
    assert drift < LOOP_DRIFT_SECONDS
    assert counts[bounds.SENTENCE_LENGTH] >= HUGE_ARTICLES

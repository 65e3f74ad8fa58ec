"""A worker asked to stop while its group rebalances exits within its stop bound
(DETENTE_STOP_TIMEOUT_SECONDS, detente_worker/shutdown.py), and the stream still counts
every article once and gives every article's stances.

The situation that hung a worker for 50 minutes in the bench: two workers SIGTERMed
together, one leaves the group first, and the other, rebalanced while stopping, waited
forever on a commit (docs/guarantees.md, "Stopping in bounded time"). Here a third worker
joins, the first two are stopped while that rebalance is under way, and the third
finishes the stream. The first worker's bound is short enough that its stop is always cut
(what a hang would come to), so the third must also read again what it left uncommitted.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from detente.events import ArticleStances, IndexUpdate, StanceEvent
from detente.indices import contributions
from detente.registry import ActorRegistry
from detente.topics import TopicNames

from harness import BIN, ROOT, Services, produce, read_all, settled, wait_for

pytestmark = pytest.mark.integration

SAMPLE = ROOT / "data" / "sample" / "articles.jsonl"
COPIES = 10  # of the 30 sample articles, under new ids: work in hand while the group moves
STOP_TIMEOUT = 8.0
# Shorter than any clean stop here: the bound always runs out for the first worker.
CUT_SHORT = 0.5
# Time for the process to end once the bound runs out (logging, the interpreter's exit).
EXIT_MARGIN = 20.0


def corpus(path: Path) -> list[str]:
    sample = [json.loads(line) for line in SAMPLE.read_text().splitlines() if line.strip()]
    now = datetime.now(UTC)
    lines = []
    for n in range(COPIES * len(sample)):
        article = dict(sample[n % len(sample)])
        article["id"] = f"stop-{n}"
        article["published_at"] = (now - timedelta(minutes=len(lines))).isoformat()
        lines.append(json.dumps(article))
    path.write_text("".join(line + "\n" for line in lines))
    return lines


def revocations(log: Path) -> int:
    return log.read_text(errors="replace").count("Revoking previously assigned partitions")


def test_a_worker_stopped_during_a_rebalance_exits_in_bounded_time_and_nothing_is_lost(
    bootstrap: str, topics: TopicNames, services: Services, tmp_path: Path
) -> None:
    file = tmp_path / "articles.jsonl"
    lines = corpus(file)
    offline = subprocess.run(
        [str(BIN / "detente"), "classify", str(file)],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    published = {a["id"]: a["published_at"] for a in map(json.loads, lines)}
    classified = [
        ArticleStances.model_validate({**a, "published_at": published[a["id"]]})
        for a in map(json.loads, offline.stdout.splitlines())
    ]
    expected_stances = {a.id: {s.actor: s.stance for s in a.actors} for a in classified}
    registry = ActorRegistry.load()
    # What each subject's index must count once every article is in exactly once.
    expected_totals: Counter[str] = Counter()
    expected_statements: Counter[str] = Counter()
    for article in classified:
        for c in contributions(article, registry):
            expected_totals[c.subject] += 1
            expected_statements[c.subject] += c.statements

    bounded = {"DETENTE_STOP_TIMEOUT_SECONDS": str(STOP_TIMEOUT)}
    first = services.worker("worker-a", DETENTE_STOP_TIMEOUT_SECONDS=str(CUT_SHORT))
    second = services.worker("worker-b", **bounded)
    logs = {name: services.log_dir / f"{name}.log" for name in ("worker-a", "worker-b")}

    def global_index() -> IndexUpdate | None:
        latest = None
        for key, value in read_all(bootstrap, topics.indices):
            if key == b"global":
                latest = IndexUpdate.model_validate_json(value)
        return latest

    try:
        wait_for(
            lambda: all("Ready" in log.read_text(errors="replace") for log in logs.values()),
            180, "two workers to join",
        )  # fmt: skip
        records = [(json.loads(line)["id"].encode(), line.encode()) for line in lines]
        produce(bootstrap, topics.articles, records)
        wait_for(global_index, 120, "the first articles counted")
        before = {name: revocations(log) for name, log in logs.items()}
        third = services.worker("worker-c")
        # The newcomer's join makes both members revoke their partitions: stop them then.
        wait_for(
            lambda: all(revocations(log) > before[name] for name, log in logs.items()),
            180, "the rebalance the third worker starts",
        )  # fmt: skip
        stopped_at = time.monotonic()
        second.terminate()
        first.terminate()
        for worker in (first, second):
            left = STOP_TIMEOUT + EXIT_MARGIN - (time.monotonic() - stopped_at)
            try:
                worker.wait(timeout=max(left, 0.1))
            except subprocess.TimeoutExpired as exc:
                bound = STOP_TIMEOUT + EXIT_MARGIN
                raise AssertionError(f"a worker still ran {bound:.0f} s after SIGTERM") from exc
        # The first was cut short by its bound (75), before it could commit all it had
        # handled; the second stopped cleanly (0) or was cut too. Neither killed by us.
        assert first.returncode == 75
        assert second.returncode in (0, 75)
        print(f"exit statuses {first.returncode}, {second.returncode} after "
              f"{time.monotonic() - stopped_at:.1f} s")  # fmt: skip

        assert third.poll() is None
        wait_for(
            lambda: (index := global_index()) and index.total_articles >= len(lines),
            300, "the third worker to count every article",
        )  # fmt: skip

        def totals() -> dict[str, tuple[int, int]]:
            latest: dict[str, tuple[int, int]] = {}
            for key, value in read_all(bootstrap, topics.indices):
                update = IndexUpdate.model_validate_json(value)
                latest[(key or b"").decode()] = (update.total_articles, update.total_statements)
            return latest

        counted = settled(totals, 60, "indices")
    except AssertionError:
        print(services.logs(tail=12000))
        raise
    # Every article counted once in every subject it touches: none lost, none twice.
    assert counted == {
        subject: (expected_totals[subject], expected_statements[subject])
        for subject in expected_totals
    }
    # Every article's stances are on `stances` (a replay may send some again: they are
    # keyed views, and the same stance each time).
    seen: dict[str, dict[str, set[str]]] = {}
    for _, value in read_all(bootstrap, topics.stances):
        event = StanceEvent.model_validate_json(value)
        seen.setdefault(event.article_id, {}).setdefault(event.stance.actor, set()).add(
            event.stance.stance
        )
    assert {
        article: {actor: stances.pop() for actor, stances in by_actor.items() if len(stances) == 1}
        for article, by_actor in seen.items()
    } == {article: stances for article, stances in expected_stances.items() if stances}

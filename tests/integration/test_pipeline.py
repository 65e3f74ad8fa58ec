"""The whole pipeline on a real broker: producer CLI → Faust worker → API, plus the DLQ."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from detente.events import DeadLetter, IndexUpdate
from detente.topics import MAX_ARTICLE_RECORD_BYTES, TopicNames

from harness import (
    BIN,
    ROOT,
    Services,
    complete_article,
    counter_totals,
    http_get,
    produce,
    read_all,
    wait_for,
)  # fmt: skip

pytestmark = pytest.mark.integration

SAMPLE = ROOT / "data" / "sample" / "articles.jsonl"
SEED_DIR = ROOT.parent / "shared" / "seed"


def run_producer(bootstrap: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "detente-produce"), "--no-progress", "--bootstrap", bootstrap, *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_articles_flow_to_stances_indices_and_the_api(
    bootstrap: str, topics: TopicNames, services: Services, tmp_path: Path
) -> None:
    services.worker()
    api = services.api()
    sample = [json.loads(line) for line in SAMPLE.read_text().splitlines() if line.strip()]
    done = run_producer(bootstrap, "--topic", topics.articles, str(SAMPLE))
    assert done.returncode == 0, done.stderr

    try:
        # Every sample article names actors, so each must get an article view.
        def all_articles_shown() -> bool:
            return all(http_get(f"{api}/v1/articles/{a['id']}")[0] == 200 for a in sample)

        wait_for(all_articles_shown, 180, "every sample article in the API")
    except AssertionError:
        print(services.logs())
        raise

    status, article = http_get(f"{api}/v1/articles/{sample[0]['id']}")
    assert status == 200
    assert article["id"] == sample[0]["id"]
    for actor in article["actors"]:
        assert actor["stance"] in ("hardline", "conciliatory")
        assert 0.0 <= actor["p_hardline"] <= 1.0
        assert actor["evidence"], actor
        assert all(
            sentence in sample[0]["title"] + "\n\n" + sample[0]["text"]
            for sentence in actor["evidence"]
        )

    # Indices come from the second stage, a moment after the stances.
    def indexed_actors() -> dict[str, dict[str, object]] | None:
        status, actors = http_get(f"{api}/v1/actors?limit=1000")
        by_id = {a["actor"]: a for a in actors["items"]} if status == 200 else {}
        return by_id if {"russia", "vladimir-putin"} <= by_id.keys() else None

    by_id = wait_for(indexed_actors, 60, "Russia and Putin indices in the API")
    assert by_id["russia"]["statements"] > 0
    assert by_id["vladimir-putin"]["affiliation"] == "russia"

    # The compacted indices topic holds one subject per key, including dyads and the global index.
    updates = [IndexUpdate.model_validate_json(v) for _, v in read_all(bootstrap, topics.indices)]
    kinds = {u.subject_kind for u in updates}
    assert kinds == {"actor", "dyad", "directed", "global"}
    assert all(u.windows["7d"].statements >= 1 for u in updates)

    # Each directed pair is one side's stances toward the other, and the API shows both
    # directions of a pair beside it.
    # The topic holds every update until compaction: a subject's latest is its last record.
    latest = {u.subject: u for u in updates}
    directed = next(u for u in latest.values() if u.subject_kind == "directed")
    source, target = directed.actors
    assert directed.subject == f"dyad:{source}>{target}"

    def shown_directions() -> dict[tuple[str, str], dict[str, object]] | None:
        # The worker may still be publishing: compare the API with the topic as it is now.
        records = read_all(bootstrap, topics.indices)
        now = [IndexUpdate.model_validate_json(v) for _, v in records]
        published = [u for u in now if u.subject == directed.subject][-1]
        status, pair = http_get(f"{api}/v1/dyads/{target}/{source}")
        shown = {(d["source"], d["target"]): d for d in pair["directions"]} if status == 200 else {}
        forward = shown.get((source, target), {})
        return shown if forward.get("statements") == published.total_statements else None

    shown = wait_for(shown_directions, 60, f"both directions of {source}|{target} in the API")
    assert set(shown) == {(source, target), (target, source)}

    status, missing = http_get(f"{api}/v1/articles/no-such-article")
    assert status == 404 and "detail" in missing


def test_the_seed_article_shows_putin_hardline_and_macron_conciliatory(
    bootstrap: str, topics: TopicNames, services: Services
) -> None:
    if not SEED_DIR.is_dir():
        pytest.skip("../shared/seed is not beside the checkout")
    services.worker()
    api = services.api()
    done = run_producer(
        bootstrap, "--topic", topics.articles, "--published-at", "now", str(SEED_DIR)
    )
    assert done.returncode == 0, done.stderr
    seed_file = sorted(SEED_DIR.glob("*.txt"))[0]
    import hashlib

    seed_id = "txt-" + hashlib.sha256(seed_file.read_bytes()).hexdigest()[:16]
    try:
        article = wait_for(lambda: complete_article(api, seed_id), 120, "seed article, complete")
    except AssertionError:
        print(services.logs())
        raise
    stances = {a["actor"]: a["stance"] for a in article["actors"]}
    print("seed article stances:", stances)
    assert "hardline" in {stances.get("vladimir-putin"), stances.get("russia")}
    assert "conciliatory" in {stances.get("emmanuel-macron"), stances.get("france")}

    def indices_ready() -> dict[str, float] | None:
        _, payload = http_get(f"{api}/v1/actors?limit=1000")
        items = payload["items"] if isinstance(payload, dict) else payload or []
        found = {a["actor"]: a["index"] for a in items if a["index"] is not None}
        return found if {"russia", "france"} <= found.keys() else None

    index = wait_for(indices_ready, 60, "Russia and France indices")
    print("indices:", index)
    assert index["russia"] > index["france"]


def test_malformed_records_go_to_the_dead_letter_topic_with_a_reason(
    bootstrap: str, topics: TopicNames, services: Services
) -> None:
    services.worker()
    good = json.loads(SAMPLE.read_text().splitlines()[0])
    poison = {
        "invalid_json": b"{this is not json",
        "unsupported_schema_version": json.dumps({**good, "schema_version": 99}).encode(),
        "invalid_schema": json.dumps({**good, "published_at": "someday"}).encode(),
        "unsupported_language": json.dumps({**good, "id": "x-fr", "language": "fr"}).encode(),
        "empty_text": json.dumps({**good, "id": "x-empty", "text": " \n "}).encode(),
        "text_too_large": json.dumps({**good, "id": "x-10mb", "text": "war " * 2_500_000}).encode(),
        "binary": bytes(range(256)) * 4,
    }
    assert len(poison["text_too_large"]) > 10_000_000
    # Each keyed as detente-produce would (by its id where it has one), except the one
    # whose key is another's.
    poison["key_not_id"] = json.dumps({**good, "id": "x-key"}).encode()

    def key_of(name: str, raw: bytes) -> bytes:
        if name in ("key_not_id", "invalid_json", "binary", "text_too_large"):
            return b"poison"
        return str(json.loads(raw)["id"]).encode()

    produce(
        bootstrap, topics.articles, [(key_of(n, raw), raw) for n, raw in poison.items()],
        max_request_size=MAX_ARTICLE_RECORD_BYTES,
    )  # fmt: skip
    produce(bootstrap, topics.articles, [(good["id"].encode(), json.dumps(good).encode())])
    try:

        def all_dead_letters() -> list[tuple[bytes | None, bytes]] | None:
            records = read_all(bootstrap, topics.articles_dlq)
            return records if len(records) >= len(poison) else None

        letters = wait_for(all_dead_letters, 120, "dead letters")
        # The partition keeps flowing after the poison: the good article is classified.
        wait_for(lambda: read_all(bootstrap, topics.stances), 60, "stances after poison")
    except AssertionError:
        print(services.logs())
        raise
    parsed = [DeadLetter.model_validate_json(v) for _, v in letters]
    by_raw = {letter.raw(): letter.reason for letter in parsed}
    expected = {name: "invalid_json" if name == "binary" else name for name in poison}
    for name, raw in poison.items():
        print(f"{name:28} {len(raw):>10} bytes -> {by_raw.get(raw)}")
        assert by_raw.get(raw) == expected[name]
    assert all(
        letter.source_topic == topics.articles and letter.offset is not None for letter in parsed
    )
    # Every reason is counted where an operator alerts on it.
    metrics = f"http://127.0.0.1:{services.metrics_ports['worker']}/metrics"
    counts = dead_letter_counts(metrics)
    print("detente_worker_dead_letters_total:", counts)
    for reason in set(expected.values()):
        assert counts.get(reason, 0) >= list(expected.values()).count(reason)


def dead_letter_counts(metrics_url: str) -> dict[str, float]:
    return counter_totals(metrics_url, "detente_worker_dead_letters", "reason")


def test_producer_reports_unreachable_broker_and_invalid_records(tmp_path: Path) -> None:
    unreachable = run_producer("127.0.0.1:1", str(SAMPLE))
    assert unreachable.returncode == 2
    assert "no Kafka broker at 127.0.0.1:1" in unreachable.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "only-an-id"}\n')
    invalid = run_producer("127.0.0.1:1", str(bad))
    assert invalid.returncode == 1
    assert f"invalid record {bad}:1" in invalid.stderr

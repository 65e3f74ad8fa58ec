"""On the real broker: the worker's records are stored zstd-compressed (its default), and the
readers (kafka-python here, aiokafka in the API's tests) read them back."""

from __future__ import annotations

import json
import struct
import subprocess
import uuid
from pathlib import Path

from detente.topics import TopicNames

from harness import ROOT, TEST_RUN_DIR, Services, create_topics, produce, read_all, wait_for

SAMPLE = ROOT / "data" / "sample" / "articles.jsonl"
ZSTD = 4  # the record batch's codec, in the low three bits of its attributes


def batch_codecs(topic: str) -> list[int]:
    """The codec of every record batch the broker stored for `topic`, read from its log
    segments (Kafka's record batch v2: base offset, length, leader epoch, magic, CRC, then
    the attributes)."""
    codecs = []
    for segment in sorted((TEST_RUN_DIR / "kafka" / "data").glob(f"{topic}-*/*.log")):
        data = segment.read_bytes()
        position = 0
        while position + 23 <= len(data):
            (length,) = struct.unpack_from(">i", data, position + 8)
            (attributes,) = struct.unpack_from(">h", data, position + 21)
            codecs.append(attributes & 0x07)
            position += 12 + length
    return codecs


def test_the_workers_records_are_stored_compressed_and_read_back(
    bootstrap: str, tmp_path: Path
) -> None:
    names = TopicNames(f"zstd-{uuid.uuid4().hex[:10]}-")
    create_topics(bootstrap, names)
    services = Services(bootstrap, names, tmp_path)
    articles = [json.loads(line) for line in SAMPLE.read_text().splitlines()[:5]]
    try:
        services.worker()
        produce(
            bootstrap,
            names.articles,
            [(article["id"].encode(), json.dumps(article).encode()) for article in articles],
        )
        wanted = {article["id"] for article in articles}
        stances = wait_for(
            lambda: (
                (found := read_all(bootstrap, names.stances))
                and {json.loads(value)["article_id"] for _, value in found} == wanted
                and found
            ),
            120,
            "stances of every article",
        )
        indices = wait_for(lambda: read_all(bootstrap, names.indices), 60, "indices")
    except (AssertionError, subprocess.TimeoutExpired):
        print(services.logs())
        raise
    finally:
        services.stop()
    # Read back whole: every record parses, and each article is there.
    assert all(json.loads(value)["stance"]["actor"] == key.decode() for key, value in stances)
    assert all(json.loads(value)["subject"] == key.decode() for key, value in indices)
    for topic in (names.stances, names.contributions, names.indices):
        codecs = batch_codecs(topic)
        assert codecs, f"no batch stored for {topic}"
        assert set(codecs) == {ZSTD}, f"{topic}: codecs {sorted(set(codecs))}"
    # The producer's own input stays as it was sent (uncompressed), so the check reads codecs.
    assert set(batch_codecs(names.articles)) == {0}

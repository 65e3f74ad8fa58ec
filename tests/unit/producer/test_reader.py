from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from detente.events import Article
from detente_producer.reader import InvalidRecord, read_articles

GOOD = {
    "schema_version": 1, "id": "x-1", "published_at": "2026-03-01T10:00:00Z", "source": "test",
    "url": "https://example.invalid/1", "title": "T", "text": "Body.", "language": "en",
}  # fmt: skip


def test_jsonl_records_are_read_and_bad_ones_listed(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    bad_time = {**GOOD, "id": "x-2", "published_at": "yesterday"}
    path.write_text(json.dumps(GOOD) + "\n{not json\n" + json.dumps(bad_time) + "\n")
    records = list(read_articles([path]))
    assert isinstance(records[0], Article) and records[0].id == "x-1"
    assert records[1] == InvalidRecord(f"{path}:2", "not valid JSON")
    assert isinstance(records[2], InvalidRecord) and "published_at" in records[2].reason


def test_txt_file_becomes_an_article_with_a_content_hash_id(tmp_path: Path) -> None:
    folder = tmp_path / "seed"
    folder.mkdir()
    (folder / "talks-2022-01-28.txt").write_text("A title\n\nFirst paragraph.\nSecond.")
    (records,) = list(read_articles([folder]))
    assert isinstance(records, Article)
    assert records.title == "A title" and records.text.startswith("First paragraph.")
    assert records.published_at == datetime(2022, 1, 28, tzinfo=UTC)
    assert records.id.startswith("txt-")
    (again,) = list(read_articles([folder]))
    assert isinstance(again, Article) and again.id == records.id


def test_missing_path_is_reported(tmp_path: Path) -> None:
    assert list(read_articles([tmp_path / "nope.jsonl"])) == [
        InvalidRecord(str(tmp_path / "nope.jsonl"), "no such file")
    ]

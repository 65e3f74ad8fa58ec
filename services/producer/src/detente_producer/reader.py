"""Article events from files: JSON Lines, or a folder of .txt/.json files."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from detente.events import Article, first_error

_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class InvalidRecord:
    where: str
    reason: str


def article_from_text(path: Path, published_at: datetime | None = None) -> Article:
    """A .txt file becomes an article: first line the title, the rest the text.

    The id is a hash of the content, so sending the same file twice is one article.
    """
    content = path.read_text(encoding="utf-8")
    title, _, text = content.strip().partition("\n")
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]
    if published_at is None:
        match = _DATE_IN_NAME.search(path.name)
        published_at = (
            datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC)
            if match
            else datetime.fromtimestamp(path.stat().st_mtime, UTC)
        )
    return Article(
        id=f"txt-{digest}",
        published_at=published_at,
        source=f"file:{path.name}",
        url="",
        title=title.strip(),
        text=text.strip() or title.strip(),
        language="en",
    )


def _from_json(raw: str, where: str) -> Article | InvalidRecord:
    try:
        return Article.model_validate_json(raw)
    except ValidationError as exc:
        return InvalidRecord(where, first_error(exc))


def read_articles(
    paths: list[Path], published_at: datetime | None = None
) -> Iterator[Article | InvalidRecord]:
    """Every record under `paths`, valid or not, so that nothing is silently dropped."""
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in {".txt", ".json", ".jsonl"})
            if not files:
                yield InvalidRecord(str(path), "folder has no .txt, .json or .jsonl files")
            yield from read_articles(files, published_at)
        elif not path.exists():
            yield InvalidRecord(str(path), "no such file")
        elif path.suffix == ".txt":
            try:
                yield article_from_text(path, published_at)
            except (ValidationError, UnicodeDecodeError) as exc:
                reason = first_error(exc) if isinstance(exc, ValidationError) else "not UTF-8"
                yield InvalidRecord(str(path), reason)
        elif path.suffix == ".json":
            yield _from_json(path.read_text(encoding="utf-8"), str(path))
        else:
            with path.open(encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if line.strip():
                        yield _from_json(line, f"{path}:{number}")

"""The article contract refuses what pydantic's lax mode would let in (found by `make fuzz`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from detente.events import Article, first_error

VALID = {
    "schema_version": 1, "id": "a-1", "published_at": "2026-03-01T07:40:00Z",
    "source": "desk", "text": "Russia warned NATO.",
}  # fmt: skip


def refusal(**changes: object) -> str:
    with pytest.raises(ValidationError) as caught:
        Article.model_validate_json(json.dumps({**VALID, **changes}))
    return first_error(caught.value)


@pytest.mark.parametrize("stamp", [1_700_000_000, 1_700_000_000_000, 0, 1.5e9])
def test_a_number_is_not_a_publication_time(stamp: float) -> None:
    assert refusal(published_at=stamp).startswith("published_at: Value error, published_at must")


@pytest.mark.parametrize("version", [True, False])
def test_a_boolean_is_not_schema_version_1(version: bool) -> None:
    assert refusal(schema_version=version).startswith("schema_version: ")


def test_strings_and_datetimes_still_read_in_both_modes() -> None:
    assert Article.model_validate_json(json.dumps(VALID)).schema_version == 1
    when = datetime(2026, 3, 1, 7, 40, tzinfo=UTC)
    assert Article.model_validate({**VALID, "published_at": when}).published_at == when
    assert Article.model_validate(VALID).published_at == when

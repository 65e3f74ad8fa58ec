"""Wrong dates and wrong clocks: an article dated 2099 among the corpus (sent by a producer
whose own clock says 2099), and one dated 1900 first on an empty stack. Both must go to the
dead-letter topic with their reason and leave every index equal to the undisturbed run."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from detente.events import DeadLetter

from harness import Services, produce, read_all, wait_for
from scenario import (
    ARTICLES,
    TEST_TIMEOUT,
    WAIT_SECONDS,
    Outcome,
    corpus,
    counted,
    finish,
    wait_ready,
)

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(TEST_TIMEOUT)]

RUSSIA = (
    "Russia warned that it would answer any new deployment with force, and the Kremlin "
    "rejected the proposal outright."
)


def wrongly_dated(article_id: str, published_at: datetime) -> tuple[bytes, bytes]:
    event = {
        "schema_version": 1, "id": article_id, "published_at": published_at.isoformat(),
        "source": "a feed with a broken clock", "url": "", "title": "Moscow warns",
        "text": RUSSIA, "language": "en",
    }  # fmt: skip
    return article_id.encode(), json.dumps(event).encode()


def dead_letters(services: Services) -> list[tuple[str, str]]:
    letters = [
        DeadLetter.model_validate_json(value)
        for _, value in read_all(services.bootstrap, services.names.articles_dlq)
    ]
    return [(json.loads(letter.raw())["id"], letter.reason) for letter in letters]


def test_an_article_from_2099_among_the_corpus(services: Services, undisturbed: Outcome) -> None:
    services.worker("worker")
    wait_ready(services, "worker")
    records = corpus()
    produce(services.bootstrap, services.names.articles, records[: ARTICLES // 3])
    bootstrap, names = services.bootstrap, services.names
    wait_for(lambda: counted(bootstrap, names) >= ARTICLES // 4, WAIT_SECONDS, "a quarter counted")
    year_2099 = datetime(2099, 6, 1, 13, tzinfo=UTC)
    clock_2099 = int(year_2099.timestamp() * 1000)  # the producer's clock says 2099 too
    produce(
        bootstrap, names.articles, [wrongly_dated("from-2099", year_2099)], timestamp_ms=clock_2099
    )
    produce(bootstrap, names.articles, records[ARTICLES // 3 :])
    result = finish(services)
    wait_for(lambda: dead_letters(services), WAIT_SECONDS, "the dead letter")
    assert dead_letters(services) == [("from-2099", "published_in_future")]
    undisturbed.compare(result, "an article dated 2099 among the corpus")


def test_an_article_from_1900_first_on_an_empty_stack(
    services: Services, undisturbed: Outcome
) -> None:
    services.worker("worker")
    wait_ready(services, "worker")
    bootstrap, names = services.bootstrap, services.names
    produce(
        bootstrap, names.articles, [wrongly_dated("from-1900", datetime(1900, 1, 1, tzinfo=UTC))]
    )
    wait_for(lambda: dead_letters(services), WAIT_SECONDS, "the dead letter")
    produce(bootstrap, names.articles, corpus())
    result = finish(services)
    assert dead_letters(services) == [("from-1900", "published_before_floor")]
    undisturbed.compare(result, "an article dated 1900 first on an empty stack")

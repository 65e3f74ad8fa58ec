"""GET /v1/articles: the articles behind a subject's index in a time range, with evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from detente_api.behind import behind

HOUR = timedelta(hours=1)
T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)  # as the stance builder's default


@pytest.fixture
def stocked(view, make_stance):
    """Three articles: Putin threatens Ukraine (12:10); Putin and Macron disagree, each about
    the other side (12:40); NATO alone, the hour after (13:20)."""

    def put(article_id, actor, minutes, *, targets=(), stance="hardline", evidence=None):
        event = make_stance(
            article_id, actor, stance=stance, published_at=T0 + timedelta(minutes=minutes),
            title=f"Article {article_id}", evidence=evidence,
        )  # fmt: skip
        event = event.model_copy(
            update={"stance": event.stance.model_copy(update={"targets": list(targets)})}
        )
        view.apply_stance(event)

    put("a-threat", "vladimir-putin", 10, targets=["ukraine"], evidence=["Putin warned Kyiv."])
    put("a-talks", "vladimir-putin", 40, targets=["france"])
    put("a-talks", "emmanuel-macron", 40, targets=["russia"], stance="conciliatory",
        evidence=["Macron urged Moscow to talk."])  # fmt: skip
    put("a-nato", "nato", 80)
    return view


def ids(response):
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_an_actor_subject_lists_the_articles_of_its_hour_newest_first_with_roll_up(client, stocked):
    params = {"subject": "actor:russia", "since": T0.isoformat(), "until": (T0 + HOUR).isoformat()}
    response = client.get("/v1/articles", params=params)

    assert ids(response) == ["a-talks", "a-threat"]  # Putin rolls up to Russia
    body = response.json()
    assert body["total"] == 2
    assert body["since"] == "2025-03-01T12:00:00Z" and body["until"] == "2025-03-01T13:00:00Z"
    talks = body["items"][0]
    assert talks["subjects"] == ["actor:russia"]
    assert talks["counted"] == ["vladimir-putin"]  # Macron is in the article, not in Russia's
    assert {a["actor"] for a in talks["actors"]} == {"emmanuel-macron", "vladimir-putin"}
    assert body["items"][1]["actors"][0]["evidence"] == ["Putin warned Kyiv."]


def test_until_is_exclusive_and_the_next_hour_has_its_own_articles(client, stocked):
    hour = {"since": (T0 + HOUR).isoformat(), "until": (T0 + 2 * HOUR).isoformat()}
    assert ids(client.get("/v1/articles", params={"subject": "actor:russia", **hour})) == []
    assert ids(client.get("/v1/articles", params={"subject": "actor:nato", **hour})) == ["a-nato"]
    before = {"since": (T0 - HOUR).isoformat(), "until": T0.isoformat()}
    assert ids(client.get("/v1/articles", params={"subject": "actor:russia", **before})) == []


def test_a_pair_lists_articles_where_both_sides_take_a_stance_and_counts_both(client, stocked):
    hour = {"since": T0.isoformat(), "until": (T0 + HOUR).isoformat()}
    response = client.get("/v1/articles", params={"subject": "dyad:russia|france", **hour})

    assert ids(response) == ["a-talks"]
    item = response.json()["items"][0]
    assert item["subjects"] == ["dyad:france|russia"]  # either order, named sorted
    assert item["counted"] == ["emmanuel-macron", "vladimir-putin"]


def test_a_direction_lists_what_one_side_says_about_the_other(client, stocked):
    hour = {"since": T0.isoformat(), "until": (T0 + HOUR).isoformat()}
    toward = client.get("/v1/articles", params={"subject": "dyad:russia>ukraine", **hour})
    assert ids(toward) == ["a-threat"]
    back = client.get("/v1/articles", params={"subject": "dyad:ukraine>russia", **hour})
    assert ids(back) == []  # Ukraine is only threatened: no stance toward Russia
    either = client.get(
        "/v1/articles",
        params={"subject": ["dyad:france|russia", "dyad:france>russia"], **hour},
    )
    assert ids(either) == ["a-talks"]
    item = either.json()["items"][0]
    assert item["subjects"] == ["dyad:france>russia", "dyad:france|russia"]


def test_without_a_subject_every_article_of_the_range_is_listed_and_paged(client, stocked):
    params = {"since": T0.isoformat(), "until": (T0 + 2 * HOUR).isoformat(), "limit": 2}
    first = client.get("/v1/articles", params=params)
    assert ids(first) == ["a-nato", "a-talks"]
    assert first.json()["total"] == 3
    assert first.json()["items"][0]["subjects"] == []
    assert ids(client.get("/v1/articles", params={**params, "offset": 2})) == ["a-threat"]


def test_the_range_defaults_to_24_hours(client, stocked):
    body = client.get("/v1/articles", params={"since": T0.isoformat()}).json()
    assert body["until"] == "2025-03-02T12:00:00Z"
    assert [i["id"] for i in body["items"]] == ["a-nato", "a-talks", "a-threat"]
    body = client.get("/v1/articles", params={"until": T0.isoformat()}).json()
    assert body["since"] == "2025-02-28T12:00:00Z" and body["items"] == []


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"subject": "russia"}, "subject"),
        ({"subject": "actor:atlantis"}, "subject"),
        ({"subject": "dyad:russia|russia"}, "subject"),
        ({"since": "2025-03-01T12:00:00"}, "since"),
        ({"since": "2025-03-02T00:00:00Z", "until": "2025-03-01T00:00:00Z"}, "since"),
        ({"since": "2025-01-01T00:00:00Z", "until": "2025-03-01T00:00:00Z"}, "until"),
        ({"limit": 0}, "limit"),
    ],
)
def test_bad_parameters_are_422_naming_them(client, params, name):
    response = client.get("/v1/articles", params=params)
    assert response.status_code == 422
    assert ["query", name] in [error["loc"] for error in response.json()["detail"]]


def test_an_article_without_the_subject_is_not_behind_it(stocked, api_registry):
    article = stocked.article("a-nato")
    assert behind(article, {"actor:russia"}, api_registry) is None
    found = behind(article, None, api_registry)
    assert found is not None and found.counted == ["nato"]

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from detente.registry import ActorRegistry
from detente_api.view import TensionView

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)


def test_actors_ranked_by_24h_index_then_id_with_nulls_last(view, make_index):
    view.apply_index(make_index("actor", ["nato"], 40.0))
    view.apply_index(make_index("actor", ["russia"], 80.0))
    view.apply_index(make_index("actor", ["france"], 40.0))
    view.apply_index(make_index("actor", ["ukraine"], None))

    total, items = view.actors()

    assert total == 4
    assert [a.actor for a in items] == ["russia", "france", "nato", "ukraine"]
    russia = items[0]
    assert (russia.name, russia.kind, russia.affiliation) == ("Russia", "state", None)
    assert russia.index == 80.0
    assert russia.statements == 30
    assert set(russia.windows) == {"1h", "24h", "7d"}


def test_actor_kind_filter_and_paging(view, make_index):
    for actor, index in [("russia", 90.0), ("france", 50.0), ("ukraine", 70.0), ("nato", 60.0)]:
        view.apply_index(make_index("actor", [actor], index))

    total, states = view.actors(kind="state")
    assert total == 3
    assert [a.actor for a in states] == ["russia", "ukraine", "france"]

    total, page = view.actors(kind="state", limit=1, offset=1)
    assert total == 3
    assert [a.actor for a in page] == ["ukraine"]

    assert view.actors(kind="state", offset=10) == (3, [])


def test_latest_index_update_replaces_the_previous_one(view, make_index):
    view.apply_index(make_index("actor", ["russia"], 80.0))
    view.apply_index(make_index("actor", ["russia"], 20.0, as_of=T0 + timedelta(hours=1)))

    actor = view.actor("russia")
    assert actor is not None
    assert actor.index == 20.0
    assert actor.as_of == T0 + timedelta(hours=1)
    assert view.actors()[0] == 1


def test_an_update_older_than_the_one_held_is_dropped(view, make_index):
    """A frozen worker wakes and sends a state its successor has overtaken: fewer articles."""
    newer = make_index("actor", ["russia"], 80.0, as_of=T0 + timedelta(hours=1))
    stale = make_index("actor", ["russia"], 20.0).model_copy(update={"total_articles": 5})
    assert view.apply_index(newer)
    assert not view.apply_index(stale)
    assert view.actor("russia").index == 80.0
    for kind, actors in (("dyad", ["russia", "ukraine"]), ("global", [])):
        assert view.apply_index(make_index(kind, actors, 70.0))
        assert not view.apply_index(
            make_index(kind, actors, 10.0).model_copy(update={"total_articles": 8})
        )
    assert view.global_index().index == 70.0
    assert view.dyads()[1][0].index == 70.0


def test_registered_actor_without_index_has_nulls_and_unknown_actor_is_none(view):
    quiet = view.actor("emmanuel-macron")
    assert quiet is not None
    assert quiet.index is None and quiet.ewma is None and quiet.as_of is None
    assert quiet.statements == 0
    assert quiet.affiliation == "france"
    assert all(w.statements == 0 and w.index is None for w in quiet.windows.values())
    assert view.actor("atlantis") is None
    # Listing shows only actors with data.
    assert view.actors() == (0, [])


def test_dyads_and_actor_filter(view, make_index):
    view.apply_index(make_index("dyad", ["russia", "france"], 30.0))
    view.apply_index(make_index("dyad", ["russia", "ukraine"], 90.0))
    view.apply_index(make_index("dyad", ["france", "nato"], 10.0))

    total, dyads = view.dyads()
    assert total == 3
    assert [d.actors for d in dyads] == [
        ["russia", "ukraine"],
        ["france", "russia"],
        ["france", "nato"],
    ]
    assert dyads[1].names == ["France", "Russia"]

    total, with_france = view.dyads(actor="france", limit=1)
    assert total == 2
    assert [d.actors for d in with_france] == [["france", "russia"]]


def test_global_index_is_empty_until_first_update(view, make_index):
    empty = view.global_index()
    assert empty.index is None and empty.as_of is None and empty.statements == 0
    assert set(empty.windows) == {"1h", "24h", "7d"}

    view.apply_index(make_index("global", [], 55.5, ewma=50.0))
    assert view.global_index().index == 55.5
    assert view.global_index().ewma == 50.0


def test_tombstones_remove_subjects(view, make_index):
    view.apply_index(make_index("actor", ["russia"], 80.0))
    view.apply_index(make_index("dyad", ["russia", "france"], 30.0))
    view.apply_index(make_index("global", [], 55.5))

    view.remove_subject("actor:russia")
    view.remove_subject("dyad:france|russia")
    view.remove_subject("global")

    assert view.actors() == (0, [])
    assert view.dyads() == (0, [])
    assert view.global_index().index is None


def test_malformed_subject_is_rejected(view, make_index):
    update = make_index("actor", ["russia"], 80.0).model_copy(update={"actors": ["a", "b"]})
    with pytest.raises(ValueError, match="exactly one actor"):
        view.apply_index(update)
    assert view.actors() == (0, [])


def test_article_assembled_from_stance_events_one_per_actor(view, make_stance):
    view.apply_stance(make_stance("a1", "vladimir-putin", p_hardline=0.9))
    view.apply_stance(make_stance("a1", "emmanuel-macron", stance="conciliatory", p_hardline=0.2))
    # A redelivered, newer classification of the same actor replaces the first one.
    view.apply_stance(
        make_stance("a1", "vladimir-putin", p_hardline=0.7, classified_at=T0 + timedelta(minutes=5))
    )
    # An older duplicate arriving late does not.
    view.apply_stance(
        make_stance("a1", "vladimir-putin", p_hardline=0.1, classified_at=T0 - timedelta(hours=1))
    )

    article = view.article("a1")

    assert article is not None
    assert (article.id, article.published_at, article.title, article.model_version) == (
        "a1",
        T0,
        "Talks stall",
        "m1",
    )
    assert [(s.actor, s.stance, s.p_hardline) for s in article.actors] == [
        ("emmanuel-macron", "conciliatory", 0.2),
        ("vladimir-putin", "hardline", 0.7),
    ]
    assert article.actors[1].name == "Vladimir Putin"
    assert article.actors[1].affiliation == "russia"
    assert view.article("nope") is None


def test_article_shows_only_its_latest_classification(view, make_stance):
    view.apply_stance(make_stance("a1", "vladimir-putin", model_version="m1"))
    view.apply_stance(make_stance("a1", "nato", model_version="m1"))
    view.apply_stance(
        make_stance(
            "a1",
            "vladimir-putin",
            model_version="m2",
            title="Talks stall (updated)",
            classified_at=T0 + timedelta(days=1),
        )
    )

    article = view.article("a1")

    assert article is not None
    assert article.model_version == "m2"
    assert article.title == "Talks stall (updated)"
    # NATO's stance came from the superseded model run.
    assert [s.actor for s in article.actors] == ["vladimir-putin"]


def test_article_is_complete_once_every_stance_record_of_its_classification_arrived(
    view, make_stance
):
    view.apply_stance(make_stance("a1", "vladimir-putin", stance_takers=2))
    first = view.article("a1")
    assert first is not None and first.complete is False
    assert [a.complete for a in view.articles_published(T0, T0 + timedelta(hours=1))] == [False]

    view.apply_stance(make_stance("a1", "nato", stance_takers=2))
    assert view.article("a1").complete is True

    # A later classification (another model) is incomplete again until all of its records
    # are in, however many the earlier one had.
    later = T0 + timedelta(days=1)
    for actor, complete in (("nato", False), ("france", False), ("russia", True)):
        view.apply_stance(
            make_stance("a1", actor, model_version="m2", classified_at=later, stance_takers=3)
        )
        assert view.article("a1").complete is complete


def test_article_from_records_that_give_no_count_has_unknown_completeness(view, make_stance):
    view.apply_stance(make_stance("a1", "vladimir-putin"))
    article = view.article("a1")
    assert article is not None and article.complete is None


def test_articles_older_than_retention_are_evicted(api_registry, make_stance):
    view = TensionView(api_registry, retention=timedelta(hours=24), max_articles=1000)
    view.apply_stance(make_stance("old", "russia", published_at=T0))
    view.apply_stance(make_stance("recent", "russia", published_at=T0 + timedelta(hours=20)))
    assert view.article("old") is not None

    kept = view.apply_stance(make_stance("new", "russia", published_at=T0 + timedelta(hours=25)))

    assert kept is True
    assert view.article("old") is None
    assert view.article("recent") is not None
    assert view.article_count == 2
    # A stance older than the horizon is not stored at all.
    assert view.apply_stance(make_stance("ancient", "france", published_at=T0)) is False
    assert view.article("ancient") is None


def test_max_articles_evicts_oldest_first_and_bounds_memory(api_registry, make_stance):
    view = TensionView(api_registry, retention=timedelta(days=3650), max_articles=50)

    for i in range(1000):
        view.apply_stance(make_stance(f"a{i}", "russia", published_at=T0 + timedelta(minutes=i)))

    assert view.article_count == 50
    assert view.article("a949") is None
    assert view.article("a950") is not None and view.article("a999") is not None
    # An article older than everything kept is dropped straight away when at the cap.
    assert view.apply_stance(make_stance("late", "russia", published_at=T0)) is False
    assert view.article_count == 50


def test_redated_articles_do_not_grow_the_eviction_heap(api_registry, make_stance):
    view = TensionView(api_registry, retention=timedelta(days=3650), max_articles=10)

    for i in range(5000):
        view.apply_stance(
            make_stance(
                f"a{i % 10}",
                "russia",
                published_at=T0 + timedelta(seconds=i),
                classified_at=T0 + timedelta(days=1, seconds=i),
            )
        )

    assert view.article_count == 10
    assert len(view._articles._heap) <= 2 * 10 + 1024


def test_far_future_article_does_not_evict_everything(api_registry, make_stance):
    now = datetime(2025, 3, 2, tzinfo=UTC)
    view = TensionView(
        api_registry, retention=timedelta(days=7), max_articles=1000, clock=lambda: now
    )
    view.apply_stance(make_stance("today", "russia", published_at=now - timedelta(hours=1)))

    view.apply_stance(make_stance("bogus", "russia", published_at=datetime(2099, 1, 1, tzinfo=UTC)))

    assert view.article("today") is not None


def test_actor_missing_from_registry_is_described_from_stance_events(make_stance, make_index):
    view = TensionView(ActorRegistry([]))
    view.apply_stance(make_stance("a1", "nato"))
    view.apply_index(make_index("actor", ["nato"], 12.0))

    actor = view.actor("nato")

    assert actor is not None
    assert (actor.name, actor.kind) == ("NATO", "organisation")


def test_readiness_latches(view):
    assert (view.ready, view.lag) == (False, None)
    view.set_progress(lag=12, ready=False)
    assert (view.ready, view.lag) == (False, 12)
    view.set_progress(lag=0, ready=True)
    view.set_progress(lag=None, ready=False)
    assert (view.ready, view.lag) == (True, None)


def test_retention_counts_from_classification_so_backfilled_news_stays(api_registry, make_stance):
    view = TensionView(api_registry, retention=timedelta(days=30), max_articles=1000)
    classified = T0 + timedelta(days=400)
    view.apply_stance(make_stance("fresh", "russia", published_at=classified - timedelta(hours=1)))
    backfill = make_stance(
        "archive", "france", published_at=T0, classified_at=classified + timedelta(minutes=2)
    )

    assert view.apply_stance(backfill) is True
    assert view.article("archive") is not None and view.article("fresh") is not None

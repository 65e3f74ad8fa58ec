from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from detente import indices
from detente.events import ActorStance, ArticleStances, Contribution, MentionedActor
from detente.registry import ActorRegistry

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def stance(actor: str, kind: str, affiliation: str | None, p: float) -> ActorStance:
    return ActorStance(
        actor=actor, name=actor, kind=kind, affiliation=affiliation,  # type: ignore[arg-type]
        stance="hardline" if p >= 0.5 else "conciliatory", p_hardline=p, statements=1, evidence=[],
    )  # fmt: skip


def article(article_id: str, when: datetime, *stances: ActorStance) -> ArticleStances:
    return ArticleStances(id=article_id, published_at=when, model_version="t", actors=list(stances))


def test_people_roll_up_and_dyads_pair_principals(registry: ActorRegistry) -> None:
    result = indices.contributions(
        article(
            "a1",
            T0,
            stance("vladimir-putin", "person", "russia", 0.9),
            stance("kremlin", "organisation", "russia", 0.8),
            stance("emmanuel-macron", "person", "france", 0.1),
        ),
        registry,
    )
    by_subject = {c.subject: c for c in result}
    assert set(by_subject) == {
        "actor:vladimir-putin", "actor:kremlin", "actor:russia", "actor:emmanuel-macron",
        "actor:france", "dyad:france|russia", "global",
    }  # fmt: skip
    russia = by_subject["actor:russia"]
    assert russia.statements == 2
    assert russia.hardline_weight == russia.weight == pytest.approx(1.7)
    france = by_subject["actor:france"]
    assert france.hardline_weight == 0.0 and france.weight == 0.9
    assert by_subject["dyad:france|russia"].statements == 3
    assert by_subject["global"].statements == 3


def test_directed_dyads_take_one_sides_stances_toward_the_other(registry: ActorRegistry) -> None:
    putin = stance("vladimir-putin", "person", "russia", 0.9).model_copy(
        update={"targets": ["ukraine", "france"]}
    )
    kremlin = stance("kremlin", "organisation", "russia", 0.7).model_copy(
        update={"targets": ["ukraine"]}
    )
    macron = stance("emmanuel-macron", "person", "france", 0.2).model_copy(
        update={"targets": ["russia", "france"]}  # its own side is never a direction
    )
    result = indices.contributions(article("a1", T0, putin, kremlin, macron), registry)
    directed = {c.subject: c for c in result if c.subject_kind == "directed"}
    assert set(directed) == {"dyad:russia>ukraine", "dyad:russia>france", "dyad:france>russia"}
    toward_ukraine = directed["dyad:russia>ukraine"]
    assert toward_ukraine.actors == ["russia", "ukraine"]  # source first
    assert toward_ukraine.statements == 2
    assert toward_ukraine.hardline_weight == toward_ukraine.weight == pytest.approx(1.6)
    toward_russia = directed["dyad:france>russia"]
    assert (toward_russia.hardline_weight, toward_russia.weight) == (0.0, pytest.approx(0.8))
    # Ukraine takes no stance here: no symmetric pair with it, only Russia's stance toward it.
    assert "dyad:russia|ukraine" not in {c.subject for c in result}


def test_contributions_are_valid_events_and_carry_where_the_article_was_read(
    registry: ActorRegistry,
) -> None:
    putin = stance("vladimir-putin", "person", "russia", 0.9).model_copy(
        update={"targets": ["ukraine"]}
    )
    stances = article("a1", T0, putin, stance("emmanuel-macron", "person", "france", 0.2))
    placed = indices.contributions(
        stances, registry, source_partition=3, source_offset=41, article_produced_at=1.5e9
    )
    assert {c.subject_kind for c in placed} == {"actor", "dyad", "directed", "global"}
    for made in placed:  # what a reader validates is what was sent
        read = Contribution.model_validate_json(made.to_json_bytes())
        assert read == made and read.to_json_bytes() == made.to_json_bytes()
        assert (made.source_partition, made.source_offset, made.article_produced_at) == (
            3, 41, 1.5e9,
        )  # fmt: skip
    where = {"source_partition": 3, "source_offset": 41, "article_produced_at": 1.5e9}
    bare = indices.contributions(stances, registry)
    assert [c.model_copy(update=where) for c in bare] == placed


def contribution(article_id: str, when: datetime, hard: float, weight: float) -> Contribution:
    return Contribution(
        subject="actor:russia", subject_kind="actor", actors=["russia"], article_id=article_id,
        published_at=when, hardline_weight=hard, weight=weight, statements=1,
    )  # fmt: skip


def replay(events: list[Contribution]) -> dict[str, object]:
    state = indices.empty_state()
    for event in events:
        state = indices.apply(state, event)
    update = indices.index_update("actor:russia", "actor", ["russia"], state)
    return update.model_dump(mode="json", exclude={"updated_at", "last_article_id"})


def test_windows_are_event_time_and_order_independent() -> None:
    events = [
        contribution("a", T0 - timedelta(days=3), 0.0, 1.0),  # only in 7d
        contribution("b", T0 - timedelta(hours=5), 0.9, 0.9),  # 24h and 7d
        contribution("c", T0, 0.8, 0.8),  # every window
        contribution("d", T0 + timedelta(minutes=10), 0.0, 0.6),  # same clock hour as "c"
    ]
    ordered = replay(events)
    windows: dict[str, dict[str, float]] = ordered["windows"]  # type: ignore[assignment]
    assert windows["1h"]["raw"] == round(100 * 0.8 / (0.8 + 0.6), 2)
    assert windows["24h"]["raw"] == round(100 * 1.7 / 2.3, 2)
    assert windows["7d"]["raw"] == round(100 * 1.7 / 3.3, 2)
    # The index is the posterior mean under the Beta(2, 2) prior: shrunk towards 50.
    assert windows["1h"]["index"] == round(100 * (2 + 0.8) / (4 + 1.4), 2)
    assert windows["7d"]["index"] == round(100 * (2 + 1.7) / (4 + 3.3), 2)
    assert windows["7d"]["weight"] == 3.3 and windows["7d"]["articles"] == 4
    for window in windows.values():
        assert window["low"] < window["index"] < window["high"]
    shuffled = events[:]
    random.Random(7).shuffle(shuffled)
    assert replay(shuffled) == ordered


def test_ewma_decays_with_its_half_life() -> None:
    old = contribution("a", T0 - timedelta(hours=24), 1.0, 1.0)
    new = contribution("b", T0, 0.0, 1.0)
    value = replay([old, new])["ewma"]
    # A day old weighs half: 0.5 hardline in 1.5 of weight, shrunk like every index.
    assert value == round(100 * (2 + 0.5) / (4 + 1.5), 2)


def test_lateness_and_bucket_expiry() -> None:
    state = indices.apply(indices.empty_state(), contribution("a", T0, 1.0, 1.0))
    lateness = timedelta(hours=48)
    assert not indices.is_late(state, T0 - timedelta(hours=47), lateness)
    assert indices.is_late(state, T0 - timedelta(hours=50), lateness)
    later = indices.apply(state, contribution("b", T0 + timedelta(days=9), 0.0, 1.0))
    assert len(later["buckets"]) == 1  # the bucket 9 days back fell out of every window


def test_history_is_rebuilt_from_the_hourly_buckets_of_one_update() -> None:
    events = [
        contribution("a", T0 - timedelta(hours=30), 0.0, 1.0),
        contribution("b", T0 - timedelta(hours=2), 1.0, 1.0),
        contribution("c", T0, 1.0, 1.0),
    ]
    state = indices.empty_state()
    for event in events:
        state = indices.apply(state, event)
    update = indices.index_update("actor:russia", "actor", ["russia"], state)
    points = indices.series(update.hourly, "24h", T0 - timedelta(hours=3), T0)
    # One hardline statement reads 60, two read 66.67: evidence, not a lucky 100.
    assert [p.index for p in points] == [None, 60.0, 60.0, round(100 * 4 / 6, 2)]
    assert [p.statements for p in points] == [0, 1, 1, 2]
    # The last point is the published 24h window itself.
    assert points[-1].index == update.windows["24h"].index
    assert points[-1].as_of == update.as_of
    long_view = indices.series(update.hourly, "7d", T0 - timedelta(hours=1), T0)
    assert [p.index for p in long_view] == [50.0, round(100 * 4 / 7, 2)]


def test_the_interval_narrows_with_evidence_and_one_statement_is_no_certainty() -> None:
    one = indices.posterior(1.0, 1.0)
    many = indices.posterior(40.0, 40.0)
    firm = indices.posterior(40.0, 50.0)  # a firm 80
    lucky = indices.posterior(4.0, 5.0)  # a lucky 80
    assert one.mean == 0.6 and one.low < 0.5 < one.high
    assert many.mean > 0.95 and many.low > 0.89
    assert lucky.high - lucky.low > 2 * (firm.high - firm.low)
    assert firm.low > lucky.low
    none = indices.posterior(0.0, 0.0)
    assert none.mean == 0.5 and none.low < 0.2 and none.high > 0.8  # the prior alone
    flat = indices.IndexPrior(mean=0.3, strength=10.0, level=0.5)
    assert indices.posterior(0.0, 0.0, flat).mean == 0.3


def test_contributions_replayed_after_a_crash_are_fenced_off_by_source_offset() -> None:
    first = contribution("a", T0, 1.0, 1.0).model_copy(
        update={"source_partition": 2, "source_offset": 41}
    )
    second = contribution("b", T0, 0.0, 1.0).model_copy(
        update={"source_partition": 2, "source_offset": 42}
    )
    other_partition = contribution("c", T0, 0.0, 1.0).model_copy(
        update={"source_partition": 0, "source_offset": 5}
    )
    state = indices.empty_state()
    for event in (first, second):
        assert not indices.already_applied(state, event)
        state = indices.apply(state, event)
    # Stage one crashed before committing and re-sent offsets 41 and 42.
    assert indices.already_applied(state, first)
    assert indices.already_applied(state, second)
    assert not indices.already_applied(state, other_partition)
    assert state["articles"] == 2


def placed(article_id: str, partition: int, offset: int) -> Contribution:
    return contribution(article_id, T0, 1.0, 1.0).model_copy(
        update={"source_partition": partition, "source_offset": offset}
    )


def test_a_state_overtaken_by_its_successors_is_superseded() -> None:
    """A frozen worker's late write is an earlier link of the chain its successor extended."""
    start = indices.apply(indices.empty_state(), placed("a", 0, 10))
    frozen = indices.apply(start, placed("b", 1, 3))  # the batch the frozen worker finished
    successor = start
    for event in (placed("b", 1, 3), placed("c", 0, 11), placed("d", 2, 0)):
        successor = indices.apply(successor, event)
    assert indices.superseded(frozen, successor)
    assert indices.superseded(start, frozen)
    assert not indices.superseded(successor, frozen)
    # Equal progress (a write repeated, an alert marked) is no older: the last one stays.
    assert not indices.superseded(successor, dict(successor, last_alert_hour=5))
    # Neither ahead of the other, or states that carry no source offsets: never dropped.
    behind_elsewhere = indices.apply(start, placed("e", 3, 0))
    assert not indices.superseded(behind_elsewhere, successor)
    assert not indices.superseded(successor, behind_elsewhere)
    assert not indices.superseded(indices.empty_state(), successor)
    update = indices.index_update("actor:russia", "actor", ["russia"], frozen)
    newer = indices.index_update("actor:russia", "actor", ["russia"], successor)
    assert indices.outdated(update, newer)
    assert not indices.outdated(newer, update)
    assert not indices.outdated(newer, newer)


def test_hour_of_counts_whole_hours_since_the_epoch() -> None:
    assert indices.hour_of(datetime(1970, 1, 1, 1, 59, tzinfo=UTC)) == 1


def test_statements_weigh_by_how_likely_they_are_the_actors_own(registry: ActorRegistry) -> None:
    sure = stance("vladimir-putin", "person", "russia", 0.9)
    doubtful = sure.model_copy(update={"p_stance": 0.6})
    old_mention_only = sure.model_copy(update={"basis": "mentions"})  # before the "none" outcome
    weights = [
        {c.subject: c.weight for c in indices.contributions(article("a", T0, s), registry)}
        for s in (sure, doubtful, old_mention_only)
    ]
    assert weights[0]["actor:vladimir-putin"] == pytest.approx(0.9)
    assert weights[1]["actor:vladimir-putin"] == pytest.approx(0.9 * 0.6)
    assert weights[2]["actor:vladimir-putin"] == pytest.approx(0.9 * 0.5)


def test_named_only_actors_add_nothing_to_any_index(registry: ActorRegistry) -> None:
    only_named = ArticleStances(
        id="a", published_at=T0, model_version="t", actors=[],
        mentioned=[MentionedActor(actor="nato", name="NATO", kind="organisation")],
    )  # fmt: skip
    assert indices.contributions(only_named, registry) == []


def test_an_actor_found_outside_the_registry_rolls_up_through_its_affiliation(
    registry: ActorRegistry,
) -> None:
    spokesman = stance("maria-ivanova", "person", "kremlin", 0.8)  # not registered
    unanchored = stance("john-doe", "person", "atlantis", 0.8)  # affiliation unknown too
    subjects = {c.subject for c in indices.contributions(article("a", T0, spokesman), registry)}
    assert subjects == {"actor:maria-ivanova", "actor:kremlin", "actor:russia", "global"}
    alone = {c.subject for c in indices.contributions(article("b", T0, unanchored), registry)}
    assert alone == {"actor:john-doe", "global"}

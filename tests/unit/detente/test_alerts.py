from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from detente import indices
from detente.alerts import SpikeRule, detect_spike, mark_alerted
from detente.events import Contribution

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def add(state: dict[str, Any], article: str, when: datetime, hardline: bool) -> dict[str, Any]:
    return indices.apply(
        state,
        Contribution(
            subject="actor:north-korea", subject_kind="actor", actors=["north-korea"],
            article_id=article, published_at=when, hardline_weight=0.9 if hardline else 0.0,
            weight=0.9, statements=1,
        ),
    )  # fmt: skip


def calm_week() -> dict[str, Any]:
    """Six days of mostly conciliatory statements: a low baseline."""
    state = indices.empty_state()
    for day in range(6, 1, -1):
        for n in range(4):
            when = T0 - timedelta(days=day, hours=n)
            state = add(state, f"calm-{day}-{n}", when, hardline=n == 0)
    return state


def detect(state: dict[str, Any]) -> Any:
    return detect_spike("actor:north-korea", "actor", ["north-korea"], state)


def test_a_burst_of_hardline_statements_raises_one_alert_naming_its_articles() -> None:
    state = calm_week()
    assert detect(state) is None
    alert = None
    for n in range(8):
        state = add(state, f"burst-{n}", T0 + timedelta(minutes=5 * n), hardline=True)
        alert = alert or detect(state)
    assert alert is not None
    # Posterior indices: the calm week's 4.5 hardline of 18 reads (2 + 4.5) / (4 + 18); the
    # burst's 8 statements (7.2 of weight, all hardline) read (2 + 7.2) / (4 + 7.2).
    baseline, value = round(100 * 6.5 / 22, 2), round(100 * 9.2 / 11.2, 2)
    assert alert.value == value and alert.baseline == baseline
    assert alert.rise == round(value - baseline, 2)
    assert alert.z >= 3 and alert.statements >= SpikeRule().min_statements
    assert set(alert.article_ids) <= {f"burst-{n}" for n in range(8)}
    assert alert.alert_id.startswith("actor:north-korea@")


def test_too_few_statements_do_not_alert() -> None:
    state = calm_week()
    for n in range(SpikeRule().min_statements - 1):
        state = add(state, f"burst-{n}", T0 + timedelta(minutes=n), hardline=True)
    assert detect(state) is None


def test_a_single_article_never_alerts_however_many_statements_it_has() -> None:
    """A quiet actor, then one article with ten hardline statements: no page."""
    state = indices.apply(
        indices.empty_state(),
        Contribution(
            subject="actor:north-korea", subject_kind="actor", actors=["north-korea"],
            article_id="one", published_at=T0, hardline_weight=9.0, weight=9.0, statements=10,
        ),
    )  # fmt: skip
    assert detect(state) is None
    for n in range(2):  # two more articles like it: now it is a burst
        state = indices.apply(
            state,
            Contribution(
                subject="actor:north-korea", subject_kind="actor", actors=["north-korea"],
                article_id=f"more-{n}", published_at=T0, hardline_weight=4.5, weight=4.5,
                statements=5,
            ),
        )  # fmt: skip
    assert detect(state) is not None


def test_cool_down_holds_back_a_second_alert_for_the_same_burst() -> None:
    state = calm_week()
    for n in range(10):
        state = add(state, f"burst-{n}", T0 + timedelta(minutes=n), hardline=True)
    assert detect(state) is not None
    state = mark_alerted(state)
    state = add(state, "burst-later", T0 + timedelta(hours=2), hardline=True)
    assert detect(state) is None
    state = add(state, "burst-much-later", T0 + timedelta(hours=7), hardline=True)
    assert detect(state) is not None


def test_steady_high_tension_is_not_a_spike() -> None:
    state = indices.empty_state()
    for hour in range(24 * 6, 0, -3):
        state = add(state, f"steady-{hour}", T0 - timedelta(hours=hour), hardline=True)
    assert detect(state) is None

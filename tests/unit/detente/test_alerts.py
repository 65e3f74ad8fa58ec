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
    assert alert.value == 100.0 and alert.baseline == 25.0 and alert.rise == 75.0
    assert alert.z >= 3 and alert.statements >= SpikeRule().min_statements
    assert set(alert.article_ids) <= {f"burst-{n}" for n in range(8)}
    assert alert.alert_id.startswith("actor:north-korea@")


def test_too_few_statements_do_not_alert() -> None:
    state = calm_week()
    for n in range(SpikeRule().min_statements - 1):
        state = add(state, f"burst-{n}", T0 + timedelta(minutes=n), hardline=True)
    assert detect(state) is None


def test_cool_down_holds_back_a_second_alert_for_the_same_burst() -> None:
    state = calm_week()
    for n in range(6):
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

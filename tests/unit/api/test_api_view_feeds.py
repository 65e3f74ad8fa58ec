"""What the view does with each update and alert besides storing it: archive, stream, change."""

from __future__ import annotations

import json
from datetime import timedelta

from api_support import BASE, shrunk, updates
from test_api_v1_routes import make_alert

from detente_api.view import TensionView


def test_index_updates_are_published_without_their_buckets(view: TensionView):
    update = updates("actor", ["russia"], [(BASE, True)])[0]
    view.apply_index(update)

    (event,) = view.bus.after(0) or []
    assert (event.kind, event.subject, event.actors) == ("index", "actor:russia", {"russia"})
    data = json.loads(event.data)
    assert "hourly" not in data
    assert data["subject"] == "actor:russia" and data["windows"]["24h"]["index"] == shrunk(1, 1)


def test_a_redelivered_alert_is_not_published_twice(view: TensionView):
    alert = make_alert("actor:russia", ["russia"])
    view.apply_alert(alert)
    view.apply_alert(alert)
    view.apply_alert(alert.model_copy(update={"value": 95.0}))  # a replacement is

    assert [e.kind for e in view.bus.after(0) or []] == ["alert", "alert"]
    assert view.alerts()[1][0].value == 95.0


def test_tombstones_drop_the_archive_and_the_cached_change(view: TensionView):
    stream = updates("actor", ["russia"], [(BASE - 24 * timedelta(hours=1), False), (BASE, True)])
    for update in stream:
        view.apply_index(update)
    assert view.actor("russia").change == shrunk(1, 1) - shrunk(0, 1)  # type: ignore[union-attr]
    assert view.archived_points() == 2

    view.remove_subject("actor:russia")

    assert view.archived_points() == 0
    assert view.index_update("actor:russia") is None
    assert view.history("actor:russia", "24h", BASE - timedelta(days=1), BASE, "1h") == []


def test_change_is_recomputed_after_each_update(view: TensionView):
    stream = updates("actor", ["russia"], [(BASE - timedelta(hours=24), False), (BASE, False)])
    view.apply_index(stream[0])  # a first statement: a move from the prior
    assert view.actor("russia").change == shrunk(0, 1) - 50.0  # type: ignore[union-attr]
    view.apply_index(stream[1])
    assert view.actor("russia").change == 0.0  # type: ignore[union-attr]


def test_history_retention_bounds_the_archive(api_registry):
    view = TensionView(api_registry, history_retention=timedelta(days=2))
    hourly = [(BASE - timedelta(hours=h), True) for h in range(24 * 5, -1, -1)]
    for update in updates("actor", ["russia"], hourly):
        view.apply_index(update)
    assert view.archived_points() == 2 * 24

"""History: rebuilt from the hourly buckets where they hold the window, archived before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api_support import BASE, shrunk, updates

from detente.indices import HOUR, series
from detente_api.history import (
    REBUILD_HOURS,
    Archive,
    change,
    history,
    hour_end,
    hour_of,
    rebuilt_from,
)

H = timedelta(hours=1)


def hourly_events(
    hours: int, hardline_from: int, end: datetime = BASE
) -> list[tuple[datetime, bool]]:
    """One statement per hour for `hours` hours up to `end`; one in four hardline until
    `hardline_from` hours before the end, then all hardline."""
    return [
        (end - (hours - 1 - i) * H, i % 4 == 0 or hours - 1 - i < hardline_from)
        for i in range(hours)
    ]


def archived(updates_: list, retention_days: int = 30) -> Archive:
    archive = Archive(retention_days * 24)
    for update in updates_:
        archive.record(update)
    return archive


def test_hour_of_and_hour_end_are_inverse_at_hour_ends():
    as_of = datetime(2025, 3, 10, 13, tzinfo=UTC)
    assert hour_end(hour_of(as_of)) == as_of
    # A time inside an hour belongs to that hour.
    assert hour_end(hour_of(as_of - timedelta(minutes=30))) == as_of


def test_a_young_subject_is_rebuilt_at_every_hour():
    stream = updates("actor", ["russia"], hourly_events(30, hardline_from=0))
    latest = stream[-1]
    assert rebuilt_from(latest, "7d") < 0  # no bucket dropped yet

    points = history(latest, None, "24h", BASE - 40 * H, latest.as_of, "1h")

    assert len(points) == 42  # as_of ends BASE's hour: 40 hours before BASE, BASE, its end
    assert points[-1].as_of == latest.as_of
    assert points[-1].index == latest.windows["24h"].index
    assert points[-1].statements == 24
    # Before the first article, the window is empty: a null index, not a zero.
    assert points[0].index is None and points[0].statements == 0
    expected = series(latest.hourly, "24h", BASE - 41 * H, BASE)  # hours, by their start
    assert [(p.as_of, p.index) for p in points] == [(p.as_of, p.index) for p in expected]


def test_where_buckets_were_dropped_only_whole_windows_are_rebuilt():
    stream = updates("actor", ["russia"], hourly_events(10 * 24, hardline_from=12))
    latest = stream[-1]
    last_hour = hour_of(latest.as_of)
    assert rebuilt_from(latest, "1h") == last_hour - REBUILD_HOURS
    assert rebuilt_from(latest, "24h") == last_hour - REBUILD_HOURS + 23
    assert rebuilt_from(latest, "7d") == last_hour - 1

    # Without an archive (a replica that never saw the older updates): only whole windows.
    points = history(latest, None, "24h", latest.as_of - timedelta(days=7), latest.as_of, "1h")
    assert points[0].as_of == hour_end(last_hour - REBUILD_HOURS + 23)
    assert {p.statements for p in points} == {24}  # never a partial window
    assert points[0].index == shrunk(6, 24)  # one in four hardline

    # With the archive of what this process saw, the older hours are the published values.
    archive = archived(stream)
    full = history(latest, archive, "24h", latest.as_of - timedelta(days=7), latest.as_of, "1h")
    assert len(full) == 7 * 24 + 1
    assert [p.as_of for p in full] == [
        latest.as_of - timedelta(days=7) + i * H for i in range(7 * 24 + 1)
    ]
    assert {p.statements for p in full} == {24}
    assert full[-len(points) :] == points


def test_the_7d_window_history_comes_from_the_archive_except_the_last_two_hours():
    stream = updates("actor", ["russia"], hourly_events(10 * 24, hardline_from=12))
    latest = stream[-1]
    archive = archived(stream)

    points = history(latest, archive, "7d", latest.as_of - 48 * H, latest.as_of, "1h")

    assert len(points) == 49
    by_time = {u.as_of: u.windows["7d"] for u in stream}
    assert all(p.index == by_time[p.as_of].index for p in points)
    assert all(p.statements == 168 for p in points)


def test_archive_is_hourly_then_daily_and_bounded():
    stream = updates("actor", ["russia"], hourly_events(40 * 24, hardline_from=0))
    archive = archived(stream, retention_days=30)

    # 7 days + 48 hours of hourly points, then one per day up to 30 days.
    assert len(archive) <= REBUILD_HOURS + 48 + 31
    latest = stream[-1]
    last_hour = hour_of(latest.as_of)
    hours = [hour for hour, _ in archive.points("24h", 0, last_hour)]
    assert hours == sorted(hours)
    hourly = [h for h in hours if h > last_hour - REBUILD_HOURS - 48]
    assert hourly == list(range(last_hour - REBUILD_HOURS - 47, last_hour + 1))
    daily = [h for h in hours if h <= last_hour - REBUILD_HOURS - 48]
    assert len({h // 24 for h in daily}) == len(daily)  # one per day
    assert min(daily) > last_hour - 30 * 24
    # The day's point is its last archived hour.
    assert all(h % 24 == 23 for h in daily[:-1])


def test_archive_keeps_the_last_update_of_an_hour_and_ignores_older_hours():
    t = BASE - 30 * timedelta(minutes=1)
    first, second = updates("global", [], [(t, True), (t + timedelta(minutes=10), False)])
    archive = Archive(720)
    archive.record(first)
    archive.record(second)
    archive.record(first.model_copy(update={"as_of": first.as_of - 5 * H}))

    points = list(archive.points("24h", 0, hour_of(second.as_of)))
    assert [(h, p.index, p.statements) for h, p in points] == [(hour_of(second.as_of), 50.0, 2)]


def test_daily_step_rebuilt_at_midnights_and_archived_days_by_their_last_point():
    stream = updates("actor", ["russia"], hourly_events(20 * 24, hardline_from=12))
    latest = stream[-1]
    archive = archived(stream)
    since = latest.as_of - timedelta(days=15)

    points = history(latest, archive, "24h", since, latest.as_of, "1d")

    times = [p.as_of for p in points]
    assert times == sorted(times) and len(set(times)) == len(times)
    days = [t.date() for t in times]
    assert len(set(days)) == len(days)  # at most one point per day
    rebuilt = [p for p in points if p.as_of >= hour_end(rebuilt_from(latest, "24h"))]
    assert rebuilt and all(p.as_of.hour == 0 for p in rebuilt)
    # Days held hourly or rebuilt close at midnight; all values are whole 24h windows.
    assert all(p.statements == 24 for p in points)
    assert len(points) == 15


def test_archived_points_keep_their_interval():
    stream = updates("actor", ["russia"], hourly_events(10 * 24, hardline_from=12))
    archive = archived(stream)
    latest = stream[-1]
    hour = hour_of(latest.as_of)
    ((_, point),) = list(archive.points("24h", hour, hour))
    window = latest.windows["24h"]
    assert (point.index, point.statements, point.low, point.high) == (
        window.index,
        window.statements,
        window.low,
        window.high,
    )


def test_history_outside_everything_is_empty_and_reversed_range_is_empty():
    (update,) = updates("actor", ["russia"], [(BASE, True)])
    long_ago = BASE - timedelta(days=300)
    assert all(p.index is None for p in history(update, None, "1h", long_ago, long_ago + H, "1h"))
    assert history(update, None, "24h", BASE, BASE - H, "1h") == []
    # An update without buckets (an older worker) has no rebuilt history at all.
    bare = update.model_copy(update={"hourly": []})
    assert history(bare, None, "24h", BASE - H, BASE + H, "1h") == []
    assert history(bare, archived([update]), "24h", BASE - H, BASE + H, "1h")[0].index == shrunk(
        1, 1
    )


def test_change_is_the_window_now_minus_24_hours_earlier():
    stream = updates("actor", ["russia"], hourly_events(10 * 24, hardline_from=12))
    latest = stream[-1]
    previous, delta = change(latest, "24h")
    assert previous == shrunk(6, 24)
    assert delta == round(latest.windows["24h"].index - shrunk(6, 24), 2)
    # A conciliatory hour then, a hardline one now.
    assert change(latest, "1h") == (shrunk(0, 1), round(shrunk(1, 1) - shrunk(0, 1), 2))
    # The 7d window 24 hours ago is no longer whole in the buckets: unknown.
    assert change(latest, "7d") == (None, None)


def test_a_first_flare_up_moves_from_the_prior_and_unknown_stays_null():
    young = updates("actor", ["russia"], [(BASE - 2 * H, True), (BASE, True)])[-1]
    # Nothing 24 hours earlier, and no bucket ever dropped: the window stood at the prior.
    assert change(young, "24h") == (50.0, round(shrunk(2, 2) - 50.0, 2))
    bare = young.model_copy(update={"hourly": []})
    assert change(bare, "24h") == (None, None)  # no buckets: unknown
    two_days = updates("actor", ["russia"], [(BASE - 24 * H, False), (BASE, True)])[-1]
    assert change(two_days, "24h") == (shrunk(0, 1), round(shrunk(1, 1) - shrunk(0, 1), 2))
    assert change(two_days, "1h") == (shrunk(0, 1), round(shrunk(1, 1) - shrunk(0, 1), 2))
    assert int(two_days.as_of.timestamp()) % HOUR == 0

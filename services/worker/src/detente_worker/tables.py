"""Faust tables: changelogged state, co-partitioned with the topic whose agent updates it.

Values are plain JSON (no `value_type`): Faust would call `.from_data` on a value type when
it restores a table from its changelog, which builtins such as dict do not have.
"""

from __future__ import annotations

from detente_worker.app import app, settings

# Article id → "partition:offset" where it was first read: a duplicate is counted once.
seen_articles = app.Table(
    "seen-articles",
    key_type=str,
    partitions=settings.partitions,
)

# Index subject ("actor:russia", "dyad:france|russia", "global") → hourly event-time buckets.
index_state = app.Table(
    "index-state",
    key_type=str,
    partitions=settings.partitions,
)

"""Faust tables: changelogged state, co-partitioned with the topic whose agent updates it.

Values are plain JSON (no `value_type`): Faust would call `.from_data` on a value type when
it restores a table from its changelog, which builtins such as dict do not have.

`use_partitioner`: the agents handle records in batches, so there is no single "current
event" whose partition a write could borrow. Each key's changelog partition comes from the
same default partitioner (murmur2 of the key) that placed its input record, which keeps the
table co-partitioned with `articles` (key: article id) and `index-contributions` (key:
subject).
"""

from __future__ import annotations

from detente_worker.app import app, settings

# Article id → "partition:offset" where it was first read: a duplicate is counted once.
seen_articles = app.Table(
    "seen-articles",
    key_type=str,
    partitions=settings.partitions,
    use_partitioner=True,
)

# Index subject ("actor:russia", "dyad:france|russia", "global") → hourly event-time buckets.
index_state = app.Table(
    "index-state",
    key_type=str,
    partitions=settings.partitions,
    use_partitioner=True,
)

"""Faust tables: changelogged state, co-partitioned with the topic whose agent updates it.

Values are plain JSON (no `value_type`): Faust would call `.from_data` on a value type when
it restores a table from its changelog, which builtins such as dict do not have.

`use_partitioner`: the agents handle records in batches, so there is no single "current
event" whose partition a write could borrow. Each key's changelog partition comes from the
same default partitioner (murmur2 of the key bytes) that placed its input record, which
keeps the table co-partitioned with `articles` (key: article id) and `index-contributions`
(key: subject) — provided the key bytes are the same. Hence keys are `bytes`, which Faust
writes raw: a `str` key would be written as JSON (`"global"`, quotes included), hash to
another partition, and put a subject's state in another worker's changelog partition.
"""

from __future__ import annotations

from detente_worker.app import app, settings

# Article id → where it was first read and its publication hour (detente.dedup.Sighting).
seen_articles = app.Table(
    "seen-articles",
    key_type=bytes,
    partitions=settings.partitions,
    use_partitioner=True,
)

# Index subject (b"actor:russia", b"dyad:france|russia", b"global") → its index state.
index_state = app.Table(
    "index-state",
    key_type=bytes,
    partitions=settings.partitions,
    use_partitioner=True,
)

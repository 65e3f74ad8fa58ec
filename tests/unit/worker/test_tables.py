"""Table writes by the stages go straight to the producer (`DirectTable.write`)."""

from __future__ import annotations

from faust.serializers.codecs import loads
from worker_support import Outbox, run

from detente.dedup import Sighting
from detente_worker import agents
from detente_worker.tables import index_state, seen_articles


def test_a_direct_write_stores_the_value_and_sends_a_record_faust_reads_back(
    outbox: Outbox,
) -> None:
    state = {"buckets": [[493000, 0.9, 1.8, 2, 2]], "watermark_hour": 493000, "statements": 2,
             "articles": 2, "last": "a-2", "recent": [[493000, "a-1", 0.9, 1e-07]],
             "sources": {"0": 12}, "last_alert_hour": None, "note": "Genève “quoted”"}  # fmt: skip
    faust_way = []

    async def scenario() -> None:
        async with agents.aggregate_indices.test_context():
            for table, key, value in (
                (index_state, b"dyad:unit-tables|russia", state),
                (seen_articles, b"unit-tables-7", Sighting(2, 41, 493000).encode()),
            ):
                await table.write(key, value)
                assert table[key] == value
                # Faust's own path for the same write (not sent: test_context has no producer).
                message = table.send_changelog(None, key, value).message
                faust_way.append((table, message.key, value))
                del table.data[key]  # the tables outlive the test: leave nothing behind

    run(scenario())
    for table, key, value in faust_way:
        [(sent_key, sent_value)] = outbox.of(table.changelog_topic)
        assert sent_key == key  # the key's bytes place the record: exactly Faust's
        # The value as a restore decodes it: the table's own serializer, as Faust reads it.
        decoded = table.changelog_topic.value_serializer or table.value_serializer
        assert loads(decoded, sent_value) == value
        assert outbox.partitions[table.changelog_topic.get_topic_name()] == [None]

"""The worker's producer codec: zstd unless told otherwise, and installed with the worker."""

from __future__ import annotations

import pytest
from aiokafka.codec import has_gzip, has_lz4, has_zstd
from pydantic import ValidationError

from detente_worker.app import app
from detente_worker.settings import Settings


def test_the_worker_compresses_with_zstd_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DETENTE_PRODUCER_COMPRESSION", raising=False)
    assert Settings().compression_type == "zstd"
    assert app.conf.producer_compression_type == "zstd"


def test_none_turns_compression_off_and_unknown_codecs_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DETENTE_PRODUCER_COMPRESSION", "none")
    assert Settings().compression_type is None
    monkeypatch.setenv("DETENTE_PRODUCER_COMPRESSION", "snappy")
    with pytest.raises(ValidationError, match="producer_compression"):
        Settings()


def test_every_codec_it_offers_is_installed_with_it() -> None:
    # aiokafka needs cramjam (a worker dependency) to write these, and to read them back from
    # its own changelogs and repartition topic.
    assert has_zstd() and has_lz4() and has_gzip()

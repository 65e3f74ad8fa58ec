from __future__ import annotations

from collections.abc import Iterator

import pytest

from feed_site import FeedSite


@pytest.fixture
def site() -> Iterator[FeedSite]:
    """A local web site for the ingester (tests/unit/producer/feed_site.py)."""
    with FeedSite() as running:
        yield running

from __future__ import annotations

from detente.events import Article
from detente_producer.ingest.urls import article_id, host_of, normalise_url


def test_tracking_parameters_fragments_and_case_do_not_change_the_id():
    plain = article_id("https://news.example.org/world/talks-resume")
    for variant in (
        "https://NEWS.example.org/world/talks-resume#comments",
        "https://news.example.org:443/world/talks-resume?utm_source=rss&utm_medium=feed",
        "http://news.example.org/world/talks-resume?fbclid=abc",
        "  https://news.example.org/world/talks-resume  ",
    ):
        assert article_id(variant) == plain, variant


def test_meaningful_query_parameters_are_kept_in_any_order():
    one = article_id("https://example.org/story?id=7&page=2")
    assert one == article_id("https://example.org/story?page=2&id=7")
    assert one != article_id("https://example.org/story?id=8&page=2")


def test_other_paths_hosts_and_ports_are_other_stories():
    ids = {
        article_id("https://example.org/a"),
        article_id("https://example.org/b"),
        article_id("https://example.net/a"),
        article_id("https://example.org:8443/a"),
    }
    assert len(ids) == 4


def test_the_id_is_a_valid_article_id():
    story = article_id("https://example.org/" + "long-path/" * 100)
    assert story.startswith("web-") and len(story) == 28
    assert Article.model_validate({"id": story, "published_at": "2026-03-01T00:00:00Z",
                                   "source": "s", "text": "t"}).id == story  # fmt: skip


def test_normalised_form_and_host():
    assert normalise_url("HTTPS://Example.org?b=2&a=1&utm_campaign=x#f") == (
        "https://example.org/?a=1&b=2"
    )
    assert host_of("https://Example.org:8443/x?y") == "https://example.org:8443"

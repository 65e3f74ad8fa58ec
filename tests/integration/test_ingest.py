"""detente-ingest end to end: the team's feeds and pages served from a local folder, through
the real broker and worker to the API's /v1/articles/{id}; each story once, after a restart
of the ingester too, and a broken feed beside them counted without stopping them."""

from __future__ import annotations

import functools
import signal
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from detente.topics import TopicNames
from detente_producer.ingest.urls import article_id

from harness import (
    BIN,
    ROOT,
    Services,
    complete_article,
    free_port,
    http_get,
    read_all,
    service_env,
    wait_for,
)

pytestmark = pytest.mark.integration

SITE_FILES = ROOT / "tests" / "data" / "ingest" / "site"
STORIES = ("ceasefire-talks", "border-warning", "restraint-call", "harbour-dispute")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def news_site(tmp_path: Path) -> Iterator[str]:
    """The site's files rendered into a folder and served by the standard library's static
    file server, plus a broken feed beside them."""
    folder = tmp_path / "site"
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=folder))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    for source in SITE_FILES.rglob("*.*"):
        target = folder / source.relative_to(SITE_FILES)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text(encoding="utf-8").replace("{site}", base))
    (folder / "broken.rss").write_text("<rss><channel><item><title>cut off in the mid")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()


def feeds_file(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(
        "[defaults]\npoll_seconds = 5\n\n"
        f'[[feed]]\nname = "Meridian world"\nurl = "{base}/world.rss"\n\n'
        f'[[feed]]\nname = "Meridian regions"\nurl = "{base}/regional.atom"\n\n'
        f'[[feed]]\nname = "Broken"\nurl = "{base}/broken.rss"\n'
    )
    return path


def ingest_env(bootstrap: str, topics: TopicNames, metrics_port: int) -> dict[str, str]:
    return service_env(
        bootstrap, topics,
        DETENTE_METRICS_HOST="127.0.0.1",
        DETENTE_METRICS_PORT=str(metrics_port),
        DETENTE_MIN_POLL_SECONDS="1",
        DETENTE_FETCH__HOST_INTERVAL_SECONDS="0",
    )  # fmt: skip


def metric(port: int, name: str, **labels: str) -> float | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return sample.value
    return None


def named_actors(article: dict[str, list[dict[str, str]]]) -> set[str]:
    """Stance-takers and the actors only named."""
    return {a["actor"] for a in article["actors"] + article.get("mentioned", [])}


def test_feeds_reach_the_api_once_across_a_restart(
    bootstrap: str, topics: TopicNames, services: Services, tmp_path: Path, news_site: str
) -> None:
    services.worker()
    api = services.api()
    feeds = feeds_file(tmp_path, news_site)
    port = free_port()
    log = tmp_path / "ingest.log"
    with log.open("wb") as out:
        ingest = subprocess.Popen(
            [str(BIN / "detente-ingest"), "--feeds", str(feeds)],
            env=ingest_env(bootstrap, topics, port), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    ids = {name: article_id(f"{news_site}/news/{name}.html") for name in STORIES}
    try:
        wait_for(
            lambda: all(http_get(f"{api}/v1/articles/{i}")[0] == 200 for i in ids.values()),
            240, "every story of the local feeds in the API",
        )  # fmt: skip

        # The broken feed is counted, and polled again, without holding up the others.
        def broken_polls() -> float:
            return metric(port, "detente_ingest_polls_total", feed="Broken", result="error") or 0

        wait_for(lambda: broken_polls() >= 2, 60, "two polls of the broken feed")
        errors = metric(
            port, "detente_ingest_fetch_errors_total", feed="Broken", reason="malformed_feed"
        )
        assert errors is not None and errors >= 2

        # The border story is in both feeds, polled in parallel: either may send it, and
        # the other counts it as a duplicate (at the latest at its next poll).
        def total(name: str) -> float:
            return sum(
                metric(port, name, feed=f) or 0 for f in ("Meridian world", "Meridian regions")
            )

        assert total("detente_ingest_articles_sent_total") == 4
        wait_for(lambda: total("detente_ingest_duplicates_total") == 1, 60, "one duplicate")
        assert total("detente_ingest_articles_sent_total") == 4
    except AssertionError:
        print(log.read_text(errors="replace")[-3000:], services.logs())
        raise
    finally:
        ingest.send_signal(signal.SIGTERM)
        ingest.wait(timeout=60)
    assert ingest.returncode == 0, log.read_text(errors="replace")[-3000:]

    # The right story under each id, with its actors found by the worker.
    talks = wait_for(
        lambda: complete_article(api, ids["ceasefire-talks"]), 60, "the talks story, complete"
    )
    assert talks["title"] == "Macron offers to host ceasefire talks; Lavrov rejects the idea"
    named = {a["actor"] for a in talks["actors"]} | {a["actor"] for a in talks.get("mentioned", [])}
    assert {"emmanuel-macron", "sergei-lavrov"} <= named, named
    harbour = wait_for(
        lambda: complete_article(api, ids["harbour-dispute"]), 60, "the harbour story, complete"
    )
    named = {a["actor"] for a in harbour["actors"]} | {
        a["actor"] for a in harbour.get("mentioned", [])
    }
    assert {"japan", "china"} <= named, named

    # A restart reads the state back: nothing is sent again, no page is fetched, and the
    # feeds' validators came back too: the file server answers 304 (If-Modified-Since).
    again = subprocess.run(
        [str(BIN / "detente-ingest"), "--feeds", str(feeds), "--once"],
        env=ingest_env(bootstrap, topics, 0), capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "Meridian world: not_modified, sent 0" in again.stderr
    assert "Meridian regions: not_modified, sent 0" in again.stderr
    assert "Broken: error (malformed_feed)" in again.stderr
    sent = read_all(bootstrap, topics.articles)
    assert sorted(key.decode() for key, _ in sent if key) == sorted(ids.values())

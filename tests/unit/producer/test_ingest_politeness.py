from __future__ import annotations

import threading

from detente_producer.ingest.politeness import HostPacer, RobotsAnswer, RobotsRules


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_pacer_spaces_requests_per_host():
    clock = FakeClock()
    pacer = HostPacer(2.0, clock)
    assert pacer.wait_seconds("https://a.org/x") == 0
    assert pacer.reserve("https://a.org/x") == 0
    assert pacer.wait_seconds("https://a.org/y") == 2.0
    assert pacer.wait_seconds("https://b.org/y") == 0  # another host is not held up
    clock.now += 1.5
    assert pacer.wait_seconds("https://a.org/z") == 0.5


def test_crawl_delay_and_retry_after_hold_a_host_longer():
    clock = FakeClock()
    pacer = HostPacer(1.0, clock)
    pacer.set_crawl_delay("https://a.org/", 10.0)
    assert pacer.reserve("https://a.org/x") == 0
    assert pacer.wait_seconds("https://a.org/x") == 10.0
    pacer.defer("https://b.org/x", 300.0)
    assert pacer.wait_seconds("https://b.org/other") == 300.0


def test_threads_asking_at_once_get_slots_an_interval_apart():
    clock = FakeClock()  # time stands still: only the reservations space the requests
    pacer = HostPacer(2.0, clock)
    waits: list[float] = []
    start = threading.Barrier(8)

    def ask() -> None:
        start.wait()
        waits.append(pacer.reserve("https://a.org/feed"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == [2.0 * i for i in range(8)]
    assert pacer.reserve("https://b.org/feed") == 0  # another host has its own slots


def test_a_slot_beyond_the_longest_wait_is_not_taken():
    clock = FakeClock()
    pacer = HostPacer(1.0, clock)
    pacer.defer("https://a.org/x", 300.0)
    assert pacer.reserve("https://a.org/x", max_wait=120.0) == 300.0
    assert pacer.wait_seconds("https://a.org/x") == 300.0  # not pushed further by the refusal
    clock.now += 300.0
    assert pacer.reserve("https://a.org/x", max_wait=120.0) == 0


ROBOTS = """
User-agent: *
Disallow: /private/

User-agent: detente-ingest
Disallow: /news/secret
Crawl-delay: 5
"""


class RobotsSite:
    """Answers robots.txt requests from a table, and remembers what was asked."""

    def __init__(self, answers: dict[str, RobotsAnswer]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def __call__(self, url: str) -> RobotsAnswer:
        self.asked.append(url)
        return self.answers[url]


AGENT = "detente-ingest/0.1 (+https://x.invalid)"


def test_our_group_applies_to_us_and_is_cached():
    site = RobotsSite({"https://a.org/robots.txt": RobotsAnswer(200, ROBOTS)})
    robots = RobotsRules(site, AGENT, 3600, FakeClock())
    assert not robots.allowed("https://a.org/news/secret-plan")
    assert robots.allowed("https://a.org/news/public")
    assert robots.allowed("https://a.org/private/x")  # that group is for others
    assert robots.crawl_delay("https://a.org/") == 5.0
    assert site.asked == ["https://a.org/robots.txt"]


def test_missing_robots_allows_all_and_unreachable_disallows_all_for_a_while():
    clock = FakeClock()
    site = RobotsSite(
        {
            "https://gone.org/robots.txt": RobotsAnswer(404),
            "https://down.org/robots.txt": RobotsAnswer(503),
        }
    )
    robots = RobotsRules(site, AGENT, 3600, clock)
    assert robots.allowed("https://gone.org/anything")
    assert not robots.allowed("https://down.org/anything")
    clock.now += 601  # asked again sooner than the hour of a real answer
    robots.allowed("https://down.org/anything")
    assert site.asked.count("https://down.org/robots.txt") == 2
    assert site.asked.count("https://gone.org/robots.txt") == 1

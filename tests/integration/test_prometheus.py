"""A real Prometheus scrapes the real worker and API, evaluates deploy/prometheus/rules, and a
burst of hardline articles about North Korea fires DetenteTensionSpike.

Prometheus is Debian's /usr/bin/prometheus, run as a plain process on a free loopback port,
scraping and evaluating every second. It loads a copy of the rules in which every `for:` is
cut to FOR: the production durations (5 minutes for a spike) guard against flapping over
real time, and the test would otherwise wait that long; the expressions and thresholds are
the production ones. Their full timing is covered by the promtool tests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from detente.topics import TopicNames

from harness import (
    BIN,
    ROOT,
    Services,
    free_port,
    http_get,
    produce,
    service_env,
    wait_for,
)

pytestmark = pytest.mark.integration

RULES = ROOT / "deploy" / "prometheus" / "rules"
FOR = "2s"
SPIKE = "DetenteTensionSpike"

# Invented for this test: one actor, hardline wording, no other actor named.
HARDLINE = [
    ("threatened", "to launch missiles at any ship that enters its waters"),
    ("warned", "that it would retaliate with overwhelming force against the joint drills"),
    ("condemned", "the sanctions as an act of war and vowed to respond"),
    ("threatened", "to resume nuclear tests if the exercises go ahead"),
    ("warned", "of a merciless response to any provocation near the border"),
    ("condemned", "the naval patrols and accused its neighbours of plotting an invasion"),
    ("rejected", "calls for talks and demanded the withdrawal of foreign troops"),
    ("vowed", "to strengthen its nuclear arsenal and mocked the ceasefire proposal"),
    ("accused", "its neighbours of reckless provocations and threatened to cut all contacts"),
    ("warned", "that the peninsula stood on the brink of war"),
]
CONCILIATORY = [
    ("welcomed", "the offer of talks and pledged to reduce tensions on the peninsula"),
    ("agreed", "to resume family reunions and thanked mediators for their patience"),
    ("proposed", "a joint committee to ease tensions and reopen the liaison office"),
    ("offered", "to return to negotiations and praised the spirit of dialogue"),
    ("signalled", "readiness for compromise and called for calm and cooperation"),
]


def article(article_id: str, actor: str, city: str, verb: str, rest: str, when: datetime) -> bytes:
    return json.dumps(
        {
            "schema_version": 1,
            "id": article_id,
            "published_at": when.isoformat(),
            "source": "Détente test desk",
            "title": f"{actor} {verb} {rest}",
            "text": f"{actor} {verb} on Monday {rest}. "
            f"A spokesman in {city} said {actor} {verb} {rest}.",
        }
    ).encode()


def start_worker(services: Services, metrics_port: int) -> subprocess.Popen[bytes]:
    """As `Services.worker`, on a metrics port this test knows, refreshing lag every second."""
    env = service_env(
        services.bootstrap, services.names,
        DETENTE_APP_ID=services.app_id,
        DETENTE_WEB_PORT=str(free_port()),
        DETENTE_METRICS_PORT=str(metrics_port),
        DETENTE_METRICS_REFRESH_SECONDS="1",
        DETENTE_DATA_DIR=str(services.log_dir / "worker-data"),
        DETENTE_SESSION_TIMEOUT_SECONDS="6",
    )  # fmt: skip
    return services._start([str(BIN / "detente-worker")], env, "worker")


def shortened_rules(target: Path) -> None:
    """Copy the production rules with every `for:` cut to FOR."""
    target.mkdir()
    for path in RULES.glob("*.yml"):
        rules = yaml.safe_load(path.read_text())
        for group in rules["groups"]:
            for rule in group["rules"]:
                if "for" in rule:
                    rule["for"] = FOR
        (target / path.name).write_text(yaml.safe_dump(rules, sort_keys=False))


@pytest.fixture
def prometheus_binary() -> str:
    path = shutil.which("prometheus") or "/usr/bin/prometheus"
    if not Path(path).exists():
        pytest.fail(
            "prometheus is not installed: `apt-get install -y prometheus` (CI installs it)",
            pytrace=False,
        )
    return path


class Prometheus:
    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log

    def api(self, path: str, **params: str) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        status, body = http_get(f"{self.url}/api/v1/{path}{query}")
        assert status == 200 and body["status"] == "success", (path, status, body)
        return body["data"]

    def alerts(self) -> list[dict[str, Any]]:
        return list(self.api("alerts")["alerts"])

    def query(self, expr: str) -> list[dict[str, Any]]:
        return list(self.api("query", query=expr)["result"])


@pytest.fixture
def start_prometheus(prometheus_binary: str, tmp_path: Path) -> Iterator[Any]:
    started: list[subprocess.Popen[bytes]] = []

    def start(targets: dict[str, str]) -> Prometheus:
        home = tmp_path / "prometheus"
        home.mkdir()
        shortened_rules(home / "rules")
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": ["rules/*.yml"],
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": [target]}]}
                for job, target in targets.items()
            ],
        }
        (home / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False))
        port = free_port()
        log = home / "prometheus.log"
        process = subprocess.Popen(
            [
                prometheus_binary,
                f"--config.file={home / 'prometheus.yml'}",
                f"--storage.tsdb.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=home,
        )  # fmt: skip
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(lambda: urllib_ready(f"{url}/-/ready"), 30, "Prometheus /-/ready")
        except AssertionError:
            print(log.read_text(errors="replace")[-3000:])
            raise
        return Prometheus(url, process, log)

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def urllib_ready(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_a_burst_of_hardline_articles_fires_the_spike_alert_in_prometheus(
    bootstrap: str, topics: TopicNames, services: Services, start_prometheus: Any
) -> None:
    started = time.monotonic()
    metrics_port = free_port()
    start_worker(services, metrics_port)
    api = services.api()
    prometheus = start_prometheus(
        {"detente-worker": f"127.0.0.1:{metrics_port}", "detente-api": api.removeprefix("http://")}
    )

    def targets_up() -> bool:
        active = prometheus.api("targets")["activeTargets"]
        return len(active) == 2 and all(t["health"] == "up" for t in active)

    try:
        wait_for(targets_up, 90, "Prometheus to scrape the worker and the API")
        now = datetime.now(UTC).replace(microsecond=0)
        # North Korea's history: conciliatory, three days ago (its baseline window).
        history = [
            (f"nk-old-{n:02d}".encode(), article(f"nk-old-{n:02d}", "North Korea", "Pyongyang",
                                                 *CONCILIATORY[n % len(CONCILIATORY)],
                                                 now - timedelta(days=3, hours=n)))
            for n in range(10)
        ]  # fmt: skip
        burst = [
            (f"nk-{n:02d}".encode(), article(f"nk-{n:02d}", "North Korea", "Pyongyang",
                                             *HARDLINE[n % len(HARDLINE)], now))
            for n in range(20)
        ]  # fmt: skip
        # One more hardline actor, on too few statements to count as a spike.
        control = [
            (f"ve-{n}".encode(), article(f"ve-{n}", "Venezuela", "Caracas", "threatened",
                                         "to seize the disputed oil fields", now))
            for n in range(2)
        ]  # fmt: skip
        produce(bootstrap, topics.articles, history + burst + control)
        print(
            f"\nproduced {len(history)} conciliatory North Korea articles dated 3 days ago, "
            f"{len(burst)} hardline ones dated now, {len(control)} hardline Venezuela ones"
        )

        def spike_firing() -> dict[str, Any] | None:
            for alert in prometheus.alerts():
                labels = alert["labels"]
                if (
                    labels["alertname"] == SPIKE
                    and labels.get("subject") == "actor:north-korea"
                    and alert["state"] == "firing"
                ):
                    return alert
            return None

        fired = wait_for(spike_firing, 120, f"{SPIKE} for actor:north-korea to fire")
    except AssertionError:
        print(services.logs())
        print("--- prometheus.log\n" + prometheus.log.read_text(errors="replace")[-3000:])
        raise

    elapsed = time.monotonic() - started
    print(f"{SPIKE} firing after {elapsed:.0f}s (rules copied with every `for:` at {FOR}):")
    print(json.dumps(fired, indent=2, ensure_ascii=False))
    alerts = prometheus.alerts()
    print("all alerts Prometheus reports:")
    for alert in sorted(alerts, key=lambda a: (a["labels"]["alertname"], str(a["labels"]))):
        labels = {k: v for k, v in alert["labels"].items() if k not in ("alertname",)}
        print(f"  {alert['labels']['alertname']:24} {alert['state']:8} {labels}")
    for expr in (
        'subject:detente_tension_index:max{window="24h"}',
        'subject:detente_tension_statements:max{window="24h"}',
        "subject:detente_tension_baseline:index",
        "subject:detente_tension_rise_24h:points",
        "subject:detente_tension_rise_24h:zscore",
    ):
        values = {
            r["metric"]["subject"]: round(float(r["value"][1]), 2) for r in prometheus.query(expr)
        }
        print(f"  {expr}: {dict(sorted(values.items()))}")

    assert fired["labels"]["severity"] == "warning"
    assert fired["labels"]["subject_kind"] == "actor"
    assert "north-korea" in fired["annotations"]["summary"]
    assert "actor:north-korea" in fired["annotations"]["description"]
    assert fired["annotations"]["runbook_url"].endswith("#detentetensionspike")
    # Against its own conciliatory baseline, not the prior of 50: the 20 hardline statements
    # read about 90 (a posterior share), so only a baseline well under 50 gives a rise over 50.
    assert float(fired["value"]) > 50
    spiking = {a["labels"].get("subject") for a in alerts if a["labels"]["alertname"] == SPIKE}
    # Two hardline articles are two statements: below the minimum of five.
    assert "actor:venezuela" not in spiking
    # The worker's own metrics reached Prometheus: throughput, model version, delays.
    consumed = prometheus.query(
        f'sum(detente_worker_events_consumed_total{{topic="{topics.articles}"}})'
    )
    assert consumed and float(consumed[0]["value"][1]) >= len(history + burst + control)
    assert prometheus.query("detente_worker_model_info")
    assert prometheus.query("detente_worker_end_to_end_delay_seconds_count > 0")
    assert prometheus.query("detente_api_sse_subscribers == 0")
    # The worker's refresh timer ran against the real Faust consumer and tables.
    lag = wait_for(
        lambda: prometheus.query("detente_worker_consumer_lag_messages"), 30, "consumer lag"
    )
    keys = wait_for(
        lambda: prometheus.query('detente_worker_table_keys{table="index-state"} > 0'),
        30, "table sizes",
    )  # fmt: skip
    print(f"  consumer lag series: {len(lag)}, index-state keys: {keys[0]['value'][1]}")
    assert elapsed < 180
